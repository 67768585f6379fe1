import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from '../../fixtures/archives';
import { runCli, tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let env: Record<string, string>;
let input: string;
beforeAll(() => {
  tmp = tempDir('loupe-cli-import-');
  env = { LOUPE_HOME: join(tmp.dir, 'home') };
  input = join(tmp.dir, 'in');
  mkdirSync(input);
  writeFileSync(join(input, 'a.log'), 'one\ntwo\nthree\n');
  writeFileSync(join(input, 'b.json'), '{"message": "x"}\n{"message": \n{"message": "z"}\n');
  writeZip(join(input, 'c.zip'), [{ name: 'inner/d.log', data: 'four\nfive\n' }]);
});
afterAll(() => tmp.cleanup());

interface Doc {
  files: Array<{ path: string; format: string | null; seen: number; stored: number; rejected: number; status: string }>;
  totals: { seen: number; stored: number; rejected: number };
}

describe('loupe import', () => {
  it('--json prints exactly the issue\'s shape, members as archive!member, and every file reconciles', async () => {
    const caseDir = join(tmp.dir, 'case1');
    const r = await runCli(['import', '--case', caseDir, input, '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(Object.keys(doc)).toEqual(['files', 'totals']);
    for (const f of doc.files) {
      expect(Object.keys(f)).toEqual(['path', 'format', 'seen', 'stored', 'rejected', 'status']);
      expect(['imported', 'skipped-duplicate', 'incomplete', 'failed']).toContain(f.status);
      expect(f.seen).toBe(f.stored + f.rejected);
    }
    const by = Object.fromEntries(doc.files.map((f) => [f.path.slice(input.length + 1), f]));
    expect(by['a.log']).toMatchObject({ seen: 3, stored: 3, rejected: 0, status: 'imported' });
    expect(by['b.json']).toMatchObject({ format: expect.stringMatching(/^(ndjson|json-concat)$/), seen: 3, stored: 2, rejected: 1, status: 'imported' });
    expect(by['c.zip!inner/d.log']).toMatchObject({ stored: 2, status: 'imported' });
    expect(doc.totals).toEqual({ seen: 8, stored: 7, rejected: 1 });
    // Progress and notes go to stderr only.
    expect(r.stderr).toContain('a.log');

    const again = await runCli(['import', '--case', caseDir, join(input, 'a.log'), '--json'], env);
    expect((JSON.parse(again.stdout) as Doc).files[0]?.status).toBe('skipped-duplicate');
    const forced = await runCli(['import', '--case', caseDir, join(input, 'a.log'), '--json', '--force'], env);
    expect((JSON.parse(forced.stdout) as Doc).files[0]).toMatchObject({ status: 'imported', stored: 3 });
  });

  it('prints a human table without --json, takes --format and --tz, and lists rejected records', async () => {
    const caseDir = join(tmp.dir, 'case2');
    const r = await runCli(['import', '--case', caseDir, join(input, 'b.json'), '--format', 'text', '--tz', 'Europe/Paris'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status\s+format\s+events\s+rejected\s+seconds\s+path/);
    expect(r.stdout).toMatch(/imported\s+text\s+3\s+0/);
    // A chosen format that reads none of the records: the file's note on stderr says so.
    const wrong = await runCli(['import', '--case', caseDir, join(input, 'a.log'), '--format', 'ndjson'], env);
    expect(wrong.stderr).toMatch(/a\.log {2}\(ndjson: 0 events, 3 rejected\) {2}none of its 3 records reads as ndjson, the format chosen for it/);
    const list = await runCli(['evidence', 'list', '--case', caseDir, '--json'], env);
    const ev = (JSON.parse(list.stdout) as { evidence: Array<{ id: number; tz: string; formatForced: boolean }> }).evidence[0];
    expect(ev).toMatchObject({ tz: 'Europe/Paris', formatForced: true });
    const reimport = await runCli(['evidence', 'reimport', String(ev?.id), '--format', 'ndjson', '--case', caseDir, '--json'], env);
    expect((JSON.parse(reimport.stdout) as Doc).files[0]).toMatchObject({ format: 'ndjson', stored: 2, rejected: 1 });
    const errors = await runCli(['evidence', 'errors', String(ev?.id), '--case', caseDir, '--json'], env);
    expect(JSON.parse(errors.stdout)).toMatchObject({ total: 1, rows: [{ pos: 2, posKind: 'line', kind: 'rejected' }] });
  });

  it('exits non-zero only on a fatal error', async () => {
    const caseDir = join(tmp.dir, 'case3');
    const missing = await runCli(['import', '--case', caseDir, join(input, 'nope.log'), '--json'], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const badTz = await runCli(['import', '--case', caseDir, input, '--tz', 'Nowhere/Land', '--json'], env);
    expect(badTz.code).toBe(1);
    expect(JSON.parse(badTz.stdout)).toMatchObject({ error: { code: 'BAD_INPUT' } });
    const usage = await runCli(['import', '--case', caseDir, '--json'], env);
    expect(usage.code).toBe(2);
    writeFileSync(join(tmp.dir, 'garbage.bin'), Buffer.from([0, 1, 2, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0]));
    const failedFile = await runCli(['import', '--case', caseDir, join(tmp.dir, 'garbage.bin'), '--json'], env);
    expect(failedFile.code).toBe(0);
    expect((JSON.parse(failedFile.stdout) as Doc).files[0]?.status).toBe('failed');
  });

  it('loupe formats lists what --format takes', async () => {
    const r = await runCli(['formats', '--json'], env);
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout) as { formats: Array<{ name: string }> }).formats.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['ndjson', 'syslog-3164', 'auth-log', 'zeek-tsv', 'csv', 'cef', 'leef', 'text']));
  });
});
