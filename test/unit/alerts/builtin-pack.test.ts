import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinRulesDir, PACK_MARKER } from '../../../src/main/engine/alerts/builtin-pack';

/** The built-in pack is found from the source tree, from out/main and inside a packaged app. */

const root = mkdtempSync(join(tmpdir(), 'loupe-pack-locate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function pack(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, PACK_MARKER), '{}');
  return dir;
}

describe('builtinRulesDir', () => {
  it('finds resources/rules of this repository from the source tree', () => {
    expect(builtinRulesDir()).toBe(resolve(__dirname, '..', '..', '..', 'resources', 'rules'));
  });

  it('finds it from a bundle in out/main', () => {
    const repo = join(root, 'repo');
    const rules = pack(join(repo, 'resources', 'rules'));
    mkdirSync(join(repo, 'out', 'main', 'chunks'), { recursive: true });
    expect(builtinRulesDir(join(repo, 'out', 'main'))).toBe(rules);
    expect(builtinRulesDir(join(repo, 'out', 'main', 'chunks'))).toBe(rules);
  });

  it('finds the unpacked copy beside app.asar in a packaged app', () => {
    const res = join(root, 'Loupe', 'resources');
    const unpacked = pack(join(res, 'app.asar.unpacked', 'resources', 'rules'));
    expect(builtinRulesDir(join(res, 'app.asar', 'out', 'main'))).toBe(unpacked);
  });

  it('ignores a rules folder without the marker, and honours LOUPE_RULES_DIR', () => {
    const other = join(root, 'other');
    mkdirSync(join(other, 'resources', 'rules'), { recursive: true });
    expect(builtinRulesDir(join(other, 'x', 'y'))).toBeNull();
    const custom = pack(join(root, 'custom-rules'));
    process.env.LOUPE_RULES_DIR = custom;
    try {
      expect(builtinRulesDir(join(other, 'x', 'y'))).toBe(custom);
    } finally {
      delete process.env.LOUPE_RULES_DIR;
    }
  });
});
