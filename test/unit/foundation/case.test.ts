import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Case } from '../../../src/main/engine/case/case';
import { SCHEMA_VERSION } from '../../../src/main/engine/case/migrations';
import { LoupeError } from '../../../src/shared/errors';
import { ROOT, tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LoupeError);
  expect((err as LoupeError).code).toBe(code);
  if (message) expect((err as LoupeError).message).toMatch(message);
}

describe('case layer', () => {
  it('creates a case folder with a manifest, a DuckDB file and the current schema', async () => {
    const dir = join(tmp.dir, 'acme');
    const c = await Case.create(dir, 'ACME intrusion');
    const info = await c.info();
    expect(info).toMatchObject({ name: 'ACME intrusion', schemaVersion: SCHEMA_VERSION, events: 0, evidence: 0 });
    expect(existsSync(join(dir, 'case.duckdb'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { format: string };
    expect(manifest.format).toBe('loupe-case');
    const tables = await c.conn.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema='main' ORDER BY 1");
    expect(tables.getRows().map((r) => r[0])).toEqual(expect.arrayContaining(['events', 'evidence', 'imports', 'ingest_errors', 'meta', 'sources']));
    c.close();
  });

  it('closes cleanly: the same process and another process can open it again', async () => {
    const dir = join(tmp.dir, 'reopen');
    (await Case.create(dir)).close();
    const again = await Case.open(dir);
    await again.conn.run("INSERT INTO meta VALUES ('probe', 'x')");
    again.close();
    expect(existsSync(join(dir, 'case.lock'))).toBe(false);
    const code = await openInChild(dir);
    expect(code).toBe(0);
  });

  it('refuses a second open while the case is open, naming the holder', async () => {
    const dir = join(tmp.dir, 'locked');
    const c = await Case.create(dir);
    await expectCode(Case.open(dir), 'CASE_LOCKED', /already open in this Loupe process/);
    expect(await openInChild(dir)).toBe(3);
    c.close();
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = join(tmp.dir, 'stale');
    (await Case.create(dir)).close();
    const { hostname } = await import('node:os');
    writeFileSync(join(dir, 'case.lock'), JSON.stringify({ pid: 999999, host: hostname(), since: '2020-01-01T00:00:00Z' }));
    const c = await Case.open(dir);
    c.close();
  });

  it('gives clear errors for a non-case folder, a missing folder and a newer case', async () => {
    await expectCode(Case.open(tmp.dir), 'NOT_A_CASE', /not a Loupe case/);
    await expectCode(Case.open(join(tmp.dir, 'nope')), 'NOT_FOUND');
    const dir = join(tmp.dir, 'future');
    (await Case.create(dir)).close();
    const manifest = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ ...manifest, schemaVersion: SCHEMA_VERSION + 5 }));
    await expectCode(Case.open(dir), 'CASE_TOO_NEW', /newer Loupe/);
    writeFileSync(join(dir, 'case.json'), '{not json');
    await expectCode(Case.open(dir), 'NOT_A_CASE', /not valid JSON/);
  });

  it('opens its database with an allocator that hands freed memory back early', async () => {
    const c = await Case.create(join(tmp.dir, 'alloc'));
    try {
      const r = await c.conn.runAndReadAll("SELECT current_setting('allocator_flush_threshold'), current_setting('allocator_background_threads')");
      expect(r.getRows()[0]).toEqual(['32.0 MiB', true]);
    } finally {
      c.close();
    }
  });

  it('refuses to create a case in a non-empty folder', async () => {
    mkdirSync(join(tmp.dir, 'full'));
    writeFileSync(join(tmp.dir, 'full', 'x.txt'), 'x');
    await expectCode(Case.create(join(tmp.dir, 'full')), 'BAD_INPUT', /not empty/);
  });

  it('migrates an older case forward on open', async () => {
    const dir = join(tmp.dir, 'old');
    const c = await Case.create(dir);
    // Pretend the case predates every migration by removing the version marker.
    await c.conn.run("DELETE FROM meta WHERE key = 'schema_version'");
    await c.conn.run('DROP TABLE ingest_errors; DROP TABLE events; DROP TABLE sources; DROP TABLE evidence; DROP TABLE imports; DROP TABLE meta;');
    c.close();
    const reopened = await Case.open(dir);
    expect((await reopened.info()).schemaVersion).toBe(SCHEMA_VERSION);
    reopened.close();
  });
});

/** Exit 0: opened and closed; 3: CASE_LOCKED; other: unexpected. */
function openInChild(dir: string): Promise<number> {
  const script = `
    const { Case } = require(${JSON.stringify(join(ROOT, 'src/main/engine/case/case.ts'))});
    Case.open(${JSON.stringify(dir)}).then(
      (c) => { c.close(); process.exit(0); },
      (e) => process.exit(e.code === 'CASE_LOCKED' ? 3 : 4));`;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: 'ignore' });
    child.on('close', (code) => done(code ?? -1));
  });
}

describe('engine case switching', () => {
  it('keeps the current case open when switching to a bad folder fails', async () => {
    const { Engine } = await import('../../../src/main/engine/service/engine');
    process.env.LOUPE_HOME = join(tmp.dir, 'home');
    const engine = new Engine({ host: 'test' });
    await engine.useCase(join(tmp.dir, 'good'));
    await expectCode(engine.useCase(tmp.dir, { mode: 'open' }), 'NOT_A_CASE');
    expect((await engine.case.info()).name).toBe('good');
    // Re-opening the case that is already open is a no-op, not a lock error.
    expect((await engine.useCase(join(tmp.dir, 'good'), { mode: 'open' })).name).toBe('good');
    engine.close();
  });
});
