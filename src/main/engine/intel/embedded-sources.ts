import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { MmdbSource } from './geoip';
import { fileFingerprint } from './intel-files';
import { IntelFolder } from './intel-folder';
import { sourceStatus, type IntelSourceStatus } from './intel-types';
import { checkMmdb } from './mmdb-check';

export interface EmbeddedOptions {
  /** Override or disable (null) the embedded country database (tests). */
  embeddedCountryPath?: string | null;
  /** Override or disable (null) the folder holding asn-ipv4-num.csv / asn-ipv6-num.csv (tests). */
  embeddedAsnDir?: string | null;
}

/**
 * The country and AS data shipped inside the app (see embedded.ts), opened
 * lazily: the country .mmdb is read on the first lookup (~10 ms), the ASN
 * CSV parsed on the first AS lookup (~0.5 s for 515k ranges).
 */
export class EmbeddedSources {
  private country: MmdbSource | null | undefined;
  private countryError: string | null = null;
  private countryNetworks: number | null = null;
  private asn: AsnTableLoad | null | undefined;
  private asnError: string | null = null;
  private readonly countryPkg: EmbeddedPackage | null;
  private readonly asnPkg: EmbeddedPackage | null;
  private readonly countryPath: string | null;
  private readonly asnDir: string | null;

  constructor(options: EmbeddedOptions = {}) {
    this.countryPkg = findPackage(EMBEDDED_COUNTRY_PACKAGE);
    this.countryPath = options.embeddedCountryPath !== undefined ? options.embeddedCountryPath : embeddedCountryPath();
    if (options.embeddedAsnDir !== undefined) {
      this.asnDir = options.embeddedAsnDir;
      this.asnPkg = this.asnDir ? packageAt(this.asnDir, EMBEDDED_ASN_PACKAGE) : null;
    } else {
      this.asnPkg = findPackage(EMBEDDED_ASN_PACKAGE);
      this.asnDir = this.asnPkg?.dir ?? null;
    }
  }

  countryDb(): MmdbSource | null {
    if (this.country !== undefined) return this.country;
    this.country = null;
    if (!this.countryPath) {
      this.countryError = `package ${EMBEDDED_COUNTRY_PACKAGE} is not installed`;
      return null;
    }
    try {
      this.country = MmdbSource.open(this.countryPath, { expectedKind: 'country', embedded: true, check: false });
    } catch (e) {
      this.countryError = e instanceof Error ? e.message : String(e);
    }
    return this.country;
  }

  asnTable(): AsnTableLoad | null {
    if (this.asn !== undefined) return this.asn;
    this.asn = null;
    const files = this.asnDir ? embeddedAsnFiles(this.asnDir) : null;
    if (!files) {
      this.asnError = `package ${EMBEDDED_ASN_PACKAGE} is not installed: AS answers need an ASN .mmdb (loupe intel add-mmdb)`;
      return null;
    }
    try {
      this.asn = loadAsnCsv(files);
    } catch (e) {
      this.asnError = e instanceof Error ? e.message : String(e);
    }
    return this.asn;
  }

  /** Part of the intel stamp: changes when a package is installed, removed or updated. */
  stampPart(): string {
    const c = this.countryPath ? `${this.countryPkg?.version ?? '?'}:${fileFingerprint(this.countryPath)}` : '-';
    const a = this.asnDir ? `${this.asnPkg?.version ?? '?'}:${fileFingerprint(join(this.asnDir, 'asn-ipv4-num.csv'))}` : '-';
    return `ec:${c}|ea:${a}`;
  }

  countryStatus(): IntelSourceStatus {
    const db = this.countryDb();
    const base = {
      id: 'embedded:country',
      kind: 'country' as const,
      name: 'Embedded country (ip-location-db)',
      embedded: true,
      licence: this.countryPkg?.licence ?? null,
      attribution: this.countryPkg?.attribution ?? null,
    };
    if (!db) return sourceStatus({ ...base, state: this.countryPath ? 'error' : 'missing', detail: this.countryError });
    if (this.countryNetworks === null && this.countryPath) {
      try {
        this.countryNetworks = checkMmdb(readFileSync(this.countryPath), { samples: 0 }).info.networks;
      } catch {
        this.countryNetworks = null;
      }
    }
    const d = db.describe();
    return sourceStatus({
      ...base,
      state: 'ok',
      version: d.buildEpoch ?? d.mtime,
      versionFrom: d.buildEpoch ? 'build-epoch' : 'file-mtime',
      entries: this.countryNetworks,
      file: d.path,
      detail: `${this.countryPkg?.name ?? 'package'}@${this.countryPkg?.version ?? '?'} (${d.databaseType})`,
    });
  }

  asnStatus(): IntelSourceStatus {
    const t = this.asnTable();
    const base = {
      id: 'embedded:asn',
      kind: 'asn' as const,
      name: 'Embedded ASN (ip-location-db)',
      embedded: true,
      licence: this.asnPkg?.licence ?? 'CC BY 4.0 (RouteViews, DB-IP, NRO)',
      attribution: this.asnPkg?.attribution ?? null,
    };
    if (!t) return sourceStatus({ ...base, state: this.asnDir ? 'error' : 'missing', detail: this.asnError });
    const files = this.asnDir ? embeddedAsnFiles(this.asnDir) : null;
    // npm stores package files with a fixed 1985 mtime: the version's data date is the real one.
    const dataDate = packageDataDate(this.asnPkg?.version ?? '');
    const version = dataDate?.toISOString() ?? (files ? IntelFolder.mtime(files[0]!.path) : null);
    return sourceStatus({
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
}
