import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { EventRow, Histogram, SavedSearch, SortColumn } from '@shared/query-contract';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';
import { HistogramChart } from '../charts/histogram-chart';
import { EmptyState, ErrorState } from '../components/empty-state';
import { EventDrawer } from '../components/event-drawer';
import { EventTable, type EventTableHandle } from '../components/event-table';
import { FieldSidebar } from '../components/field-sidebar';
import { QueryBar, type QueryBarHandle } from '../components/query-bar';
import { SqlConsole } from '../components/sql-console';
import { ALL_TIME, TimePicker, type TimeRange } from '../components/time-picker';
import { useEventPages } from '../hooks/use-event-pages';
import { useHuntKeys } from '../hooks/use-hunt-keys';
import { addFilter, zoneLabel } from '../lib/format';
import { dashboardHref, hashParam } from '../lib/nav';
import '../hunt.css';

/** A drill-down (dashboard panel, entity page, alert) arrives with its query and time range in the hash. */
function initialRange(): TimeRange {
  const from = hashParam('from');
  const to = hashParam('to');
  return from || to ? { preset: 'custom', from, to } : ALL_TIME;
}

/** Discover for an offline case: query, time range, histogram, field sidebar, event table and detail. */
export function SearchView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [draft, setDraft] = useState(() => hashParam('q') ?? '');
  const [query, setQuery] = useState(() => hashParam('q') ?? '');
  const [range, setRange] = useState<TimeRange>(initialRange);
  const [sort, setSort] = useState<{ column: SortColumn; dir: 'asc' | 'desc' }>({ column: 'ts', dir: 'desc' });
  const [hist, setHist] = useState<Histogram | null>(null);
  const [histError, setHistError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [mode, setMode] = useState<'events' | 'sql'>(() => (hashParam('mode') === 'sql' ? 'sql' : 'events'));
  const bar = useRef<QueryBarHandle>(null);
  const table = useRef<EventTableHandle>(null);

  const filter = { query, from: range.from, to: range.to, sort };
  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;
  const pages = useEventPages(filter, hist?.total ?? null, 'search', `${caseKey}|${refresh}`);
  const resultKey = `${query}|${range.from}|${range.to}|${caseKey}|${refresh}`;

  useEffect(() => {
    let stale = false;
    setHist(null);
    setHistError(null);
    setSelected(null);
    api.histogram({ query, from: range.from, to: range.to, split: 'dataset', queryId: 'search-histogram' }).then(
      (h) => !stale && setHist(h),
      (e: Error & { code?: string }) => !stale && e.code !== 'CANCELLED' && setHistError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [api, query, range.from, range.to, caseKey, refresh]);

  const submit = useCallback((q: string) => {
    setQuery(q.trim());
    setDraft(q);
    setRefresh((n) => n + 1);
    const url = new URL(window.location.href);
    url.hash = q.trim() ? `#/search?q=${encodeURIComponent(q.trim())}` : '#/search';
    window.history.replaceState(null, '', url);
  }, []);

  const pivot = useCallback(
    (field: string, value: unknown, exclude: boolean) => {
      submit(addFilter(query, field, value, exclude));
    },
    [query, submit],
  );

  const star = useCallback(
    async (row: EventRow) => {
      const r = await api.setStar({ id: Number(row.id), starred: !row.starred });
      pages.patchRow(Number(row.id), { starred: r.starred });
    },
    [api, pages],
  );

  useHuntKeys({
    focusSearch: () => bar.current?.focus(),
    move: (d) => {
      const next = Math.max(0, Math.min(pages.rowCount - 1, (selected ?? -1) + d));
      setSelected(next);
      table.current?.scrollToIndex(next);
      if (openId !== null) {
        const row = pages.getRow(next);
        if (row) setOpenId(Number(row.id));
      }
    },
    open: () => {
      const row = selected !== null ? pages.getRow(selected) : undefined;
      if (row) setOpenId(Number(row.id));
    },
    star: () => {
      const row = selected !== null ? pages.getRow(selected) : undefined;
      if (row) void star(row);
    },
    close: () => setOpenId(null),
  });

  const noEvents = caseInfo !== null && caseInfo.events === 0;
  const busy = pages.state === 'loading';

  return (
    <section className="view hunt" aria-labelledby="view-title" data-view="search" data-state={noEvents ? 'no-events' : pages.state}>
      <header className="hunt-bar">
        <h1 id="view-title" className="visually-hidden">
          Search
        </h1>
        <div className="mode-switch" role="tablist" aria-label="Search mode">
          <button type="button" role="tab" aria-selected={mode === 'events'} className={mode === 'events' ? 'active' : 'ghost'} onClick={() => setMode('events')} data-testid="mode-events">
            Events
          </button>
          <button type="button" role="tab" aria-selected={mode === 'sql'} className={mode === 'sql' ? 'active' : 'ghost'} onClick={() => setMode('sql')} data-testid="mode-sql">
            SQL
          </button>
        </div>
        {mode === 'sql' ? null : (
          <>
            <QueryBar
              ref={bar}
              value={draft}
              onChange={setDraft}
              onSubmit={submit}
              busy={busy}
              onCancel={() => {
                void api.cancelQuery({ queryId: 'search-page-0' });
                void api.cancelQuery({ queryId: 'search-histogram' });
              }}
            />
            <TimePicker value={range} onChange={setRange} />
            <SavedSearches
              query={query}
              range={range}
              onPick={(s) => {
                setRange(s.from || s.to ? { preset: 'custom', from: s.from, to: s.to } : ALL_TIME);
                submit(s.query);
              }}
            />
            <a className="button-link toolbar-link" href={dashboardHref({ query, from: range.from, to: range.to })} title="Dashboard of this search" data-testid="search-dashboard">
              Dashboard
            </a>
          </>
        )}
      </header>
      {mode === 'sql' ? (
        <SqlConsole />
      ) : noEvents ? (
        <EmptyState title="This case has no events yet" action={<a href="#/import">Import evidence</a>}>
          Import logs (EVTX, JSON, syslog, Zeek, Suricata, web logs, CSV, archives) to search them here.
        </EmptyState>
      ) : (
        <>
          <div className="hunt-summary" data-testid="result-summary">
            {hist ? (
              <>
                <strong data-testid="result-total">{hist.total.toLocaleString()}</strong> events
                {hist.noTime > 0 ? <span className="muted"> ({hist.noTime.toLocaleString()} without a time)</span> : null}
                <span className="muted"> · {hist.interval} buckets · {zoneLabel()}</span>
              </>
            ) : histError ? null : (
              <span className="muted">Counting…</span>
            )}
            {pages.tookMs !== null ? <span className="muted"> · first page in {pages.tookMs} ms</span> : null}
            {range.preset === 'custom' ? (
              <button type="button" className="ghost small" onClick={() => setRange(ALL_TIME)}>
                Reset time
              </button>
            ) : null}
          </div>
          {hist && hist.total > 0 && hist.buckets.length > 0 ? <HistogramChart data={hist} onBrush={(from, to) => setRange({ preset: 'custom', from, to })} /> : hist ? null : <div className="histogram-placeholder" />}
          <div className={`hunt-main${openId !== null ? ' with-drawer' : ''}`}>
            <FieldSidebar query={query} from={range.from} to={range.to} resultKey={resultKey} onFilter={pivot} />
            <div className="hunt-results">
              {pages.state === 'error' ? (
                <ErrorState title="The search could not run" message={pages.error ?? 'Unknown error'} />
              ) : pages.state === 'empty' ? (
                <EmptyState title="No events match">Try fewer terms, a wider time range, or wildcards (admin*).</EmptyState>
              ) : pages.state === 'loading' ? (
                <div className="loading-state" role="status">
                  Searching…
                </div>
              ) : (
                <EventTable
                  ref={table}
                  pages={pages}
                  scope="search"
                  sort={sort}
                  onSort={setSort}
                  selected={selected}
                  onSelect={setSelected}
                  onOpen={(i) => {
                    const row = pages.getRow(i);
                    if (row) setOpenId(Number(row.id));
                  }}
                  onStar={(r) => void star(r)}
                  onFilter={pivot}
                />
              )}
            </div>
            {openId !== null ? <EventDrawer id={openId} onClose={() => setOpenId(null)} onFilter={pivot} onChanged={(id, patch) => pages.patchRow(id, patch)} /> : null}
          </div>
        </>
      )}
    </section>
  );
}

function SavedSearches({ query, range, onPick }: { query: string; range: TimeRange; onPick: (s: SavedSearch) => void }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [list, setList] = useState<SavedSearch[]>([]);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open) api.listSavedSearches({}).then(setList, (e: Error) => setError(e.message));
  }, [api, open]);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.saveSearch({ name: name.trim(), query, from: range.from, to: range.to });
      setName('');
      setList(await api.listSavedSearches({}));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="saved-searches">
      <button type="button" className="ghost" onClick={() => setOpen((o) => !o)} aria-expanded={open} data-testid="saved-button">
        Saved ▾
      </button>
      {open ? (
        <div className="saved-pop" role="dialog" aria-label="Saved searches">
          <form onSubmit={(e) => void save(e)} className="input-row">
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Name this search" aria-label="Saved search name" data-testid="saved-name" />
            <button type="submit" disabled={!name.trim()} data-testid="saved-save">
              Save
            </button>
          </form>
          {error ? <p className="form-error small-note">{error}</p> : null}
          {list.length === 0 ? <p className="muted small-note">No saved searches yet.</p> : null}
          <ul>
            {list.map((s) => (
              <li key={s.id}>
                <button
                  type="button"
                  className="ghost saved-item"
                  onClick={() => {
                    onPick(s);
                    setOpen(false);
                  }}
                >
                  <strong>{s.name}</strong>
                  <span className="mono muted">{s.query || '(everything)'}</span>
                </button>
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Delete ${s.name}`}
                  onClick={() =>
                    void api
                      .deleteSavedSearch({ id: s.id })
                      .then(() => api.listSavedSearches({}))
                      .then(setList)
                  }
                >
                  ✕
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
