import { useEffect, useState } from 'react';
import type { FieldStats, FieldSuggestion } from '@shared/query-contract';
import { useApi } from '../api/context';
import { cellText } from '../lib/format';

interface Props {
  query: string;
  from: string | null;
  to: string | null;
  /** Changes whenever the result changes, so open fields refresh. */
  resultKey: string;
  onFilter(field: string, value: unknown, exclude: boolean): void;
}

const HIDDEN = new Set(['raw', 'evidence_id', 'source_id', 'pos']);

/**
 * Discover's field list: every field of the case (core and original), and for
 * an opened field its top values over the current result, distinct count and
 * how often it is missing. + shows only a value, − excludes it.
 */
export function FieldSidebar({ query, from, to, resultKey, onFilter }: Props) {
  const api = useApi();
  const [fields, setFields] = useState<FieldSuggestion[]>([]);
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    api.suggestFields({ prefix: '', limit: 1000 }).then(
      (f) => setFields(f.filter((x) => (x.origin === 'core' || x.origin === 'original') && !HIDDEN.has(x.name))),
      () => setFields([]),
    );
  }, [api, resultKey]);

  const f = filter.toLowerCase();
  const shown = fields.filter((x) => !f || x.name.toLowerCase().includes(f));
  const core = shown.filter((x) => x.origin === 'core');
  const original = shown.filter((x) => x.origin === 'original');

  const list = (items: FieldSuggestion[]) => (
    <ul>
      {items.map((x) => (
        <li key={x.name}>
          <button type="button" className={`field-name${open === x.name ? ' open' : ''}`} onClick={() => setOpen(open === x.name ? null : x.name)} aria-expanded={open === x.name} data-field={x.name}>
            <span className={`kind kind-${x.kind}`} aria-hidden="true">
              {x.kind === 'number' ? '#' : x.kind === 'time' ? '◷' : 't'}
            </span>
            <span className="mono">{x.name}</span>
            {x.origin === 'original' ? <span className="muted small-note">{x.sources}</span> : null}
          </button>
          {open === x.name ? <FieldDetail field={x.name} query={query} from={from} to={to} resultKey={resultKey} onFilter={onFilter} /> : null}
        </li>
      ))}
    </ul>
  );

  return (
    <aside className="field-sidebar" aria-label="Fields" data-testid="field-sidebar">
      <input className="field-filter" placeholder="Filter fields" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter fields" />
      <h3>Core fields</h3>
      {list(core)}
      <h3>Original fields</h3>
      {original.length === 0 ? <p className="muted small-note">None yet: import evidence.</p> : list(original)}
    </aside>
  );
}

function FieldDetail({ field, query, from, to, resultKey, onFilter }: { field: string; query: string; from: string | null; to: string | null; resultKey: string; onFilter: Props['onFilter'] }) {
  const api = useApi();
  const [stats, setStats] = useState<FieldStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    setStats(null);
    setError(null);
    api.fieldStats({ field, query, from, to, limit: 5, queryId: 'field-stats' }).then(
      (s) => !stale && setStats(s),
      (e: Error & { code?: string }) => !stale && e.code !== 'CANCELLED' && setError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [api, field, query, from, to, resultKey]);

  if (error) return <p className="form-error small-note">{error}</p>;
  if (!stats)
    return (
      <div className="field-detail" data-state="loading">
        <span className="muted small-note">Counting…</span>
      </div>
    );
  return (
    <div className="field-detail" data-state="ready" data-testid={`field-stats-${field}`}>
      <p className="muted small-note">
        {stats.distinct.toLocaleString()} distinct · {(stats.nullRatio * 100).toFixed(stats.nullRatio > 0 && stats.nullRatio < 0.01 ? 2 : 0)}% missing · {stats.present.toLocaleString()} of {stats.total.toLocaleString()}
      </p>
      {stats.top.length === 0 ? <p className="muted small-note">No values in this result.</p> : null}
      <ul className="top-values">
        {stats.top.map((t) => {
          const share = stats.total > 0 ? t.count / stats.total : 0;
          return (
            <li key={cellText(t.value)}>
              <div className="tv-line">
                <span className="tv-value mono" title={cellText(t.value)}>
                  {cellText(t.value) || '(empty)'}
                </span>
                <span className="tv-count">{(share * 100).toFixed(share < 0.01 ? 2 : 1)}%</span>
                <button type="button" className="ghost small" onClick={() => onFilter(field, t.value, false)} aria-label={`Show only ${field} ${cellText(t.value)}`} title="Show only" data-testid="show-only">
                  +
                </button>
                <button type="button" className="ghost small" onClick={() => onFilter(field, t.value, true)} aria-label={`Exclude ${field} ${cellText(t.value)}`} title="Exclude" data-testid="exclude">
                  −
                </button>
              </div>
              <div className="tv-bar" style={{ width: `${Math.max(1, share * 100)}%` }} />
            </li>
          );
        })}
      </ul>
    </div>
  );
}
