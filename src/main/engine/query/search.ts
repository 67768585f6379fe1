import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { listValue } from '@duckdb/node-api';
import type { Cursor, EventRow, Histogram, SearchPage, SortColumn } from '@shared/query-contract';
import { quoteIdent, queryRows, type Row } from '../db/sql';
import type { Compiled } from './compile';
import { CORE_FIELDS } from './fields';
import { parseTimeValue } from './time';

/** What a result row carries (raw stays in the detail view; it can be large). */
export const ROW_COLUMNS = ['id', 'ts', 'dataset', 'host', 'event_code', 'severity', 'message', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol', 'user', 'process', 'action', 'outcome', 'evidence_id', 'source_id', 'pos'] as const;
const MESSAGE_MAX = 2000;

/** Microsecond ISO text: keyset cursors must not lose DuckDB's precision to a JS Date. */
const TS_TEXT = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%fZ')`;

function selectList(): string {
  return ROW_COLUMNS.map((c) => {
    if (c === 'ts') return `${TS_TEXT('e.ts')} AS ts`;
    if (c === 'message') return `left(e.message, ${MESSAGE_MAX}) AS message`;
    return `e.${quoteIdent(c)}`;
  }).join(', ');
}

export interface PageRequest {
  sort: { column: SortColumn; dir: 'asc' | 'desc' };
  after?: Cursor | undefined;
  before?: Cursor | undefined;
  offset?: number | undefined;
  at?: string | undefined;
  limit: number;
}

const MAX_ID = Number.MAX_SAFE_INTEGER;
/** From this offset on, a time-ordered jump seeks by bucket counts instead of a plain OFFSET. */
export const FAR_OFFSET = 5000;
const SEEK_BUCKETS = 4000;
const SEEK_CACHE_SIZE = 16;
const seekCache = new Map<string, Row[]>();

/**
 * Where row `offset` of a time-ordered result lies: the time bucket holding it
 * and how many of the bucket's rows come before it, or (bucket null) how far
 * into the NULL-time rows at the end it is.
 */
async function seekTimeOffset(conn: DuckDBConnection, q: Compiled, dir: 'asc' | 'desc', offset: number): Promise<{ bucket: { start: number; end: number } | null; skip: number }> {
  const mm = await queryRows(conn, 'SELECT epoch_ms(min(ts)) AS lo, epoch_ms(max(ts)) AS hi FROM events');
  const lo = mm[0]?.lo;
  const hi = mm[0]?.hi;
  if (lo === null || lo === undefined || hi === null || hi === undefined) return { bucket: null, skip: offset };
  const w = Math.max(1, Math.ceil((Number(hi) - Number(lo) + 1) / SEEK_BUCKETS));
  const sql = `SELECT floor(epoch_ms(e.ts) / ${w})::BIGINT AS b, count(*) AS n FROM ${q.from} WHERE (${q.where}) AND e.ts IS NOT NULL GROUP BY b ORDER BY b ${dir === 'asc' ? 'ASC' : 'DESC'}`;
  // Scrolling far asks for several pages of one result: count its buckets once.
  // The key holds the case's event count, so an import invalidates it.
  const total = (await queryRows(conn, 'SELECT count(*) AS n FROM events'))[0]?.n;
  const key = `${String(total)}|${String(lo)}|${String(hi)}|${sql}|${JSON.stringify(q.params, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
  let counts = seekCache.get(key);
  if (!counts) {
    counts = await queryRows(conn, sql, q.params);
    seekCache.set(key, counts);
    if (seekCache.size > SEEK_CACHE_SIZE) seekCache.delete(seekCache.keys().next().value as string);
  }
  let before = 0;
  for (const r of counts) {
    const count = Number(r.n);
    if (before + count > offset) {
      const b = Number(r.b);
      return { bucket: { start: b * w, end: (b + 1) * w }, skip: offset - before };
    }
    before += count;
  }
  return { bucket: null, skip: offset - before };
}

function kindOfSort(column: SortColumn): 'time' | 'number' | 'string' {
  const f = CORE_FIELDS.find((x) => x.name === column);
  return f?.kind === 'time' ? 'time' : f?.kind === 'number' ? 'number' : 'string';
}

/**
 * One page of a result in (sort column, id) order, nulls last, by keyset:
 * the page after or before a cursor costs the same wherever it is. A far
 * jump (the scrollbar dragged to the middle) uses an offset instead.
 *
 * The keyset condition is written as `c >= v AND (c > v OR id > i)` rather
 * than a tuple comparison so DuckDB pushes `c >= v` into the scan (zone maps
 * skip row groups); rows with a NULL sort value follow in a second query.
 */
export async function fetchPage(conn: DuckDBConnection, q: Compiled, req: PageRequest): Promise<Omit<SearchPage, 'total' | 'tookMs'>> {
  const { column, dir } = req.sort;
  const kind = kindOfSort(column);
  const c = `e.${quoteIdent(column)}`;
  const n = req.limit;
  let after = req.after;
  if (req.at !== undefined) {
    const t = parseTimeValue(req.at);
    if (t && column === 'ts') after = { value: t.start.toISOString(), id: dir === 'asc' ? -1 : MAX_ID };
  }
  // DuckDB refuses parameters a statement does not use: bind the cursor only where it appears.
  const keyParams: Record<string, DuckDBValue> = {};
  const bindCursor = (v: Cursor['value']): string => {
    keyParams.kv = kind === 'time' ? String(v).replace(/Z$/, '') : (v as DuckDBValue);
    return kind === 'time' ? '$kv::TIMESTAMP' : kind === 'number' ? '$kv::DOUBLE' : '$kv::VARCHAR';
  };
  const order = (d: 'asc' | 'desc', nulls: 'LAST' | 'FIRST') => `ORDER BY ${c} ${d.toUpperCase()} NULLS ${nulls}, e.id ${d.toUpperCase()}`;
  const run = async (extra: string, ord: string, limit: number, offset = 0): Promise<Row[]> => {
    // Late materialisation: find the page's ids first, then read the wide columns
    // (message, raw, ...) of those rows only. With a SEMI JOIN on a field table
    // DuckDB would otherwise read every column of every event before its top-N
    // (440 ms against 28 ms on 10M events).
    const ids = `SELECT e.id FROM ${q.from} WHERE (${q.where})${extra ? ` AND ${extra}` : ''} ${ord} LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ''}`;
    const sql = `SELECT ${selectList()} FROM events e WHERE e.id IN (${ids}) ${ord}`;
    const params: Record<string, DuckDBValue> = { ...q.params };
    for (const [k, v] of Object.entries(keyParams)) if (extra.includes(`$${k}`)) params[k] = v;
    return queryRows(conn, sql, params);
  };
  const fwd = dir === 'asc' ? '>' : '<';
  const back = dir === 'asc' ? '<' : '>';
  let rows: Row[];
  let hasMoreBefore: boolean;
  let hasMoreAfter: boolean;

  if (req.before) {
    // Walk backwards in reversed order, then turn the page round.
    const rev = dir === 'asc' ? 'desc' : 'asc';
    const cur = req.before;
    keyParams.ki = cur.id;
    if (cur.value === null) {
      rows = await run(`${c} IS NULL AND e.id ${back} $ki`, order(rev, 'FIRST'), n + 1);
      if (rows.length < n + 1) rows = rows.concat(await run(`${c} IS NOT NULL`, order(rev, 'FIRST'), n + 1 - rows.length));
    } else {
      const v = bindCursor(cur.value);
      rows = await run(`${c} ${back}= ${v} AND (${c} ${back} ${v} OR e.id ${back} $ki)`, order(rev, 'FIRST'), n + 1);
    }
    hasMoreBefore = rows.length > n;
    rows = rows.slice(0, n).reverse();
    hasMoreAfter = true;
  } else if (after) {
    keyParams.ki = after.id;
    if (after.value === null) {
      rows = await run(`${c} IS NULL AND e.id ${fwd} $ki`, order(dir, 'LAST'), n + 1);
    } else {
      const v = bindCursor(after.value);
      rows = await run(`${c} ${fwd}= ${v} AND (${c} ${fwd} ${v} OR e.id ${fwd} $ki)`, order(dir, 'LAST'), n + 1);
      if (rows.length < n + 1) rows = rows.concat(await run(`${c} IS NULL`, order(dir, 'LAST'), n + 1 - rows.length));
    }
    hasMoreAfter = rows.length > n;
    rows = rows.slice(0, n);
    hasMoreBefore = true;
  } else {
    const offset = req.offset ?? 0;
    if (offset >= FAR_OFFSET && column === 'ts') {
      // A far jump in time order: count per fine time bucket (one GROUP BY),
      // find the bucket holding the offset, then skip only within it. OFFSET
      // alone would sort everything before the target (seconds at 10M rows).
      const seek = await seekTimeOffset(conn, q, dir, offset);
      if (seek.bucket === null) {
        rows = await run(`${c} IS NULL`, order(dir, 'LAST'), n + 1, seek.skip);
      } else {
        keyParams.sb = new Date(seek.bucket.start).toISOString().replace('Z', '');
        keyParams.se = new Date(seek.bucket.end).toISOString().replace('Z', '');
        rows = await run(dir === 'asc' ? `${c} >= $sb::TIMESTAMP` : `${c} < $se::TIMESTAMP`, order(dir, 'LAST'), n + 1, seek.skip);
        if (rows.length < n + 1) rows = rows.concat(await run(`${c} IS NULL`, order(dir, 'LAST'), n + 1 - rows.length));
      }
    } else {
      rows = await run('', order(dir, 'LAST'), n + 1, offset);
    }
    hasMoreAfter = rows.length > n;
    rows = rows.slice(0, n);
    hasMoreBefore = offset > 0;
  }
  const out = await withMarks(conn, rows);
  const cursorOf = (r: Row | undefined): Cursor | null => (r ? { value: (r[column] ?? null) as Cursor['value'], id: Number(r.id) } : null);
  return { columns: [...ROW_COLUMNS, 'starred', 'tags'], rows: out, first: cursorOf(rows[0]), last: cursorOf(rows[rows.length - 1]), hasMoreBefore, hasMoreAfter };
}

/** Star and tags for the rows of one page (a lookup of at most a page of ids). */
export async function withMarks(conn: DuckDBConnection, rows: Row[]): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  const ids = listValue(rows.map((r) => BigInt(Number(r.id))));
  const marks = await queryRows(
    conn,
    `SELECT event_id, true AS star, NULL AS tags FROM bookmarks WHERE list_contains($ids::BIGINT[], event_id)
     UNION ALL SELECT event_id, false, list(tag ORDER BY tag) FROM event_tags WHERE list_contains($ids::BIGINT[], event_id) GROUP BY event_id`,
    { ids },
  );
  const starred = new Set(marks.filter((r) => r.star === true).map((r) => Number(r.event_id)));
  const tagMap = new Map(marks.filter((r) => r.star === false).map((r) => [Number(r.event_id), r.tags as string[]]));
  return rows.map((r) => ({ ...r, starred: starred.has(Number(r.id)), tags: tagMap.get(Number(r.id)) ?? [] }));
}

export async function countMatches(conn: DuckDBConnection, q: Compiled): Promise<number> {
  const r = await queryRows(conn, `SELECT count(*) AS n FROM ${q.from} WHERE ${q.where}`, q.params);
  return Number(r[0]?.n ?? 0);
}

/**
 * Events around an anchor (ts, id) in time order: `before` earlier and
 * `after` at-or-later events. Used by the timeline's jump and by context.
 */
export async function around(conn: DuckDBConnection, q: Compiled, anchor: Cursor, before: number, after: number, includeAnchor: boolean): Promise<{ rows: EventRow[]; anchorIndex: number }> {
  const sort = { column: 'ts' as const, dir: 'asc' as const };
  const earlier = before > 0 ? await fetchPage(conn, q, { sort, before: anchor, limit: before }) : { rows: [] };
  // `after` a cursor excludes the anchor itself; step one id back to include it.
  const startAt: Cursor = includeAnchor ? { value: anchor.value, id: anchor.id - 1 } : anchor;
  const later = after > 0 || includeAnchor ? await fetchPage(conn, q, { sort, after: startAt, limit: after + (includeAnchor ? 1 : 0) }) : { rows: [] };
  return { rows: [...earlier.rows, ...later.rows], anchorIndex: earlier.rows.length };
}

function isoNoZ(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}

const NICE_MS = [1, 10, 100, 1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000, 2_592_000_000, 31_536_000_000];

export function niceBucket(spanMs: number, target: number): number {
  const raw = Math.max(1, spanMs / Math.max(1, target));
  return NICE_MS.find((m) => m >= raw) ?? Math.ceil(raw / 31_536_000_000) * 31_536_000_000;
}

export function intervalLabel(ms: number): string {
  const units: [number, string][] = [
    [31_536_000_000, 'y'],
    [2_592_000_000, 'mo'],
    [604_800_000, 'w'],
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
    [1, 'ms'],
  ];
  for (const [size, name] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${name}`;
  return `${ms} ms`;
}

/**
 * Counts per time bucket. The bucket size is chosen from the time range (the
 * picker's, else the result's own first and last event) so the chart has
 * about `target` bars of a round size (1 min, 5 min, 1 h ...).
 */
export async function histogram(
  conn: DuckDBConnection,
  q: Compiled,
  range: { from: Date | null; to: Date | null },
  target: number,
  split: 'dataset' | undefined,
  zoomDepth = 0,
  autoZoom = !range.from && !range.to,
): Promise<Omit<Histogram, 'tookMs'>> {
  let lo = range.from?.getTime() ?? null;
  let hi = range.to?.getTime() ?? null;
  if (lo === null || hi === null) {
    // Without a picked range the chart spans the whole case (as Discover spans
    // its time picker): min/max of the unfiltered column is nearly free, while
    // the result's own span would cost a second full scan of a slow query.
    const mm = await queryRows(conn, `SELECT epoch_ms(min(e.ts)) AS lo, epoch_ms(max(e.ts)) AS hi FROM events e`);
    lo ??= mm[0]?.lo === null || mm[0]?.lo === undefined ? null : Number(mm[0].lo);
    hi ??= mm[0]?.hi === null || mm[0]?.hi === undefined ? null : Number(mm[0].hi) + 1;
  }
  if (lo === null || hi === null || hi <= lo) {
    const r = await queryRows(conn, `SELECT count(*) AS n, count(*) FILTER (WHERE e.ts IS NULL) AS nt FROM ${q.from} WHERE ${q.where}`, q.params);
    const total = Number(r[0]?.n ?? 0);
    const noTime = Number(r[0]?.nt ?? 0);
    const buckets = lo !== null && total > noTime ? [{ t: new Date(lo).toISOString(), count: total - noTime }] : [];
    return { bucketMs: 0, interval: '-', from: lo === null ? null : new Date(lo).toISOString(), to: hi === null ? null : new Date(hi).toISOString(), buckets, total, noTime };
  }
  const w = niceBucket(hi - lo, target);
  const start = Math.floor(lo / w) * w;
  const n = Math.ceil((hi - start) / w);
  const key = `CASE WHEN e.ts IS NULL THEN NULL ELSE floor(epoch_ms(e.ts) / ${w})::BIGINT END`;
  const sql = split
    ? `SELECT ${key} AS b, e.dataset AS d, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY ALL`
    : `SELECT ${key} AS b, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY ALL`;
  const rows = await queryRows(conn, sql, q.params);
  const counts = new Array<number>(n).fill(0);
  const series = new Map<string, number[]>();
  let noTime = 0;
  let total = 0;
  for (const r of rows) {
    const c = Number(r.n);
    total += c;
    if (r.b === null) {
      noTime += c;
      continue;
    }
    const i = Number(r.b) - start / w;
    if (i < 0 || i >= n) continue; // outside the picked range cannot happen (the filter has it); be safe
    counts[i] = (counts[i] ?? 0) + c;
    if (split) {
      const name = String(r.d);
      const s = series.get(name) ?? new Array<number>(n).fill(0);
      s[i] = (s[i] ?? 0) + c;
      series.set(name, s);
    }
  }
  // Without a picked range, a result packed into a few bars of the case-wide
  // chart (a burst of 51 logons in three days of logs) is counted again over
  // its own span. The second pass is bounded by time, so zone maps keep it cheap.
  const used = counts.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  const first = used[0];
  const last = used[used.length - 1];
  if (autoZoom && zoomDepth < 3 && first !== undefined && last !== undefined && last - first < 3 && w > 1000) {
    const zLo = start + first * w;
    const zHi = start + (last + 1) * w;
    const zoomed: Compiled = { ...q, where: `(${q.where}) AND e.ts >= $hz_lo::TIMESTAMP AND e.ts < $hz_hi::TIMESTAMP`, params: { ...q.params, hz_lo: isoNoZ(zLo), hz_hi: isoNoZ(zHi) } };
    const z = await histogram(conn, zoomed, { from: new Date(zLo), to: new Date(zHi) }, target, split, zoomDepth + 1, true);
    // The zoomed pass counted only timed events: the totals are this pass's.
    return { ...z, total, noTime };
  }
  return {
    bucketMs: w,
    interval: intervalLabel(w),
    from: new Date(lo).toISOString(),
    to: new Date(hi).toISOString(),
    buckets: counts.map((count, i) => ({ t: new Date(start + i * w).toISOString(), count })),
    ...(split ? { series: [...series.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, cs]) => ({ name, counts: cs })) } : {}),
    total,
    noTime,
  };
}
