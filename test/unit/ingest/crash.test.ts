import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';
import { ROOT, tempDir } from '../../helpers';
import { expectReconciled, fieldTable, sql } from './import-helpers';

const LINES = 2_000_000;
let tmp: ReturnType<typeof tempDir>;
let bigFile: string;

beforeAll(async () => {
  tmp = tempDir('loupe-crash-');
  mkdirSync(join(tmp.dir, 'in'));
  bigFile = join(tmp.dir, 'in', 'big.log');
  const out = createWriteStream(bigFile);
  for (let i = 1; i <= LINES; i++) {
    if (!out.write(`Mar  1 12:00:${String(i % 60).padStart(2, '0')} host${i % 7} app[${i}]: event number ${i} of the crash test\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
});
afterAll(() => tmp.cleanup());

/** Start `loupe import` in a child process and SIGKILL it once it has committed some events. */
async function importAndKill(caseDir: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/hosts/cli/main.ts'), 'import', '--case', caseDir, bigFile], {
    cwd: ROOT,
    env: { ...process.env, LOUPE_CLI_MAIN: '1', LOUPE_HOME: join(tmp.dir, 'home') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((done, fail) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      // A progress line with events means at least one chunk is committed.
      if (/\.\.\. .* [1-9][0-9,]* events/.test(stderr)) done();
    });
    child.on('exit', (code) => fail(new Error(`the import ended (${code}) before it could be killed: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
}

describe('crash safety', () => {
  it('a case whose import was killed with SIGKILL opens, marks the file incomplete and resumes it to the full count', async () => {
    const caseDir = join(tmp.dir, 'case-resume');
    await importAndKill(caseDir);
    const engine = new Engine({ host: 'test' });
    try {
      await engine.useCase(caseDir, { mode: 'open' });
      const { evidence } = await call(engine.handlers, 'listEvidence', {});
      expect(evidence).toHaveLength(1);
      const ev = evidence[0];
      expect(ev).toMatchObject({ status: 'incomplete', message: expect.stringMatching(/interrupted/) });
      expect(ev?.stored).toBeGreaterThan(0);
      expect(ev?.stored).toBeLessThan(LINES);
      // What is there is consistent: committed chunks only, every event with its field row.
      const [n] = await sql(engine, 'SELECT count(*) AS n FROM events');
      expect(Number(n?.n)).toBe(ev?.stored);
      const [orphans] = await sql(engine, `SELECT count(*) AS n FROM events e WHERE NOT EXISTS (SELECT 1 FROM "${await fieldTable(engine, ev?.id as number)}" s WHERE s.rid = e.rid)`);
      expect(Number(orphans?.n)).toBe(0);
      const [run] = await sql(engine, 'SELECT status FROM imports');
      expect(run?.status).toBe('interrupted');

      const { importId } = await call(engine.handlers, 'reimportEvidence', { evidenceIds: [ev?.id as number] });
      const s = await engine.imports.wait(importId);
      await expectReconciled(engine, s);
      expect(s.files[0]).toMatchObject({ evidenceId: ev?.id, status: 'imported', stored: LINES, seen: LINES });
      const [after] = await sql(engine, 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM events');
      expect(after).toEqual({ n: LINES, d: LINES });
    } finally {
      engine.close();
    }
  }, 300_000);

  it('an interrupted file can be removed instead, leaving nothing of it', async () => {
    const caseDir = join(tmp.dir, 'case-remove');
    await importAndKill(caseDir);
    const engine = new Engine({ host: 'test' });
    try {
      await engine.useCase(caseDir, { mode: 'open' });
      const { evidence } = await call(engine.handlers, 'listEvidence', {});
      expect(evidence[0]?.status).toBe('incomplete');
      await call(engine.handlers, 'removeEvidence', { evidenceIds: [evidence[0]?.id as number] });
      expect(await sql(engine, 'SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM evidence) AS v, (SELECT count(*) FROM sources) AS s')).toEqual([{ e: 0, v: 0, s: 0 }]);
    } finally {
      engine.close();
    }
  }, 300_000);
});
