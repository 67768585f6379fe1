/**
 * Addresses and ports as the events table stores them: one canonical text form
 * per address, so `src_ip = '10.0.0.1'`, the distinct-IP enrichment table and
 * pivots all agree however the source spelled it.
 *
 * Canonical form: IPv4 dotted decimal without leading zeros; IPv6 per RFC 5952
 * (lower case, no leading zeros, the longest run of zero groups as `::`);
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, common in sshd and mail logs on
 * dual-stack sockets) becomes the IPv4 address, because it is that host.
 * Brackets and a zone (`%eth0`) are dropped. Anything else is not an address: null.
 */

import { parseIp } from '../../net/ip-address';

const MAX_IP_TEXT = 64;

export function canonicalIp(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  let s = text;
  if (s.length === 0 || s.length > MAX_IP_TEXT) return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (s.charCodeAt(s.length - 1) !== 93) return null;
    s = s.slice(1, -1);
  }
  if (s.indexOf(':') < 0) return canonicalIpv4(s);
  // IPv6 is rare in logs next to IPv4: the shared parser's general path is fast enough.
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  return parseIp(s)?.canonical ?? null;
}

/** Dotted quad, each part 0..255 decimal; leading zeros are read as decimal and dropped. */
export function canonicalIpv4(s: string): string | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  let parts = 0;
  let value = 0;
  let digits = 0;
  let clean = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255) return null;
      parts++;
      value = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return null;
    if (digits > 0 && value === 0) clean = false; // a leading zero
    value = value * 10 + (c - 48);
    digits++;
    if (digits > 3) return null;
  }
  if (parts !== 4) return null;
  if (clean) return s;
  return s
    .split('.')
    .map((p) => String(Number(p)))
    .join('.');
}

/** A TCP/UDP port 0..65535 from a number or decimal text; anything else null. */
export function parsePort(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 65535 ? v : null;
  const n = v.length;
  if (n === 0 || n > 5) return null;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    x = x * 10 + (c - 48);
  }
  return x <= 65535 ? x : null;
}

/**
 * `host:port`, `[v6]:port`, or a bare address, as written in IDS and access
 * logs. An unbracketed IPv6 with no port is taken as a bare address.
 */
export function splitHostPort(text: string): { ip: string | null; port: number | null } {
  if (text.charCodeAt(0) === 91) {
    const close = text.indexOf(']');
    if (close < 0) return { ip: null, port: null };
    const ip = canonicalIp(text.slice(1, close));
    const rest = text.slice(close + 1);
    return { ip, port: rest.startsWith(':') ? parsePort(rest.slice(1)) : null };
  }
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first >= 0 && first === last) return { ip: canonicalIp(text.slice(0, last)), port: parsePort(text.slice(last + 1)) };
  return { ip: canonicalIp(text), port: null };
}
