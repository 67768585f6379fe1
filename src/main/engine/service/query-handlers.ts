import type { DuckDBConnection } from '@duckdb/node-api';
import { LoupeError } from '@shared/errors';
import type { Cursor } from '@shared/query-contract';
import type { Case } from '../case/case';
import { queryOne } from '../db/sql';
import { compileQuery, type Compiled } from '../query/compile';
import { deleteSavedSearch, eventDetail, listSavedSearches, listTags, saveSearch, setStar, setTags } from '../query/detail';
import { loadCatalog, type FieldCatalog } from '../query/fields';
import { QuerySyntaxError, parseQuery } from '../query/parse';
import { QueryRunner, toQueryError } from '../query/runner';
import { around, countMatches, fetchPage, histogram, ROW_COLUMNS } from '../query/search';
import { runConsoleSql } from '../query/sql-console';
import { fieldStats, suggestFields, suggestValues } from '../query/stats';
import { parseTimeValue } from '../query/time';
import type { Handlers } from './handlers';

const SQL_TIMEOUT_MS = 60_000;

type QueryOps =
  | 'search'
  | 'histogram'
  | 'fieldStats'
  | 'eventDetail'
  | 'timeline'
  | 'context'
  | 'checkQuery'
  | 'suggestFields'
  | 'suggestValues'
  | 'setStar'
  | 'setTags'
  | 'listTags'
  | 'listSavedSearches'
  | 'saveSearch'
  | 'deleteSavedSearch'
  | 'sqlQuery'
  | 'cancelQuery';

/**
 * The hunt's handlers. Reads run on their own connection through the runner
 * (cancellable, with a timeout); the few writes (stars, tags, saved searches)
 * use the case's main connection.
 */
export function queryHandlers(owner: { readonly case: Case }, runner: QueryRunner): Pick<Handlers, QueryOps> {
  const compile = async (conn: DuckDBConnection, c: Case, query: string, from?: string | null, to?: string | null): Promise<{ q: Compiled; catalog: FieldCatalog }> => {
    const catalog = await loadCatalog(conn, c);
    return { q: await compileQuery(conn, catalog, query, { from, to }), catalog };
  };
  const timed = async <T extends object>(fn: () => Promise<T>): Promise<T & { tookMs: number }> => {
    const t0 = performance.now();
    const v = await fn();
    return { ...v, tookMs: Math.round((performance.now() - t0) * 10) / 10 };
  };

  return {
    search: (i) =>
      timed(() => {
        const c = owner.case;
        return runner.run(c, i, async (conn) => {
          const { q } = await compile(conn, c, i.query, i.from, i.to);
          const page = await fetchPage(conn, q, { sort: i.sort ?? { column: 'ts', dir: 'desc' }, after: i.after, before: i.before, offset: i.offset, at: i.at, limit: i.limit });
          const total = i.count ? await countMatches(conn, q) : null;
          return { ...page, total };
        });
      }),
    histogram: (i) =>
      timed(() => {
        const c = owner.case;
        return runner.run(c, i, async (conn) => {
          const { q } = await compile(conn, c, i.query, i.from, i.to);
          const range = { from: i.from ? (parseTimeValue(i.from)?.start ?? null) : null, to: i.to ? (parseTimeValue(i.to)?.start ?? null) : null };
          return histogram(conn, q, range, i.buckets, i.split);
        });
      }),
    fieldStats: (i) =>
      timed(() => {
        const c = owner.case;
        return runner.run(c, i, async (conn) => {
          const { q, catalog } = await compile(conn, c, i.query, i.from, i.to);
          return fieldStats(conn, catalog, q, i.field, i.limit);
        });
      }),
    eventDetail: async ({ id }) => {
      const c = owner.case;
      return runner.run(c, {}, (conn) => eventDetail(conn, id));
    },
    timeline: (i) =>
      timed(() => {
        const c = owner.case;
        return runner.run(c, i, async (conn) => {
          const t = parseTimeValue(i.at);
          if (!t) throw new LoupeError('QUERY_ERROR', `"${i.at}" is not a date or time`);
          const { q } = await compile(conn, c, i.query, i.from, i.to);
          const r = await around(conn, q, { value: t.start.toISOString(), id: -1 }, i.before, i.after, false);
          return { columns: [...ROW_COLUMNS, 'starred', 'tags'], ...r };
        });
      }),
    context: (i) =>
      timed(() => {
        const c = owner.case;
        return runner.run(c, {}, async (conn) => {
          const ev = await queryOne(conn, `SELECT id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, host FROM events WHERE id = $id`, { id: i.id });
          if (!ev) throw new LoupeError('NOT_FOUND', `No event with id ${i.id} in this case`);
          const q: Compiled =
            i.scope === 'host'
              ? ev.host === null
                ? { from: 'events e', where: 'e.host IS NULL', params: {}, usesSources: false }
                : { from: 'events e', where: 'e.host = $host', params: { host: String(ev.host) }, usesSources: false }
              : { from: 'events e', where: 'TRUE', params: {}, usesSources: false };
          const anchor: Cursor = { value: (ev.ts ?? null) as string | null, id: Number(ev.id) };
          const r = await around(conn, q, anchor, i.before, i.after, true);
          return { columns: [...ROW_COLUMNS, 'starred', 'tags'], ...r };
        });
      }),
    checkQuery: async ({ query }) => {
      const c = owner.case;
      try {
        await runner.run(c, { timeoutMs: 10_000 }, async (conn) => {
          const catalog = await loadCatalog(conn, c);
          parseQuery(query);
          await compileQuery(conn, catalog, query);
        });
        return { ok: true, problem: null };
      } catch (e) {
        if (e instanceof LoupeError && e.code === 'QUERY_ERROR' && e.cause instanceof QuerySyntaxError) {
          const p = e.cause;
          return { ok: false, problem: { message: p.message, start: p.start, end: p.end, suggestion: p.suggestion ?? null } };
        }
        throw e;
      }
    },
    suggestFields: async ({ prefix, limit }) => {
      const c = owner.case;
      return runner.run(c, {}, async (conn) => suggestFields(await loadCatalog(conn, c), prefix, limit));
    },
    suggestValues: async ({ field, prefix, limit }) => {
      const c = owner.case;
      return runner.run(c, { timeoutMs: 10_000 }, async (conn) => suggestValues(conn, await loadCatalog(conn, c), field, prefix, limit));
    },
    setStar: async ({ id, starred, note }) => setStar(owner.case.conn, id, starred, note),
    setTags: async ({ id, tags }) => setTags(owner.case.conn, id, tags),
    listTags: async () => listTags(owner.case.conn),
    listSavedSearches: async () => listSavedSearches(owner.case.conn),
    saveSearch: async (s) => {
      // A saved search that cannot run is a trap for later: check it now.
      try {
        parseQuery(s.query);
      } catch (e) {
        throw toQueryError(e);
      }
      return saveSearch(owner.case.conn, s);
    },
    deleteSavedSearch: async ({ id }) => ({ deleted: await deleteSavedSearch(owner.case.conn, id) }),
    sqlQuery: (i) =>
      timed(() => {
        const c = owner.case;
        return runner.run(c, { queryId: i.queryId, timeoutMs: i.timeoutMs ?? SQL_TIMEOUT_MS }, (conn) => runConsoleSql(conn, i.sql, i.limit));
      }),
    cancelQuery: async ({ queryId }) => ({ cancelled: runner.cancel(queryId) }),
  };
}
