import { useEffect, useState, type FormEvent } from 'react';
import type { EventDetail } from '@shared/query-contract';
import { useApi } from '../api/context';
import { cellText, copyText, datasetColor, formatTs } from '../lib/format';

const LINE_FORMATS = new Set(['syslog', 'web-access', 'text', 'zeek', 'csv', 'cef', 'leef', 'ids']);

interface Props {
  id: number;
  onClose(): void;
  onFilter(field: string, value: unknown, exclude: boolean): void;
  /** Called after a star or tags change so the table can update its row. */
  onChanged(id: number, patch: { starred?: boolean; tags?: string[] }): void;
}

/** One event in full: every field, the raw record, and the file and position it came from. */
export function EventDrawer({ id, onClose, onFilter, onChanged }: Props) {
  const api = useApi();
  const [detail, setDetail] = useState<EventDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tagText, setTagText] = useState('');
  const [fieldFilter, setFieldFilter] = useState('');
  /** The bookmark comment being typed; null: show the stored one. */
  const [comment, setComment] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    setDetail(null);
    setError(null);
    setComment(null);
    api.eventDetail({ id }).then(
      (d) => !stale && setDetail(d),
      (e: Error) => !stale && setError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [api, id]);

  const toggleStar = async () => {
    if (!detail) return;
    const r = await api.setStar({ id, starred: !detail.starred });
    setDetail({ ...detail, starred: r.starred });
    onChanged(id, { starred: r.starred });
  };

  const addTags = async (e: FormEvent) => {
    e.preventDefault();
    if (!detail) return;
    const more = tagText
      .split(/[\s,]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    if (more.length === 0) return;
    try {
      const r = await api.setTags({ id, tags: [...detail.tags, ...more] });
      setDetail({ ...detail, tags: r.tags });
      setTagText('');
      onChanged(id, { tags: r.tags });
    } catch (err) {
      setError((err as Error).message);
    }
  };

  // The comment is the report's word on this piece of evidence; saved when the field loses focus.
  const saveComment = async () => {
    if (!detail || comment === null || comment === (detail.note ?? '')) return;
    try {
      await api.setStar({ id, starred: true, note: comment });
      setDetail({ ...detail, note: comment || null });
      setComment(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const removeTag = async (tag: string) => {
    if (!detail) return;
    const r = await api.setTags({ id, tags: detail.tags.filter((t) => t !== tag) });
    setDetail({ ...detail, tags: r.tags });
    onChanged(id, { tags: r.tags });
  };

  const ff = fieldFilter.toLowerCase();
  const fields = detail?.fields.filter((f) => !ff || f.name.toLowerCase().includes(ff) || cellText(f.value).toLowerCase().includes(ff)) ?? [];
  const position = detail?.source?.pos ? `${LINE_FORMATS.has(detail.source.format ?? '') ? 'line' : 'record'} ${detail.source.pos.toLocaleString()}` : null;

  return (
    <aside className="event-drawer" aria-label="Event detail" data-testid="event-drawer" data-state={detail ? 'ready' : error ? 'error' : 'loading'}>
      <header className="drawer-head">
        {detail ? (
          <>
            <button type="button" className={`star big${detail.starred ? ' on' : ''}`} onClick={() => void toggleStar()} aria-pressed={detail.starred} aria-label={detail.starred ? 'Remove star' : 'Star this event'} data-testid="drawer-star">
              {detail.starred ? '★' : '☆'}
            </button>
            <div className="drawer-title">
              <span className="ds-badge" style={{ borderColor: datasetColor(detail.core.dataset), color: datasetColor(detail.core.dataset) }}>
                {cellText(detail.core.dataset)}
              </span>
              <span className="mono">{formatTs(detail.core.ts)} UTC</span>
              <span className="muted">#{id}</span>
            </div>
          </>
        ) : (
          <span className="muted">Event #{id}</span>
        )}
        <button type="button" className="ghost" onClick={onClose} aria-label="Close detail (Esc)" data-testid="drawer-close">
          ✕
        </button>
      </header>
      {error ? <p className="form-error">{error}</p> : null}
      {!detail && !error ? <p className="muted">Loading…</p> : null}
      {detail ? (
        <div className="drawer-body">
          <section className="drawer-source" data-testid="event-source">
            <h4>Source</h4>
            <p className="mono source-path">{detail.source?.path ?? 'unknown file'}</p>
            <p className="muted">
              {position ? `${position} · ` : ''}
              {detail.source?.format ?? ''}
              {detail.source?.table ? ` · table ${detail.source.table}` : ''}
            </p>
            <div className="drawer-actions">
              <a className="button-link" href={`#/timeline?around=${id}&scope=host`} data-testid="context-host">
                Context on this host
              </a>
              <a className="button-link" href={`#/timeline?around=${id}&scope=case`} data-testid="context-case">
                Context in the case
              </a>
              <button type="button" className="ghost small" onClick={() => void copyText(JSON.stringify(Object.fromEntries(detail.fields.map((f) => [f.name, f.value])), null, 2))}>
                Copy as JSON
              </button>
            </div>
          </section>
          <section className="drawer-tags">
            <h4>Tags</h4>
            <div className="tag-list">
              {detail.tags.map((t) => (
                <span key={t} className="tag-chip">
                  {t}
                  <button type="button" className="tag-x" onClick={() => void removeTag(t)} aria-label={`Remove tag ${t}`}>
                    ×
                  </button>
                </span>
              ))}
              <form onSubmit={(e) => void addTags(e)} className="tag-form">
                <input value={tagText} onChange={(e) => setTagText(e.target.value)} placeholder="add tag, e.g. lateral-movement" aria-label="Add tags" data-testid="tag-input" />
              </form>
            </div>
          </section>
          {detail.starred ? (
            <section className="drawer-comment">
              <h4>Comment</h4>
              <textarea
                rows={2}
                value={comment ?? detail.note ?? ''}
                onChange={(e) => setComment(e.target.value)}
                onBlur={() => void saveComment()}
                placeholder="What this event shows (printed beside it in the report)"
                aria-label="Bookmark comment"
                data-testid="drawer-comment"
              />
            </section>
          ) : null}
          <section>
            <h4>
              Fields <span className="muted">({detail.fields.length})</span>
            </h4>
            <input className="field-filter" placeholder="Filter fields and values" value={fieldFilter} onChange={(e) => setFieldFilter(e.target.value)} aria-label="Filter fields" />
            <table className="fields-table" data-testid="detail-fields">
              <tbody>
                {fields.map((f) => (
                  <tr key={`${f.origin}-${f.name}`} className={`origin-${f.origin}`}>
                    <th className="mono" title={f.origin === 'core' ? 'core column' : 'original field of the source'}>
                      {f.name}
                    </th>
                    <td className="mono">
                      <button type="button" className="value-link" onClick={() => onFilter(f.name, f.value, false)} title="Filter for this value" data-field={f.name}>
                        {f.name === 'ts' ? `${formatTs(f.value)} UTC` : cellText(f.value)}
                      </button>
                    </td>
                    <td className="row-actions">
                      <button type="button" className="ghost small" onClick={() => onFilter(f.name, f.value, true)} title="Exclude this value" aria-label={`Exclude ${f.name}`}>
                        −
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <h4>Raw record</h4>
            {detail.raw ? (
              <pre className="raw" data-testid="raw-record">
                {detail.raw}
              </pre>
            ) : (
              <p className="muted">No raw line: this source is structured, and its fields above are the record.</p>
            )}
          </section>
        </div>
      ) : null}
    </aside>
  );
}
