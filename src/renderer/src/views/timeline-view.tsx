import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { AroundResult, EventRow, Histogram, SortColumn } from '@shared/query-contract';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';
import { HistogramChart } from '../charts/histogram-chart';
import { EmptyState, ErrorState } from '../components/empty-state';
import { EventDrawer } from '../components/event-drawer';
import { EventTable, type EventTableHandle } from '../components/event-table';
import { QueryBar, type QueryBarHandle } from '../components/query-bar';
import { ALL_TIME, TimePicker, type TimeRange } from '../components/time-picker';
import { useEventPages, type EventPages } from '../hooks/use-event-pages';
import { useHuntKeys } from '../hooks/use-hunt-keys';
import { addFilter, datasetColor, zoneLabel } from '../lib/format';
import '../hunt.css';

function hashParams(): URLSearchParams {
  return new URLSearchParams(window.location.hash.split('?')[1] ?? '');
}

/** A fixed list of rows (a context window) in the table's paging shape. */
function staticPages(rows: EventRow[], setRows: (r: EventRow[]) => void): EventPages {
  return {
    state: rows.length === 0 ? 'empty' : 'ready',
    error: null,
    rowCount: rows.length,
    getRow: (i) => rows[i],
    ensureRange: () => undefined,
    patchRow: (id, patch) => setRows(rows.map((r) => (r.id === id ? ({ ...r, ...patch } as EventRow) : r))),
    tookMs: null,
    version: rows.length,
  };
}

/**
 * Every source merged in time order (oldest first), coloured by dataset:
 * jump to a time, or open the context around one event (the events just
 * before and after it on the same host or in the whole case).
 */
export function TimelineView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState('');
  const [range, setRange] = useState<TimeRange>(ALL_TIME);
  const [sort, setSort] = useState<{ column: SortColumn; dir: 'asc' | 'desc' }>({ column: 'ts', dir: 'asc' });
  const [hist, setHist] = useState<Histogram | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [jump, setJump] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const [context, setContext] = useState<{ id: number; scope: 'host' | 'case'; result: AroundResult | null; error: string | null } | null>(null);
  const [contextRows, setContextRows] = useState<EventRow[]>([]);
  const [hashTick, setHashTick] = useState(0);
  const [scrollRequest, setScrollRequest] = useState<{ index: number; align: 'auto' | 'center'; nonce: number } | null>(null);
  const bar = useRef<QueryBarHandle>(null);
  const table = useRef<EventTableHandle>(null);

  useEffect(() => {
    const onHash = () => setHashTick((n) => n + 1);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // #/timeline?around=ID&scope=host opens the context of one event.
  useEffect(() => {
    const p = hashParams();
    const around = Number(p.get('around'));
    if (!p.get('around') || !Number.isInteger(around)) {
      setContext(null);
      return;
    }
    const scope = p.get('scope') === 'case' ? 'case' : 'host';
    let stale = false;
    setContext({ id: around, scope, result: null, error: null });
    api.context({ id: around, scope, before: 50, after: 50 }).then(
      (r) => {
        if (stale) return;
        setContext({ id: around, scope, result: r, error: null });
        setContextRows(r.rows);
        setSelected(r.anchorIndex);
        setScrollRequest((p) => ({ index: r.anchorIndex, align: 'center', nonce: (p?.nonce ?? 0) + 1 }));
      },
      (e: Error) => !stale && setContext({ id: around, scope, result: null, error: e.message }),
    );
    return () => {
      stale = true;
    };
  }, [api, hashTick]);

  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;
  const pages = useEventPages({ query, from: range.from, to: range.to, sort }, hist?.total ?? null, 'timeline', caseKey);
  const ctxPages = useMemo(() => staticPages(contextRows, setContextRows), [contextRows]);
  const shown = context ? ctxPages : pages;

  useEffect(() => {
    let stale = false;
    setHist(null);
    api.histogram({ query, from: range.from, to: range.to, split: 'dataset', queryId: 'timeline-histogram' }).then(
      (h) => !stale && setHist(h),
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [api, query, range.from, range.to, caseKey]);

  const submit = useCallback((q: string) => {
    setQuery(q.trim());
    setDraft(q);
  }, []);

  const leaveContext = () => {
    window.location.assign('#/timeline');
  };

  /** The row index of the first event at or after `t`: how many matching events come before it. */
  const jumpTo = async (e: FormEvent) => {
    e.preventDefault();
    setJumpError(null);
    if (context) leaveContext();
    try {
      const before = await api.search({ query, from: range.from, to: jump.trim(), limit: 1, count: true, queryId: 'timeline-jump' });
      const index = sort.dir === 'asc' ? (before.total ?? 0) : Math.max(0, (hist?.total ?? 0) - (before.total ?? 0) - 1);
      setSelected(index);
      setScrollRequest((p) => ({ index, align: 'center', nonce: (p?.nonce ?? 0) + 1 }));
    } catch (err) {
      setJumpError((err as Error).message);
    }
  };

  const star = useCallback(
    async (row: EventRow) => {
      const r = await api.setStar({ id: Number(row.id), starred: !row.starred });
      shown.patchRow(Number(row.id), { starred: r.starred });
    },
    [api, shown],
  );

  useHuntKeys({
    focusSearch: () => bar.current?.focus(),
    move: (d) => {
      const next = Math.max(0, Math.min(shown.rowCount - 1, (selected ?? -1) + d));
      setSelected(next);
      table.current?.scrollToIndex(next);
    },
    open: () => {
      const row = selected !== null ? shown.getRow(selected) : undefined;
      if (row) setOpenId(Number(row.id));
    },
    star: () => {
      const row = selected !== null ? shown.getRow(selected) : undefined;
      if (row) void star(row);
    },
    close: () => setOpenId(null),
  });

  const pivot = (field: string, value: unknown, exclude: boolean) => {
    if (context) leaveContext();
    submit(addFilter(query, field, value, exclude));
  };

  const noEvents = caseInfo !== null && caseInfo.events === 0;
  const anchorRow = context?.result ? context.result.rows[context.result.anchorIndex] : undefined;

  return (
    <section className="view hunt" aria-labelledby="view-title" data-view="timeline" data-state={noEvents ? 'no-events' : context ? (context.result ? 'context' : context.error ? 'error' : 'loading') : shown.state}>
      <header className="hunt-bar">
        <h1 id="view-title" className="visually-hidden">
          Timeline
        </h1>
        <QueryBar ref={bar} value={draft} onChange={setDraft} onSubmit={submit} placeholder="Filter the timeline (empty: every event of the case)" />
        <TimePicker value={range} onChange={setRange} />
        <form className="jump" onSubmit={(e) => void jumpTo(e)}>
          <input value={jump} onChange={(e) => setJump(e.target.value)} placeholder="Jump to 2024-03-12T06:00Z" className="mono" aria-label="Jump to time (UTC)" data-testid="jump-input" />
          <button type="submit" className="secondary" disabled={!jump.trim()} data-testid="jump-go">
            Go
          </button>
        </form>
      </header>
      {jumpError ? <p className="form-error">{jumpError}</p> : null}
      {noEvents ? (
        <EmptyState title="This case has no events yet" action={<a href="#/import">Import evidence</a>}>
          The timeline merges every source in time order once evidence is imported.
        </EmptyState>
      ) : (
        <>
          {hist && hist.buckets.length > 0 ? (
            <>
              <div className="legend" data-testid="dataset-legend">
                {(hist.series ?? []).map((s) => (
                  <button key={s.name} type="button" className="legend-item ghost small" onClick={() => pivot('dataset', s.name, false)} title={`Show only ${s.name}`}>
                    <span className="swatch" style={{ background: datasetColor(s.name) }} />
                    {s.name} <span className="muted">{s.counts.reduce((a, b) => a + b, 0).toLocaleString()}</span>
                  </button>
                ))}
                <span className="muted">{hist.total.toLocaleString()} events · {zoneLabel()}</span>
              </div>
              <HistogramChart data={hist} onBrush={(from, to) => setRange({ preset: 'custom', from, to })} height={90} />
            </>
          ) : null}
          {context ? (
            <div className="context-banner" role="status" data-testid="context-banner">
              {context.error ? (
                <span className="form-error">{context.error}</span>
              ) : (
                <span>
                  Context of event <strong>#{context.id}</strong> {context.scope === 'host' ? <>on host <strong>{String(anchorRow?.host ?? '(none)')}</strong></> : 'in the whole case'}: 50 events before and after.
                </span>
              )}
              <a href={`#/timeline?around=${context.id}&scope=${context.scope === 'host' ? 'case' : 'host'}`} className="button-link">
                {context.scope === 'host' ? 'Whole case' : 'Same host'}
              </a>
              <button type="button" className="ghost small" onClick={leaveContext} data-testid="context-leave">
                Back to the full timeline
              </button>
            </div>
          ) : null}
          <div className={`hunt-main no-sidebar${openId !== null ? ' with-drawer' : ''}`}>
            <div className="hunt-results">
              {shown.state === 'error' ? (
                <ErrorState title="The timeline could not load" message={shown.error ?? 'Unknown error'} />
              ) : shown.state === 'empty' && !(context && !context.result) ? (
                <EmptyState title="No events match" />
              ) : shown.state === 'loading' || (context && !context.result && !context.error) ? (
                <div className="loading-state" role="status">
                  Loading…
                </div>
              ) : (
                <EventTable
                  ref={table}
                  pages={shown}
                  scope="timeline"
                  sort={sort}
                  onSort={(s) => {
                    if (context) leaveContext();
                    setSort(s);
                  }}
                  selected={selected}
                  onSelect={setSelected}
                  onOpen={(i) => {
                    const row = shown.getRow(i);
                    if (row) setOpenId(Number(row.id));
                  }}
                  onStar={(r) => void star(r)}
                  onFilter={pivot}
                  anchor={context?.result?.anchorIndex ?? null}
                  scrollRequest={scrollRequest}
                />
              )}
            </div>
            {openId !== null ? <EventDrawer id={openId} onClose={() => setOpenId(null)} onFilter={pivot} onChanged={(id, patch) => shown.patchRow(id, patch)} /> : null}
          </div>
        </>
      )}
    </section>
  );
}
