import { useEffect, useState } from 'react';
import type { EvidenceInfo, IngestErrorRow } from '@shared/contract';
import { useApi } from '../../api/context';
import { count } from './format';

const PAGE = 50;

/** The records of one file that could not be imported, and its warnings, in file order, a page at a time. */
export function ErrorsDrawer({ evidence, onClose }: { evidence: EvidenceInfo; onClose: () => void }) {
  const api = useApi();
  const [kind, setKind] = useState<'rejected' | 'warning'>(evidence.rejected > 0 || evidence.warnings === 0 ? 'rejected' : 'warning');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; rows: IngestErrorRow[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setPage(null);
    api.getIngestErrors({ evidenceId: evidence.id, offset, limit: PAGE, kind }).then(
      (p) => live && setPage(p),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [api, evidence.id, offset, kind]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="drawer" role="dialog" aria-modal="false" aria-labelledby="drawer-title" data-testid="errors-drawer" data-state={page ? 'loaded' : 'loading'}>
      <header className="dialog-header">
        <h2 id="drawer-title">Not imported from {evidence.path.split(/[\\/!]/).pop()}</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <p className="muted drawer-path" title={evidence.path}>
        {evidence.path}
      </p>
      <p>
        {count(evidence.seen)} records seen = {count(evidence.stored)} stored + {count(evidence.rejected)} rejected
        {evidence.warnings > 0 ? ` · ${count(evidence.warnings)} warnings` : ''}
      </p>
      <div className="segmented" role="tablist">
        <button type="button" role="tab" aria-selected={kind === 'rejected'} className={kind === 'rejected' ? 'active' : 'secondary'} onClick={() => (setKind('rejected'), setOffset(0))}>
          Rejected ({count(evidence.rejected)})
        </button>
        <button type="button" role="tab" aria-selected={kind === 'warning'} className={kind === 'warning' ? 'active' : 'secondary'} onClick={() => (setKind('warning'), setOffset(0))}>
          Warnings ({count(evidence.warnings)})
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {page && page.rows.length === 0 ? <p className="muted">Nothing here: every record of this kind was read.</p> : null}
      <ol className="error-list">
        {page?.rows.map((r, i) => (
          <li key={`${offset + i}`} data-testid="error-row">
            <div className="error-where">
              {r.posKind === null ? 'file' : r.posKind} {r.pos ?? ''}
            </div>
            <div className="error-reason">{r.reason}</div>
            {r.excerpt ? <pre className="error-excerpt">{r.excerpt}</pre> : null}
          </li>
        ))}
      </ol>
      {page && page.total > PAGE ? (
        <footer className="pager">
          <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span className="muted">
            {count(offset + 1)}–{count(Math.min(page.total, offset + PAGE))} of {count(page.total)}
          </span>
          <button type="button" className="secondary" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </footer>
      ) : null}
    </aside>
  );
}
