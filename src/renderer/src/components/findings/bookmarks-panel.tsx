import { useCallback, useEffect, useState } from 'react';
import type { BookmarkRow } from '@shared/findings-contract';
import { useApi } from '../../api/context';
import { datasetColor, formatTs } from '../../lib/format';
import { EmptyState } from '../empty-state';

/**
 * The bookmarked events: the report's evidence. The analyst writes a comment
 * on each (what it shows) and can drop the ones that turned out irrelevant.
 */
export function BookmarksPanel({ caseKey }: { caseKey: string }) {
  const api = useApi();
  const [rows, setRows] = useState<BookmarkRow[] | null>(null);
  const [total, setTotal] = useState(0);
  const [drafts, setDrafts] = useState<Record<number, string>>({});
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await api.listBookmarks({ limit: 2000 });
      setRows(r.rows);
      setTotal(r.total);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load, caseKey]);

  const saveComment = async (row: BookmarkRow) => {
    const text = drafts[row.id];
    if (text === undefined || text === (row.note ?? '')) return;
    try {
      await api.setStar({ id: row.id, starred: true, note: text });
      setRows((rs) => rs?.map((r) => (r.id === row.id ? { ...r, note: text || null } : r)) ?? null);
      setDrafts(({ [row.id]: _gone, ...rest }) => rest);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const unstar = async (row: BookmarkRow) => {
    await api.setStar({ id: row.id, starred: false });
    await load();
  };

  if (rows && rows.length === 0) {
    return (
      <EmptyState title="No bookmarked events" action={<a href="#/search">Go to Search</a>}>
        Star events in Search or Timeline (the ☆ in each row, or the s key): they become the report's timeline.
      </EmptyState>
    );
  }
  return (
    <div className="bookmarks-panel" data-testid="bookmarks-panel" data-state={rows === null ? 'loading' : 'ready'}>
      <p className="muted">
        {total.toLocaleString()} bookmarked events, oldest first. The comment is printed beside the event in the report. <a href="#/search?q=starred:true">Open them in Search</a>
      </p>
      {error ? <p className="form-error">{error}</p> : null}
      <table className="findings-table">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Host</th>
            <th>Event</th>
            <th>Tags</th>
            <th>Comment</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((r) => (
            <tr key={r.id} data-testid="bookmark-row" data-id={r.id}>
              <td className="mono nowrap">{formatTs(r.ts)}</td>
              <td>
                {r.host ?? '—'}
                <div>
                  <span className="ds-badge" style={{ borderColor: datasetColor(r.dataset), color: datasetColor(r.dataset) }}>
                    {r.dataset}
                  </span>
                </div>
              </td>
              <td className="msg-cell">
                <div className="msg-text">{r.message ?? ''}</div>
                <div className="muted small-note">
                  #{r.id}
                  {r.evidence ? ` · ${r.evidence}${r.pos !== null ? `:${r.pos}` : ''}` : ''}
                </div>
              </td>
              <td>
                {r.tags.map((t) => (
                  <span key={t} className="tag-chip">
                    {t}
                  </span>
                ))}
              </td>
              <td className="comment-cell">
                <textarea
                  rows={2}
                  value={drafts[r.id] ?? r.note ?? ''}
                  placeholder="What this event shows"
                  onChange={(e) => setDrafts({ ...drafts, [r.id]: e.target.value })}
                  onBlur={() => void saveComment(r)}
                  aria-label={`Comment on event ${r.id}`}
                  data-testid="bookmark-comment"
                />
              </td>
              <td>
                <button type="button" className="ghost small" onClick={() => void unstar(r)} title="Remove the star">
                  ★ Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
