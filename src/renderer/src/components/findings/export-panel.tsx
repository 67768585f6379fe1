import { useCallback, useEffect, useRef, useState } from 'react';
import { EXPORT_FORMATS, type ExportFormat, type ExportResult, type OutputRecord } from '@shared/findings-contract';
import { useApi, usePushEvent } from '../../api/context';
import { formatTs } from '../../lib/format';
import { FileLink } from './file-link';
import { DEFAULT_SOURCE, SourcePicker, toSource, type SourceDraft } from './source-picker';

const FORMAT_LABELS: Record<ExportFormat, string> = {
  csv: 'CSV',
  json: 'JSON (one array)',
  ndjson: 'NDJSON (one object per line)',
  parquet: 'Parquet',
  timesketch: 'Timesketch JSONL',
  'timesketch-csv': 'Timesketch CSV',
};

interface Progress {
  state: 'running' | 'done' | 'failed' | 'cancelled';
  percent: number | null;
  message: string | null;
}

/** Exports of a search result, the alerts or the bookmarks, with progress and cancel, and the case's record of what left it. */
export function ExportPanel({ caseKey }: { caseKey: string }) {
  const api = useApi();
  const [source, setSource] = useState<SourceDraft>(DEFAULT_SOURCE);
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [fields, setFields] = useState<'core' | 'all'>('core');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<OutputRecord[]>([]);
  const job = useRef<string | null>(null);

  const loadHistory = useCallback(async () => {
    setHistory(await api.listOutputs({ limit: 50 }).catch(() => []));
  }, [api]);
  useEffect(() => {
    void loadHistory();
  }, [loadHistory, caseKey]);

  usePushEvent('exportProgress', (p) => {
    if (p.exportId === job.current) setProgress({ state: p.state, percent: p.percent, message: p.message });
  });

  const run = async () => {
    const id = `export-${Date.now()}`;
    job.current = id;
    setError(null);
    setResult(null);
    setProgress({ state: 'running', percent: 0, message: null });
    try {
      const r = await api.exportData({ exportId: id, source: toSource(source), format, fields });
      setResult(r);
      setProgress({ state: 'done', percent: 100, message: null });
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code !== 'CANCELLED') setError(err.message);
      setProgress((p) => ({ state: err.code === 'CANCELLED' ? 'cancelled' : 'failed', percent: null, message: p?.message ?? null }));
    } finally {
      job.current = null;
      void loadHistory();
    }
  };

  const running = progress?.state === 'running';
  return (
    <div className="export-panel" data-testid="export-panel">
      <div className="card">
        <h3>Export</h3>
        <SourcePicker value={source} onChange={setSource} idPrefix="export" />
        <div className="form-row">
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} data-testid="export-format">
              {EXPORT_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {FORMAT_LABELS[f]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Columns
            <select value={fields} onChange={(e) => setFields(e.target.value as 'core' | 'all')} disabled={source.kind === 'alerts'}>
              <option value="core">Normalised columns</option>
              <option value="all">Plus every original field</option>
            </select>
          </label>
        </div>
        <div className="panel-actions">
          <button type="button" onClick={() => void run()} disabled={running} data-testid="export-run">
            Export
          </button>
          {running ? (
            <button type="button" className="ghost" onClick={() => job.current && void api.cancelExport({ exportId: job.current })} data-testid="export-cancel">
              Cancel
            </button>
          ) : null}
          {progress ? (
            <div className="progress" data-testid="export-progress" data-state={progress.state}>
              <progress max={100} value={progress.percent ?? undefined} />
              <span className="muted">
                {progress.state === 'running' ? `${progress.percent === null ? '' : `${progress.percent.toFixed(0)}%`} writing…` : progress.state}
              </span>
            </div>
          ) : null}
        </div>
        {error ? <p className="form-error">{error}</p> : null}
        {result ? (
          <div className="export-result" data-testid="export-result">
            <p>
              {result.rows.toLocaleString()} rows written{result.skipped ? `; ${result.skipped.toLocaleString()} left out (${result.skippedReason ?? ''})` : ''}.
            </p>
            <FileLink path={result.path} bytes={result.bytes} sha256={result.sha256} testId="export-file" />
          </div>
        ) : null}
      </div>
      <div className="card">
        <h3>What left this case</h3>
        {history.length === 0 ? (
          <p className="muted">No export or report written yet.</p>
        ) : (
          <table className="findings-table compact" data-testid="outputs-table">
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>What</th>
                <th>Format</th>
                <th>Rows</th>
                <th>Status</th>
                <th>File</th>
              </tr>
            </thead>
            <tbody>
              {history.map((o) => (
                <tr key={o.id}>
                  <td className="mono nowrap">{formatTs(o.startedAt)}</td>
                  <td>{o.what}</td>
                  <td>{o.format}</td>
                  <td className="num">{o.rows?.toLocaleString() ?? ''}</td>
                  <td className={`status-${o.status}`}>{o.status}</td>
                  <td>{o.status === 'done' ? <FileLink path={o.path} bytes={o.bytes} sha256={o.sha256} /> : <span className="muted">{o.message ?? ''}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
