import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { ExportSource } from '@shared/findings-contract';
import { LoupeError } from '@shared/errors';
import { quoteIdent, queryRows } from '../../db/sql';
import { compileQuery, type Compiled } from '../../query/compile';
import { loadCatalog } from '../../query/fields';
import { toQueryError } from '../../query/runner';
import { columnsOf, detectionsRan } from '../case-tables';

/**
 * What an export or a hand-off selects: a search result, the alert list or
 * the bookmarks, as one SQL query over the case. Columns are typed (ts is a
 * TIMESTAMP, tags a list); the writer turns them into each format's text.
 */
export interface SelectedRows {
  /** A SELECT producing the rows, in time order. */
  sql: string;
  params: Record<string, DuckDBValue>;
  /** Short label for file names and logs: "search", "alerts", "bookmarks". */
  what: string;
  /** One line describing the selection (query, filters), for the outputs log. */
  describe: string;
  itemKind: 'event' | 'alert';
  /** TIMESTAMP columns of the result (rendered as ISO text outside Parquet). */
  timeColumns: string[];
  /** List columns (joined with commas in CSV). */
  listColumns: string[];
  /**
   * Timesketch: the column holding the item's time, SQL (over `x`) for its
   * message and timestamp description, and columns the message replaces.
   */
  timesketch: { time: string; message: string; desc: string; exclude: string[] };
  /** Temp tables to drop once the rows are written. */
  cleanup: string[];
}

/** What each dataset's time means, for Timesketch's timestamp_desc. */
const TIMESTAMP_DESC = `CASE
  WHEN x.dataset LIKE 'windows.%' OR x.dataset = 'sysmon' THEN 'Event Recorded'
  WHEN x.dataset = 'zeek.conn' THEN 'Connection Start'
  WHEN x.dataset LIKE 'suricata.%' OR x.dataset = 'ids' THEN 'IDS Event Time'
  WHEN x.dataset LIKE 'web.%' THEN 'Request Time'
  WHEN x.dataset LIKE 'linux.%' THEN 'Log Time'
  ELSE 'Event Time' END`;

/** The event columns every event export carries, over `events e` + evidence ev + marks. */
const EVENT_COLUMNS = `e.id AS event_id, e.ts, e.dataset, e.host, e.event_code, e.severity, e.message, e.src_ip, e.src_port,
  e.dst_ip, e.dst_port, e.protocol, e."user", e.process, e.action, e.outcome, ev.path AS evidence, e.pos`;
const EVENT_NAMES = ['event_id', 'ts', 'dataset', 'host', 'event_code', 'severity', 'message', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol', 'user', 'process', 'action', 'outcome', 'evidence', 'pos'];
const MARK_JOINS = `LEFT JOIN evidence ev ON ev.id = e.evidence_id
  LEFT JOIN bookmarks bm ON bm.event_id = e.id
  LEFT JOIN (SELECT event_id, list(tag ORDER BY tag) AS tags FROM event_tags GROUP BY event_id) tg ON tg.event_id = e.id`;

let tempSeq = 0;

export async function selectRows(conn: DuckDBConnection, owner: object, source: ExportSource, fields: 'core' | 'all'): Promise<SelectedRows> {
  switch (source.kind) {
    case 'search': {
      let q: Compiled;
      try {
        q = await compileQuery(conn, await loadCatalog(conn, owner), source.query, { from: source.from, to: source.to });
      } catch (e) {
        throw toQueryError(e);
      }
      const range = [source.from ? `from ${source.from}` : '', source.to ? `to ${source.to}` : ''].filter(Boolean).join(' ');
      return eventRows(conn, `FROM ${q.from} ${MARK_JOINS} WHERE ${q.where}`, q.params, fields, {
        what: 'search',
        describe: `search "${source.query}"${range ? ` ${range}` : ''}`,
        extra: ', bm.event_id IS NOT NULL AS starred, coalesce(tg.tags, []::VARCHAR[]) AS tags',
        extraNames: ['starred', 'tags'],
      });
    }
    case 'bookmarks': {
      const params: Record<string, DuckDBValue> = {};
      let where = 'bm.event_id IS NOT NULL';
      if (source.tag) {
        where += ' AND e.id IN (SELECT event_id FROM event_tags WHERE tag = $tag)';
        params.tag = source.tag;
      }
      const sel = await eventRows(conn, `FROM events e ${MARK_JOINS} WHERE ${where}`, params, fields, {
        what: 'bookmarks',
        describe: source.tag ? `bookmarks tagged ${source.tag}` : 'all bookmarked events',
        extra: ', bm.note AS comment, bm.created_at AS starred_at, coalesce(tg.tags, []::VARCHAR[]) AS tags',
        extraNames: ['comment', 'starred_at', 'tags'],
      });
      return { ...sel, timeColumns: [...sel.timeColumns, 'starred_at'] };
    }
    case 'alerts':
      return alertRows(conn, source);
  }
}

async function eventRows(
  conn: DuckDBConnection,
  fromWhere: string,
  params: Record<string, DuckDBValue>,
  fields: 'core' | 'all',
  o: { what: string; describe: string; extra: string; extraNames: string[] },
): Promise<SelectedRows> {
  const base = {
    params,
    what: o.what,
    describe: `${o.describe}${fields === 'all' ? ', with original fields' : ''}`,
    itemKind: 'event' as const,
    timeColumns: ['ts'],
    listColumns: ['tags'],
    timesketch: {
      time: 'ts',
      message: fields === 'all' ? `coalesce(x.message, x.raw, x.dataset || ' event')` : `coalesce(x.message, x.dataset || ' event')`,
      desc: TIMESTAMP_DESC,
      exclude: ['message'],
    },
  };
  if (fields === 'core') {
    return { ...base, sql: `SELECT ${EVENT_COLUMNS}${o.extra} ${fromWhere}`, cleanup: [] };
  }
  // With every original field: the matching rows once into a temp table,
  // then one join per source table that holds some of them, stacked by name.
  const temp = `loupe_export_${process.pid}_${++tempSeq}`;
  await conn.run(`CREATE TEMP TABLE ${temp} AS SELECT ${EVENT_COLUMNS}${o.extra}, e.raw, e.source_id AS _sid, e.rid AS _rid ${fromWhere}`, params);
  const sources = await queryRows(
    conn,
    `SELECT s.id, s.table_name FROM sources s WHERE s.id IN (SELECT DISTINCT _sid FROM ${temp})
       AND s.table_name IN (SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main') ORDER BY s.id`,
  );
  // Original fields named like one of ours (or like Timesketch's fields) get an `orig.` prefix.
  // DuckDB matches names without regard to case, so `User` (Sysmon) meets `user`.
  const taken = new Set([...EVENT_NAMES, ...o.extraNames, 'raw', 'datetime', 'timestamp', 'timestamp_desc'].map((n) => n.toLowerCase()));
  const declared = sources.length === 0 ? [] : await queryRows(
    conn,
    `SELECT table_name, column_name, data_type FROM duckdb_columns()
      WHERE schema_name = 'main' AND list_contains($tables::VARCHAR[], table_name) AND column_name NOT IN ('rid', 'evidence_id') ORDER BY table_name, column_index`,
    { tables: listOf(sources.map((s) => String(s.table_name))) },
  );
  // Only the fields some exported row has: a table shared by many small files
  // (or an EVTX channel's) has hundreds of columns that are empty for these rows.
  const cols: typeof declared = [];
  for (const s of sources) {
    const mine = declared.filter((c) => c.table_name === s.table_name);
    if (mine.length === 0) continue;
    const counts = (
      await conn.runAndReadAll(
        `SELECT ${mine.map((c) => `count(s.${quoteIdent(String(c.column_name))})`).join(', ')} FROM ${temp} b JOIN ${quoteIdent(String(s.table_name))} s ON s.rid = b._rid WHERE b._sid = ${Number(s.id)}`,
      )
    ).getRows()[0];
    mine.forEach((c, i) => {
      if (Number(counts?.[i] ?? 0) > 0) cols.push(c);
    });
  }
  // A field typed differently in two sources (a port as text here, a number
  // there) is written as text everywhere so the stacked column has one type.
  const types = new Map<string, Set<string>>();
  for (const c of cols) {
    const n = String(c.column_name).toLowerCase();
    const set = types.get(n) ?? new Set<string>();
    set.add(String(c.data_type));
    types.set(n, set);
  }
  const parts: string[] = [];
  for (const s of sources) {
    const table = String(s.table_name);
    const list = cols
      .filter((c) => c.table_name === table)
      .map((c) => {
        const name = String(c.column_name);
        const out = taken.has(name.toLowerCase()) ? `orig.${name}` : name;
        const expr = (types.get(name.toLowerCase())?.size ?? 1) > 1 ? `CAST(s.${quoteIdent(name)} AS VARCHAR)` : `s.${quoteIdent(name)}`;
        return `${expr} AS ${quoteIdent(out)}`;
      });
    parts.push(`SELECT b.* EXCLUDE (_sid, _rid)${list.length ? `, ${list.join(', ')}` : ''} FROM ${temp} b JOIN ${quoteIdent(table)} s ON s.rid = b._rid WHERE b._sid = ${Number(s.id)}`);
  }
  const covered = sources.map((s) => Number(s.id));
  parts.push(`SELECT b.* EXCLUDE (_sid, _rid) FROM ${temp} b${covered.length ? ` WHERE b._sid NOT IN (${covered.join(', ')})` : ''}`);
  return { ...base, params: {}, sql: parts.join('\nUNION ALL BY NAME\n'), cleanup: [temp] };
}

function listOf(values: string[]): DuckDBValue {
  // An empty list has no item type for DuckDB to bind; callers skip the query instead.
  return listValue(values);
}

async function alertRows(conn: DuckDBConnection, source: Extract<ExportSource, { kind: 'alerts' }>): Promise<SelectedRows> {
  if (!(await detectionsRan(conn))) throw new LoupeError('NOT_FOUND', 'This case has no alerts yet: run the detection rules first');
  const have = await columnsOf(conn, 'alerts');
  const want = ['id', 'rule_id', 'kind', 'title', 'level', 'status', 'host', 'first_ts', 'last_ts', 'event_count', 'tags', 'group_key', 'note', 'created_at'];
  const list = want.filter((c) => have.has(c)).map((c) => (c === 'id' ? 'a.id AS alert_id' : `a.${quoteIdent(c)}`));
  const where: string[] = [];
  const params: Record<string, DuckDBValue> = {};
  if (source.levels?.length) {
    where.push('list_contains($levels::VARCHAR[], a.level)');
    params.levels = listValue(source.levels);
  }
  if (source.statuses?.length && have.has('status')) {
    where.push('list_contains($statuses::VARCHAR[], a.status)');
    params.statuses = listValue(source.statuses);
  }
  const describe = ['alerts', source.levels?.length ? `level ${source.levels.join('/')}` : '', source.statuses?.length ? `status ${source.statuses.join('/')}` : ''].filter(Boolean).join(', ');
  return {
    sql: `SELECT ${list.join(', ')} FROM alerts a${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params,
    what: 'alerts',
    describe,
    itemKind: 'alert',
    timeColumns: ['first_ts', 'last_ts', 'created_at'].filter((c) => have.has(c)),
    listColumns: have.has('tags') ? ['tags'] : [],
    timesketch: {
      time: have.has('first_ts') ? 'first_ts' : 'created_at',
      message: have.has('host') ? `x.title || coalesce(' on ' || x.host, '')` : 'x.title',
      desc: `'Alert First Seen'`,
      exclude: [],
    },
    cleanup: [],
  };
}
