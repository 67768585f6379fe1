import { readFileSync, statSync } from 'node:fs';
import type { Reader, Response } from 'maxmind';
import { parseIp, type ParsedIp } from '../net/ip-address';
import { checkMmdb, findRecord, ipv4StartNode, MmdbError, type MmdbInfo, type ReaderCache, type Tree } from './mmdb-check';

/**
 * GeoIP through MaxMind DB files: the analyst's GeoIP2/GeoLite2 City, Country
 * and ASN databases, and the embedded country database shipped with Loupe.
 */

export const MMDB_KINDS = ['city', 'country', 'asn'] as const;
export type MmdbKind = (typeof MMDB_KINDS)[number];

export const KIND_LABEL: Record<MmdbKind, string> = { city: 'City', country: 'Country', asn: 'ASN' };

export interface GeoFields {
  country: string | null;
  city: string | null;
  asn: number | null;
  asOrg: string | null;
}

/**
 * Which kind a database is, from its metadata's database_type:
 * GeoIP2/GeoLite2/DB-IP City and Enterprise carry city and country;
 * Country databases country only; ASN and ISP databases the AS.
 */
export function kindOfDatabaseType(databaseType: string): MmdbKind | null {
  const t = databaseType.toLowerCase();
  if (t.includes('city') || t.includes('enterprise')) return 'city';
  if (t.includes('country')) return 'country';
  if (/\basn\b|-asn|asn-|\bisp\b|-isp/.test(t)) return 'asn';
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isoCode(v: unknown): string | null {
  if (!isRecord(v)) return null;
  const code = v.iso_code;
  return typeof code === 'string' && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : null;
}

/** Country of a City/Country/embedded record: where the IP is, else where its block is registered. */
export function countryOfRecord(rec: unknown): string | null {
  if (!isRecord(rec)) return null;
  const direct = isoCode(rec.country) ?? isoCode(rec.registered_country);
  if (direct) return direct;
  const cc = rec.country_code; // ip-location-db layout
  return typeof cc === 'string' && /^[A-Za-z]{2}$/.test(cc) ? cc.toUpperCase() : null;
}

export function cityOfRecord(rec: unknown): string | null {
  if (!isRecord(rec) || !isRecord(rec.city) || !isRecord(rec.city.names)) return null;
  const names = rec.city.names;
  const name = names.en ?? Object.values(names).find((n) => typeof n === 'string');
  return typeof name === 'string' && name.length > 0 ? name.slice(0, 200) : null;
}

export function asnOfRecord(rec: unknown): { asn: number; org: string | null } | null {
  if (!isRecord(rec)) return null;
  const holder = typeof rec.autonomous_system_number === 'number' ? rec : isRecord(rec.traits) ? rec.traits : null;
  if (!holder) return null;
  const asn = holder.autonomous_system_number;
  if (typeof asn !== 'number' || !Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) return null;
  const org = holder.autonomous_system_organization;
  return { asn, org: typeof org === 'string' && org.length > 0 ? org.slice(0, 300) : null };
}

function looksLike(kind: MmdbKind, rec: unknown): boolean {
  if (kind === 'asn') return asnOfRecord(rec) !== null;
  if (kind === 'city') return countryOfRecord(rec) !== null || cityOfRecord(rec) !== null;
  return countryOfRecord(rec) !== null;
}

/** A small bounded cache for the reader's decoded records (keyed by data offset). */
function boundedCache(max: number): ReaderCache {
  let map = new Map<string | number, unknown>();
  return {
    get: (key) => map.get(key),
    set: (key, value) => {
      if (map.size >= max) map = new Map(); // cheaper than LRU bookkeeping; refills within one enrichment
      map.set(key, value);
    },
  };
}

export interface MmdbSourceInfo {
  kind: MmdbKind;
  path: string;
  embedded: boolean;
  databaseType: string;
  buildEpoch: string | null;
  networks: number | null;
  size: number;
  mtime: string;
}

/** Decoded answers kept per data record; a City DB has far fewer records than lookups. */
const MEMO_MAX = 200_000;

/**
 * One opened database of a known kind. Lookups never throw: a record that
 * fails to decode counts in `lookupErrors` and answers nothing.
 *
 * Lookups walk the search tree themselves on the already-parsed address and
 * ask the maxmind reader to decode a data record only the first time it is
 * reached (then the answer is memoised by record offset). The reader's own
 * get() parses the IP text again and walks with generic buffer reads:
 * measured 3-4x slower per lookup.
 */
export class MmdbSource {
  lookupErrors = 0;
  private memo = new Map<number, GeoFields | null>();
  private readonly ipv4Start: number;

  private constructor(
    readonly kind: MmdbKind,
    readonly path: string,
    readonly embedded: boolean,
    readonly info: MmdbInfo,
    private readonly reader: Reader<Response>,
    private readonly buf: Buffer,
    private readonly tree: Tree,
    private readonly stat: { size: number; mtime: Date },
  ) {
    this.ipv4Start = ipv4StartNode(buf, tree, info.ipVersion);
  }

  /**
   * Open a database file. `expectedKind` refuses a database of another kind
   * (an ASN database added as City); without it the kind comes from the
   * metadata. `check: false` skips the full structural walk (trusted,
   * embedded databases).
   */
  static open(path: string, options: { expectedKind?: MmdbKind; embedded?: boolean; check?: boolean } = {}): MmdbSource {
    let buf: Buffer;
    let st: { size: number; mtime: Date };
    try {
      st = statSync(path);
      buf = readFileSync(path);
    } catch (e) {
      throw new MmdbError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const checked = checkMmdb(buf, { walk: options.check !== false, samples: 400, cache: boundedCache(20_000) });
    const { info } = checked;
    const kind = kindOfDatabaseType(info.databaseType);
    if (!kind) {
      throw new MmdbError(`"${info.databaseType}" is not a City, Country or ASN database (Loupe uses GeoIP2/GeoLite2 City, Country and ASN .mmdb files)`);
    }
    if (options.expectedKind && options.expectedKind !== kind) {
      const want = KIND_LABEL[options.expectedKind];
      throw new MmdbError(`this is a ${info.databaseType} database (${KIND_LABEL[kind]}), not ${want === 'ASN' ? 'an' : 'a'} ${want} database`);
    }
    const decoded = checked.samples.filter((s) => s !== null && s !== undefined);
    if (decoded.length > 0 && !decoded.some((s) => looksLike(kind, s))) {
      throw new MmdbError(`"${info.databaseType}" claims to be a ${KIND_LABEL[kind]} database but its records hold no ${kind === 'asn' ? 'AS number' : 'country'}`);
    }
    return new MmdbSource(kind, path, options.embedded ?? false, info, checked.reader, buf, checked.tree, { size: st.size, mtime: st.mtime });
  }

  /** Look up an IP text (parsed here); null when the database has nothing for it. */
  lookup(ipText: string): GeoFields | null {
    const ip = parseIp(ipText);
    return ip ? this.lookupParsed(ip) : null;
  }

  /** The search-tree record the address ends on: > nodeCount is data, nodeCount is "no data". */
  private recordFor(ip: ParsedIp): number {
    if (ip.family === 4) return findRecord(this.buf, this.tree, this.ipv4Start, this.info.ipVersion, Number(ip.value), null);
    // Four 32-bit words so the walk tests bits with numbers, not bigints.
    const v = ip.value;
    const words = [Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
    return findRecord(this.buf, this.tree, this.ipv4Start, this.info.ipVersion, null, words);
  }

  lookupParsed(ip: ParsedIp): GeoFields | null {
    const rec = this.recordFor(ip);
    if (rec <= this.tree.nodeCount) return null;
    const known = this.memo.get(rec);
    if (known !== undefined) return known;
    let fields: GeoFields | null = null;
    try {
      const data: unknown = this.reader.get(ip.canonical);
      if (isRecord(data)) {
        const asn = asnOfRecord(data);
        fields = {
          country: this.kind === 'asn' ? null : countryOfRecord(data),
          city: this.kind === 'city' ? cityOfRecord(data) : null,
          asn: asn?.asn ?? null,
          asOrg: asn?.org ?? null,
        };
      }
    } catch {
      this.lookupErrors++;
    }
    if (this.memo.size >= MEMO_MAX) this.memo = new Map();
    this.memo.set(rec, fields);
    return fields;
  }

  describe(): MmdbSourceInfo {
    return {
      kind: this.kind,
      path: this.path,
      embedded: this.embedded,
      databaseType: this.info.databaseType,
      buildEpoch: this.info.buildEpoch?.toISOString() ?? null,
      networks: this.info.networks > 0 ? this.info.networks : null,
      size: this.stat.size,
      mtime: this.stat.mtime.toISOString(),
    };
  }
}

export { MmdbError };
