/**
 * IP parsing for CIDR filters. DuckDB's inet extension is not bundled (it
 * would be downloaded at first use, and Loupe runs offline), so CIDR is
 * compiled by hand (addresses parsed by net/ip-address): IPv4 blocks become a text prefix plus a numeric range on
 * the next octet; IPv6 blocks are matched against the column's distinct IPv6
 * values in JS (a case holds few of them), then bound as a list.
 */
import { cidrContains, parseCidr, parseIp, type ParsedCidr } from '../net/ip-address';

/** A CIDR filter the analyst typed: `10.0.0.0/8`, `fe80::/10`. A bare address is not a CIDR here (it is an equality). */
export function parseCidrFilter(s: string): ParsedCidr | null {
  return s.includes('/') ? parseCidr(s) : null;
}

/** Whether a stored IP text lies in the block. */
export function cidrHolds(c: ParsedCidr, ip: string): boolean {
  const parsed = parseIp(ip);
  return parsed !== null && cidrContains(c, parsed);
}

/**
 * An IPv4 block as SQL over a text column: whole octets as a prefix (which
 * DuckDB evaluates as a cheap starts_with), the partial octet as a numeric
 * range on that octet. `col` is an already-quoted expression.
 */
export function ipv4CidrSql(c: ParsedCidr, col: string, param: (v: string | number) => string): string {
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
