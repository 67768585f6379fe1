import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RangeTable } from './ip-ranges';

/**
 * The intel Loupe carries inside the app so that country and AS answers work
 * with no setup and no network. Both come from npm packages of sapics'
 * ip-location-db, resolved at run time from node_modules:
 *
 * - @ip-location-db/geo-whois-asn-country-mmdb: country per network, as an
 *   .mmdb (package licence CC0-1.0; its data derives from RIR whois data the
 *   NRO publishes under CC BY 4.0, which asks for attribution).
 * - @ip-location-db/asn: AS number and name per range, as CSV (CC BY 4.0:
 *   RouteViews, DB-IP, NRO; attribution required). Optional: when it is not
 *   installed, AS answers need the analyst's ASN .mmdb.
 */

export interface EmbeddedPackage {
  name: string;
  version: string;
  dir: string;
  licence: string;
  attribution: string;
}

export const EMBEDDED_COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';
export const EMBEDDED_COUNTRY_FILE = 'geo-whois-asn-country.mmdb';
export const EMBEDDED_ASN_PACKAGE = '@ip-location-db/asn';

const ATTRIBUTION: Record<string, { licence: string; attribution: string }> = {
  [EMBEDDED_COUNTRY_PACKAGE]: {
    licence: 'CC0-1.0 (package); data from RIR whois published by the NRO under CC BY 4.0',
    attribution: 'Country data: ip-location-db (sapics), from RIR whois data by the NRO (nro.net), CC BY 4.0',
  },
  [EMBEDDED_ASN_PACKAGE]: {
    licence: 'CC BY 4.0 (RouteViews, DB-IP, NRO)',
    attribution: 'AS data: ip-location-db (sapics), from RouteViews (routeviews.org), DB-IP (db-ip.com) and the NRO (nro.net), CC BY 4.0',
  },
};

/** Where an installed package lives, or null when it is not installed. */
export function findPackage(name: string): EmbeddedPackage | null {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${name}/package.json`);
  } catch {
    return null;
  }
  return packageAt(dirname(pkgJson), name);
}

/** The package in `dir` (an unpacked copy of `name`), read from its package.json. */
export function packageAt(dir: string, name: string): EmbeddedPackage {
  const pkgJson = join(dir, 'package.json');
  let version = 'unknown';
  try {
    const parsed = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: unknown };
    if (typeof parsed.version === 'string') version = parsed.version;
  } catch {
    // An unreadable package.json leaves the version unknown; the data may still load.
  }
  const meta = ATTRIBUTION[name] ?? { licence: 'unknown', attribution: name };
  return { name, version, dir, ...meta };
}

/**
 * The data date an ip-location-db package encodes in its version
 * (2.3.YYYYMMDDHH). npm stores every file with a fixed 1985 mtime, so the
 * version is the only date these packages carry.
 */
export function packageDataDate(version: string): Date | null {
  const m = /\.(\d{4})(\d{2})(\d{2})(\d{2})?$/.exec(version);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0)));
  return Number.isFinite(d.getTime()) && d.getUTCDate() === Number(m[3]) ? d : null;
}

export function embeddedCountryPath(): string | null {
  const pkg = findPackage(EMBEDDED_COUNTRY_PACKAGE);
  if (!pkg) return null;
  const p = join(pkg.dir, EMBEDDED_COUNTRY_FILE);
  return existsSync(p) ? p : null;
}

export interface AsnValue {
  asn: number;
  org: string | null;
}

export interface AsnTableLoad {
  table: RangeTable<AsnValue>;
  rows: number;
  rejected: number;
  /** First few rejected lines, for the status page. */
  rejectedSamples: Array<{ file: string; line: number; reason: string }>;
}

const MAX_LINE = 4096;

/** A non-negative decimal of at most 15 digits in buf[from, to), or -1. */
function decimal(buf: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The org field buf[from, to): CSV-unquoted when quoted; null when a quote is unterminated. */
function orgField(buf: Buffer, from: number, to: number): string | null {
  // toString copies: the name must not keep the whole file alive (a slice of one big string would).
  if (buf[from] === 0x22 /* " */) {
    if (to - from < 2 || buf[to - 1] !== 0x22) return null;
    return buf.toString('utf8', from + 1, to - 1).replace(/""/g, '"').trim();
  }
  return buf.toString('utf8', from, to).trim();
}

/**
 * Load an ip-location-db ASN table: `start,end,asn,org` per line with numeric
 * bounds (`asn-ipv4-num.csv`, `asn-ipv6-num.csv`). Unparseable lines are
 * counted and sampled, never silently skipped. Reads bytes, not one big
 * string: faster, and nothing retains the 30 MB of text afterwards.
 */
export function loadAsnCsv(files: Array<{ path: string; family: 4 | 6 }>): AsnTableLoad {
  const table = new RangeTable<AsnValue>();
  let rows = 0;
  let rejected = 0;
  const rejectedSamples: AsnTableLoad['rejectedSamples'] = [];
  const reject = (file: string, line: number, reason: string): void => {
    rejected++;
    if (rejectedSamples.length < 20) rejectedSamples.push({ file, line, reason });
  };
  const max = (1n << 128n) - 1n;
  for (const { path, family } of files) {
    const buf = readFileSync(path);
    let lineNo = 0;
    let pos = 0;
    while (pos < buf.length) {
      let nl = buf.indexOf(0x0a, pos);
      if (nl === -1) nl = buf.length;
      const start = pos;
      let end = nl;
      pos = nl + 1;
      lineNo++;
      if (end > start && buf[end - 1] === 0x0d) end--;
      if (end === start) continue;
      if (end - start > MAX_LINE) {
        reject(path, lineNo, 'line too long');
        continue;
      }
      const c1 = buf.indexOf(0x2c, start);
      const c2 = c1 < 0 || c1 >= end ? -1 : buf.indexOf(0x2c, c1 + 1);
      const c3 = c2 < 0 || c2 >= end ? -1 : buf.indexOf(0x2c, c2 + 1);
      if (c1 < 0 || c2 < 0 || c3 < 0 || c1 >= end || c2 >= end || c3 >= end) {
        reject(path, lineNo, 'fewer than 4 fields');
        continue;
      }
      const asn = decimal(buf, c2 + 1, c3);
      if (asn < 0 || asn > 0xffffffff) {
        reject(path, lineNo, 'AS number not numeric');
        continue;
      }
      const org = orgField(buf, c3 + 1, end);
      if (org === null) {
        reject(path, lineNo, 'unterminated quoted AS name');
        continue;
      }
      const key = `${asn}\u0000${org}`;
      const value = { asn, org: org.length > 0 ? org : null };
      if (family === 4) {
        // Numbers, not bigints: IPv4 is 400k+ lines and this runs at start-up.
        const first = decimal(buf, start, c1);
        const last = decimal(buf, c1 + 1, c2);
        if (first < 0 || last < 0 || first > last || last > 0xffffffff) {
          reject(path, lineNo, 'range not numeric, out of order or out of bounds');
          continue;
        }
        table.addV4(first, last, key, value);
      } else {
        const a = buf.toString('latin1', start, c1);
        const b = buf.toString('latin1', c1 + 1, c2);
        if (!/^\d{1,39}$/.test(a) || !/^\d{1,39}$/.test(b)) {
          reject(path, lineNo, 'range not numeric');
          continue;
        }
        const first = BigInt(a);
        const last = BigInt(b);
        if (first > last || last > max) {
          reject(path, lineNo, 'range out of order or out of bounds');
          continue;
        }
        table.add(6, first, last, key, value);
      }
      rows++;
    }
  }
  table.build();
  rejected += table.overlapsDropped;
  return { table, rows, rejected, rejectedSamples };
}

export function embeddedAsnFiles(dir: string): Array<{ path: string; family: 4 | 6 }> | null {
  const v4 = join(dir, 'asn-ipv4-num.csv');
  const v6 = join(dir, 'asn-ipv6-num.csv');
  if (!existsSync(v4)) return null;
  return existsSync(v6) ? [{ path: v4, family: 4 }, { path: v6, family: 6 }] : [{ path: v4, family: 4 }];
}
