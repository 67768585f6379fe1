import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LoupeError } from '@shared/errors';
import type { MmdbKind } from './geoip';
import { fileFingerprint, readJson, sha256, writeJson } from './intel-files';
import { IOC_KINDS, type Indicator, type IocKind } from './ioc-lists';
import type { RejectedLine } from './ipsum';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, DEFAULT_IPSUM_URL, DEFAULT_MALICIOUS_THRESHOLD, type IntelSettings } from './intel-types';

/**
 * The intel folder on disk (intelDir()), shared by every case:
 *
 *   settings.json                    threshold, IPsum URL, download timeout
 *   ipsum/ipsum.txt, manifest.json   the current IPsum list as imported
 *   geoip/<kind>.mmdb, manifest.json the analyst's City / Country / ASN DBs
 *   ioc/<file>.tsv, manifest.json    custom IOC lists, normalised
 *
 * Manifests say what each data file is; a manifest that cannot be read
 * counts as absent (the source shows as missing), never as a crash.
 */

export interface IpsumManifest {
  source: 'file' | 'download';
  origin: string;
  importedAt: string;
  feedDate: string | null;
  entries: number;
  rejected: number;
  rejectedSamples: RejectedLine[];
  sha256: string;
}

export interface GeoManifestEntry {
  origin: string;
  addedAt: string;
  databaseType: string;
  buildEpoch: string | null;
  networks: number;
  size: number;
  sha256: string;
}
export type GeoManifest = Partial<Record<MmdbKind, GeoManifestEntry>>;

export interface IocManifestEntry {
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
export interface IocManifest {
  lists: IocManifestEntry[];
}

function validThreshold(n: unknown): number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 100 ? n : DEFAULT_MALICIOUS_THRESHOLD;
}

export class IntelFolder {
  constructor(readonly dir: string) {}

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }
  get settingsPath(): string {
    return this.path('settings.json');
  }
  get ipsumFile(): string {
    return this.path('ipsum', 'ipsum.txt');
  }
  get ipsumManifestPath(): string {
    return this.path('ipsum', 'manifest.json');
  }
  get geoManifestPath(): string {
    return this.path('geoip', 'manifest.json');
  }
  get iocManifestPath(): string {
    return this.path('ioc', 'manifest.json');
  }
  mmdbPath(kind: MmdbKind): string {
    return this.path('geoip', `${kind}.mmdb`);
  }
  iocFile(file: string): string {
    return this.path('ioc', file);
  }

  /** Changes whenever any manifest or the settings change (size and mtime). */
  fingerprint(): string {
    return [this.settingsPath, this.ipsumManifestPath, this.geoManifestPath, this.iocManifestPath].map(fileFingerprint).join('|');
  }

  settings(): IntelSettings {
    const raw = readJson<Partial<IntelSettings>>(this.settingsPath, {});
    return {
      maliciousThreshold: validThreshold(raw.maliciousThreshold),
      ipsumUrl: typeof raw.ipsumUrl === 'string' && raw.ipsumUrl.length > 0 ? raw.ipsumUrl : DEFAULT_IPSUM_URL,
      downloadTimeoutMs:
        typeof raw.downloadTimeoutMs === 'number' && raw.downloadTimeoutMs >= 1000 && raw.downloadTimeoutMs <= 600_000 ? raw.downloadTimeoutMs : DEFAULT_DOWNLOAD_TIMEOUT_MS,
    };
  }

  /** Validate a change against the current settings and write it. */
  writeSettings(patch: Partial<IntelSettings>): IntelSettings {
    const next = this.settings();
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
    return next;
  }

  ipsumManifest(): IpsumManifest | null {
    return readJson<IpsumManifest | null>(this.ipsumManifestPath, null);
  }
  geoManifest(): GeoManifest {
    return readJson<GeoManifest>(this.geoManifestPath, {});
  }
  iocManifest(): IocManifest {
    const m = readJson<IocManifest>(this.iocManifestPath, { lists: [] });
    return Array.isArray(m.lists) ? m : { lists: [] };
  }

  /** The indicators of one stored list (`kind<TAB>value` per line). */
  readIndicators(file: string): Indicator[] {
    const text = readFileSync(this.iocFile(file), 'utf8');
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

  /** A file name for a list: readable, and unique per name (names differing only in punctuation do not collide). */
  static listFileName(name: string): string {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40) || 'list';
    return `${base}-${sha256(name).slice(0, 8)}.tsv`;
  }

  /** mtime of a file as ISO text, or null. */
  static mtime(path: string): string | null {
    try {
      return statSync(path).mtime.toISOString();
    } catch {
      return null;
    }
  }
}
