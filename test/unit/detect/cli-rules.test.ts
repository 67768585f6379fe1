import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/main/hosts/cli/main';
import { rule } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'loupe-rules-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('loupe rules check', () => {
  it('prints one JSON document with a status per rule and the counts', async () => {
    mkdirSync(join(dir, 'r'), { recursive: true });
    writeFileSync(join(dir, 'r', 'ok.yml'), rule(`    sel:\n        Image|endswith: x\n    condition: sel`));
    writeFileSync(join(dir, 'r', 'exp.yml'), rule(`    sel:\n        Computer|expand: '%dcs%'\n    condition: sel`).replace('0001', '0002'));
    writeFileSync(join(dir, 'r', 'bad.yml'), 'title: x\ndetection: [\n');
    await main(['rules', 'check', join(dir, 'r'), '--json']);
    const doc = JSON.parse(out) as { rules: { id: string; title: string; path: string; status: string; reason: string }[]; counts: Record<string, number> };
    expect(doc.counts).toEqual({ active: 1, unsupported: 1, error: 1 });
    expect(doc.rules.map((r) => r.status).sort()).toEqual(['active', 'error', 'unsupported']);
    for (const r of doc.rules) expect(Object.keys(r)).toEqual(expect.arrayContaining(['id', 'title', 'path', 'status', 'reason']));
    expect(process.exitCode).toBeUndefined();
  });

  it('--placeholder supplies expand values', async () => {
    await main(['rules', 'check', join(dir, 'r', 'exp.yml'), '--json', '--placeholder', 'dcs=dc1,dc2']);
    expect((JSON.parse(out) as { counts: { active: number } }).counts.active).toBe(1);
  });

  it('a missing argument is a usage error (exit 2) with a JSON error', async () => {
    await main(['rules', 'check', '--json']);
    expect(process.exitCode).toBe(2);
    expect(JSON.parse(out)).toEqual({ error: { code: 'USAGE', message: expect.any(String) } });
  });
});
