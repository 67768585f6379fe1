import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mergeJsonSchemas, type JsonSchema } from '../../../src/main/engine/ingest/json-schema-merge';
import { typeSql } from '../../../src/main/engine/ingest/json-loader';
import { splitNdjsonInHalves } from '../../../src/main/engine/ingest/ndjson-halves';
import type { Engine } from '../../../src/main/engine/service/engine';
import { corpusMissing, corpusPath } from '../../corpus';
import { tempDir } from '../../helpers';
import { expectNoRows, expectReconciled, fieldTable, freshEngine, followConnections, importAndWait, onImportRun, sql } from './import-helpers';

/**
 * Big NDJSON files are cut in two and read_json reads the halves side by
 * side on two connections (ndjson-halves.ts, json-schema-merge.ts,
 * json-loader.ts). What the case holds must not depend on it: these tests
 * import the same files both ways and compare every row.
 */
let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function tmp(): string {
  const t = tempDir('loupe-halves-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('cutting an NDJSON file in two', () => {
  it('cuts after a whole number of record groups, not counting blank lines, and loses no byte', async () => {
    const dir = tmp();
    const file = join(dir, 'in.ndjson');
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      lines.push(JSON.stringify({ n: i, pad: 'x'.repeat(i % 7) }));
      if (i % 9 === 0) lines.push(i % 2 === 0 ? '' : '\r');
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const size = readFileSync(file).length;
    const cut = await splitNdjsonInHalves(file, size, dir, 'c', 10);
    expect(cut).not.toBeNull();
    const [a, b] = (cut?.files ?? []).map((f) => readFileSync(f));
    expect(Buffer.concat([a as Buffer, b as Buffer]).equals(readFileSync(file))).toBe(true);
    const records = (a as Buffer).toString('utf8').split('\n').filter((l) => l.trim().length > 0);
    expect(records.length % 10).toBe(0);
    // The group end nearest the middle: 50 records of 100 (their lengths vary little).
    expect(records.length).toBe(50);
    expect(JSON.parse(records.at(-1) as string).n).toBe(49);
  });

  it('does not cut a file without a record group ending in its middle half', async () => {
    const dir = tmp();
    const file = join(dir, 'in.ndjson');
    // 9 records with groups of 10; and 10 records, whose only group ends at the end.
    for (const n of [9, 10]) {
      const text = Array.from({ length: n }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n';
      writeFileSync(file, text);
      expect(await splitNdjsonInHalves(file, text.length, dir, 'c', 10)).toBeNull();
    }
  });

  it('does not cut a file that is one line', async () => {
    const dir = tmp();
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, JSON.stringify({ a: 'x'.repeat(1000) }));
    expect(await splitNdjsonInHalves(file, 1008, dir, 'c', 10)).toBeNull();
  });
});

describe('merging the halves’ schemas', () => {
  let inst: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    inst = await DuckDBInstance.create(':memory:');
    conn = await inst.connect();
  });
  afterAll(() => {
    conn.closeSync();
    inst.closeSync();
  });

  async function probe(file: string): Promise<JsonSchema> {
    const r = await conn.run(
      `SELECT * FROM read_json('${file}', format='newline_delimited', records=true, sample_size=-1, map_inference_threshold=-1, dateformat='%not-a-date', timestampformat='%not-a-date') LIMIT 0`,
    );
    return { names: r.columnNames(), types: r.columnTypes() };
  }
  const shape = (s: JsonSchema): string[] => s.names.map((n, i) => `${n}: ${typeSql(s.types[i] as never)}`);

  // Each case: the first half's records, the second's, and whether the halves must merge.
  const cases: Array<[string, unknown[], unknown[], boolean]> = [
    ['same fields', [{ a: 1, b: 'x' }], [{ a: 2, b: 'y' }], true],
    ['fields only one half has, at the top and nested', [{ a: 1, alert: { sig: 'x' } }], [{ c: true, alert: { sig: 'y', rev: 2 }, dns: { q: 'z' } }], true],
    ['an integer in one half, a fraction in the other', [{ a: 1, s: { v: 2 } }], [{ a: 1.5, s: { v: 2.5 } }], true],
    ['an integer, then one past BIGINT', [{ a: -1 }], ['{"a": 18446744073709551615}'], true],
    ['UUIDs, then other text', [{ id: '123e4567-e89b-12d3-a456-426614174000' }], [{ id: 'not a uuid' }], true],
    ['lists of structs with different fields', [{ l: [{ x: 1 }] }], [{ l: [{ y: 'q' }] }], true],
    ['a number, then text', [{ a: 1 }], [{ a: 'x' }], false],
    ['only nulls in one half', [{ a: null }], [{ a: 5 }], false],
    ['null inside a struct, then a number', [{ s: { v: null } }], [{ s: { v: 5 } }], false],
    ['an object, then text', [{ a: { b: 1 } }], [{ a: 'x' }], false],
    ['an empty list, then numbers', [{ l: [] }], [{ l: [1, 2] }], false],
  ];

  for (const [name, first, second, merges] of cases) {
    it(`${name}: ${merges ? 'the whole file’s schema' : 'left to the whole file'}`, async () => {
      const dir = tmp();
      const write = (f: string, recs: unknown[]): string => {
        const p = join(dir, f);
        // A string is a record's JSON text as is (numbers JavaScript cannot hold).
        writeFileSync(p, recs.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
        return p;
      };
      const a = await probe(write('a.ndjson', first));
      const b = await probe(write('b.ndjson', second));
      const whole = await probe(write('whole.ndjson', [...first, ...second]));
      const merged = mergeJsonSchemas(a, b);
      if (!merges) {
        expect(merged).toBeNull();
        return;
      }
      expect(merged).not.toBeNull();
      expect(shape(merged as JsonSchema)).toEqual(shape(whole));
    });
  }
});

/** Suricata-like events whose nested objects differ by event type, so each half brings fields the other lacks. */
function writeEveLike(file: string, count: number, opts: { conflictAt?: number } = {}): void {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = { timestamp: `2024-05-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000+0000`, flow_id: 1000 + i, src_ip: `10.0.${i % 250}.${i % 200}`, src_port: 1024 + (i % 5000), dest_ip: '192.168.1.1', dest_port: 53 };
    const kind = i < count / 2 ? i % 3 : 3 + (i % 3);
    const rec: Record<string, unknown> =
      kind === 0
        ? { ...base, event_type: 'dns', dns: { type: 'query', rrname: `host${i}.example`, id: i } }
        : kind === 1
          ? { ...base, event_type: 'alert', alert: { signature: `sig ${i % 17}`, severity: (i % 3) + 1, score: i } }
          : kind === 2
            ? { ...base, event_type: 'flow', flow: { pkts_toserver: i, bytes_toserver: i * 10 } }
            : kind === 3
              ? { ...base, event_type: 'http', http: { hostname: `h${i}`, url: `/p/${i}`, status: 200 } }
              : kind === 4
                ? { ...base, event_type: 'alert', alert: { signature: `sig ${i % 17}`, severity: 2, score: i + 0.5, metadata: { tag: ['a', 'b'] } } }
                : { ...base, event_type: 'tls', tls: { sni: `s${i}.example`, version: 'TLS 1.3' } };
    if (opts.conflictAt !== undefined && i >= opts.conflictAt) rec.src_port = `port-${i}`;
    out.push(JSON.stringify(rec));
  }
  writeFileSync(file, out.join('\n') + '\n');
}

/** Every row of the evidence's field table (rid order) and of its events, as text. */
async function contents(engine: Engine, evidenceId: number): Promise<{ columns: string[]; fields: string; events: string }> {
  const table = await fieldTable(engine, evidenceId);
  const cols = await sql(engine, `SELECT column_name FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position`, { t: table });
  const fields = await sql(engine, `SELECT * EXCLUDE (evidence_id) FROM "${table}" ORDER BY rid`);
  const events = await sql(engine, `SELECT * EXCLUDE (evidence_id, source_id) FROM events WHERE evidence_id = $id ORDER BY id`, { id: evidenceId });
  const text = (rows: unknown[]): string => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return { columns: cols.map((c) => String(c.column_name)), fields: text(fields), events: text(events) };
}

/** SQL the import ran on the connections it opened (the split load opens a second one). */
function recordSql(engine: Engine): string[] {
  const seen: string[] = [];
  onImportRun(engine, (text, params, run) => {
    seen.push(text);
    return run(text, params as Parameters<typeof run>[1]);
  });
  return seen;
}

async function importBothWays(file: string, groupRows = 500): Promise<{ split: Awaited<ReturnType<typeof contents>>; whole: Awaited<ReturnType<typeof contents>>; splitSql: string[]; caseTmp: string }> {
  const results: Array<Awaited<ReturnType<typeof contents>>> = [];
  let splitSql: string[] = [];
  let caseTmp = '';
  for (const splitJsonMinBytes of [1, 0]) {
    const f = await freshEngine({ splitJsonMinBytes, splitJsonGroupRows: groupRows, shareMaxBytes: 0, jsonJsMaxBytes: 0 });
    cleanups.push(f.cleanup);
    const ran = recordSql(f.engine);
    const s = await importAndWait(f.engine, { paths: [file] });
    expect(s.files[0]?.status).toBe('imported');
    await expectReconciled(f.engine, s);
    results.push(await contents(f.engine, s.files[0]?.evidenceId as number));
    if (splitJsonMinBytes === 1) {
      splitSql = ran;
      caseTmp = f.engine.case.tmpDir;
    }
  }
  return { split: results[0] as never, whole: results[1] as never, splitSql, caseTmp };
}

describe('importing a big NDJSON file in two halves', () => {
  it('stores the same field table and events as reading it whole, rid and pos in file order', async () => {
    const dir = tmp();
    const file = join(dir, 'eve.json');
    writeEveLike(file, 3000);
    const { split, whole, splitSql, caseTmp } = await importBothWays(file);
    // It did load the halves side by side, with the schema of both.
    expect(splitSql.filter((q) => /^INSERT INTO "src_\d+"/.test(q) && /-[ab]\.ndjson/.test(q))).toHaveLength(2);
    expect(split.columns).toEqual(whole.columns);
    expect(split.columns).toEqual(expect.arrayContaining(['dns.rrname', 'http.url', 'tls.sni', 'alert.metadata.tag', 'flow.pkts_toserver']));
    expect(split.fields).toBe(whole.fields);
    expect(split.events).toBe(whole.events);
    // The halves were scratch files: gone once the file is in.
    const left = existsSync(caseTmp) ? readdirSync(caseTmp, { recursive: true }).map(String) : [];
    expect(left.filter((n) => n.endsWith('.ndjson'))).toEqual([]);
  });

  it('reads the whole file for its schema when the halves disagree, and still loads the halves side by side, the same rows', async () => {
    const dir = tmp();
    const file = join(dir, 'eve.json');
    // src_port is a number in the first half and text in the second: only the whole file can type it.
    writeEveLike(file, 2000, { conflictAt: 1500 });
    const { split, whole, splitSql } = await importBothWays(file);
    expect(splitSql.some((q) => /sample_size=-1/.test(q) && !/-[ab]\.ndjson/.test(q))).toBe(true);
    expect(splitSql.filter((q) => /^INSERT INTO "src_\d+"/.test(q) && /-[ab]\.ndjson/.test(q))).toHaveLength(2);
    expect(split.columns).toEqual(whole.columns);
    expect(split.fields).toBe(whole.fields);
    expect(split.events).toBe(whole.events);
  });

  it('types a field that is null all through the first half from the whole file', async () => {
    const dir = tmp();
    const file = join(dir, 'eve.json');
    // The first half's schema says JSON (only nulls), the second's VARCHAR: the halves cannot settle it.
    const lines = readFileSync((writeEveLike(file, 2000), file), 'utf8').trim().split('\n');
    writeFileSync(file, `${lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), community_id: i < 1000 ? null : `1:${i}` })).join('\n')}\n`);
    const { split, whole, splitSql } = await importBothWays(file);
    expect(splitSql.some((q) => /sample_size=-1/.test(q) && !/-[ab]\.ndjson/.test(q))).toBe(true);
    expect(splitSql.filter((q) => /^INSERT INTO "src_\d+"/.test(q) && /-[ab]\.ndjson/.test(q))).toHaveLength(2);
    expect(split.fields).toBe(whole.fields);
    expect(split.events).toBe(whole.events);
    expect(JSON.parse(split.fields).at(-1).community_id).toBe('1:1999');
  });
});

/** A fresh engine that cuts any NDJSON file in halves of 500-record groups, and a 3000-event file for it. */
async function splitEngine(): Promise<{ engine: Engine; file: string }> {
  const dir = tmp();
  const file = join(dir, 'eve.json');
  writeEveLike(file, 3000);
  const f = await freshEngine({ splitJsonMinBytes: 1, splitJsonGroupRows: 500, shareMaxBytes: 0, jsonJsMaxBytes: 0 });
  cleanups.push(f.cleanup);
  return { engine: f.engine, file };
}

const SECURITY_EVTX = 'evtx/evtx-rs-samples/security.evtx';

describe('an EVTX file, whose records go through the JSON loader', () => {
  it.skipIf(corpusMissing(SECURITY_EVTX))('loads its records in two halves too, the same rows as whole', async () => {
    const { split, whole, splitSql } = await importBothWays(corpusPath(SECURITY_EVTX), 100);
    expect(splitSql.filter((q) => /^INSERT INTO "src_\d+"/.test(q) && /-[ab]\.ndjson/.test(q))).toHaveLength(2);
    expect(split.columns).toEqual(whole.columns);
    expect(split.fields).toBe(whole.fields);
    expect(split.events).toBe(whole.events);
  });
});

describe('cancelling an import while the halves load', () => {
  it('keeps nothing of the file, removes the halves and lets the second connection go', async () => {
    const { engine, file } = await splitEngine();
    let importId = 0;
    let secondHalf = false;
    onImportRun(engine, async (text, params, run) => {
      if (!secondHalf && /^INSERT INTO "src_\d+"/.test(text) && text.includes('-b.ndjson')) {
        secondHalf = true;
        // The analyst cancels while the second half loads; DuckDB stops the statement.
        await engine.imports.cancel(importId);
        throw new Error('INTERRUPT Error: Interrupted!');
      }
      return run(text, params as Parameters<typeof run>[1]);
    });
    const { opened, released } = followConnections(engine);
    importId = await engine.imports.start({ paths: [file] });
    const s = await engine.imports.wait(importId);
    expect(secondHalf).toBe(true);
    // The import's own connection and the second half's, both given back.
    expect(opened.length).toBeGreaterThanOrEqual(2);
    expect(opened.filter((c) => !released.has(c))).toEqual([]);
    expect(s.state).toBe('cancelled');
    expect(s.files[0]?.status).toBe('cancelled');
    await expectNoRows(engine);
    const tmpLeft = existsSync(engine.case.tmpDir) ? readdirSync(engine.case.tmpDir, { recursive: true }).map(String) : [];
    expect(tmpLeft.filter((n) => n.endsWith('.ndjson'))).toEqual([]);
    // The case still takes the file afterwards, whole.
    const again = await importAndWait(engine, { paths: [file], force: true });
    expect(again.files[0]).toMatchObject({ status: 'imported', stored: 3000 });
  });
});

describe('a half that fails to load', () => {
  it('marks the file failed and keeps none of its rows, though the first half had committed', async () => {
    const { engine, file } = await splitEngine();
    let failed = false;
    onImportRun(engine, async (text, params, run) => {
      // The second half fails once the first has had time to commit.
      if (!failed && /^INSERT INTO "src_\d+"/.test(text) && text.includes('-b.ndjson')) {
        failed = true;
        await new Promise((r) => setTimeout(r, 300));
        throw new Error('IO Error: injected: the disk went away');
      }
      return run(text, params as Parameters<typeof run>[1]);
    });
    const s = await importAndWait(engine, { paths: [file] });
    expect(failed).toBe(true);
    expect(s.files[0]?.status).toBe('failed');
    await expectNoRows(engine);
    await expectReconciled(engine, s);
  });
});

describe('the second half failing while the first still commits', () => {
  it('waits for that commit before cleaning up: the file is failed for its own reason, nothing of it stays', async () => {
    const { engine, file } = await splitEngine();
    let firstHalf: unknown = null;
    let held = false;
    let failed = false;
    let committing: () => void = () => undefined;
    const firstCommitting = new Promise<void>((r) => (committing = r));
    let nextTransaction: () => void = () => undefined;
    const beganNext = new Promise<void>((r) => (nextTransaction = r));
    onImportRun(engine, async (text, params, run) => {
      if (/^INSERT INTO "src_\d+"/.test(text) && text.includes('-a.ndjson')) firstHalf = run;
      if (!failed && /^INSERT INTO "src_\d+"/.test(text) && text.includes('-b.ndjson')) {
        failed = true;
        // The second half fails once the first is in and committing.
        await firstCommitting;
        throw new Error('IO Error: injected: the second half cannot be read');
      }
      if (held && run === firstHalf && /^BEGIN/.test(text)) nextTransaction();
      if (!held && run === firstHalf && text === 'COMMIT') {
        // The first half's COMMIT is slow: the second half fails long before it ends. Let it
        // go through when its connection begins its next transaction (or after 400 ms): were
        // the failure handled without waiting for it, it would commit that transaction instead.
        held = true;
        committing();
        await Promise.race([new Promise((r) => setTimeout(r, 400)), beganNext]);
      }
      return run(text, params as Parameters<typeof run>[1]);
    });
    const s = await importAndWait(engine, { paths: [file] });
    expect(held).toBe(true);
    expect(s.files[0]?.status).toBe('failed');
    expect(s.files[0]?.message).toContain('the second half cannot be read');
    expect(s.files[0]?.message).not.toContain('transaction');
    await expectNoRows(engine);
    await expectReconciled(engine, s);
    // The case takes the file afterwards.
    const again = await importAndWait(engine, { paths: [file], force: true });
    expect(again.files[0]).toMatchObject({ status: 'imported', stored: 3000 });
  });
});

describe('a damaged line in the second half', () => {
  it('is found by the half’s schema pass: the file is read record by record, the line rejected with its number', async () => {
    const dir = tmp();
    const file = join(dir, 'eve.json');
    writeEveLike(file, 3000);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2500] = '{"timestamp": "2024-05-01T10:00:00", "event_type": "dns", "dns": {"rrname": '; // cut short
    writeFileSync(file, lines.join('\n'));
    const f = await freshEngine({ splitJsonMinBytes: 1, splitJsonGroupRows: 500, shareMaxBytes: 0, jsonJsMaxBytes: 0 });
    cleanups.push(f.cleanup);
    const ran = recordSql(f.engine);
    const s = await importAndWait(f.engine, { paths: [file] });
    expect(ran.some((q) => q.includes('-b.ndjson'))).toBe(true);
    expect(s.files[0]).toMatchObject({ status: 'imported', seen: 3000, stored: 2999, rejected: 1 });
    await expectReconciled(f.engine, s);
    const [err] = await sql(f.engine, `SELECT pos, kind FROM ingest_errors WHERE kind = 'rejected'`);
    expect(err).toEqual({ pos: 2501, kind: 'rejected' });
    const left = readdirSync(f.engine.case.tmpDir, { recursive: true }).map(String);
    expect(left.filter((n) => n.endsWith('.ndjson'))).toEqual([]);
  });
});
