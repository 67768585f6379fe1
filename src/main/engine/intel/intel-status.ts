import { existsSync } from 'node:fs';
import { KIND_LABEL, type MmdbKind } from './geoip';
import { IntelFolder, type IocManifestEntry } from './intel-folder';
import { IOC_KINDS } from './ioc-lists';
import { sourceStatus, type IntelSourceStatus } from './intel-types';

/**
 * Status of the analyst's own sources, from the folder's manifests: what the
 * Settings view and `loupe intel status` show (version date, entry count,
 * rejected lines, where it came from). `error` is a load failure, if any.
 */

export function ipsumStatus(folder: IntelFolder, error: string | null): IntelSourceStatus {
  const m = folder.ipsumManifest();
  const base = { id: 'ipsum', kind: 'ipsum' as const, name: 'IPsum', licence: 'Unlicense (public domain)', attribution: 'IPsum by Miroslav Stampar (github.com/stamparm/ipsum)' };
  if (!m) return sourceStatus({ ...base, state: 'missing', detail: 'no IPsum list imported (loupe intel import-ipsum FILE, or update-ipsum when online)' });
  const err = error ?? (existsSync(folder.ipsumFile) ? null : `${folder.ipsumFile} is missing`);
  const mtime = m.feedDate ? null : IntelFolder.mtime(folder.ipsumFile);
  return sourceStatus({
    ...base,
    state: err ? 'error' : 'ok',
    version: m.feedDate ?? mtime,
    versionFrom: m.feedDate ? 'feed-header' : mtime ? 'file-mtime' : null,
    entries: m.entries,
    rejected: m.rejected,
    rejectedSamples: m.rejectedSamples,
    file: folder.ipsumFile,
    origin: m.origin,
    importedAt: m.importedAt,
    detail: err ?? (m.source === 'download' ? 'downloaded' : 'imported from a file'),
  });
}

export function geoStatus(folder: IntelFolder, kind: MmdbKind, error: string | null): IntelSourceStatus {
  const m = folder.geoManifest()[kind];
  const base = { id: `geoip:${kind}`, kind, name: `GeoIP ${KIND_LABEL[kind]}`, licence: 'as licensed to the analyst (MaxMind GeoLite2/GeoIP2 EULA)' };
  if (!m) return sourceStatus({ ...base, state: 'missing', detail: `no ${KIND_LABEL[kind]} database added (loupe intel add-mmdb FILE)` });
  const mtime = m.buildEpoch ? null : IntelFolder.mtime(folder.mmdbPath(kind));
  return sourceStatus({
    ...base,
    state: error ? 'error' : 'ok',
    version: m.buildEpoch ?? mtime,
    versionFrom: m.buildEpoch ? 'build-epoch' : mtime ? 'file-mtime' : null,
    entries: m.networks,
    file: folder.mmdbPath(kind),
    origin: m.origin,
    importedAt: m.addedAt,
    detail: error ?? m.databaseType,
  });
}

export function iocStatus(folder: IntelFolder, l: IocManifestEntry, error: string | null): IntelSourceStatus {
  const counts = IOC_KINDS.filter((k) => l.counts[k] > 0)
    .map((k) => `${l.counts[k]} ${k}`)
    .join(', ');
  const file = folder.iocFile(l.file);
  const version = IntelFolder.mtime(file);
  return sourceStatus({
    id: `ioc:${l.name}`,
    kind: 'ioc',
    name: l.name,
    state: error ? 'error' : 'ok',
    version,
    versionFrom: version ? 'file-mtime' : null,
    entries: l.entries,
    rejected: l.rejected,
    rejectedSamples: l.rejectedSamples,
    file,
    origin: l.origin,
    importedAt: l.importedAt,
    detail: error ?? counts,
  });
}
