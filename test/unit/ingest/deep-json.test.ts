import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan, valueNestsDeeperThan } from '../../../src/main/engine/ingest/json-depth';
import { tempDir } from '../../helpers';
import { enginesPerTest, expectReconciled, importAndWait, sql } from './import-helpers';

/**
 * One record nested 100,000 levels deep (a 200 KB line) overflowed the stack
 * of DuckDB's JSON schema detection and killed the process; 10,000 levels
 * took a minute to probe and then overflowed Loupe's own type walk. Such a
 * record is now rejected alone and the file's other records import.
 */
const arrays = (d: number): string => `{"ts":"2024-03-01T10:00:00Z","x":${'['.repeat(d)}${']'.repeat(d)}}`;
const objects = (d: number): string => `{"ts":"2024-03-01T10:00:00Z","o":${'{"k":'.repeat(d)}1${'}'.repeat(d)}}`;
const good = (i: number): string => JSON.stringify({ ts: `2024-03-01T10:00:0${i % 10}Z`, host: 'h', message: `ok ${i}`, nested: { a: { b: [1, { c: '[[[{{{' }] } } });

describe('deeply nested JSON', () => {
  const fresh = enginesPerTest();

  it('is found by the byte walk (strings with brackets and escaped quotes do not count) and by the value walk', async () => {
    const tmp = tempDir('loupe-depth-');
    try {
      const write = (name: string, text: string): string => {
        const p = join(tmp.dir, name);
        writeFileSync(p, text);
        return p;
      };
      expect(await nestsDeeperThan(write('ok.ndjson', `${good(1)}\n${JSON.stringify({ s: '['.repeat(5000), q: 'a\\"[[[' })}\n`), true)).toBe(false);
      expect(await nestsDeeperThan(write('edge.ndjson', `${good(1)}\n${arrays(MAX_JSON_DEPTH - 1)}\n`), true)).toBe(false);
      expect(await nestsDeeperThan(write('deep.ndjson', `${good(1)}\n${arrays(MAX_JSON_DEPTH)}\n`), true)).toBe(true);
      expect(await nestsDeeperThan(write('deep-pretty.json', `[\n${good(1)},\n${objects(2000).replaceAll(':', ':\n')}\n]\n`), false)).toBe(true);
      // Spread over many reads: a line longer than the 4 MiB read, deep at its end.
      expect(await nestsDeeperThan(write('long.ndjson', `{"pad":"${'x'.repeat(5 << 20)}","x":${'['.repeat(1500)}${']'.repeat(1500)}}\n`), true)).toBe(true);
      expect(valueNestsDeeperThan(JSON.parse(arrays(100_000)))).toBe(true);
      expect(valueNestsDeeperThan(JSON.parse(good(1)))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });

  it.each([
    ['JSON lines', 'deep.ndjson', (recs: string[]): string => `${recs.join('\n')}\n`],
    ['a JSON array', 'deep.json', (recs: string[]): string => `[\n${recs.join(',\n')}\n]\n`],
    ['concatenated objects', 'deep-concat.json', (recs: string[]): string => `${recs.join('\n\n')}\n`],
  ])('in %s: the deep records are rejected, the others imported, the process lives', async (_what, name, shape) => {
    // The walk guards read_json, which a file this small would not meet otherwise.
    const f = await fresh({ jsonJsMaxBytes: 0 });
    const recs = [...Array.from({ length: 5 }, (_, i) => good(i)), arrays(100_000), ...Array.from({ length: 5 }, (_, i) => good(i + 5)), objects(20_000)];
    const file = join(f.dir, name);
    writeFileSync(file, shape(recs));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ status: 'imported', stored: 10, rejected: 2 });
    const reasons = await sql(f.engine, `SELECT reason FROM ingest_errors WHERE kind = 'rejected'`);
    expect(reasons.map((r) => String(r.reason))).toEqual([expect.stringMatching(/nests deeper than 1,000 levels/), expect.stringMatching(/nests deeper than 1,000 levels/)]);
    const [ev] = await sql(f.engine, `SELECT format_reason FROM evidence`);
    expect(String(ev?.format_reason)).toContain('nests deeper than 1,000 levels');
  });

  it('a small file goes to the JS reader, which rejects the deep records itself', async () => {
    const f = await fresh();
    const file = join(f.dir, 'deep-small.ndjson');
    writeFileSync(file, `${[good(1), arrays(100_000), good(2), objects(20_000)].join('\n')}\n`);
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ status: 'imported', stored: 2, rejected: 2 });
  });
});
