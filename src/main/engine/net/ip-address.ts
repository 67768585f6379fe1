/**
 * IP address parsing, canonical text and scope labels, shared by every part of
 * Loupe that touches an address: parsers canonicalise src_ip/dst_ip with it,
 * the search language parses CIDR filters with it, intel keys its lookups on
 * its canonical text.
 *
 * Strict on purpose: an IPv4 octet with a leading zero ("010.1.1.1") is
 * rejected because C-derived tools read it as octal and others as decimal, so
 * the same text names two different hosts; shorthand forms ("10.1", "0x0a...")
 * are rejected for the same reason. IPv4-mapped IPv6 (::ffff:a.b.c.d) is the
 * IPv4 host it maps, so it canonicalises to the dotted IPv4 form: an event
 * logged by a dual-stack socket and one logged by an IPv4 socket must join on
 * the same key. Zone ids (fe80::1%eth0) are kept aside, not part of the key.
 */

export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  /** The address as an unsigned integer (32 bits for IPv4, 128 for IPv6). */
  value: bigint;
  /** Dotted quad for IPv4; RFC 5952 text (lower case, longest zero run as ::) for IPv6. */
  canonical: string;
  /** The zone id after '%', or null. Never part of `canonical`. */
  zone: string | null;
}

export interface ParsedCidr {
  family: IpFamily;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
  /** First and last address of the range, inclusive. */
  first: bigint;
  last: bigint;
  /** Canonical `network/prefix` text. */
  canonical: string;
  /** True when the input had host bits set (10.0.0.5/8); the range is still the network's. */
  hostBitsSet: boolean;
}

export const SCOPES = [
  'public',
  'private',
  'loopback',
  'link-local',
  'cgnat',
  'multicast',
  'ula',
  'documentation',
  'unspecified',
  'broadcast',
  'reserved',
  'invalid',
] as const;
export type IpScope = (typeof SCOPES)[number];

const MAX_ZONE_LENGTH = 64;
const V4_MAX = 0xffffffffn;
const V6_BITS = 128n;
const MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96

/** Parse IPv4 text into a 32-bit number, or -1. Strict dotted quad, no leading zeros. */
export function parseIpv4Number(s: string, start = 0, end = s.length): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const partStart = i;
    let octet = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
      if (i - partStart > 3) return -1;
    }
    const len = i - partStart;
    if (len === 0 || octet > 255) return -1;
    if (len > 1 && s.charCodeAt(partStart) === 48) return -1; // leading zero: octal ambiguity
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parse the hextets of an IPv6 address (no zone, no brackets) into 8 16-bit words, or null. */
function parseIpv6Words(s: string): number[] | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const head: number[] = [];
  const tail: number[] = [];
  let target = head;
  let i = 0;
  if (dbl === 0) {
    target = tail;
    i = 2;
  }
  const end = s.length;
  if (i === end) return dbl === 0 ? [0, 0, 0, 0, 0, 0, 0, 0] : null;
  for (;;) {
    // One group: up to 4 hex digits, or a dotted IPv4 as the last group.
    const groupStart = i;
    let w = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      w = w * 16 + d;
      i++;
    }
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      const v4 = parseIpv4Number(s, groupStart, end);
      if (v4 < 0) return null;
      target.push(Math.floor(v4 / 65536), v4 & 0xffff);
      i = end;
    } else {
      const len = i - groupStart;
      if (len === 0 || len > 4) return null;
      target.push(w);
    }
    if (head.length + tail.length > 8) return null;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58 /* : */) return null;
    if (i === dbl) {
      if (target === tail) return null;
      target = tail;
      i += 2;
      if (i === end) break;
    } else {
      i++;
      if (i === end) return null; // a trailing single ':'
    }
  }
  if (dbl === -1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null; // '::' stands for at least one zero group
  for (let k = 0; k < missing; k++) head.push(0);
  for (const w of tail) head.push(w);
  return head;
}

function wordsToBigInt(w: number[]): bigint {
  // Four 32-bit halves: four BigInt conversions instead of eight shift-and-or steps.
  return (
    (BigInt(w[0]! * 65536 + w[1]!) << 96n) |
    (BigInt(w[2]! * 65536 + w[3]!) << 64n) |
    (BigInt(w[4]! * 65536 + w[5]!) << 32n) |
    BigInt(w[6]! * 65536 + w[7]!)
  );
}

function formatWords(words: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** RFC 5952 text for a 128-bit value: lower case, no leading zeros, longest zero run (>= 2) as '::'. */
export function formatIpv6(value: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return formatWords(words);
}

/** Canonical text of a (family, value) pair; IPv4-mapped IPv6 is not special-cased here. */
export function formatIp(family: IpFamily, value: bigint): string {
  return family === 4 ? formatIpv4(Number(value)) : formatIpv6(value);
}

/**
 * Parse an IPv4 or IPv6 address. Accepts surrounding whitespace, `[v6]`
 * brackets and a `%zone` suffix on IPv6; returns null for anything else.
 */
export function parseIp(input: string): ParsedIp | null {
  if (typeof input !== 'string') return null;
  let s = input.trim();
  if (s.length === 0 || s.length > 45 + 2 + 1 + MAX_ZONE_LENGTH) return null;
  if (!s.includes(':')) {
    const n = parseIpv4Number(s);
    return n < 0 ? null : { family: 4, value: BigInt(n), canonical: s, zone: null };
  }
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (s.charCodeAt(s.length - 1) !== 93 /* ] */) return null;
    s = s.slice(1, -1);
  }
  let zone: string | null = null;
  const pct = s.indexOf('%');
  if (pct !== -1) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone.length === 0 || zone.length > MAX_ZONE_LENGTH || !/^[\w.-]+$/.test(zone)) return null;
  }
  const w = parseIpv6Words(s);
  if (w === null) return null;
  if (zone === null && w[5] === 0xffff && w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0) {
    const v4 = w[6]! * 65536 + w[7]!;
    return { family: 4, value: BigInt(v4), canonical: formatIpv4(v4), zone: null };
  }
  return { family: 6, value: wordsToBigInt(w), canonical: formatWords(w), zone };
}

/** Canonical text of an address (what events.src_ip/dst_ip hold), or null when it is not one. */
export function canonicalIp(input: string): string | null {
  return parseIp(input)?.canonical ?? null;
}

export function isIp(input: string): boolean {
  return parseIp(input) !== null;
}

/**
 * Parse `addr/prefix`. A bare address is a host route (/32 or /128). Host bits
 * set below the prefix are tolerated (IOC lists often carry 10.1.2.3/24) and
 * reported in `hostBitsSet`. IPv4-mapped IPv6 networks within ::ffff:0:0/96
 * become the IPv4 network they map.
 */
export function parseCidr(input: string): ParsedCidr | null {
  if (typeof input !== 'string') return null;
  const s = input.trim();
  const slash = s.indexOf('/');
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip || ip.zone !== null) return null;
  const bits = ip.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash !== -1) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    prefix = Number(p);
    // A mapped IPv6 network ::ffff:a.b.c.d/104 is the IPv4 network a.b.c.d/8.
    const mappedInput = ip.family === 4 && addrText.includes(':');
    if (mappedInput) {
      if (prefix < 96 || prefix > 128) return null;
      prefix -= 96;
    } else if (prefix > bits) return null;
  }
  const hostBits = BigInt(bits - prefix);
  const mask = ((1n << hostBits) - 1n);
  const network = ip.value & ~mask & (ip.family === 4 ? V4_MAX : (1n << V6_BITS) - 1n);
  const last = network | mask;
  return {
    family: ip.family,
    network,
    prefix,
    first: network,
    last,
    canonical: `${formatIp(ip.family, network)}/${prefix}`,
    hostBitsSet: network !== ip.value,
  };
}

export function cidrContains(cidr: ParsedCidr, ip: ParsedIp): boolean {
  return cidr.family === ip.family && ip.value >= cidr.first && ip.value <= cidr.last;
}

// ---------------------------------------------------------------- scope labels

interface V4Range {
  first: number;
  last: number;
  scope: IpScope;
}

function v4(cidr: string, scope: IpScope): V4Range {
  const c = parseCidr(cidr);
  if (!c || c.family !== 4) throw new Error(`bad built-in IPv4 range ${cidr}`);
  return { first: Number(c.first), last: Number(c.last), scope };
}

interface V6Range {
  first: bigint;
  last: bigint;
  scope: IpScope;
}

function v6(cidr: string, scope: IpScope): V6Range {
  const c = parseCidr(cidr);
  if (!c || c.family !== 6) throw new Error(`bad built-in IPv6 range ${cidr}`);
  return { first: c.first, last: c.last, scope };
}

// Most specific first: the first range that contains the address names its scope.
const V4_SCOPES: V4Range[] = [
  v4('0.0.0.0/32', 'unspecified'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('0.0.0.0/8', 'reserved'), // "this network" (RFC 791)
  v4('10.0.0.0/8', 'private'),
  v4('172.16.0.0/12', 'private'),
  v4('192.168.0.0/16', 'private'),
  v4('100.64.0.0/10', 'cgnat'), // RFC 6598 shared address space
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('192.0.2.0/24', 'documentation'), // TEST-NET-1..3 (RFC 5737)
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  v4('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast
  v4('198.18.0.0/15', 'reserved'), // benchmarking (RFC 2544)
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'), // future use
];

const V6_SCOPES: V6Range[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'reserved'), // deprecated IPv4-compatible addresses
  v6('100::/64', 'reserved'), // discard-only (RFC 6666)
  v6('2001:db8::/32', 'documentation'),
  v6('3fff::/20', 'documentation'), // RFC 9637
  v6('2001:2::/48', 'reserved'), // benchmarking (RFC 5180)
  v6('fc00::/7', 'ula'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'reserved'), // deprecated site-local
  v6('ff00::/8', 'multicast'),
  v6('2000::/3', 'public'), // global unicast; everything outside it is unassigned
];

/** IPv4 scope by first octet, then the table: most addresses decide in one comparison. */
export function scopeOfIpv4(n: number): IpScope {
  const a = Math.floor(n / 16777216);
  // First octets with no special range at all (everything but 0, 10, 100, 127, 169, 172, 192, 198, 203, 224+).
  if (a !== 0 && a !== 10 && a !== 100 && a !== 127 && a !== 169 && a !== 172 && a !== 192 && a !== 198 && a !== 203 && a < 224) return 'public';
  for (const r of V4_SCOPES) if (n >= r.first && n <= r.last) return r.scope;
  return 'public';
}

export function scopeOfParsed(ip: ParsedIp): IpScope {
  if (ip.family === 4) return scopeOfIpv4(Number(ip.value));
  // Global unicast outside the few special blocks inside 2000::/3 decides on the top 32 bits.
  const hi = Number(ip.value >> 96n);
  const top = Math.floor(hi / 65536);
  if (top >= 0x2000 && top <= 0x3fff && top !== 0x2001 && (top & 0xfff0) !== 0x3ff0) return 'public';
  if (ip.value >> 32n === MAPPED_PREFIX >> 32n) return scopeOfIpv4(Number(ip.value & V4_MAX));
  for (const r of V6_SCOPES) if (ip.value >= r.first && ip.value <= r.last) return r.scope;
  return 'reserved';
}

/** Scope label of an address text, computed without any lookup; 'invalid' when it is not an address. */
export function ipScope(input: string): IpScope {
  const ip = parseIp(input);
  return ip ? scopeOfParsed(ip) : 'invalid';
}

/** Scopes worth a GeoIP/ASN lookup: every other scope is not routed on the Internet. */
export function isGlobalScope(scope: IpScope): boolean {
  return scope === 'public';
}
