import type { ImportProgress } from '@shared/contract';
import { bytes, count, percent, seconds, shortName, STATUS_LABEL } from './format';

/** The running (or last) import: overall bar, rate, ETA, cancel, and one bar per file. */
export function ImportProgressPanel({ progress, onCancel, cancelling }: { progress: ImportProgress; onCancel: () => void; cancelling: boolean }) {
  const o = progress.overall;
  const running = progress.state === 'running' || progress.state === 'queued';
  const pct = running ? percent(o.bytes, o.totalBytes) : 100;
  // Leaf files in the order they were met; archives show as headers of their members.
  const files = progress.files.slice(-200);
  return (
    <section className="card import-progress" aria-label="Import progress" data-testid="import-progress" data-state={progress.state} data-import-id={progress.importId}>
      <header className="progress-head">
        <h3>
          Import #{progress.importId} <span className={`state state-${progress.state}`}>{progress.state}</span>
        </h3>
        {running ? (
          <button type="button" className="secondary danger" onClick={onCancel} disabled={cancelling} data-testid="cancel-import">
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : null}
      </header>
      <div className="bar" role="progressbar" aria-label="Overall progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className="bar-fill" style={{ width: `${pct}%`, ...(running ? {} : { transition: 'none' }) }} />
      </div>
      <div className="progress-stats">
        <span>
          <strong>{bytes(o.bytes)}</strong> of {bytes(o.totalBytes)}
        </span>
        <span>
          <strong data-testid="progress-events">{count(o.events)}</strong> events
        </span>
        <span className={o.rejected > 0 ? 'warn-text' : undefined}>
          <strong>{count(o.rejected)}</strong> rejected
        </span>
        <span>
          <strong>{count(o.eventsPerSecond)}</strong> events/s · {bytes(o.bytesPerSecond)}/s
        </span>
        <span>
          {o.filesDone} of {o.filesSeen} files
        </span>
        <span>{running ? (o.etaSeconds === null ? 'estimating…' : `ETA ${seconds(o.etaSeconds)}`) : `took ${seconds(progress.elapsedSeconds)}`}</span>
      </div>
      {progress.message ? (
        <p className="form-error" role="alert">
          {progress.message}
        </p>
      ) : null}
      <ul className="file-progress">
        {files.map((f) => (
          <li key={f.evidenceId} data-status={f.status} data-testid="file-progress" className={f.kind === 'container' ? 'container' : undefined}>
            <span className="fp-name" title={f.path}>
              {f.parentId !== null ? <span className="muted">↳ </span> : null}
              {shortName(f.path)}
            </span>
            <span className="fp-format muted">{f.format ?? (f.status === 'importing' ? '…' : '–')}</span>
            <span className="bar small" aria-hidden="true">
              <span className="bar-fill" style={f.status === 'importing' ? { width: `${percent(f.bytes, f.totalBytes)}%` } : { width: '100%', transition: 'none' }} />
            </span>
            <span className="fp-count">{f.kind === 'container' ? '' : `${count(f.stored)} ev`}</span>
            <span className={`badge status-${f.status}`}>{STATUS_LABEL[f.status] ?? f.status}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
