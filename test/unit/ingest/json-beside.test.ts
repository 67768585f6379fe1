import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/main/engine/service/engine';
import { corpusMissing, corpusPath } from '../../corpus';
import { tempDir } from '../../helpers';
import { expectNoRows, expectReconciled, fieldTable, freshEngine, followConnections, importAndWait, onImportRun, sql } from './import-helpers';

/**
 * A JSON file read whole into a table of its own has its events core computed
 * from the file on a second connection while the field table loads, staged in
 * a Parquet file and loaded into the same transaction (json-loader.ts,
 * source-events.ts). What the case holds must not depend on it: these tests
 * import the same files both ways (`eventsBesideMinColumns` 1 and 0) and compare.
 */
let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const BAD_TIMES = new Set([7, 1500, 2999]);

/** Suricata-like events with addresses that need canonicalising and a few times that do not parse. */
function writeEvents(file: string, count: number): void {
  const out: string[] = [];
  const odd = ['::ffff:10.0.0.1', '[2001:0db8::0001]', '-', '192.168.001.010'];
  for (let i = 0; i < count; i++) {
    const timestamp = BAD_TIMES.has(i) ? `not a time ${i}` : `2024-05-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000+0000`;
    const rec: Record<string, unknown> = { timestamp, flow_id: 1000 + i, src_ip: i % 10 === 0 ? odd[(i / 10) % odd.length] : `10.0.${i % 250}.${i % 200}`, src_port: 1024 + (i % 5000), dest_ip: '192.168.1.1', dest_port: 53, proto: 'UDP' };
    if (i % 2 === 0) Object.assign(rec, { event_type: 'dns', dns: { type: 'query', rrname: `host${i}.example`, id: i } });
    else Object.assign(rec, { event_type: 'alert', alert: { signature: `sig ${i % 17}`, severity: (i % 3) + 1, score: i + 0.5 } });
    out.push(JSON.stringify(rec));
  }
  writeFileSync(file, out.join('\n') + '\n');
}

function tmp(): string {
  const t = tempDir('loupe-beside-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const text = (rows: unknown[]): string => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

/** Every row the evidence put in the case, as text: field table (rid order), events, warnings. */
async function contents(engine: Engine, evidenceId: number): Promise<{ columns: string[]; fields: string; events: string; errors: string }> {
  const table = await fieldTable(engine, evidenceId);
  const cols = await sql(engine, `SELECT column_name FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position`, { t: table });
  return {
    columns: cols.map((c) => String(c.column_name)),
    fields: text(await sql(engine, `SELECT * EXCLUDE (evidence_id) FROM "${table}" ORDER BY rid`)),
    events: text(await sql(engine, `SELECT * EXCLUDE (evidence_id, source_id) FROM events WHERE evidence_id = $id ORDER BY id`, { id: evidenceId })),
    errors: text(await sql(engine, `SELECT pos, pos_kind, kind, reason, excerpt FROM ingest_errors WHERE evidence_id = $id ORDER BY pos, reason`, { id: evidenceId })),
  };
}

/** SQL the import ran on the connections it opened (the main one and the one beside). */
function recordSql(engine: Engine): string[] {
  const seen: string[] = [];
  onImportRun(engine, (q, params, run) => {
    seen.push(q);
    return run(q, params as Parameters<typeof run>[1]);
  });
  return seen;
}

/** Scratch files left in the case's tmp/. */
function scratchLeft(engine: Engine): string[] {
  const dir = engine.case.tmpDir;
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((n) => n.includes('events.parquet')) : [];
}

async function importBothWays(file: string): Promise<{ beside: Awaited<ReturnType<typeof contents>>; after: Awaited<ReturnType<typeof contents>>; besideSql: string[]; warnings: number[] }> {
  const results: Array<Awaited<ReturnType<typeof contents>>> = [];
  const warnings: number[] = [];
  let besideSql: string[] = [];
  for (const eventsBeside of [true, false]) {
    // shareMaxBytes 0: every file gets a table of its own; no halves; beside whatever the width.
    const f = await freshEngine({ eventsBesideMinColumns: eventsBeside ? 1 : 0, shareMaxBytes: 0, splitJsonMinBytes: 0, jsonJsMaxBytes: 0 });
    cleanups.push(f.cleanup);
    const ran = recordSql(f.engine);
    const s = await importAndWait(f.engine, { paths: [file] });
    expect(s.files[0]?.status).toBe('imported');
    await expectReconciled(f.engine, s);
    warnings.push(s.files[0]?.warnings ?? -1);
    results.push(await contents(f.engine, s.files[0]?.evidenceId as number));
    expect(scratchLeft(f.engine)).toEqual([]);
    if (eventsBeside) besideSql = ran;
  }
  return { beside: results[0] as never, after: results[1] as never, besideSql, warnings };
}

describe('the events core computed beside the field table', () => {
  it('stores the same field table, events and time warnings as computing it from the committed table', async () => {
    const file = join(tmp(), 'eve.json');
    writeEvents(file, 3000);
    const { beside, after, besideSql, warnings } = await importBothWays(file);
    // It did stage the events beside, and the file went in one transaction: no COMMIT before the events.
    const copy = besideSql.findIndex((q) => /^COPY \(/.test(q) && q.includes('events.parquet'));
    expect(copy).toBeGreaterThanOrEqual(0);
    const load = besideSql.findIndex((q) => /INSERT INTO events/.test(q) && q.includes('read_parquet'));
    expect(load).toBeGreaterThan(copy);
    const table = besideSql.findIndex((q) => /^CREATE TABLE "src_\d+"/.test(q));
    expect(besideSql.slice(table, load).filter((q) => q === 'COMMIT')).toEqual([]);
    expect(beside.columns).toEqual(after.columns);
    expect(beside.fields).toBe(after.fields);
    expect(beside.events).toBe(after.events);
    expect(beside.errors).toBe(after.errors);
    expect(warnings).toEqual([BAD_TIMES.size, BAD_TIMES.size]);
    // Addresses canonicalised as the format layer does it; a time not understood is a warning at its record.
    const events = JSON.parse(beside.events) as Array<{ pos: string; src_ip: string | null; ts: unknown }>;
    expect(events.slice(0, 41).filter((_, i) => i % 10 === 0).map((e) => e.src_ip)).toEqual(['10.0.0.1', '2001:db8::1', null, '192.168.1.10', '10.0.0.1']);
    expect(events.filter((e) => e.ts === null).map((e) => Number(e.pos))).toEqual([...BAD_TIMES].map((i) => i + 1));
    expect(JSON.parse(beside.errors)).toContainEqual({ pos: 1501, pos_kind: 'record', kind: 'warning', reason: 'time not understood: not a time 1500', excerpt: null });
  });

  it('gives the same rows for a file that is one JSON array', async () => {
    const dir = tmp();
    const lines = join(dir, 'eve.json');
    writeEvents(lines, 2000);
    const file = join(dir, 'events-array.json');
    writeFileSync(file, `[\n${readFileSync(lines, 'utf8').trim().split('\n').join(',\n')}\n]\n`);
    const { beside, after, besideSql } = await importBothWays(file);
    expect(besideSql.some((q) => /^COPY \(/.test(q) && q.includes("format='array'"))).toBe(true);
    expect(beside.fields).toBe(after.fields);
    expect(beside.events).toBe(after.events);
    expect(beside.errors).toBe(after.errors);
  });

  const SECURITY_EVTX = 'evtx/evtx-rs-samples/security.evtx';
  it.skipIf(corpusMissing(SECURITY_EVTX))('gives the same rows for an EVTX file, whose records go through the JSON loader', async () => {
    const { beside, after, besideSql } = await importBothWays(corpusPath(SECURITY_EVTX));
    expect(besideSql.some((q) => /^COPY \(/.test(q) && q.includes('events.parquet'))).toBe(true);
    expect(beside.columns).toEqual(after.columns);
    expect(beside.fields).toBe(after.fields);
    expect(beside.events).toBe(after.events);
    expect(beside.errors).toBe(after.errors);
  });
});

describe('which files get their events core beside', () => {
  it('only a table of at least eventsBesideMinColumns columns: narrower ones take theirs from the committed table', async () => {
    const file = join(tmp(), 'eve.json');
    writeEvents(file, 500);
    const staged: boolean[] = [];
    // The file makes 14 field columns.
    for (const eventsBesideMinColumns of [15, 14]) {
      const f = await freshEngine({ eventsBesideMinColumns, shareMaxBytes: 0, splitJsonMinBytes: 0, jsonJsMaxBytes: 0 });
      cleanups.push(f.cleanup);
      const ran = recordSql(f.engine);
      const s = await importAndWait(f.engine, { paths: [file] });
      expect(s.files[0]?.status).toBe('imported');
      expect((await contents(f.engine, s.files[0]?.evidenceId as number)).columns).toHaveLength(14 + 2);
      staged.push(ran.some((q) => /^COPY \(/.test(q) && q.includes('events.parquet')));
    }
    expect(staged).toEqual([false, true]);
  });
});

/** A fresh engine that stages every JSON file's events beside, and a 3000-event file for it. */
async function besideEngine(): Promise<{ engine: Engine; file: string }> {
  const file = join(tmp(), 'eve.json');
  writeEvents(file, 3000);
  const f = await freshEngine({ eventsBesideMinColumns: 1, shareMaxBytes: 0, splitJsonMinBytes: 0, jsonJsMaxBytes: 0 });
  cleanups.push(f.cleanup);
  return { engine: f.engine, file };
}

describe('cancelling while the events are staged beside', () => {
  it('keeps nothing of the file, removes the scratch file and lets the second connection go', async () => {
    const { engine, file } = await besideEngine();
    let importId = 0;
    let staging = false;
    onImportRun(engine, async (q, params, run) => {
      if (!staging && /^COPY \(/.test(q) && q.includes('events.parquet')) {
        staging = true;
        await engine.imports.cancel(importId);
        throw new Error('INTERRUPT Error: Interrupted!');
      }
      return run(q, params as Parameters<typeof run>[1]);
    });
    const { opened, released } = followConnections(engine);
    importId = await engine.imports.start({ paths: [file] });
    const s = await engine.imports.wait(importId);
    expect(staging).toBe(true);
    expect(opened.length).toBeGreaterThanOrEqual(2);
    expect(opened.filter((c) => !released.has(c))).toEqual([]);
    expect(s.files[0]?.status).toBe('cancelled');
    await expectNoRows(engine);
    expect(scratchLeft(engine)).toEqual([]);
    const again = await importAndWait(engine, { paths: [file], force: true });
    expect(again.files[0]).toMatchObject({ status: 'imported', stored: 3000, warnings: BAD_TIMES.size });
  });
});

describe('a failure once the field table is loaded', () => {
  it('rolls the whole file back (one transaction) and reads it record by record instead: complete, nothing twice', async () => {
    const { engine, file } = await besideEngine();
    let failed = false;
    onImportRun(engine, async (q, params, run) => {
      if (!failed && /INSERT INTO events/.test(q) && q.includes('read_parquet')) {
        failed = true;
        throw new Error('IO Error: No space left on device');
      }
      return run(q, params as Parameters<typeof run>[1]);
    });
    const s = await importAndWait(engine, { paths: [file] });
    expect(failed).toBe(true);
    expect(s.files[0]).toMatchObject({ status: 'imported', seen: 3000, stored: 3000, rejected: 0 });
    await expectReconciled(engine, s);
    // The first attempt's table went with its transaction: one table, each record once.
    expect(await sql(engine, 'SELECT count(*) AS n FROM sources')).toEqual([{ n: 1 }]);
    expect(await sql(engine, 'SELECT count(DISTINCT pos) AS n FROM events')).toEqual([{ n: 3000 }]);
    const [ev] = await sql(engine, 'SELECT format_reason FROM evidence WHERE id = $id', { id: s.files[0]?.evidenceId as number });
    expect(String(ev?.format_reason)).toContain('read record by record');
    expect(scratchLeft(engine)).toEqual([]);
  });
});
