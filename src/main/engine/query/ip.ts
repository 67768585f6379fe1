/**
 * IP parsing for CIDR filters. DuckDB's inet extension is not bundled (it
 * would be downloaded at first use, and Loupe runs offline), so CIDR is
 * compiled by hand: IPv4 blocks become a text prefix plus a numeric range on
 * the next octet; IPv6 blocks are matched against the column's distinct IPv6
 * values in JS (a case holds few of them), then bound as a list.
 */

export interface Cidr {
  version: 4 | 6;
  /** Network address as a bigint (v4: 32 bits, v6: 128 bits), host bits cleared. */
  network: bigint;
  prefix: number;
}

export function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIPv6(input: string): bigint | undefined {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as the last two groups.
  let tail: bigint[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    s = `${s.slice(0, lastColon + 1)}`;
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = group(halves[0] ?? '');
  const rest = halves.length === 2 ? group(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const groups = halves.length === 2 ? [...head, ...Array<bigint>(8 - head.length - rest.length - tail.length).fill(0n), ...rest, ...tail] : [...head, ...tail];
  if (groups.length !== 8 || (halves.length === 2 && head.length + rest.length + tail.length > 7)) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** `10.0.0.0/8`, `fe80::/10`; a bare address is not a CIDR here (it is an equality). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  const v4 = parseIPv4(addr);
  if (v4 !== undefined) {
    if (prefix > 32) return undefined;
    return { version: 4, network: prefix === 0 ? 0n : (v4 >> BigInt(32 - prefix)) << BigInt(32 - prefix), prefix };
  }
  const v6 = parseIPv6(addr);
  if (v6 !== undefined) {
    if (prefix > 128) return undefined;
    return { version: 6, network: prefix === 0 ? 0n : (v6 >> BigInt(128 - prefix)) << BigInt(128 - prefix), prefix };
  }
  return undefined;
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const v = c.version === 4 ? parseIPv4(ip) : parseIPv6(ip);
  if (v === undefined) return false;
  const width = c.version === 4 ? 32 : 128;
  if (c.prefix === 0) return true;
  const shift = BigInt(width - c.prefix);
  return v >> shift === c.network >> shift;
}

/**
 * An IPv4 block as SQL over a text column: whole octets as a prefix (which
 * DuckDB evaluates as a cheap starts_with), the partial octet as a numeric
 * range on that octet. `col` is an already-quoted expression.
 */
export function ipv4CidrSql(c: Cidr, col: string, param: (v: string | number) => string): string {
  const octets = [24n, 16n, 8n, 0n].map((s) => Number((c.network >> s) & 255n));
  const full = Math.floor(c.prefix / 8);
  const restBits = c.prefix % 8;
  const prefixText = octets.slice(0, full).join('.');
  const parts: string[] = [];
  if (c.prefix === 0) return `(${col} LIKE '%.%.%.%' AND ${col} NOT LIKE '%:%')`;
  if (full === 4) return `${col} = ${param(prefixText)}`;
  if (full > 0) {
    // The one literal we inline instead of binding: DuckDB rewrites LIKE with a
    // constant prefix pattern into a prefix scan, but not with a parameter
    // (measured 3x slower on 10M rows). The text is built from parsed octets
    // (integers 0-255 joined by dots), never from what the analyst typed; the
    // check below makes that a guarantee rather than a promise.
    const pattern = `${prefixText}.%`;
    if (!/^[0-9.]+%$/.test(pattern)) throw new Error(`internal: unexpected CIDR prefix ${pattern}`);
    parts.push(`${col} LIKE '${pattern}'`);
  }
  if (restBits > 0) {
    const lo = octets[full] as number;
    const hi = lo + (1 << (8 - restBits)) - 1;
    // The octet after the prefix: the text between the full-octet prefix and the next dot.
    const octet = `TRY_CAST(split_part(${col}, '.', ${full + 1}) AS INTEGER)`;
    parts.push(`${octet} BETWEEN ${lo} AND ${hi}`);
    if (full === 0) parts.push(`${col} NOT LIKE '%:%'`);
  }
  return `(${parts.join(' AND ')})`;
}

/**
 * RFC 5952 text of an IPv6 address: lower case, no leading zeros, the longest
 * run of two or more zero groups as `::` (the first on a tie), and the
 * IPv4-mapped form as ::ffff:a.b.c.d. The data model stores IPs this way, so
 * `2001:0DB8:0:0::1` typed by the analyst still equals `2001:db8::1`.
 */
export function canonicalIPv6(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - i * 16)) & 0xffffn));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const low = Number(v & 0xffffffffn);
    return `::ffff:${[24, 16, 8, 0].map((s) => (low >>> s) & 255).join('.')}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
