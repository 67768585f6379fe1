import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/main/engine/service/engine';
import { expectReconciled, fieldRows, freshEngine, importAndWait, onImportRun, sql } from './import-helpers';

/**
 * A whole-corpus import once reported every file stored (seen = stored)
 * while DuckDB, out of memory, had refused the rows of the late ones: the
 * summary repeated the loaders' counters. These tests make the rows of one
 * file fail to land and check that the summary says so, from what the
 * tables hold.
 */
let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function setup(ingest = {}) {
  const f = await freshEngine(ingest);
  cleanups.push(f.cleanup);
  const input = join(f.dir, 'input');
  mkdirSync(input, { recursive: true });
  const write = (name: string, data: string): string => {
    const p = join(input, name);
    writeFileSync(p, data);
    return p;
  };
  return { ...f, write };
}

/** The import's connections run `instead` for the events INSERTs of one evidence. */
function onEventsInsertOf(engine: Engine, evidenceId: number, instead: (run: DuckDBConnection['run']) => ReturnType<DuckDBConnection['run']>): void {
  onImportRun(engine, (text, params, run) => {
    if (/^\s*INSERT INTO events\b/.test(text) && params && Number(params.ev) === evidenceId) return instead(run);
    return run(text, params as Parameters<typeof run>[1]);
  });
}

/** The events INSERTs of one evidence are dropped without any error: rows that never land. */
function loseEventsOf(engine: Engine, evidenceId: number): void {
  onEventsInsertOf(engine, evidenceId, (run) => run('SELECT 1'));
}

/** The events INSERTs of one evidence fail with an error. */
function failEventsOf(engine: Engine, evidenceId: number): void {
  onEventsInsertOf(engine, evidenceId, () => Promise.reject(new Error('injected: the events insert failed')));
}

const lines = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `${tag} line ${i + 1}`).join('\n') + '\n';

describe('reconciliation from the tables, not the counters', () => {
  it('a file whose events silently fail to land is reported failed with the reason, never imported', async () => {
    const { engine, write } = await setup();
    const files = [write('a.txt', lines('alpha', 50)), write('b.txt', lines('beta', 60)), write('c.txt', lines('gamma', 70))];
    loseEventsOf(engine, 2);
    const s = await importAndWait(engine, { paths: files });
    const [a, b, c] = s.files;
    expect(a).toMatchObject({ status: 'imported', stored: 50 });
    expect(c).toMatchObject({ status: 'imported', stored: 70 });
    // The loader counted 60 stored; the case holds none of its events.
    expect(b).toMatchObject({ evidenceId: 2, status: 'failed', seen: 0, stored: 0, rejected: 0 });
    expect(b?.message).toMatch(/60 counted as stored but 0 events in the case/);
    expect(s.totals).toEqual({ seen: 120, stored: 120, rejected: 0 });
    await expectReconciled(engine, s);
    // Nothing half-visible of it: its field rows went with it.
    expect(await fieldRows(engine, 2)).toBe(0);
    const [ev] = await sql(engine, 'SELECT status, message FROM evidence WHERE id = 2');
    expect(ev).toMatchObject({ status: 'failed', message: expect.stringMatching(/not|could not/) });
  });

  it('the same through the DuckDB JSON reader (one transaction per file)', async () => {
    const { engine, write } = await setup();
    const json = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, n: i })).join('\n') + '\n';
    const files = [write('a.json', json('a', 5)), write('b.json', json('b', 7))];
    loseEventsOf(engine, 2);
    const s = await importAndWait(engine, { paths: files });
    expect(s.files[0]).toMatchObject({ status: 'imported', stored: 5 });
    expect(s.files[1]).toMatchObject({ status: 'failed', stored: 0 });
    expect(s.files[1]?.message).toMatch(/7 counted as stored but 0 events/);
    await expectReconciled(engine, s);
  });

  it('a DuckDB error in the middle of a file marks it failed with DuckDB’s reason; the other files import', async () => {
    const { engine, write } = await setup({ chunkRows: 10 });
    // A constraint the second file's rows break half-way: a real DuckDB error inside the load.
    await sql(engine, 'CREATE UNIQUE INDEX one_message ON events (message)');
    const dup = `${lines('delta', 25)}delta line 3\n${lines('epsilon', 5)}`;
    const files = [write('a.txt', lines('alpha', 30)), write('b.txt', dup), write('c.txt', lines('gamma', 30))];
    const s = await importAndWait(engine, { paths: files });
    expect(s.files.map((f) => f.status)).toEqual(['imported', 'failed', 'imported']);
    expect(s.files[1]?.message).toMatch(/could not be imported: .*(constraint|[Dd]uplicate)/);
    expect(s.files[1]).toMatchObject({ seen: 0, stored: 0, rejected: 0 });
    await expectReconciled(engine, s);
    const [n] = await sql(engine, 'SELECT count(*) AS n FROM events');
    expect(Number(n?.n)).toBe(60);
  });

  // A file with a field table of its own commits that table before its events
  // (json-loader.ts, zeek-loader.ts): an error past that commit must take the
  // table away again, never fall back to another reader or leave rows behind.
  it('an error after a JSON or Zeek file committed its own field table: failed, nothing of it left, the rest imports', async () => {
    const { engine, write } = await setup({ shareMaxBytes: 0 });
    const json = Array.from({ length: 9 }, (_, i) => JSON.stringify({ tag: 'j', n: i })).join('\n') + '\n';
    const zeek = [
      '#separator \\x09',
      '#path\tconn',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p',
      '#types\ttime\tstring\taddr\tport',
      ...Array.from({ length: 6 }, (_, i) => `${1700000000 + i}.000000\tC${i}\t10.0.0.${i + 1}\t${40000 + i}`),
    ].join('\n') + '\n';
    const files = [write('a.txt', lines('alpha', 4)), write('b.json', json), write('c.log', zeek), write('d.txt', lines('delta', 3))];
    failEventsOf(engine, 2);
    failEventsOf(engine, 3);
    const s = await importAndWait(engine, { paths: files });
    expect(s.files.map((f) => [f.format, f.status])).toEqual([
      ['text', 'imported'],
      ['ndjson', 'failed'],
      ['zeek-tsv', 'failed'],
      ['text', 'imported'],
    ]);
    for (const f of [s.files[1], s.files[2]]) {
      expect(f?.message).toMatch(/injected: the events insert failed/);
      expect(f).toMatchObject({ seen: 0, stored: 0, rejected: 0 });
      expect(await fieldRows(engine, f?.evidenceId as number)).toBe(0);
    }
    const tables = await sql(engine, 'SELECT evidence_id FROM sources WHERE evidence_id IN (2, 3)');
    expect(tables).toEqual([]);
    expect(s.totals).toEqual({ seen: 7, stored: 7, rejected: 0 });
    await expectReconciled(engine, s);
  });
});
