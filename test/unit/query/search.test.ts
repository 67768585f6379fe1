import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cursor, EventRow } from '../../../src/shared/query-contract';
import { LoupeError } from '../../../src/shared/errors';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';
import { queryRows } from '../../../src/main/engine/db/sql';
import { fillScenario, SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
const EVENTS = 20_000;
/** Where a successful escape would write: it must never exist. */
const LEAK = join(tmpdir(), `loupe-sql-leak-${process.pid}`);

beforeAll(async () => {
  tmp = tempDir();
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  engine = new Engine({ host: 'test' });
  await engine.useCase(join(tmp.dir, 'case'), { mode: 'create' });
  await fillScenario(engine.case.conn, { events: EVENTS });
});
afterAll(async () => {
  await engine.close();
  tmp.cleanup();
});

const search = (query: string, extra: Record<string, unknown> = {}) => call(engine.handlers, 'search', { query, count: true, limit: 100, ...extra });
const total = async (query: string, extra: Record<string, unknown> = {}) => Number((await search(query, extra)).total);
const sql = async (text: string) => queryRows(engine.case.conn, text);
const sqlCount = async (text: string) => Number((await sql(text))[0]?.n);

async function errorOf(p: Promise<unknown>): Promise<LoupeError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LoupeError);
  return e as LoupeError;
}

describe('search language over a scenario case', () => {
  it('finds the brute force by core fields, original fields and free text', async () => {
    expect(await total(`src_ip:${T.bruteForce.ip}`)).toBe(T.bruteForce.failed + T.bruteForce.succeeded);
    expect(await total(`src_ip:${T.bruteForce.ip} AND action:logon-failed`)).toBe(T.bruteForce.failed);
    // Original field, case-insensitive value, field name typed in lower case.
    expect(await total(`targetusername:ADMINISTRATOR AND EventID:4625`)).toBe(T.bruteForce.failed);
    expect(await total(`IpAddress:${T.bruteForce.ip} NOT event_code:4625`)).toBe(T.bruteForce.succeeded);
    expect(await total(`"failed to log on" ${T.bruteForce.ip}`)).toBe(T.bruteForce.failed);
  });

  it('matches wildcards, phrases and exists', async () => {
    expect(await total('CommandLine:*-enc*')).toBe(T.encodedPowershell.count);
    expect(await total(`CommandLine:"*${T.encodedPowershell.marker}*"`)).toBe(0); // a phrase is literal: no wildcards
    expect(await total(`${T.encodedPowershell.marker.slice(0, 10)}*`)).toBe(T.encodedPowershell.count);
    expect(await total('alert.signature:*Cobalt*')).toBe(T.beaconAlert.count);
    const sigs = await sqlCount(`SELECT count(*) AS n FROM events WHERE dataset = 'suricata.alert'`);
    expect(await total('alert.signature:*')).toBe(sigs);
    expect(await total('NOT alert.signature:*')).toBe(EVENTS - sigs);
  });

  it('filters IPv4 and IPv6 CIDR blocks on core and original fields', async () => {
    expect(await total('dst_ip:198.51.100.0/24')).toBe(T.c2.connections + T.beaconAlert.count);
    expect(await total('id.resp_h:198.51.100.0/22')).toBe(T.c2.connections);
    expect(await total(`src_ip:2001:db8:bad::/48`)).toBe(T.sshV6.failed);
    expect(await total(`rhost:2001:0db8:0bad::/48`)).toBe(T.sshV6.failed);
    // Another spelling of the same address still matches (canonical form).
    expect(await total(`src_ip:2001:0DB8:0BAD:0:0:0:0:7`)).toBe(T.sshV6.failed);
    expect(await total(`rhost:2001:0db8:0bad::0007`)).toBe(T.sshV6.failed);
    // 10.0.0.0/8 against a hand count; 172.16.0.0/12 has a partial octet.
    expect(await total('src_ip:10.0.0.0/8')).toBe(await sqlCount(`SELECT count(*) AS n FROM events WHERE src_ip LIKE '10.%'`));
    expect(await total('src_ip:10.2.0.0/15')).toBe(await sqlCount(`SELECT count(*) AS n FROM events WHERE src_ip LIKE '10.2.%' OR src_ip LIKE '10.3.%'`));
    expect(await total('ip:0.0.0.0/0')).toBe(await sqlCount(`SELECT count(*) AS n FROM events WHERE src_ip LIKE '%.%' OR dst_ip LIKE '%.%'`));
  });

  it('compares numbers and ranges, and times at their precision', async () => {
    const hand = await sqlCount(`SELECT count(*) AS n FROM events WHERE dst_port >= 443 AND dst_port < 3389`);
    expect(await total('dst_port:[443 TO 3389}')).toBe(hand);
    expect(await total('dst_port:>=443 AND dst_port:<3389')).toBe(hand);
    expect(await total('status:>=500')).toBe(await sqlCount(`SELECT count(*) AS n FROM src_8 WHERE status >= 500`) + (await sqlCount(`SELECT count(*) AS n FROM src_9 WHERE status >= 500`)));
    expect(await total('ts:2024-03-12T06')).toBe(await sqlCount(`SELECT count(*) AS n FROM events WHERE ts >= '2024-03-12 06:00' AND ts < '2024-03-12 07:00'`));
    expect(await total('', { from: '2024-03-12T06:00:00Z', to: '2024-03-12T07:00:00Z' })).toBe(await total('ts:2024-03-12T06'));
    expect(await total('ts:*')).toBe(EVENTS - T.noTime);
    expect(await total('NOT ts:*')).toBe(T.noTime);
  });

  it('ORs an alias over its columns and OR/parentheses group as written', async () => {
    expect(await total(`ip:${T.c2.ip}`)).toBe(T.c2.connections + T.beaconAlert.count);
    expect(await total(`(dataset:zeek.conn OR dataset:suricata.alert) AND ip:${T.c2.ip}`)).toBe(T.c2.connections + T.beaconAlert.count);
    expect(await total(`dataset:zeek.conn OR dataset:suricata.alert AND ip:${T.c2.ip}`)).toBe((await total('dataset:zeek.conn')) + T.beaconAlert.count);
    expect(await total(`event_code:(4624 OR 4625) AND src_ip:${T.bruteForce.ip}`)).toBe(51);
  });

  it('rejects unknown fields and bad syntax with a position and a suggestion, never raw SQL', async () => {
    const e = await errorOf(search('event_code:4625 AND TargetUsrName:admin'));
    expect(e.code).toBe('QUERY_ERROR');
    expect(e.message).toContain('did you mean "TargetUserName"');
    expect(e.message).toContain('at 21-33');
    const c = await call(engine.handlers, 'checkQuery', { query: 'event_code:4625 AND TargetUsrName:admin' });
    expect(c).toEqual({ ok: false, problem: { message: expect.stringContaining('Unknown field'), start: 20, end: 33, suggestion: 'TargetUserName' } });
    expect((await errorOf(search('dst_port:abc'))).message).toMatch(/number/);
    expect((await errorOf(search('(a OR'))).code).toBe('QUERY_ERROR');
    expect(await call(engine.handlers, 'checkQuery', { query: 'host:x' })).toEqual({ ok: true, problem: null });
    // Hostile identifiers and values are data, not SQL.
    expect(await total(`"'; DROP TABLE events; --"`)).toBe(0);
    expect((await errorOf(search('x"y:1'))).code).toBe('QUERY_ERROR');
    expect(await sqlCount('SELECT count(*) AS n FROM events')).toBe(EVENTS);
  });
});

describe('pages, histogram and field statistics', () => {
  it('pages forward and back by keyset in the same order as one ORDER BY', async () => {
    const query = 'dataset:web.access OR dataset:linux.auth';
    const hand = (await sql(`SELECT id FROM events WHERE dataset IN ('web.access', 'linux.auth') ORDER BY ts DESC NULLS LAST, id DESC`)).map((r) => Number(r.id));
    const seen: number[] = [];
    let after: Cursor | undefined;
    const pages: { first: Cursor | null; ids: number[] }[] = [];
    for (let i = 0; i < 100; i++) {
      const p = await search(query, { limit: 997, count: false, ...(after ? { after } : {}) });
      seen.push(...p.rows.map((r) => Number(r.id)));
      pages.push({ first: p.first, ids: p.rows.map((r) => Number(r.id)) });
      if (!p.hasMoreAfter) break;
      after = p.last ?? undefined;
    }
    expect(seen).toEqual(hand);
    // The null-time rows come last, and a page that starts among them still pages back correctly.
    const last = pages[pages.length - 1] as { first: Cursor | null; ids: number[] };
    const back = await search(query, { limit: 997, before: last.first ?? undefined });
    expect(back.rows.map((r) => Number(r.id))).toEqual(pages[pages.length - 2]?.ids);
  });

  it('sorts by another column with nulls last, in both directions, and jumps by offset and time', async () => {
    for (const dir of ['asc', 'desc'] as const) {
      const hand = (await sql(`SELECT id FROM events WHERE host = 'web01' ORDER BY severity ${dir} NULLS LAST, id ${dir}`)).map((r) => Number(r.id));
      const ids: number[] = [];
      let after: Cursor | undefined;
      for (let i = 0; i < 100; i++) {
        const p = await search('host:web01', { limit: 1000, sort: { column: 'severity', dir }, ...(after ? { after } : {}) });
        ids.push(...p.rows.map((r) => Number(r.id)));
        if (!p.hasMoreAfter) break;
        after = p.last ?? undefined;
      }
      expect(ids).toEqual(hand);
      const jump = await search('host:web01', { limit: 10, offset: 3000, sort: { column: 'severity', dir } });
      expect(jump.rows.map((r) => Number(r.id))).toEqual(hand.slice(3000, 3010));
    }
    const at = await search('', { at: '2024-03-12T06:00:00Z', sort: { column: 'ts', dir: 'asc' }, limit: 1 });
    expect(String(at.rows[0]?.ts) >= '2024-03-12T06:00:00').toBe(true);
    const prev = await search('', { before: at.first ?? undefined, sort: { column: 'ts', dir: 'asc' }, limit: 1 });
    expect(String(prev.rows[0]?.ts) < '2024-03-12T06:00:00').toBe(true);
  });

  it('jumps far into a time-ordered result by bucket counts, landing on the same rows as OFFSET', async () => {
    for (const dir of ['asc', 'desc'] as const) {
      for (const [query, where] of [
        ['', 'TRUE'],
        ['dataset:web.access OR dataset:zeek.conn', "dataset IN ('web.access', 'zeek.conn')"],
      ] as const) {
        const hand = (await sql(`SELECT id FROM events WHERE ${where} ORDER BY ts ${dir} NULLS LAST, id ${dir}`)).map((r) => Number(r.id));
        for (const offset of [5000, 7777, hand.length - 50, hand.length - 3]) {
          const p = await search(query, { offset, limit: 100, sort: { column: 'ts', dir } });
          expect(p.rows.map((r) => Number(r.id))).toEqual(hand.slice(offset, offset + 100));
          expect(p.hasMoreAfter).toBe(offset + 100 < hand.length);
        }
      }
    }
  });

  it('counts a histogram that adds up to the total, with a round bucket size', async () => {
    const h = await call(engine.handlers, 'histogram', { query: 'dataset:web.access', split: 'dataset' });
    const webTotal = await total('dataset:web.access');
    expect(h.total).toBe(webTotal);
    expect(h.noTime).toBe(T.noTime);
    expect(h.buckets.reduce((s, b) => s + b.count, 0)).toBe(webTotal - T.noTime);
    expect(h.interval).toBe('1 h');
    expect(h.series?.[0]?.name).toBe('web.access');
    // A burst (51 logons in two minutes) is re-counted over its own span rather than drawn as one bar of three days.
    const burst = await call(engine.handlers, 'histogram', { query: `src_ip:${T.bruteForce.ip}` });
    expect(burst.total).toBe(51);
    expect(burst.bucketMs).toBeLessThanOrEqual(60_000);
    expect(burst.buckets.reduce((s, b) => s + b.count, 0)).toBe(51);
    expect(burst.buckets.filter((b) => b.count > 0).length).toBeGreaterThanOrEqual(3);
    const narrow = await call(engine.handlers, 'histogram', { query: '', from: '2024-03-12T06:00:00Z', to: '2024-03-12T06:10:00Z' });
    expect(narrow.bucketMs).toBe(10_000);
    expect(narrow.buckets.length).toBe(60);
  });

  it('reports top values, distinct count and null ratio for core and original fields', async () => {
    const ds = await call(engine.handlers, 'fieldStats', { query: '', field: 'dataset' });
    expect(ds).toMatchObject({ origin: 'core', total: EVENTS, present: EVENTS, nullRatio: 0, distinct: 6 });
    expect(ds.top.reduce((s, t) => s + t.count, 0)).toBe(EVENTS);
    const sig = await call(engine.handlers, 'fieldStats', { query: `ip:${T.c2.ip}`, field: 'alert.signature' });
    expect(sig).toMatchObject({ origin: 'original', total: T.c2.connections + T.beaconAlert.count, present: T.beaconAlert.count, distinct: 1, top: [{ value: T.beaconAlert.signature, count: T.beaconAlert.count }] });
    expect(sig.nullRatio).toBeCloseTo(T.c2.connections / (T.c2.connections + T.beaconAlert.count));
    const user = await call(engine.handlers, 'fieldStats', { query: `src_ip:${T.bruteForce.ip}`, field: 'TargetUserName', limit: 3 });
    expect(user.top).toEqual([{ value: T.bruteForce.user, count: 51 }]);
    expect((await errorOf(call(engine.handlers, 'fieldStats', { query: '', field: 'nope_field' }))).code).toBe('QUERY_ERROR');
  });

  it('combines an original-field query (a semi-join) with stats, histogram, sorting and paging', async () => {
    const q = `TargetUserName:${T.bruteForce.user} AND NOT event_code:4624`;
    const ip = await call(engine.handlers, 'fieldStats', { query: q, field: 'IpAddress' });
    expect(ip).toMatchObject({ total: T.bruteForce.failed, present: T.bruteForce.failed, distinct: 1, top: [{ value: T.bruteForce.ip, count: T.bruteForce.failed }] });
    const host = await call(engine.handlers, 'fieldStats', { query: q, field: 'host' });
    expect(host.top).toEqual([{ value: T.bruteForce.host, count: T.bruteForce.failed }]);
    const h = await call(engine.handlers, 'histogram', { query: q, split: 'dataset' });
    expect(h.total).toBe(T.bruteForce.failed);
    const asc = await search(q, { limit: 20, sort: { column: 'ts', dir: 'asc' } });
    const next = await search(q, { limit: 20, sort: { column: 'ts', dir: 'asc' }, after: asc.last ?? undefined });
    const rest = await search(q, { limit: 20, sort: { column: 'ts', dir: 'asc' }, after: next.last ?? undefined });
    const ids = [...asc.rows, ...next.rows, ...rest.rows].map((r) => Number(r.id));
    expect(new Set(ids).size).toBe(T.bruteForce.failed);
    expect(rest.hasMoreAfter).toBe(false);
    // An original field ORed with a core one (not top-level: an IN subquery per source).
    expect(await total(`TargetUserName:${T.bruteForce.user} OR dst_ip:${T.c2.ip}`)).toBe(51 + T.c2.connections + T.beaconAlert.count);
  });

  it('suggests field names with their sources, and values', async () => {
    const f = await call(engine.handlers, 'suggestFields', { prefix: 'Target' });
    expect(f.map((x) => x.name)).toEqual(['TargetDomainName', 'TargetUserName']);
    expect(f[1]).toMatchObject({ name: 'TargetUserName', origin: 'original', sources: 2, datasets: ['windows.security'] });
    expect((await call(engine.handlers, 'suggestFields', { prefix: 'src' })).map((x) => x.name)).toEqual(expect.arrayContaining(['src_ip', 'src_port', 'src']));
    const v = await call(engine.handlers, 'suggestValues', { field: 'dataset', prefix: 'win' });
    expect(v).toEqual([{ value: 'windows.security', count: expect.any(Number) }]);
  });
});

describe('detail, timeline, context and marks', () => {
  it('shows every field of one event, its raw record and its source file and position', async () => {
    const hit = (await search('CommandLine:*-enc*', { limit: 1 })).rows[0] as EventRow;
    const d = await call(engine.handlers, 'eventDetail', { id: Number(hit.id) });
    expect(d.fields.find((f) => f.name === 'CommandLine')).toMatchObject({ origin: 'source', value: expect.stringContaining(T.encodedPowershell.marker) });
    expect(d.fields.find((f) => f.name === 'dataset')).toMatchObject({ origin: 'core', value: 'sysmon' });
    expect(d.fields.some((f) => f.name === 'DestinationIp' && f.value === null)).toBe(false);
    expect(d.source).toMatchObject({ path: expect.stringContaining('Sysmon'), format: 'evtx', table: 'src_3' });
    expect(d.source?.pos).toBeGreaterThan(0);
    const line = (await search('dataset:linux.auth', { limit: 1 })).rows[0] as EventRow;
    const ld = await call(engine.handlers, 'eventDetail', { id: Number(line.id) });
    expect(ld.raw).toMatch(/web01 \w+/);
    expect(ld.source?.path).toContain('auth.log');
    expect((await errorOf(call(engine.handlers, 'eventDetail', { id: 99_999_999 }))).code).toBe('NOT_FOUND');
  });

  it('shows context around one event on the same host or the whole case, and a timeline around a time', async () => {
    const hit = (await search(`src_ip:${T.bruteForce.ip} AND event_code:4624`)).rows[0] as EventRow;
    const ctx = await call(engine.handlers, 'context', { id: Number(hit.id), scope: 'host', before: 5, after: 5 });
    expect(ctx.rows[ctx.anchorIndex]?.id).toBe(hit.id);
    expect(ctx.rows.every((r) => r.host === T.bruteForce.host)).toBe(true);
    expect(ctx.rows.length).toBe(11);
    const ts = ctx.rows.map((r) => String(r.ts));
    expect([...ts].sort()).toEqual(ts);
    const wide = await call(engine.handlers, 'context', { id: Number(hit.id), scope: 'case', before: 3, after: 3 });
    expect(wide.rows[wide.anchorIndex]?.id).toBe(hit.id);
    const tl = await call(engine.handlers, 'timeline', { query: '', at: '2024-03-12T06:00:00Z', before: 10, after: 10 });
    expect(tl.rows).toHaveLength(20);
    expect(String(tl.rows[tl.anchorIndex - 1]?.ts) < '2024-03-12T06:00:00').toBe(true);
    expect(String(tl.rows[tl.anchorIndex]?.ts) >= '2024-03-12T06:00:00').toBe(true);
    expect(new Set(tl.rows.map((r) => r.dataset)).size).toBeGreaterThan(1);
  });

  it('stars and tags events, finds them by starred: and tag:, and keeps saved searches', async () => {
    const rows = (await search(`src_ip:${T.bruteForce.ip}`, { limit: 3 })).rows;
    const ids = rows.map((r) => Number(r.id));
    for (const id of ids) await call(engine.handlers, 'setStar', { id, starred: true, note: 'brute force' });
    await call(engine.handlers, 'setStar', { id: ids[2] as number, starred: false });
    await call(engine.handlers, 'setTags', { id: ids[0] as number, tags: ['brute-force', 'initial-access', 'brute-force'] });
    expect(await total('starred:true')).toBe(2);
    expect(await total('tag:brute*')).toBe(1);
    expect(await total('NOT starred:true')).toBe(EVENTS - 2);
    const page = await search('starred:true');
    expect(page.rows.find((r) => r.id === ids[0])).toMatchObject({ starred: true, tags: ['brute-force', 'initial-access'] });
    const d = await call(engine.handlers, 'eventDetail', { id: ids[0] as number });
    expect(d).toMatchObject({ starred: true, note: 'brute force', tags: ['brute-force', 'initial-access'] });
    expect(await call(engine.handlers, 'listTags', {})).toEqual([
      { tag: 'brute-force', count: 1 },
      { tag: 'initial-access', count: 1 },
    ]);
    expect((await errorOf(call(engine.handlers, 'setStar', { id: 99_999_999, starred: true }))).code).toBe('NOT_FOUND');
    expect((await errorOf(call(engine.handlers, 'setTags', { id: ids[0] as number, tags: ['has space'] }))).code).toBe('BAD_INPUT');

    const s = await call(engine.handlers, 'saveSearch', { name: 'brute force', query: `src_ip:${T.bruteForce.ip}`, from: 'now-7d' });
    await call(engine.handlers, 'saveSearch', { name: 'brute force', query: `src_ip:${T.bruteForce.ip} event_code:4625` });
    const list = await call(engine.handlers, 'listSavedSearches', {});
    expect(list).toEqual([{ id: s.id, name: 'brute force', query: `src_ip:${T.bruteForce.ip} event_code:4625`, from: null, to: null, createdAt: expect.any(String) }]);
    expect((await errorOf(call(engine.handlers, 'saveSearch', { name: 'broken', query: '(a OR' }))).code).toBe('QUERY_ERROR');
    expect(await call(engine.handlers, 'deleteSavedSearch', { id: s.id })).toEqual({ deleted: true });
    expect(await call(engine.handlers, 'listSavedSearches', {})).toEqual([]);
  });
});

describe('fields the catalog learns later', () => {
  it('finds a column added to a source after the first search, even one with a space in its name', async () => {
    expect((await errorOf(search('"Source IP":1.2.3.4'))).message).toContain('Unknown field');
    await engine.case.conn.run(`ALTER TABLE src_8 ADD COLUMN "Source IP" VARCHAR; UPDATE src_8 SET "Source IP" = client_ip`);
    expect(await total(`"Source IP":${T.sqli.ip}`)).toBe(await sqlCount(`SELECT count(*) AS n FROM src_8 WHERE client_ip = '${T.sqli.ip}'`));
    expect(await total(`"source ip":192.0.2.0/24`)).toBe(await total(`"Source IP":${T.sqli.ip}`));
  });
});

describe('cancel and timeout', () => {
  const slow = 'SELECT count(*) AS n FROM range(3000000000) a WHERE hash(a.range) % 7 = 3';
  it('cancels a running query by id', async () => {
    const running = call(engine.handlers, 'sqlQuery', { sql: slow, queryId: 'q-slow' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await call(engine.handlers, 'cancelQuery', { queryId: 'q-slow' })).toEqual({ cancelled: true });
    const e = await errorOf(running);
    expect(e.code).toBe('CANCELLED');
    expect(await call(engine.handlers, 'cancelQuery', { queryId: 'q-slow' })).toEqual({ cancelled: false });
  });

  it('closing the case stops a running query first (and does not hang)', async () => {
    const other = new Engine({ host: 'test' });
    await other.useCase(join(tmp.dir, 'closing'), { mode: 'create' });
    const running = call(other.handlers, 'sqlQuery', { sql: slow });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await other.close();
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((await errorOf(running)).code).toBe('CANCELLED');
  });

  it('stops a query at its timeout with a clear message', async () => {
    const e = await errorOf(call(engine.handlers, 'sqlQuery', { sql: slow, timeoutMs: 300 }));
    expect(e.code).toBe('QUERY_TIMEOUT');
    expect(e.message).toMatch(/took longer than/);
  });
});

describe('SQL console is read-only and cannot touch files or settings', () => {
  const refused: [string, string][] = [
    ['COPY', `COPY events TO '${join(LEAK, 'leak.csv')}'`],
    ['COPY subquery', `COPY (SELECT 1) TO '${join(LEAK, 'leak.csv')}'`],
    ['read_csv', `SELECT * FROM read_csv('/etc/passwd')`],
    ['read_csv_auto', `SELECT * FROM read_csv_auto('/etc/passwd')`],
    ['read_json', `SELECT * FROM read_json('/etc/hostname')`],
    ['read_parquet', `SELECT * FROM read_parquet('/tmp/x.parquet')`],
    ['read_text', `SELECT * FROM read_text('/etc/hostname')`],
    ['glob', `SELECT * FROM glob('/etc/*')`],
    ['replacement scan', `SELECT * FROM '/etc/passwd'`],
    ['file in a subquery', `SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS n`],
    ['file in a CTE', `WITH x AS (SELECT * FROM '/etc/hosts') SELECT * FROM x`],
    ['ATTACH', `ATTACH '${join(LEAK, 'other.duckdb')}' AS o`],
    ['DETACH', `DETACH o`],
    ['INSTALL', `INSTALL inet`],
    ['LOAD', `LOAD inet`],
    ['SET', `SET enable_external_access = true`],
    ['RESET', `RESET threads`],
    ['PRAGMA', `PRAGMA threads=1`],
    ['CREATE', `CREATE TABLE x (a INTEGER)`],
    ['CREATE VIEW', `CREATE VIEW v AS SELECT 1`],
    ['INSERT', `INSERT INTO bookmarks VALUES (1, now(), NULL)`],
    ['UPDATE', `UPDATE events SET host = 'x'`],
    ['DELETE', `DELETE FROM events`],
    ['DROP', `DROP TABLE events`],
    ['ALTER', `ALTER TABLE events ADD COLUMN x INTEGER`],
    ['multiple statements', `SELECT 1; DROP TABLE events`],
    ['EXPORT DATABASE', `EXPORT DATABASE '${join(LEAK, 'export')}'`],
    ['IMPORT DATABASE', `IMPORT DATABASE '${join(LEAK, 'export')}'`],
    ['CHECKPOINT', `CHECKPOINT`],
    ['getenv', `SELECT getenv('HOME')`],
    ['query()', `SELECT * FROM query('SELECT 1')`],
    ['query_table()', `SELECT * FROM query_table('events')`],
    ['settings', `SELECT * FROM duckdb_settings()`],
    ['other catalog', `SELECT * FROM other.main.events`],
    ['system', `CALL pragma_version()`],
  ];
  for (const [what, text] of refused) {
    it(`refuses ${what}`, async () => {
      const e = await errorOf(call(engine.handlers, 'sqlQuery', { sql: text }));
      expect(['REFUSED', 'QUERY_ERROR']).toContain(e.code);
      if (what !== 'DETACH' && what !== 'other catalog') expect(e.code).toBe('REFUSED');
    });
  }

  it('left nothing behind and the case is intact', async () => {
    expect(existsSync(join(LEAK, 'leak.csv'))).toBe(false);
    expect(existsSync(join(LEAK, 'export'))).toBe(false);
    expect(existsSync(LEAK)).toBe(false);
    expect(await sqlCount('SELECT count(*) AS n FROM events')).toBe(EVENTS);
    expect(await sqlCount("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'x'")).toBe(0);
  });

  it('answers a SELECT in the table shape, with types and truncation', async () => {
    const r = await call(engine.handlers, 'sqlQuery', { sql: 'SELECT dataset, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC, dataset', limit: 2 });
    expect(r).toMatchObject({ total: 2, columns: ['dataset', 'n'], types: ['VARCHAR', 'BIGINT'], truncated: true, rows: [{ dataset: 'windows.security', n: expect.any(Number) }, expect.anything()] });
    const j = await call(engine.handlers, 'sqlQuery', { sql: `SELECT s."alert.signature" AS sig, e.ts FROM events e JOIN src_7 s ON s.rid = e.rid AND e.source_id = 7 WHERE s."alert.signature" LIKE '%Cobalt%'` });
    expect(j.total).toBe(T.beaconAlert.count);
    const bad = await errorOf(call(engine.handlers, 'sqlQuery', { sql: 'SELEC 1' }));
    expect(bad.code).toBe('QUERY_ERROR');
  });
});
