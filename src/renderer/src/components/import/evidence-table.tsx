import { useState } from 'react';
import { INTERRUPTED_MESSAGE, type EvidenceInfo } from '@shared/contract';
import { bytes, count, seconds, STATUS_LABEL } from './format';

interface Props {
  evidence: EvidenceInfo[];
  formats: Array<{ name: string; label: string }>;
  busy: boolean;
  onShowErrors: (e: EvidenceInfo) => void;
  onReimport: (ids: number[], format?: string) => void;
  onRemove: (ids: number[]) => void;
}

/**
 * The case's evidence manifest as the analyst checks it after an import:
 * every file and member with its detected format (and how sure), its status,
 * and the reconciliation seen = stored + rejected, with the way to the
 * records that did not make it.
 */
export function EvidenceTable({ evidence, formats, busy, onShowErrors, onReimport, onRemove }: Props) {
  const [editing, setEditing] = useState<number | null>(null);
  const files = evidence.filter((e) => e.kind === 'file');
  const totals = files.reduce((t, e) => ({ seen: t.seen + e.seen, stored: t.stored + e.stored, rejected: t.rejected + e.rejected }), { seen: 0, stored: 0, rejected: 0 });
  const reconciled = files.every((e) => e.seen === e.stored + e.rejected);
  return (
    <div className="table-wrap">
      <table className="evidence-table" data-testid="evidence-table">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Format</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Seen
            </th>
            <th scope="col" className="num">
              Stored
            </th>
            <th scope="col" className="num">
              Rejected
            </th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col" className="num">
              Time
            </th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {evidence.map((e) => (
            <tr key={e.id} data-testid="evidence-row" data-status={e.status} data-evidence-id={e.id} className={e.kind === 'container' ? 'container' : e.parentId !== null ? 'member' : undefined}>
              <td className="path" title={`${e.path}${e.sha256 ? `\nSHA-256 ${e.sha256}` : ''}`}>
                {e.parentId !== null ? <span className="muted">↳ </span> : null}
                {displayPath(e)}
                {e.message ? <div className="row-message">{e.message}</div> : null}
              </td>
              <td>
                {editing === e.id ? (
                  <select
                    autoFocus
                    aria-label="Read as format"
                    defaultValue={e.format ?? ''}
                    data-testid="format-override"
                    onChange={(ev) => {
                      setEditing(null);
                      if (ev.target.value && ev.target.value !== e.format) onReimport([e.id], ev.target.value);
                    }}
                    onBlur={() => setEditing(null)}
                  >
                    {formats.map((f) => (
                      <option key={f.name} value={f.name}>
                        {f.name} · {f.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span className="format-cell">
                    <span title={e.formatReason ?? undefined}>{e.format ?? '–'}</span>
                    {e.formatConfidence !== null && e.kind === 'file' ? (
                      <span className={`confidence ${e.formatConfidence < 0.5 ? 'low' : ''}`} title={e.formatForced ? 'chosen by the analyst' : (e.formatReason ?? '')}>
                        {e.formatForced ? 'set' : `${Math.round(e.formatConfidence * 100)}%`}
                      </span>
                    ) : null}
                    {e.kind === 'file' && e.format !== null && e.status !== 'skipped-duplicate' ? (
                      <button type="button" className="link" disabled={busy} onClick={() => setEditing(e.id)} data-testid="change-format" aria-label={`change: read ${e.path} as another format`}>
                        change
                      </button>
                    ) : null}
                  </span>
                )}
              </td>
              <td>
                <span className={`badge status-${e.status}`}>{STATUS_LABEL[e.status] ?? e.status}</span>
              </td>
              <td className="num">{e.kind === 'file' ? count(e.seen) : ''}</td>
              <td className="num">{e.kind === 'file' ? count(e.stored) : ''}</td>
              <td className="num">
                {e.kind === 'file' && (e.rejected > 0 || e.warnings > 0) ? (
                  <button type="button" className="link" onClick={() => onShowErrors(e)} data-testid="show-errors">
                    {count(e.rejected)}
                    {e.warnings > 0 ? <span className="muted"> +{count(e.warnings)}w</span> : null}
                  </button>
                ) : e.kind === 'file' ? (
                  '0'
                ) : (
                  ''
                )}
              </td>
              <td className="num">{bytes(e.size)}</td>
              <td className="num">{seconds(e.seconds)}</td>
              <td className="actions">
                {e.status === 'incomplete' || e.status === 'cancelled' || (e.status === 'failed' && e.format !== null) ? (
                  <button type="button" className="secondary small" disabled={busy} onClick={() => onReimport([e.id])} data-testid="resume">
                    {e.status !== 'incomplete' ? 'Retry' : e.message === INTERRUPTED_MESSAGE ? 'Resume' : 'Read again'}
                  </button>
                ) : null}
                <button type="button" className="ghost small" disabled={busy} onClick={() => onRemove([e.id])} data-testid="remove" aria-label={`Remove ${e.path}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              {files.length} file{files.length === 1 ? '' : 's'}{' '}
              <span className={reconciled ? 'ok-text' : 'warn-text'} data-testid="reconciled">
                {reconciled ? '✓ seen = stored + rejected for every file' : '✗ some files do not reconcile'}
              </span>
            </th>
            <td className="num">{count(totals.seen)}</td>
            <td className="num">{count(totals.stored)}</td>
            <td className="num">{count(totals.rejected)}</td>
            <td colSpan={3} />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function displayPath(e: EvidenceInfo): string {
  if (e.member) return e.member.split('!').pop() ?? e.path;
  return e.path;
}
