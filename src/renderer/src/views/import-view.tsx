import { useCallback, useEffect, useRef, useState } from 'react';
import type { EvidenceInfo, ImportProgress } from '@shared/contract';
import { useApi, useConnection, usePushEvent } from '../api/context';
import { useAppState } from '../app-state';
import { EmptyState } from '../components/empty-state';
import { DropZone, type PickedFile } from '../components/import/drop-zone';
import { ErrorsDrawer } from '../components/import/errors-drawer';
import { EvidenceTable } from '../components/import/evidence-table';
import { bytes, count } from '../components/import/format';
import { ImportProgressPanel } from '../components/import/import-progress';

const ZONES = ['UTC', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Europe/Moscow', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Shanghai', 'Asia/Tokyo', 'Australia/Sydney', '+00:00', '+05:30'];

type ViewState = 'idle' | 'uploading' | 'importing' | 'done' | 'error';

/**
 * Import: bring evidence into the case and check it arrived whole. Imports
 * run in the engine's background queue; this view follows them through the
 * pushed progress, and shows the manifest with the per-file reconciliation.
 */
export function ImportView() {
  const api = useApi();
  const connection = useConnection();
  const { info, caseInfo } = useAppState();
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [evidence, setEvidence] = useState<EvidenceInfo[] | null>(null);
  const [formats, setFormats] = useState<Array<{ name: string; label: string }>>([]);
  const [tz, setTz] = useState('');
  const [format, setFormat] = useState('');
  const [force, setForce] = useState(false);
  const [upload, setUpload] = useState<{ name: string; done: number; total: number; fraction: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [drawer, setDrawer] = useState<EvidenceInfo | null>(null);

  const refresh = useCallback(async () => {
    try {
      setEvidence((await api.listEvidence({})).evidence);
    } catch (e) {
      setEvidence([]);
      setError((e as Error).message);
    }
  }, [api]);

  const caseDir = caseInfo?.dir;
  useEffect(() => {
    if (!caseDir) return;
    void refresh();
    api.getImport({}).then((p) => p && setProgress(p), () => undefined);
  }, [api, refresh, caseDir]);
  useEffect(() => {
    api.listFormats({}).then((r) => setFormats(r.formats), () => undefined);
  }, [api]);

  // The evidence list follows an import as soon as its files are in: the
  // after-import steps (Sigma rules, IP intel) that precede importFinished can take seconds.
  const listed = useRef<number | null>(null);
  usePushEvent('importProgress', (p) => {
    setProgress(p);
    if (p.state !== 'running' && p.state !== 'queued' && listed.current !== p.importId) {
      listed.current = p.importId;
      void refresh();
    }
  });
  usePushEvent('importFinished', () => {
    setCancelling(false);
    void refresh();
  });

  const running = progress !== null && (progress.state === 'running' || progress.state === 'queued');
  const state: ViewState = error ? 'error' : upload ? 'uploading' : running ? 'importing' : progress ? 'done' : 'idle';
  const options = { ...(tz.trim() ? { tz: tz.trim() } : {}), ...(format ? { format } : {}), ...(force ? { force: true } : {}) };

  const start = async (paths: string[], labels?: (string | null)[]) => {
    setError(null);
    try {
      const { importId } = await api.importPaths({ paths, ...(labels ? { labels } : {}), ...options });
      setProgress((p) => (p && p.importId === importId ? p : null));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const uploadAndImport = async (files: PickedFile[]) => {
    if (connection.pathForFile) {
      await start(files.map((f) => connection.pathForFile?.(f.file) ?? '').filter(Boolean));
      return;
    }
    if (!connection.upload) {
      setError('This window cannot send files to the engine: type their path instead');
      return;
    }
    setError(null);
    const paths: string[] = [];
    const labels: string[] = [];
    const total = files.reduce((n, f) => n + f.file.size, 0);
    let done = 0;
    try {
      for (const f of files) {
        setUpload({ name: f.relativePath, done, total, fraction: 0 });
        const base = done;
        paths.push(await connection.upload(f.file, (fraction) => setUpload({ name: f.relativePath, done: base + fraction * f.file.size, total, fraction })));
        labels.push(f.relativePath);
        done += f.file.size;
      }
    } catch (e) {
      setUpload(null);
      setError(`Upload failed: ${(e as Error).message}`);
      return;
    }
    setUpload(null);
    await start(paths, labels);
  };

  const browse = async () => {
    try {
      const r = await api.pickPaths({ kind: 'files', title: 'Import evidence' });
      if (r.paths.length > 0) await start(r.paths);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const cancel = async () => {
    if (!progress) return;
    setCancelling(true);
    try {
      await api.cancelImport({ importId: progress.importId });
    } catch (e) {
      setError((e as Error).message);
      setCancelling(false);
    }
  };

  const reimport = async (ids: number[], fmt?: string) => {
    setError(null);
    try {
      await api.reimportEvidence({ evidenceIds: ids, ...(fmt ? { format: fmt } : {}), ...(tz.trim() ? { tz: tz.trim() } : {}) });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const remove = async (ids: number[]) => {
    const target = evidence?.find((e) => e.id === ids[0]);
    if (!window.confirm(`Remove ${target?.path ?? 'this evidence'} and everything imported from it from the case?`)) return;
    setError(null);
    try {
      await api.removeEvidence({ evidenceIds: ids });
      if (drawer && ids.includes(drawer.id)) setDrawer(null);
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (!caseInfo) {
    return (
      <section className="view" aria-labelledby="view-title" data-view="import" data-state="no-case">
        <header className="view-header">
          <h1 id="view-title">Import</h1>
        </header>
        <EmptyState title="No case is open">Open or create a case first: imported evidence belongs to a case.</EmptyState>
      </section>
    );
  }

  const fileCount = evidence?.filter((e) => e.kind === 'file').length ?? 0;
  return (
    <section className="view import-view" aria-labelledby="view-title" data-view="import" data-state={state}>
      <header className="view-header">
        <h1 id="view-title">Import</h1>
        <span className="muted">
          {count(caseInfo.events)} events from {fileCount} file{fileCount === 1 ? '' : 's'} in {caseInfo.name}
        </span>
      </header>

      <div className="import-top">
        <DropZone
          disabled={Boolean(upload)}
          {...(connection.pathForFile ? { pathForFile: connection.pathForFile } : {})}
          onFiles={(f) => void uploadAndImport(f)}
          onPaths={(p) => void start(p)}
          {...(info?.capabilities.nativeDialogs ? { onBrowse: () => void browse() } : {})}
        />
        <form className="card import-options" onSubmit={(e) => e.preventDefault()} aria-label="Import options">
          <h3>Options</h3>
          <label>
            Time zone of times without one
            <input list="tz-list" value={tz} onChange={(e) => setTz(e.target.value)} placeholder="UTC (default)" data-testid="import-tz" spellCheck={false} />
            <datalist id="tz-list">
              {ZONES.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </label>
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value)} data-testid="import-format">
              <option value="">Detect from content</option>
              {formats.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="import-force" />
            Import files already in the case again
          </label>
        </form>
      </div>

      {error ? (
        <p className="form-error" role="alert" data-testid="import-error">
          {error}
        </p>
      ) : null}

      {upload ? (
        <section className="card" aria-label="Upload" data-testid="upload-progress">
          <div className="progress-stats">
            <span>
              Sending <strong>{upload.name}</strong> to the engine
            </span>
            <span>
              {bytes(upload.done)} of {bytes(upload.total)}
            </span>
          </div>
          <div className="bar" role="progressbar" aria-label="Upload progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round((100 * upload.done) / Math.max(1, upload.total))}>
            <div className="bar-fill" style={{ width: `${(100 * upload.done) / Math.max(1, upload.total)}%` }} />
          </div>
        </section>
      ) : null}

      {progress ? <ImportProgressPanel progress={progress} onCancel={() => void cancel()} cancelling={cancelling} /> : null}

      <section className="card" aria-labelledby="evidence-title" data-testid="evidence" data-state={evidence === null ? 'loading' : 'loaded'}>
        <header className="progress-head">
          <h3 id="evidence-title">Evidence in this case</h3>
          <span className="muted">SHA-256, size and time of every file and archive member are kept; originals are never modified.</span>
        </header>
        {evidence === null ? (
          <p className="muted">Loading…</p>
        ) : evidence.length === 0 ? (
          <p className="muted">Nothing imported yet. Drop files above, or type a path.</p>
        ) : (
          <EvidenceTable evidence={evidence} formats={formats} busy={running} onShowErrors={setDrawer} onReimport={(ids, f) => void reimport(ids, f)} onRemove={(ids) => void remove(ids)} />
        )}
      </section>
      {drawer ? <ErrorsDrawer evidence={drawer} onClose={() => setDrawer(null)} /> : null}
    </section>
  );
}
