import { useCallback, useEffect, useRef, useState } from 'react';
import type { Cursor, EventRow, SortColumn } from '@shared/query-contract';
import { useApi } from '../api/context';

export const PAGE_SIZE = 100;

export interface EventFilter {
  query: string;
  from: string | null;
  to: string | null;
  sort: { column: SortColumn; dir: 'asc' | 'desc' };
}

export interface EventPages {
  state: 'loading' | 'ready' | 'empty' | 'error';
  error: string | null;
  /** Rows the table should size itself to: the known total, else what is loaded. */
  rowCount: number;
  getRow(index: number): EventRow | undefined;
  /** Ask for the pages covering rows [start, end]; cheap when they are loaded. */
  ensureRange(start: number, end: number): void;
  /** Change one loaded row in place (a star or tag set from the UI). */
  patchRow(id: number, patch: Partial<EventRow>): void;
  tookMs: number | null;
  version: number;
}

/**
 * The rows of a result as a sparse array of pages, for a virtualised table
 * over millions of rows. A page next to a loaded one is fetched by keyset
 * (after its last row or before its first), which costs the same anywhere in
 * the result; a page far from anything loaded (the scrollbar dragged) by
 * offset. A new filter starts a new generation: answers for the old one are
 * dropped, and the engine cancels superseded page queries by id.
 */
export function useEventPages(filter: EventFilter, total: number | null, scope: string, resetKey = ''): EventPages {
  const api = useApi();
  const pages = useRef(new Map<number, EventRow[]>());
  const cursors = useRef(new Map<number, { first: Cursor | null; last: Cursor | null; more: boolean }>());
  const inflight = useRef(new Map<number, Promise<void>>());
  const generation = useRef(0);
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<EventPages['state']>('loading');
  const [error, setError] = useState<string | null>(null);
  const [tookMs, setTookMs] = useState<number | null>(null);
  const [loadedCount, setLoadedCount] = useState(0);
  const filterRef = useRef(filter);
  // A new filter, or another case (or more events in it), starts over.
  // JSON never holds a raw NUL, so it separates the filter from the reset key safely.
  const key = `${JSON.stringify(filter)}\u0000${resetKey}`;

  const load = useCallback(
    (p: number) => {
      if (pages.current.has(p) || inflight.current.has(p) || p < 0) return;
      const gen = generation.current;
      const f = filterRef.current;
      const fetchPage = async (): Promise<void> => {
        // A neighbour on its way gives this page a keyset cursor: wait for it
        // rather than fall back to an offset (scrolling asks for p+1 while p loads).
        const pending = inflight.current.get(p - 1) ?? inflight.current.get(p + 1);
        if (pending && !cursors.current.has(p - 1) && !cursors.current.has(p + 1)) await pending.catch(() => undefined);
        if (gen !== generation.current) return;
        const prev = cursors.current.get(p - 1);
        const next = cursors.current.get(p + 1);
        const where = prev?.last ? { after: prev.last } : next?.first ? { before: next.first } : p > 0 ? { offset: p * PAGE_SIZE } : {};
        try {
          const r = await api.search({ query: f.query, from: f.from, to: f.to, sort: f.sort, limit: PAGE_SIZE, queryId: `${scope}-page-${p % 8}`, ...where });
          if (gen !== generation.current) return;
          pages.current.set(p, r.rows);
          cursors.current.set(p, { first: r.first, last: r.last, more: r.hasMoreAfter });
          if (p === 0) {
            setTookMs(r.tookMs);
            setState(r.rows.length === 0 ? 'empty' : 'ready');
          }
          setLoadedCount((n) => Math.max(n, p * PAGE_SIZE + r.rows.length + (r.hasMoreAfter ? PAGE_SIZE : 0)));
          setVersion((v) => v + 1);
        } catch (err) {
          const e = err as Error & { code?: string };
          if (gen !== generation.current) return;
          // A later page whose slot a newer page query took is asked again when it is visible.
          if (e.code === 'CANCELLED' && p > 0) return;
          if (p === 0) {
            setState('error');
            setError(e.message);
          }
        } finally {
          if (gen === generation.current) inflight.current.delete(p);
        }
      };
      inflight.current.set(p, fetchPage());
    },
    [api, scope],
  );

  useEffect(() => {
    filterRef.current = JSON.parse(key.split('\u0000')[0] ?? '{}') as EventFilter;
    generation.current++;
    pages.current = new Map();
    cursors.current = new Map();
    inflight.current = new Map();
    setState('loading');
    setError(null);
    setLoadedCount(0);
    setVersion((v) => v + 1);
    load(0);
  }, [key, load]);

  const ensureRange = useCallback(
    (start: number, end: number) => {
      const a = Math.max(0, Math.floor(start / PAGE_SIZE));
      const b = Math.max(a, Math.floor(end / PAGE_SIZE));
      // The visible pages first, then one page either side so a steady scroll
      // finds its next page loaded (and fetched by keyset from its neighbour).
      for (let p = a; p <= Math.min(b, a + 10); p++) load(p);
      load(b + 1);
      if (a > 0) load(a - 1);
    },
    [load],
  );

  const getRow = useCallback((i: number) => pages.current.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE], []);

  const patchRow = useCallback((id: number, patch: Partial<EventRow>) => {
    for (const rows of pages.current.values()) {
      const idx = rows.findIndex((r) => r.id === id);
      if (idx >= 0) rows[idx] = { ...rows[idx], ...patch } as EventRow;
    }
    setVersion((v) => v + 1);
  }, []);

  const rowCount = state === 'ready' ? (total ?? loadedCount) : 0;
  return { state, error, rowCount, getRow, ensureRange, patchRow, tookMs, version };
}
