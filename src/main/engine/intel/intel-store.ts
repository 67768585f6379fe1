import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LoupeError } from '@shared/errors';
import { intelDir } from '../paths';
import {
  embeddedAsnFiles,
  embeddedCountryPath,
  EMBEDDED_ASN_PACKAGE,
  EMBEDDED_COUNTRY_PACKAGE,
  findPackage,
  loadAsnCsv,
  packageAt,
  packageDataDate,
  type AsnTableLoad,
  type EmbeddedPackage,
} from './embedded';
import { fetchText } from './fetch-feed';
import { KIND_LABEL, MMDB_KINDS, MmdbError, MmdbSource, type MmdbKind } from './geoip';
import { copyAtomic, fileFingerprint, readInputFile, readJson, sha256, writeAtomic, writeJson } from './intel-files';
import { parseIp, scopeOfParsed, type IpScope, type ParsedIp } from './ip-address';
import { IocIndex, parseIocList, IOC_KINDS, type Indicator, type IocKind } from './ioc-lists';
import { MAX_IPSUM_BYTES, ipsumProblem, parseIpsum, type RejectedLine } from './ipsum';
import { checkMmdb } from './mmdb-check';

/**
 * The analyst's threat intel, shared by every case: IPsum, GeoIP databases
 * and custom IOC lists, kept in the app's data folder (intelDir()), plus the
 * embedded country/AS data. Answers "what is this IP?" with no network.
 *
 * Layout of the folder:
 *   settings.json                 threshold, IPsum URL, download timeout
 *   ipsum/ipsum.txt, manifest.json   the current IPsum list as imported
 *   geoip/<kind>.mmdb, manifest.json the analyst's City / Country / ASN DBs
 *   ioc/<file>.tsv, manifest.json    custom IOC lists, normalised
 */

export const DEFAULT_IPSUM_URL = 'https://raw.githubusercontent.com/stamparm/ipsum/master/ipsum.txt';
/**
 * IPs on 3 or more blocklists count as malicious: the IPsum author's own
 * suggested ban level. 1-2 lists catch many scanners and shared hosting
 * addresses that are noise in an investigation.
 */
export const DEFAULT_MALICIOUS_THRESHOLD = 3;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;
const MAX_IOC_BYTES = 64 * 1024 * 1024;
const MAX_MMDB_BYTES = 2 * 1024 * 1024 * 1024;
/** Bump when enrichment logic changes, so cases re-enrich on next refresh. */
const ENRICHMENT_LOGIC_VERSION = 1;

export interface IntelSettings {
  /** An IP on at least this many IPsum lists is malicious (1-100). */
  maliciousThreshold: number;
  ipsumUrl: string;
  downloadTimeoutMs: number;
}

/** `loupe intel lookup --json` prints exactly this; null where unknown. */
export interface IpIntel {
  ip: string;
  scope: IpScope;
  country: string | null;
  city: string | null;
  asn: number | null;
  asOrg: string | null;
  /** Number of IPsum lists; 0 when a list is loaded and the IP is not on it; null with no list. */
  ipsum: number | null;
  /** ipsum >= threshold, or the IP is on any IOC list. */
  malicious: boolean;
  iocLists: string[];
}

/** What enrichment stores per IP: the lookup plus the parsed address for range queries. */
export interface IpEnrichment extends IpIntel {
  family: 4 | 6 | null;
  /** The address as an unsigned integer (UHUGEINT in DuckDB), null when not an IP. */
  num: bigint | null;
}

export type IntelSourceKind = 'ipsum' | MmdbKind | 'ioc';

export interface IntelSourceStatus {
  /** 'ipsum', 'geoip:city', 'geoip:country', 'geoip:asn', 'embedded:country', 'embedded:asn', 'ioc:<name>'. */
  id: string;
  kind: IntelSourceKind;
  name: string;
  state: 'ok' | 'missing' | 'error';
  embedded: boolean;
  /** ISO date of the data: the feed's own date, the database build date, else the file's mtime. */
  version: string | null;
  versionFrom: 'feed-header' | 'build-epoch' | 'file-mtime' | 'package' | null;
  entries: number | null;
  rejected: number | null;
  rejectedSamples?: RejectedLine[];
  file: string | null;
  origin: string | null;
  importedAt: string | null;
  /** The database type, the package version, the indicator counts, or why the source is missing/broken. */
  detail: string | null;
  licence: string | null;
  attribution: string | null;
}

export interface IntelStatus {
  dir: string;
  settings: IntelSettings;
  stamp: string;
  sources: IntelSourceStatus[];
}

interface IpsumManifest {
  source: 'file' | 'download';
  origin: string;
  importedAt: string;
  feedDate: string | null;
  entries: number;
  rejected: number;
  rejectedSamples: RejectedLine[];
  sha256: string;
}

interface GeoManifestEntry {
  origin: string;
  addedAt: string;
  databaseType: string;
  buildEpoch: string | null;
  networks: number;
  size: number;
  sha256: string;
}
type GeoManifest = Partial<Record<MmdbKind, GeoManifestEntry>>;

interface IocManifestEntry {
  name: string;
  file: string;
  origin: string;
  importedAt: string;
  counts: Record<IocKind, number>;
  entries: number;
  rejected: number;
  rejectedSamples: RejectedLine[];
  sha256: string;
}
interface IocManifest {
  lists: IocManifestEntry[];
}

interface Loaded {
  ipsum: Map<string, number> | null;
  ipsumError: string | null;
  geo: Partial<Record<MmdbKind, MmdbSource>>;
  geoErrors: Partial<Record<MmdbKind, string>>;
  ioc: IocIndex[];
  iocErrors: Map<string, string>;
}

function clampThreshold(n: unknown): number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 100 ? n : DEFAULT_MALICIOUS_THRESHOLD;
}

function slug(name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'list';
  return `${base}-${sha256(name).slice(0, 8)}`;
}

function validListName(raw: string): string {
  const name = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 80 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new LoupeError('BAD_INPUT', 'an IOC list name is 1 to 80 printable characters');
  }
  return name;
}

function emptyStatus(partial: Partial<IntelSourceStatus> & Pick<IntelSourceStatus, 'id' | 'kind' | 'name' | 'state'>): IntelSourceStatus {
  return {
    embedded: false,
    version: null,
    versionFrom: null,
    entries: null,
    rejected: null,
    file: null,
    origin: null,
    importedAt: null,
    detail: null,
    licence: null,
    attribution: null,
    ...partial,
  };
}

export interface IntelStoreOptions {
  /** The intel folder; intelDir() by default. */
  dir?: string;
  /** Override or disable (null) the embedded country database (tests). */
  embeddedCountryPath?: string | null;
  /** Override or disable (null) the folder holding asn-ipv4-num.csv / asn-ipv6-num.csv (tests). */
  embeddedAsnDir?: string | null;
}

export class IntelStore {
  readonly dir: string;
  private settingsValue: IntelSettings;
  private loaded: Loaded | null = null;
  private loadedFingerprint = '';
  private embeddedCountry: MmdbSource | null | undefined;
  private embeddedCountryError: string | null = null;
  private embeddedCountryNetworks: number | null = null;
  private embeddedAsn: AsnTableLoad | null | undefined;
  private embeddedAsnError: string | null = null;
  private readonly countryPkg: EmbeddedPackage | null;
  private readonly asnPkg: EmbeddedPackage | null;
  private readonly countryPath: string | null;
  private readonly asnDir: string | null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: IntelStoreOptions = {}) {
    this.dir = options.dir ?? intelDir();
    this.countryPkg = findPackage(EMBEDDED_COUNTRY_PACKAGE);
    this.countryPath = options.embeddedCountryPath !== undefined ? options.embeddedCountryPath : embeddedCountryPath();
    if (options.embeddedAsnDir !== undefined) {
      this.asnDir = options.embeddedAsnDir;
      this.asnPkg = this.asnDir ? packageAt(this.asnDir, EMBEDDED_ASN_PACKAGE) : null;
    } else {
      this.asnPkg = findPackage(EMBEDDED_ASN_PACKAGE);
      this.asnDir = this.asnPkg?.dir ?? null;
    }
    this.settingsValue = this.readSettings();
  }

  // ------------------------------------------------------------ paths

  private path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }
  private get settingsPath(): string {
    return this.path('settings.json');
  }
  private get ipsumFile(): string {
    return this.path('ipsum', 'ipsum.txt');
  }
  private get ipsumManifestPath(): string {
    return this.path('ipsum', 'manifest.json');
  }
  private get geoManifestPath(): string {
    return this.path('geoip', 'manifest.json');
  }
  private get iocManifestPath(): string {
    return this.path('ioc', 'manifest.json');
  }
  private mmdbPath(kind: MmdbKind): string {
    return this.path('geoip', `${kind}.mmdb`);
  }

  // ------------------------------------------------------------ settings

  private readSettings(): IntelSettings {
    const raw = readJson<Partial<IntelSettings>>(this.settingsPath, {});
    return {
      maliciousThreshold: clampThreshold(raw.maliciousThreshold),
      ipsumUrl: typeof raw.ipsumUrl === 'string' && raw.ipsumUrl.length > 0 ? raw.ipsumUrl : DEFAULT_IPSUM_URL,
      downloadTimeoutMs:
        typeof raw.downloadTimeoutMs === 'number' && raw.downloadTimeoutMs >= 1000 && raw.downloadTimeoutMs <= 600_000 ? raw.downloadTimeoutMs : DEFAULT_DOWNLOAD_TIMEOUT_MS,
    };
  }

  settings(): IntelSettings {
    this.refresh();
    return { ...this.settingsValue };
  }

  async updateSettings(patch: Partial<IntelSettings>): Promise<IntelSettings> {
    return this.exclusive(() => {
      const next = { ...this.readSettings() };
      if (patch.maliciousThreshold !== undefined) {
        if (!Number.isInteger(patch.maliciousThreshold) || patch.maliciousThreshold < 1 || patch.maliciousThreshold > 100) {
          throw new LoupeError('BAD_INPUT', 'the malicious threshold is a whole number of lists from 1 to 100');
        }
        next.maliciousThreshold = patch.maliciousThreshold;
      }
      if (patch.ipsumUrl !== undefined) {
        let u: URL;
        try {
          u = new URL(patch.ipsumUrl);
        } catch {
          throw new LoupeError('BAD_INPUT', `not a URL: ${patch.ipsumUrl}`);
        }
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new LoupeError('BAD_INPUT', 'the IPsum URL must be http(s)');
        next.ipsumUrl = u.toString();
      }
      if (patch.downloadTimeoutMs !== undefined) {
        if (!Number.isFinite(patch.downloadTimeoutMs) || patch.downloadTimeoutMs < 1000 || patch.downloadTimeoutMs > 600_000) {
          throw new LoupeError('BAD_INPUT', 'the download timeout is between 1 and 600 seconds');
        }
        next.downloadTimeoutMs = Math.round(patch.downloadTimeoutMs);
      }
      writeJson(this.settingsPath, next);
      this.settingsValue = next;
      this.loaded = null;
      return { ...next };
    });
  }

  // ------------------------------------------------------------ loading

  /** Mutations of the folder are serialised within this process. */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fingerprint(): string {
    return [this.settingsPath, this.ipsumManifestPath, this.geoManifestPath, this.iocManifestPath].map(fileFingerprint).join('|');
  }

  /** Re-read the folder if another process (the CLI, another window) changed it. */
  refresh(): void {
    const fp = this.fingerprint();
    if (fp !== this.loadedFingerprint) {
      this.loaded = null;
      this.settingsValue = this.readSettings();
      this.loadedFingerprint = fp;
    }
  }

  private ipsumManifest(): IpsumManifest | null {
    return readJson<IpsumManifest | null>(this.ipsumManifestPath, null);
  }
  private geoManifest(): GeoManifest {
    return readJson<GeoManifest>(this.geoManifestPath, {});
  }
  private iocManifest(): IocManifest {
    const m = readJson<IocManifest>(this.iocManifestPath, { lists: [] });
    return Array.isArray(m.lists) ? m : { lists: [] };
  }

  /**
   * The loaded sources. Does not look at the folder: refresh() does, once per
   * operation (enrichIps, lookup, status), not once per IP.
   */
  private load(): Loaded {
    if (this.loaded) return this.loaded;
    this.refresh();
    if (this.loaded) return this.loaded;
    const loaded: Loaded = { ipsum: null, ipsumError: null, geo: {}, geoErrors: {}, ioc: [], iocErrors: new Map() };
    if (this.ipsumManifest() && existsSync(this.ipsumFile)) {
      try {
        loaded.ipsum = parseIpsum(readFileSync(this.ipsumFile, 'utf8')).scores;
      } catch (e) {
        loaded.ipsumError = `cannot read ${this.ipsumFile}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const geo = this.geoManifest();
    for (const kind of MMDB_KINDS) {
      if (!geo[kind]) continue;
      try {
        // Checked in full when added; reopening trusts the copy in our own folder.
        loaded.geo[kind] = MmdbSource.open(this.mmdbPath(kind), { expectedKind: kind, check: false });
      } catch (e) {
        loaded.geoErrors[kind] = e instanceof Error ? e.message : String(e);
      }
    }
    for (const list of this.iocManifest().lists) {
      try {
        loaded.ioc.push(new IocIndex(list.name, readIndicators(this.path('ioc', list.file))));
      } catch (e) {
        loaded.iocErrors.set(list.name, e instanceof Error ? e.message : String(e));
      }
    }
    loaded.ioc.sort((a, b) => a.name.localeCompare(b.name));
    this.loaded = loaded;
    return loaded;
  }

  private countryDb(): MmdbSource | null {
    if (this.embeddedCountry !== undefined) return this.embeddedCountry;
    this.embeddedCountry = null;
    if (!this.countryPath) {
      this.embeddedCountryError = `package ${EMBEDDED_COUNTRY_PACKAGE} is not installed`;
      return null;
    }
    try {
      this.embeddedCountry = MmdbSource.open(this.countryPath, { expectedKind: 'country', embedded: true, check: false });
    } catch (e) {
      this.embeddedCountryError = e instanceof Error ? e.message : String(e);
    }
    return this.embeddedCountry;
  }

  private asnTable(): AsnTableLoad | null {
    if (this.embeddedAsn !== undefined) return this.embeddedAsn;
    this.embeddedAsn = null;
    const files = this.asnDir ? embeddedAsnFiles(this.asnDir) : null;
    if (!files) {
      this.embeddedAsnError = `package ${EMBEDDED_ASN_PACKAGE} is not installed: AS answers need an ASN .mmdb (loupe intel add-mmdb)`;
      return null;
    }
    try {
      this.embeddedAsn = loadAsnCsv(files);
    } catch (e) {
      this.embeddedAsnError = e instanceof Error ? e.message : String(e);
    }
    return this.embeddedAsn;
  }

  /** Load every source now (otherwise the first lookup does). */
  warm(): void {
    this.load();
    this.countryDb();
    this.asnTable();
  }

  /**
   * A short text that changes whenever any answer could change: settings,
   * every source's content, the embedded packages, the enrichment logic.
   * Cases store it to know when their enrichment is stale.
   */
  stamp(): string {
    this.refresh();
    const ipsum = this.ipsumManifest();
    const geo = this.geoManifest();
    const parts = [
      `v${ENRICHMENT_LOGIC_VERSION}`,
      `t${this.settingsValue.maliciousThreshold}`,
      `ipsum:${ipsum?.sha256 ?? '-'}`,
      ...MMDB_KINDS.map((k) => `${k}:${geo[k]?.sha256 ?? '-'}`),
      `ec:${this.countryPath ? `${this.countryPkg?.version ?? '?'}:${fileFingerprint(this.countryPath)}` : '-'}`,
      `ea:${this.asnDir ? `${this.asnPkg?.version ?? '?'}:${fileFingerprint(join(this.asnDir, 'asn-ipv4-num.csv'))}` : '-'}`,
      `ioc:${this.iocStamp()}`,
    ];
    return sha256(parts.join('|')).slice(0, 24);
  }

  /** Changes when any IOC list changes (cases re-copy their indicator table). */
  iocStamp(): string {
    const lists = this.iocManifest().lists.map((l) => `${l.name}:${l.sha256}`).sort();
    return sha256(lists.join('|')).slice(0, 24);
  }

  // ------------------------------------------------------------ lookups

  /** Enrich one IP text. Never throws; a text that is not an IP gets scope 'invalid'. */
  enrich(text: string): IpEnrichment {
    const ip = parseIp(text);
    if (!ip) {
      return { ip: text, scope: 'invalid', country: null, city: null, asn: null, asOrg: null, ipsum: null, malicious: false, iocLists: [], family: null, num: null };
    }
    return this.enrichParsed(ip);
  }

  enrichParsed(ip: ParsedIp): IpEnrichment {
    const loaded = this.load();
    const scope = scopeOfParsed(ip);
    let country: string | null = null;
    let city: string | null = null;
    let asn: number | null = null;
    let asOrg: string | null = null;
    if (scope === 'public') {
      // The most specific database answers: City, then Country, then the embedded one.
      const key = ip.canonical;
      const c = loaded.geo.city?.lookup(key);
      if (c) {
        country = c.country;
        city = c.city;
        asn = c.asn;
        asOrg = c.asOrg;
      }
      country ??= loaded.geo.country?.lookup(key)?.country ?? null;
      country ??= this.countryDb()?.lookup(key)?.country ?? null;
      const a = loaded.geo.asn?.lookup(key);
      if (a?.asn != null) {
        asn = a.asn;
        asOrg = a.asOrg;
      } else if (asn === null) {
        const e = this.asnTable()?.table.get(ip);
        if (e) {
          asn = e.asn;
          asOrg = e.org;
        }
      }
    }
    const ipsum = loaded.ipsum ? (loaded.ipsum.get(ip.canonical) ?? 0) : null;
    const iocLists: string[] = [];
    for (const list of loaded.ioc) if (list.hasIp(ip)) iocLists.push(list.name);
    const malicious = (ipsum !== null && ipsum >= this.settingsValue.maliciousThreshold) || iocLists.length > 0;
    return { ip: ip.canonical, scope, country, city, asn, asOrg, ipsum, malicious, iocLists, family: ip.family, num: ip.value };
  }

  /** Everything Loupe knows about one IP. Throws BAD_INPUT when the text is not an IP address. */
  lookup(text: string): IpIntel {
    const ip = parseIp(text);
    if (!ip) throw new LoupeError('BAD_INPUT', `not an IP address: ${text}`);
    this.refresh();
    const e = this.enrichParsed(ip);
    return { ip: e.ip, scope: e.scope, country: e.country, city: e.city, asn: e.asn, asOrg: e.asOrg, ipsum: e.ipsum, malicious: e.malicious, iocLists: [...e.iocLists] };
  }

  /** Names of the IOC lists that hold this domain or a parent of it. */
  iocListsForDomain(domain: string): string[] {
    this.refresh();
    return this.load()
      .ioc.filter((l) => l.hasDomain(domain))
      .map((l) => l.name);
  }

  iocListsForHash(hash: string): string[] {
    this.refresh();
    return this.load()
      .ioc.filter((l) => l.hasHash(hash))
      .map((l) => l.name);
  }

  /** Every indicator of every list (the cases' ioc_indicators table is filled from this). */
  *indicators(): Generator<Indicator & { list: string }> {
    for (const list of this.iocManifest().lists) {
      let items: Indicator[];
      try {
        items = readIndicators(this.path('ioc', list.file));
      } catch {
        continue; // reported by status(); a case simply gets no indicators from a list that cannot be read
      }
      for (const it of items) yield { ...it, list: list.name };
    }
  }

  // ------------------------------------------------------------ IPsum

  /** Import an IPsum list from a file; the previous list is replaced only when the new one parses. */
  async importIpsum(file: string): Promise<IntelSourceStatus> {
    return this.exclusive(() => {
      const buf = readInputFile(file, MAX_IPSUM_BYTES);
      this.storeIpsum(buf.toString('utf8'), 'file', file, `${file}`);
      return this.ipsumStatus();
    });
  }

  /**
   * Download the current IPsum list (settings.ipsumUrl unless `url` is given).
   * Offline, or on any failure, throws (OFFLINE / IO_ERROR) and keeps the old list.
   */
  async updateIpsum(options: { url?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<IntelSourceStatus> {
    return this.exclusive(async () => {
      const url = options.url ?? this.readSettings().ipsumUrl;
      const kept = (): string => {
        const m = this.ipsumManifest();
        return m ? `IPsum was not updated; the list from ${(m.feedDate ?? m.importedAt).slice(0, 10)} (${m.entries} IPs) is kept` : 'IPsum was not updated; no list is loaded';
      };
      let text: string;
      try {
        text = await fetchText(url, { timeoutMs: options.timeoutMs ?? this.readSettings().downloadTimeoutMs, maxBytes: MAX_IPSUM_BYTES, ...(options.signal ? { signal: options.signal } : {}) });
      } catch (e) {
        if (e instanceof LoupeError) throw new LoupeError(e.code, `${e.message}: ${kept()}`, { cause: e });
        throw e;
      }
      try {
        this.storeIpsum(text, 'download', url, `the download from ${url}`);
      } catch (e) {
        if (e instanceof LoupeError) throw new LoupeError(e.code === 'BAD_INPUT' ? 'IO_ERROR' : e.code, `${e.message}: ${kept()}`, { cause: e });
        throw e;
      }
      return this.ipsumStatus();
    });
  }

  private storeIpsum(text: string, source: 'file' | 'download', origin: string, what: string): void {
    const parsed = parseIpsum(text);
    const problem = ipsumProblem(parsed);
    if (problem) throw new LoupeError('BAD_INPUT', `${what} is not an IPsum list: ${problem}`);
    writeAtomic(this.ipsumFile, text);
    const manifest: IpsumManifest = {
      source,
      origin,
      importedAt: new Date().toISOString(),
      feedDate: parsed.feedDate?.toISOString() ?? null,
      entries: parsed.scores.size,
      rejected: parsed.rejected,
      rejectedSamples: parsed.rejectedSamples.slice(0, 20),
      sha256: sha256(text),
    };
    writeJson(this.ipsumManifestPath, manifest);
    this.loaded = null;
  }

  // ------------------------------------------------------------ GeoIP

  /**
   * Add a MaxMind DB. Its kind comes from its metadata; `kind` refuses a
   * database of another kind. It replaces the previous database of that kind.
   */
  async addMmdb(file: string, kind?: MmdbKind): Promise<IntelSourceStatus> {
    return this.exclusive(() => {
      const buf = readInputFile(file, MAX_MMDB_BYTES);
      let source: MmdbSource;
      try {
        source = MmdbSource.open(file, kind ? { expectedKind: kind } : {});
      } catch (e) {
        if (e instanceof MmdbError) throw new LoupeError('BAD_INPUT', `${basename(file)}: ${e.message}`);
        throw e;
      }
      const entry: GeoManifestEntry = {
        origin: file,
        addedAt: new Date().toISOString(),
        databaseType: source.info.databaseType,
        buildEpoch: source.info.buildEpoch?.toISOString() ?? null,
        networks: source.info.networks,
        size: buf.length,
        sha256: sha256(buf),
      };
      copyAtomic(file, this.mmdbPath(source.kind));
      writeJson(this.geoManifestPath, { ...this.geoManifest(), [source.kind]: entry });
      this.loaded = null;
      return this.geoStatus(source.kind);
    });
  }

  async removeMmdb(kind: MmdbKind): Promise<void> {
    return this.exclusive(() => {
      const m = this.geoManifest();
      if (!m[kind]) throw new LoupeError('NOT_FOUND', `no ${KIND_LABEL[kind]} database has been added`);
      delete m[kind];
      writeJson(this.geoManifestPath, m);
      rmSync(this.mmdbPath(kind), { force: true });
      this.loaded = null;
    });
  }

  // ------------------------------------------------------------ IOC lists

  /** Import (or replace) a named IOC list from a text or CSV file. */
  async addIocList(file: string, name: string): Promise<IntelSourceStatus> {
    return this.exclusive(() => {
      const listName = validListName(name);
      const text = readInputFile(file, MAX_IOC_BYTES).toString('utf8');
      const parsed = parseIocList(text);
      if (parsed.indicators.length === 0) {
        const first = parsed.rejectedSamples[0];
        throw new LoupeError('BAD_INPUT', `${basename(file)} holds no IP, CIDR, domain or hash${first ? ` (line ${first.line}: ${first.reason})` : ''}`);
      }
      const manifest = this.iocManifest();
      const others = manifest.lists.filter((l) => l.name.toLowerCase() !== listName.toLowerCase());
      const replaced = manifest.lists.find((l) => l.name.toLowerCase() === listName.toLowerCase());
      const fileName = `${slug(listName)}.tsv`;
      const body = parsed.indicators.map((i) => `${i.kind}\t${i.value}`).join('\n');
      writeAtomic(this.path('ioc', fileName), `${body}\n`);
      const entry: IocManifestEntry = {
        name: listName,
        file: fileName,
        origin: file,
        importedAt: new Date().toISOString(),
        counts: parsed.counts,
        entries: parsed.indicators.length,
        rejected: parsed.rejected,
        rejectedSamples: parsed.rejectedSamples.slice(0, 20),
        sha256: sha256(body),
      };
      writeJson(this.iocManifestPath, { lists: [...others, entry].sort((a, b) => a.name.localeCompare(b.name)) });
      if (replaced && replaced.file !== fileName) rmSync(this.path('ioc', replaced.file), { force: true });
      this.loaded = null;
      return this.iocStatus(entry);
    });
  }

  async removeIocList(name: string): Promise<void> {
    return this.exclusive(() => {
      const manifest = this.iocManifest();
      const hit = manifest.lists.find((l) => l.name.toLowerCase() === name.trim().toLowerCase());
      if (!hit) throw new LoupeError('NOT_FOUND', `no IOC list named "${name}"`);
      writeJson(this.iocManifestPath, { lists: manifest.lists.filter((l) => l !== hit) });
      rmSync(this.path('ioc', hit.file), { force: true });
      this.loaded = null;
    });
  }

  // ------------------------------------------------------------ status

  private ipsumStatus(): IntelSourceStatus {
    const m = this.ipsumManifest();
    const base = { id: 'ipsum', kind: 'ipsum' as const, name: 'IPsum', licence: 'Unlicense (public domain)', attribution: 'IPsum by Miroslav Stampar (github.com/stamparm/ipsum)' };
    if (!m) return emptyStatus({ ...base, state: 'missing', detail: 'no IPsum list imported (loupe intel import-ipsum FILE, or update-ipsum when online)' });
    const loaded = this.loaded;
    const err = loaded?.ipsumError ?? (existsSync(this.ipsumFile) ? null : `${this.ipsumFile} is missing`);
    let version = m.feedDate;
    let versionFrom: IntelSourceStatus['versionFrom'] = m.feedDate ? 'feed-header' : null;
    if (!version) {
      try {
        version = statSync(this.ipsumFile).mtime.toISOString();
        versionFrom = 'file-mtime';
      } catch {
        version = null;
      }
    }
    return emptyStatus({
      ...base,
      state: err ? 'error' : 'ok',
      version,
      versionFrom,
      entries: m.entries,
      rejected: m.rejected,
      rejectedSamples: m.rejectedSamples,
      file: this.ipsumFile,
      origin: m.origin,
      importedAt: m.importedAt,
      detail: err ?? `${m.source === 'download' ? 'downloaded' : 'imported from a file'}`,
    });
  }

  private geoStatus(kind: MmdbKind): IntelSourceStatus {
    const m = this.geoManifest()[kind];
    const base = { id: `geoip:${kind}`, kind, name: `GeoIP ${KIND_LABEL[kind]}`, licence: 'as licensed to the analyst (MaxMind GeoLite2/GeoIP2 EULA)' };
    if (!m) return emptyStatus({ ...base, state: 'missing', detail: `no ${KIND_LABEL[kind]} database added (loupe intel add-mmdb FILE)` });
    const err = this.loaded?.geoErrors[kind] ?? null;
    let version = m.buildEpoch;
    let versionFrom: IntelSourceStatus['versionFrom'] = m.buildEpoch ? 'build-epoch' : null;
    if (!version) {
      try {
        version = statSync(this.mmdbPath(kind)).mtime.toISOString();
        versionFrom = 'file-mtime';
      } catch {
        version = null;
      }
    }
    return emptyStatus({
      ...base,
      state: err ? 'error' : 'ok',
      version,
      versionFrom,
      entries: m.networks,
      file: this.mmdbPath(kind),
      origin: m.origin,
      importedAt: m.addedAt,
      detail: err ?? m.databaseType,
    });
  }

  private iocStatus(l: IocManifestEntry): IntelSourceStatus {
    const err = this.loaded?.iocErrors.get(l.name) ?? null;
    const counts = IOC_KINDS.filter((k) => l.counts[k] > 0)
      .map((k) => `${l.counts[k]} ${k}`)
      .join(', ');
    const file = this.path('ioc', l.file);
    let version: string | null;
    try {
      version = statSync(file).mtime.toISOString();
    } catch {
      version = null;
    }
    return emptyStatus({
      id: `ioc:${l.name}`,
      kind: 'ioc',
      name: l.name,
      state: err ? 'error' : 'ok',
      version,
      versionFrom: version ? 'file-mtime' : null,
      entries: l.entries,
      rejected: l.rejected,
      rejectedSamples: l.rejectedSamples,
      file,
      origin: l.origin,
      importedAt: l.importedAt,
      detail: err ?? counts,
    });
  }

  private embeddedCountryStatus(): IntelSourceStatus {
    const db = this.countryDb();
    const base = {
      id: 'embedded:country',
      kind: 'country' as const,
      name: 'Embedded country (ip-location-db geo-whois-asn-country)',
      embedded: true,
      licence: this.countryPkg?.licence ?? null,
      attribution: this.countryPkg?.attribution ?? null,
    };
    if (!db) return emptyStatus({ ...base, state: this.countryPath ? 'error' : 'missing', detail: this.embeddedCountryError });
    if (this.embeddedCountryNetworks === null && this.countryPath) {
      try {
        this.embeddedCountryNetworks = checkMmdb(readFileSync(this.countryPath), { samples: 0 }).info.networks;
      } catch {
        this.embeddedCountryNetworks = null;
      }
    }
    const d = db.describe();
    return emptyStatus({
      ...base,
      state: 'ok',
      version: d.buildEpoch ?? d.mtime,
      versionFrom: d.buildEpoch ? 'build-epoch' : 'file-mtime',
      entries: this.embeddedCountryNetworks,
      file: d.path,
      detail: `${this.countryPkg?.name ?? 'package'}@${this.countryPkg?.version ?? '?'} (${d.databaseType})`,
    });
  }

  private embeddedAsnStatus(): IntelSourceStatus {
    const t = this.asnTable();
    const base = {
      id: 'embedded:asn',
      kind: 'asn' as const,
      name: 'Embedded ASN (ip-location-db asn)',
      embedded: true,
      licence: this.asnPkg?.licence ?? 'CC BY 4.0 (RouteViews, DB-IP, NRO)',
      attribution: this.asnPkg?.attribution ?? null,
    };
    if (!t) return emptyStatus({ ...base, state: this.asnDir ? 'error' : 'missing', detail: this.embeddedAsnError });
    const files = this.asnDir ? embeddedAsnFiles(this.asnDir) : null;
    const dataDate = packageDataDate(this.asnPkg?.version ?? '');
    let version: string | null = dataDate?.toISOString() ?? null;
    if (!version && files) {
      try {
        version = statSync(files[0]!.path).mtime.toISOString();
      } catch {
        version = null;
      }
    }
    return emptyStatus({
      ...base,
      state: 'ok',
      version,
      versionFrom: dataDate ? 'package' : version ? 'file-mtime' : null,
      entries: t.table.size,
      rejected: t.rejected,
      file: this.asnDir,
      detail: `${this.asnPkg?.name ?? 'ASN table'}@${this.asnPkg?.version ?? '?'}`,
    });
  }

  /** Every source with its version date and entry count (Settings view, `loupe intel status`). */
  status(): IntelStatus {
    this.refresh();
    this.warm();
    const sources: IntelSourceStatus[] = [this.ipsumStatus(), ...MMDB_KINDS.map((k) => this.geoStatus(k)), this.embeddedCountryStatus(), this.embeddedAsnStatus()];
    for (const l of this.iocManifest().lists) sources.push(this.iocStatus(l));
    return { dir: this.dir, settings: { ...this.settingsValue }, stamp: this.stamp(), sources };
  }
}

function readIndicators(path: string): Indicator[] {
  const text = readFileSync(path, 'utf8');
  const out: Indicator[] = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const kind = line.slice(0, tab) as IocKind;
    if (!(IOC_KINDS as readonly string[]).includes(kind)) continue;
    out.push({ kind, value: line.slice(tab + 1) });
  }
  return out;
}

let shared: IntelStore | null = null;

/** The process-wide store over intelDir() (the app and the CLI use this one). */
export function intelStore(): IntelStore {
  if (!shared || shared.dir !== intelDir()) shared = new IntelStore();
  return shared;
}
