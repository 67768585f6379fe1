import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../../../src/shared/query-contract';
import type { ExportFormat } from '../../../src/shared/findings-contract';
import { LoupeError } from '../../../src/shared/errors';
import { call } from '../../../src/main/engine/service/dispatch';
import { queryRows, type Row } from '../../../src/main/engine/db/sql';
import { HOSTILE } from '../../fixtures/findings-case';
import { SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { findingsCase, type FindingsCase } from './helpers';
import { freshEngine, importAndWait } from '../ingest/import-helpers';

let fc: FindingsCase;
beforeAll(async () => {
  fc = await findingsCase({ events: 20_000 });
});
afterAll(async () => fc.cleanup());

const h = () => fc.engine.handlers;
let seq = 0;
const exportOf = (source: Record<string, unknown>, format: ExportFormat, fields: 'core' | 'all' = 'core') => call(h(), 'exportData', { exportId: `t${++seq}`, source, format, fields });
/** Read a file back with DuckDB's own readers (another implementation than the writer's formatting). */
const readBack = (sql: string) => queryRows(fc.engine.case.conn, sql);
const lit = (p: string) => `'${p.replaceAll("'", "''")}'`;

const CORE = ['ts', 'dataset', 'host', 'event_code', 'severity', 'message', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol', 'user', 'process', 'action', 'outcome', 'pos'] as const;

async function searchAll(query: string): Promise<EventRow[]> {
  const page = await call(h(), 'search', { query, sort: { column: 'ts', dir: 'asc' }, limit: 1000, count: true });
  expect(page.total).toBe(page.rows.length);
  return page.rows;
}

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v));
  return norm(a) === norm(b);
}

function expectRowsMatch(got: Row[], want: EventRow[], idKey = 'event_id'): void {
  expect(got.map((r) => Number(r[idKey]))).toEqual(want.map((r) => Number(r.id)));
  for (let i = 0; i < want.length; i++) {
    for (const c of CORE) {
      const w = want[i]?.[c];
      const g = got[i]?.[c];
      if (!same(g, w)) expect({ row: i, column: c, value: g }).toEqual({ row: i, column: c, value: w });
    }
  }
}

const BRUTE = `src_ip:${T.bruteForce.ip}`;

describe('export round trips', () => {
  it('CSV: DuckDB reads back every row and core column of the search result, in time order', async () => {
    const want = await searchAll(BRUTE);
    const r = await exportOf({ kind: 'search', query: BRUTE }, 'csv');
    expect(r.rows).toBe(want.length);
    expect(r.path.startsWith(join(fc.dir, 'exports'))).toBe(true);
    expect(r.path).toMatch(/\.csv$/);
    const got = await readBack(`SELECT * FROM read_csv(${lit(r.path)}, header = true, all_varchar = true)`);
    expectRowsMatch(got, want);
    expect(got.find((x) => Number(x.event_id) === fc.brute[0])?.tags).toBe('brute-force,initial-access');
    expect(got.find((x) => Number(x.event_id) === fc.brute[0])?.starred).toBe('true');
  });

  it('JSON and NDJSON parse back to the same rows; ts keeps microseconds', async () => {
    const want = await searchAll(BRUTE);
    const json = await exportOf({ kind: 'search', query: BRUTE }, 'json');
    const arr = JSON.parse(readFileSync(json.path, 'utf8')) as Row[];
    expectRowsMatch(arr, want);
    expect(arr[0]?.ts).toMatch(/^2024-03-12T\d\d:\d\d:\d\d\.\d{6}Z$/);
    const nd = await exportOf({ kind: 'search', query: BRUTE }, 'ndjson');
    const lines = readFileSync(nd.path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(want.length);
    expectRowsMatch(
      lines.map((l) => JSON.parse(l) as Row),
      want,
    );
    expect((JSON.parse(lines[0] as string) as Row).tags).toEqual(['brute-force', 'initial-access']);
  });

  it('Parquet keeps types: ts is a TIMESTAMP, ports are integers, tags a list', async () => {
    const want = await searchAll(BRUTE);
    const r = await exportOf({ kind: 'search', query: BRUTE }, 'parquet');
    expect(readFileSync(r.path).subarray(0, 4).toString('latin1')).toBe('PAR1');
    const types = await readBack(`SELECT name, type FROM parquet_schema(${lit(r.path)})`);
    const typeOf = (n: string) => String(types.find((t) => t.name === n)?.type);
    expect(typeOf('ts')).toBe('INT64');
    expect(typeOf('src_port')).toBe('INT32');
    const got = await readBack(`SELECT * REPLACE (strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts) FROM read_parquet(${lit(r.path)})`);
    expectRowsMatch(got, want);
    expect(got[0]?.tags).toEqual(['brute-force', 'initial-access']);
  });

  it('Timesketch JSONL and CSV carry message, datetime, timestamp_desc and timestamp first', async () => {
    const want = await searchAll(BRUTE);
    const r = await exportOf({ kind: 'search', query: BRUTE }, 'timesketch');
    expect(r.path).toMatch(/\.jsonl$/);
    const rows = readFileSync(r.path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    expect(rows).toHaveLength(want.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const w = want[i] as EventRow;
      expect(Object.keys(row).slice(0, 4)).toEqual(['message', 'datetime', 'timestamp_desc', 'timestamp']);
      expect(row.message).toBe(w.message);
      expect(row.datetime).toBe(String(w.ts).replace('Z', '+00:00'));
      expect(row.timestamp_desc).toBe('Event Recorded');
      expect(row.timestamp).toBe(Math.round(Date.parse(String(w.ts)) * 1000) + Number(String(w.ts).slice(23, 26)));
    }
    const csv = await exportOf({ kind: 'search', query: BRUTE }, 'timesketch-csv');
    const text = readFileSync(csv.path, 'utf8');
    expect(text.split('\n')[0]?.startsWith('message,datetime,timestamp_desc,timestamp,event_id,ts,')).toBe(true);
    const back = await readBack(`SELECT * FROM read_csv(${lit(csv.path)}, header = true, all_varchar = true)`);
    expect(back.map((x) => x.datetime)).toEqual(rows.map((x) => x.datetime));
  });

  it('Timesketch leaves out events without a time, and says how many', async () => {
    const noTime = Number((await readBack(`SELECT count(*) AS n FROM events WHERE dataset = 'web.access' AND ts IS NULL`))[0]?.n);
    expect(noTime).toBe(T.noTime);
    const total = Number((await readBack(`SELECT count(*) AS n FROM events WHERE dataset = 'web.access'`))[0]?.n);
    const r = await exportOf({ kind: 'search', query: 'dataset:web.access' }, 'timesketch');
    expect(r.rows).toBe(total - noTime);
    expect(r.skipped).toBe(noTime);
    expect(r.skippedReason).toMatch(/time/);
    const csv = await exportOf({ kind: 'search', query: 'dataset:web.access' }, 'csv');
    expect(csv.rows).toBe(total);
    expect(csv.skipped).toBe(0);
  });

  it('hostile values (quotes, commas, new lines, markup, bidi) survive CSV and JSON exactly', async () => {
    const csv = await exportOf({ kind: 'bookmarks' }, 'csv');
    const back = await readBack(`SELECT * FROM read_csv(${lit(csv.path)}, header = true, all_varchar = true)`);
    const row = back.find((x) => Number(x.event_id) === fc.hostile[0]);
    expect(row?.message).toBe(`${HOSTILE.message} ${HOSTILE.bidi}`);
    expect(row?.host).toBe(HOSTILE.host);
    expect(row?.user).toBe(HOSTILE.user);
    expect(row?.evidence).toBe(HOSTILE.path);
    expect(row?.comment).toBe(HOSTILE.comment);
    const json = await exportOf({ kind: 'bookmarks' }, 'json');
    const arr = JSON.parse(readFileSync(json.path, 'utf8')) as Row[];
    expect(arr.map((x) => x.event_id)).toEqual(back.map((x) => Number(x.event_id)));
    expect(arr.find((x) => x.event_id === fc.hostile[0])).toMatchObject({ message: `${HOSTILE.message} ${HOSTILE.bidi}`, comment: HOSTILE.comment, tags: ['lateral-movement'] });
    expect(arr).toHaveLength(7);
  });

  it('with original fields: each source adds its own columns; names that clash get an orig. prefix', async () => {
    const r = await exportOf({ kind: 'search', query: `src_ip:${HOSTILE.ip} OR ${BRUTE}` }, 'ndjson', 'all');
    const rows = readFileSync(r.path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    const hostile = rows.find((x) => x.event_id === fc.hostile[1]) as Row;
    // DuckDB names are case-insensitive: the source's Message and User meet our message and user.
    expect(hostile).toMatchObject({ 'orig.Message': HOSTILE.message, '<b>field': HOSTILE.raw, 'orig.timestamp': '2024-03-12T07:00:00Z', 'orig.User': HOSTILE.user, user: HOSTILE.user, raw: HOSTILE.raw });
    const win = rows.find((x) => x.event_id === fc.brute[0]) as Row;
    expect(win).toMatchObject({ EventID: 4625, TargetUserName: 'administrator', IpAddress: T.bruteForce.ip });
    expect(win['orig.Message']).toBeNull(); // a column of another source
    const parquet = await exportOf({ kind: 'search', query: `src_ip:${HOSTILE.ip} OR ${BRUTE}` }, 'parquet', 'all');
    const back = await readBack(`SELECT event_id, "EventID", "orig.User" FROM read_parquet(${lit(parquet.path)}) ORDER BY ts, event_id`);
    expect(back.map((x) => x.event_id)).toEqual(rows.map((x) => x.event_id));
  });

  it('exports the alert list, filtered by level, in Timesketch form too', async () => {
    const all = await exportOf({ kind: 'alerts' }, 'json');
    const arr = JSON.parse(readFileSync(all.path, 'utf8')) as Row[];
    expect(arr.map((a) => a.alert_id).sort()).toEqual([...fc.alerts].sort());
    expect(arr.find((a) => a.rule_id === 'loupe-brute-force')).toMatchObject({ level: 'high', event_count: T.bruteForce.failed, status: 'new', tags: ['attack.t1110'] });
    const high = await exportOf({ kind: 'alerts', levels: ['high', 'critical'] }, 'csv');
    expect(high.rows).toBe(2);
    const acked = await exportOf({ kind: 'alerts', statuses: ['ack'] }, 'ndjson');
    expect(acked.rows).toBe(1);
    const ts = await exportOf({ kind: 'alerts' }, 'timesketch');
    const first = JSON.parse(readFileSync(ts.path, 'utf8').split('\n')[0] as string) as Row;
    expect(first).toMatchObject({ timestamp_desc: 'Alert First Seen' });
    expect(String(first.message)).toMatch(/ on /);
  });

  it('records every export with its SHA-256, and a bad query fails cleanly', async () => {
    const r = await exportOf({ kind: 'search', query: 'dataset:zeek.conn' }, 'csv');
    expect(r.sha256).toBe(createHash('sha256').update(readFileSync(r.path)).digest('hex'));
    const log = await call(h(), 'listOutputs', {});
    expect(log[0]).toMatchObject({ kind: 'export', format: 'csv', path: r.path, rows: r.rows, bytes: r.bytes, sha256: r.sha256, status: 'done' });
    expect(log[0]?.what).toContain('dataset:zeek.conn');
    const err = await exportOf({ kind: 'search', query: 'nosuchfield:1' }, 'csv').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LoupeError);
    expect((err as LoupeError).code).toBe('QUERY_ERROR');
    expect(readdirSync(join(fc.dir, 'exports')).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('refuses alerts when the case has none', async () => {
    const other = await findingsCase({ events: 1000, alerts: false });
    try {
      const e = await call(other.engine.handlers, 'exportData', { exportId: 'x', source: { kind: 'alerts' }, format: 'csv' }).then(
        () => null,
        (x: unknown) => x as LoupeError,
      );
      expect(e?.code).toBe('NOT_FOUND');
    } finally {
      await other.cleanup();
    }
  });
});

describe('large exports: progress and cancel', () => {
  let big: FindingsCase;
  beforeAll(async () => {
    big = await findingsCase({ events: 400_000, alerts: false });
  }, 240_000);
  afterAll(async () => big.cleanup());

  it('pushes progress while it runs and ends with done', async () => {
    const seen: Array<{ state: string; percent: number | null }> = [];
    const off = big.engine.push.subscribe((event, p) => {
      if (event === 'exportProgress' && (p as { exportId: string }).exportId === 'big1') seen.push(p as { state: string; percent: number | null });
    });
    const r = await call(big.engine.handlers, 'exportData', { exportId: 'big1', source: { kind: 'search', query: '' }, format: 'ndjson', fields: 'all' });
    off();
    expect(r.rows).toBe(400_000 + 3);
    expect(seen[0]).toMatchObject({ state: 'running' });
    expect(seen[seen.length - 1]).toMatchObject({ state: 'done', percent: 100 });
    const percents = seen.filter((s) => s.state === 'running').map((s) => s.percent ?? 0);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    // Large on purpose (progress needs many pages); a busy 2-core machine needs more than the default minute.
  }, 240_000);

  it('cancels on request: no file, a cancelled record and a cancelled event', async () => {
    const seen: string[] = [];
    const off = big.engine.push.subscribe((event, p) => {
      const pp = p as { exportId: string; state: string };
      if (event === 'exportProgress' && pp.exportId === 'big2') {
        seen.push(pp.state);
        if (pp.state === 'running' && seen.length === 1) void call(big.engine.handlers, 'cancelExport', { exportId: 'big2' });
      }
    });
    const err = await call(big.engine.handlers, 'exportData', { exportId: 'big2', source: { kind: 'search', query: '' }, format: 'json', fields: 'all' }).then(
      () => null,
      (e: unknown) => e as LoupeError,
    );
    off();
    expect(err?.code).toBe('CANCELLED');
    expect(seen[seen.length - 1]).toBe('cancelled');
    const rec = (await call(big.engine.handlers, 'listOutputs', {}))[0];
    expect(rec).toMatchObject({ status: 'cancelled', sha256: null });
    expect(existsSync(rec?.path ?? '')).toBe(false);
    expect(existsSync(`${rec?.path ?? ''}.partial`)).toBe(false);
    expect(await call(big.engine.handlers, 'cancelExport', { exportId: 'big2' })).toEqual({ cancelled: false });
  });
});

describe('export with original fields from a shared field table', () => {
  it('carries only the fields some exported row has a value for', async () => {
    const { engine, dir, cleanup } = await freshEngine();
    try {
      // Two small NDJSON files of one family share a field table of every field of both.
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.json');
      writeFileSync(a, ['{"time":"2024-01-01T00:00:00Z","kind":"alpha","only_a":"x1"}', '{"time":"2024-01-01T00:00:01Z","kind":"alpha","only_a":"x2"}'].join('\n'));
      writeFileSync(b, '{"time":"2024-01-01T00:00:02Z","kind":"beta","only_b":"y1","also_b":"z1"}\n');
      const run = await importAndWait(engine, { paths: [a, b] });
      expect(run.files.map((f) => f.status)).toEqual(['imported', 'imported']);
      const tables = await queryRows(engine.case.conn, `SELECT DISTINCT s.table_name FROM events e JOIN sources s ON s.id = e.source_id`);
      expect(tables).toHaveLength(1);
      const r = await call(engine.handlers, 'exportData', { exportId: 'shared1', source: { kind: 'search', query: 'kind:alpha' }, format: 'ndjson', fields: 'all' });
      const rows = readFileSync(r.path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Row);
      expect(rows.map((x) => x.only_a)).toEqual(['x1', 'x2']);
      expect(rows[0]).toHaveProperty('kind', 'alpha');
      // b.json's fields are in the table but in none of these rows.
      expect(Object.keys(rows[0] as Row)).not.toContain('only_b');
      expect(Object.keys(rows[0] as Row)).not.toContain('also_b');
    } finally {
      cleanup();
    }
  });
});
