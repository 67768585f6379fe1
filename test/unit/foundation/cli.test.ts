import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let env: Record<string, string>;
beforeAll(() => {
  tmp = tempDir();
  env = { LOUPE_HOME: join(tmp.dir, 'home') };
});
afterAll(() => tmp.cleanup());

describe('loupe CLI conventions', () => {
  it('case create --json prints exactly one JSON document with camelCase keys', async () => {
    const r = await runCli(['case', 'create', join(tmp.dir, 'c1'), '--name', 'First', '--json'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0] ?? '') as { case: { name: string; schemaVersion: number; events: number } };
    expect(doc.case).toMatchObject({ name: 'First', events: 0 });
  });

  it('case info --case DIR creates a missing case and reports it', async () => {
    const r = await runCli(['case', 'info', '--case', join(tmp.dir, 'c2'), '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ case: { dir: join(tmp.dir, 'c2'), evidence: 0 } });
  });

  it('handled errors exit 1 with an error document', async () => {
    const r = await runCli(['case', 'info', '--case', tmp.dir, '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'NOT_A_CASE', message: expect.stringContaining('not a Loupe case') } });
  });

  it('handled errors without --json print one line on stderr and nothing on stdout', async () => {
    const r = await runCli(['case', 'info', '--case', tmp.dir], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('usage errors exit 2', async () => {
    const r = await runCli(['case', 'frobnicate', '--json'], env);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE' } });
    // Caught by the command itself (not by commander): still a usage error.
    const r2 = await runCli(['serve', '--port', 'abc', '--json'], env);
    expect(r2.code).toBe(2);
    expect(JSON.parse(r2.stdout)).toMatchObject({ error: { code: 'USAGE' } });
  });

  it('--help works', async () => {
    const r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('serve');
    expect(r.stdout).toContain('case');
  });
});
