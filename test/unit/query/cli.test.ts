import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { runCli, tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let env: Record<string, string>;
let caseDir: string;
beforeAll(async () => {
  tmp = tempDir();
  env = { LOUPE_HOME: join(tmp.dir, 'home') };
  caseDir = join(tmp.dir, 'case');
  await generateScenario(caseDir, { events: 5000 });
});
afterAll(() => tmp.cleanup());

describe('loupe search and loupe sql', () => {
  it('search --json prints {total, columns, rows}, newest first, at most --limit rows', async () => {
    const r = await runCli(['search', '--case', caseDir, `src_ip:${T.bruteForce.ip}`, '--limit', '10', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { total: number; columns: string[]; rows: { ts: string; src_ip: string }[] };
    expect(doc.total).toBe(51);
    expect(doc.columns).toEqual(expect.arrayContaining(['ts', 'dataset', 'host', 'message', 'src_ip']));
    expect(doc.rows).toHaveLength(10);
    expect(doc.rows.every((row) => row.src_ip === T.bruteForce.ip)).toBe(true);
    const ts = doc.rows.map((row) => row.ts);
    expect([...ts].sort().reverse()).toEqual(ts);
  });

  it('search honours --from/--to and prints a table without --json', async () => {
    const r = await runCli(['search', '--case', caseDir, 'action:logon-failed', '--from', '2024-03-12T06:00:00Z', '--to', '2024-03-12T06:02:00Z', '--asc'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ts\s+dataset/);
    expect(r.stdout).toContain(`50 of 50 events`);
  });

  it('an invalid query exits 1 with the error document', async () => {
    const r = await runCli(['search', '--case', caseDir, 'TargetUsrName:admin', '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'QUERY_ERROR', message: expect.stringContaining('did you mean "TargetUserName"') } });
  });

  it('sql --json runs a SELECT in the same shape', async () => {
    const r = await runCli(['sql', '--case', caseDir, 'SELECT dataset, count(*) AS n FROM events GROUP BY ALL ORDER BY dataset', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { total: number; columns: string[]; rows: { dataset: string; n: number }[] };
    expect(doc.columns).toEqual(['dataset', 'n']);
    expect(doc.total).toBe(6);
    expect(doc.rows.reduce((s, row) => s + row.n, 0)).toBe(5000);
  });

  it('a refused statement exits 1 with the error document', async () => {
    const r = await runCli(['sql', '--case', caseDir, `COPY events TO '${join(tmp.dir, 'out.csv')}'`, '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'REFUSED', message: expect.stringContaining('read-only') } });
    const f = await runCli(['sql', '--case', caseDir, "SELECT * FROM read_csv('/etc/passwd')", '--json'], env);
    expect(f.code).toBe(1);
    expect(JSON.parse(f.stdout)).toMatchObject({ error: { code: 'REFUSED' } });
  });

  it('demo creates a filled case and refuses a folder that is not empty', async () => {
    const dir = join(tmp.dir, 'demo');
    const r = await runCli(['demo', dir, '--events', '3000', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ events: 3000, sources: 9, case: { dir, events: 3000 } });
    const again = await runCli(['demo', dir, '--events', '3000', '--json'], env);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'BAD_INPUT' } });
  });
});
