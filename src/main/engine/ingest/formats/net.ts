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
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  return canonicalIpv6(s);
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

function canonicalIpv6(s: string): string | null {
  const groups: number[] = [];
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseSide = (side: string, allowV4: boolean): number[] | null => {
    if (side === '') return [];
    const out: number[] = [];
    const items = side.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as string;
      if (allowV4 && i === items.length - 1 && it.indexOf('.') >= 0) {
        const v4 = canonicalIpv4(it);
        if (v4 === null) return null;
        const o = v4.split('.').map(Number) as [number, number, number, number];
        out.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
        continue;
      }
      if (it.length === 0 || it.length > 4) return null;
      let v = 0;
      for (let k = 0; k < it.length; k++) {
        const c = it.charCodeAt(k);
        let d: number;
        if (c >= 48 && c <= 57) d = c - 48;
        else if (c >= 97 && c <= 102) d = c - 87;
        else if (c >= 65 && c <= 70) d = c - 55;
        else return null;
        v = v * 16 + d;
      }
      out.push(v);
    }
    return out;
  };
  if (dbl >= 0) {
    const left = parseSide(s.slice(0, dbl), false);
    const right = parseSide(s.slice(dbl + 2), true);
    if (left === null || right === null) return null;
    const fill = 8 - left.length - right.length;
    if (fill < 1) return null;
    groups.push(...left);
    for (let i = 0; i < fill; i++) groups.push(0);
    groups.push(...right);
  } else {
    const all = parseSide(s, true);
    if (all === null || all.length !== 8) return null;
    groups.push(...all);
  }
  // IPv4-mapped: the IPv4 host itself.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const a = groups[6] as number;
    const b = groups[7] as number;
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  // Longest run of zeros (length >= 2), first one on a tie (RFC 5952 4.2).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
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
