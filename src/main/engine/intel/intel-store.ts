import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { LoupeError } from '@shared/errors';
import { intelDir } from '../paths';
import { EmbeddedSources, type EmbeddedOptions } from './embedded-sources';
import { fetchText } from './fetch-feed';
import { KIND_LABEL, MMDB_KINDS, MmdbError, MmdbSource, type MmdbKind } from './geoip';
import { copyAtomic, readInputFile, sha256, writeAtomic, writeJson } from './intel-files';
import { IntelFolder, type GeoManifestEntry, type IocManifestEntry, type IpsumManifest } from './intel-folder';
import { geoStatus, iocStatus, ipsumStatus } from './intel-status';
import type { IntelSettings, IntelSourceStatus, IntelStatus, IpEnrichment, IpIntel } from './intel-types';
import { parseIp, scopeOfParsed, type ParsedIp } from '../net/ip-address';
import { IocIndex, parseIocList, type Indicator } from './ioc-lists';
import { MAX_IPSUM_BYTES, ipsumProblem, parseIpsum } from './ipsum';

export {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_IPSUM_URL,
  DEFAULT_MALICIOUS_THRESHOLD,
  type IntelSettings,
  type IntelSourceKind,
  type IntelSourceStatus,
  type IntelStatus,
  type IpEnrichment,
  type IpIntel,
} from './intel-types';

/**
 * The analyst's threat intel, shared by every case: IPsum, GeoIP databases
 * and custom IOC lists in the app's data folder (intelDir(), layout in
 * intel-folder.ts), plus the embedded country/AS data. Answers "what is this
 * IP?" with no network, and manages the folder (import, update, add, remove).
 */

const MAX_IOC_BYTES = 64 * 1024 * 1024;
const MAX_MMDB_BYTES = 2 * 1024 * 1024 * 1024;
/** Bump when enrichment logic changes, so cases re-enrich on next refresh. */
const ENRICHMENT_LOGIC_VERSION = 1;

interface Loaded {
  ipsum: Map<string, number> | null;
  ipsumError: string | null;
  geo: Partial<Record<MmdbKind, MmdbSource>>;
  geoErrors: Partial<Record<MmdbKind, string>>;
  ioc: IocIndex[];
  iocErrors: Map<string, string>;
}

function validListName(raw: string): string {
  const name = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 80 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new LoupeError('BAD_INPUT', 'an IOC list name is 1 to 80 printable characters');
  }
  return name;
}

export interface IntelStoreOptions extends EmbeddedOptions {
  /** The intel folder; intelDir() by default. */
  dir?: string;
}

export class IntelStore {
  readonly dir: string;
  private readonly folder: IntelFolder;
  private readonly embedded: EmbeddedSources;
  private settingsValue: IntelSettings;
  private loaded: Loaded | null = null;
  private loadedFingerprint = '';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: IntelStoreOptions = {}) {
    this.dir = options.dir ?? intelDir();
    this.folder = new IntelFolder(this.dir);
    this.embedded = new EmbeddedSources(options);
    this.settingsValue = this.folder.settings();
  }

  // ------------------------------------------------------------ settings and loading

  settings(): IntelSettings {
    this.refresh();
    return { ...this.settingsValue };
  }

  async updateSettings(patch: Partial<IntelSettings>): Promise<IntelSettings> {
    return this.exclusive(() => {
      this.settingsValue = this.folder.writeSettings(patch);
      this.loaded = null;
      return { ...this.settingsValue };
    });
  }

  /** Mutations of the folder are serialised within this process. */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Re-read the folder if another process (the CLI, another window) changed it. */
  refresh(): void {
    const fp = this.folder.fingerprint();
    if (fp !== this.loadedFingerprint) {
      this.loaded = null;
      this.settingsValue = this.folder.settings();
      this.loadedFingerprint = fp;
    }
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
    if (this.folder.ipsumManifest() && existsSync(this.folder.ipsumFile)) {
      try {
        loaded.ipsum = parseIpsum(readFileSync(this.folder.ipsumFile, 'utf8')).scores;
      } catch (e) {
        loaded.ipsumError = `cannot read ${this.folder.ipsumFile}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const geo = this.folder.geoManifest();
    for (const kind of MMDB_KINDS) {
      if (!geo[kind]) continue;
      try {
        // Checked in full when added; reopening trusts the copy in our own folder.
        loaded.geo[kind] = MmdbSource.open(this.folder.mmdbPath(kind), { expectedKind: kind, check: false });
      } catch (e) {
        loaded.geoErrors[kind] = e instanceof Error ? e.message : String(e);
      }
    }
    for (const list of this.folder.iocManifest().lists) {
      try {
        loaded.ioc.push(new IocIndex(list.name, this.folder.readIndicators(list.file)));
      } catch (e) {
        loaded.iocErrors.set(list.name, e instanceof Error ? e.message : String(e));
      }
    }
    loaded.ioc.sort((a, b) => a.name.localeCompare(b.name));
    this.loaded = loaded;
    return loaded;
  }

  /** Load every source now (otherwise the first lookup does). */
  warm(): void {
    this.load();
    this.embedded.countryDb();
    this.embedded.asnTable();
  }

  /**
   * A short text that changes whenever any answer could change: settings,
   * every source's content, the embedded packages, the enrichment logic.
   * Cases store it to know when their enrichment is stale.
   */
  stamp(): string {
    this.refresh();
    const ipsum = this.folder.ipsumManifest();
    const geo = this.folder.geoManifest();
    const parts = [
      `v${ENRICHMENT_LOGIC_VERSION}`,
      `t${this.settingsValue.maliciousThreshold}`,
      `ipsum:${ipsum?.sha256 ?? '-'}`,
      ...MMDB_KINDS.map((k) => `${k}:${geo[k]?.sha256 ?? '-'}`),
      this.embedded.stampPart(),
      `ioc:${this.iocStamp()}`,
    ];
    return sha256(parts.join('|')).slice(0, 24);
  }

  /** Changes when any IOC list changes (cases re-copy their indicator table). */
  iocStamp(): string {
    const lists = this.folder
      .iocManifest()
      .lists.map((l) => `${l.name}:${l.sha256}`)
      .sort();
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
      country ??= this.embedded.countryDb()?.lookup(key)?.country ?? null;
      const a = loaded.geo.asn?.lookup(key);
      if (a?.asn != null) {
        asn = a.asn;
        asOrg = a.asOrg;
      } else if (asn === null) {
        const e = this.embedded.asnTable()?.table.get(ip);
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
    for (const list of this.folder.iocManifest().lists) {
      let items: Indicator[];
      try {
        items = this.folder.readIndicators(list.file);
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
      this.storeIpsum(buf.toString('utf8'), 'file', file, file);
      return ipsumStatus(this.folder, null);
    });
  }

  /**
   * Download the current IPsum list (settings.ipsumUrl unless `url` is given).
   * Offline, or on any failure, throws (OFFLINE / IO_ERROR) and keeps the old list.
   */
  async updateIpsum(options: { url?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<IntelSourceStatus> {
    return this.exclusive(async () => {
      const settings = this.folder.settings();
      const url = options.url ?? settings.ipsumUrl;
      const kept = (): string => {
        const m = this.folder.ipsumManifest();
        return m ? `IPsum was not updated; the list from ${(m.feedDate ?? m.importedAt).slice(0, 10)} (${m.entries} IPs) is kept` : 'IPsum was not updated; no list is loaded';
      };
      let text: string;
      try {
        text = await fetchText(url, { timeoutMs: options.timeoutMs ?? settings.downloadTimeoutMs, maxBytes: MAX_IPSUM_BYTES, ...(options.signal ? { signal: options.signal } : {}) });
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
      return ipsumStatus(this.folder, null);
    });
  }

  private storeIpsum(text: string, source: 'file' | 'download', origin: string, what: string): void {
    const parsed = parseIpsum(text);
    const problem = ipsumProblem(parsed);
    if (problem) throw new LoupeError('BAD_INPUT', `${what} is not an IPsum list: ${problem}`);
    writeAtomic(this.folder.ipsumFile, text);
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
    writeJson(this.folder.ipsumManifestPath, manifest);
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
      copyAtomic(file, this.folder.mmdbPath(source.kind));
      writeJson(this.folder.geoManifestPath, { ...this.folder.geoManifest(), [source.kind]: entry });
      this.loaded = null;
      return geoStatus(this.folder, source.kind, null);
    });
  }

  async removeMmdb(kind: MmdbKind): Promise<void> {
    return this.exclusive(() => {
      const m = this.folder.geoManifest();
      if (!m[kind]) throw new LoupeError('NOT_FOUND', `no ${KIND_LABEL[kind]} database has been added`);
      delete m[kind];
      writeJson(this.folder.geoManifestPath, m);
      rmSync(this.folder.mmdbPath(kind), { force: true });
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
      const manifest = this.folder.iocManifest();
      const same = (l: IocManifestEntry): boolean => l.name.toLowerCase() === listName.toLowerCase();
      const replaced = manifest.lists.find(same);
      const fileName = IntelFolder.listFileName(listName);
      const body = parsed.indicators.map((i) => `${i.kind}\t${i.value}`).join('\n');
      writeAtomic(this.folder.iocFile(fileName), `${body}\n`);
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
      const lists = [...manifest.lists.filter((l) => !same(l)), entry].sort((a, b) => a.name.localeCompare(b.name));
      writeJson(this.folder.iocManifestPath, { lists });
      if (replaced && replaced.file !== fileName) rmSync(this.folder.iocFile(replaced.file), { force: true });
      this.loaded = null;
      return iocStatus(this.folder, entry, null);
    });
  }

  async removeIocList(name: string): Promise<void> {
    return this.exclusive(() => {
      const manifest = this.folder.iocManifest();
      const hit = manifest.lists.find((l) => l.name.toLowerCase() === name.trim().toLowerCase());
      if (!hit) throw new LoupeError('NOT_FOUND', `no IOC list named "${name}"`);
      writeJson(this.folder.iocManifestPath, { lists: manifest.lists.filter((l) => l !== hit) });
      rmSync(this.folder.iocFile(hit.file), { force: true });
      this.loaded = null;
    });
  }

  // ------------------------------------------------------------ status

  /** Every source with its version date and entry count (Settings view, `loupe intel status`). */
  status(): IntelStatus {
    this.refresh();
    this.warm();
    const loaded = this.load();
    const sources: IntelSourceStatus[] = [
      ipsumStatus(this.folder, loaded.ipsumError),
      ...MMDB_KINDS.map((k) => geoStatus(this.folder, k, loaded.geoErrors[k] ?? null)),
      this.embedded.countryStatus(),
      this.embedded.asnStatus(),
      ...this.folder.iocManifest().lists.map((l) => iocStatus(this.folder, l, loaded.iocErrors.get(l.name) ?? null)),
    ];
    return { dir: this.dir, settings: { ...this.settingsValue }, stamp: this.stamp(), sources };
  }
}

let shared: IntelStore | null = null;

/** The process-wide store over intelDir() (the app and the CLI use this one). */
export function intelStore(): IntelStore {
  if (!shared || shared.dir !== intelDir()) shared = new IntelStore();
  return shared;
}
