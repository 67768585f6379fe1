import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS, corpusMissing } from '../../corpus';
import { expectReconciled, freshEngine, importAndWait } from './import-helpers';

/**
 * The bar: every log file of the public corpus imports with a
 * reconciled summary, at least 95% of them fully. Not logs: the Sigma rules,
 * MaxMind test databases (.mmdb and their .raw), READMEs and licences. EVTX files included.
 */
const NOT_LOGS = /(^|\/)(sigma\/|README|LICENSE|COPYING|CITATION|MANIFEST\.sha256)|^geoip\/MaxMind-DB\/test-data\/|\.mmdb$/i;

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!NOT_LOGS.test(p.slice(CORPUS.length + 1))) out.push(p);
    }
  };
  walk(CORPUS);
  return out;
}

let cleanup: (() => void) | null = null;
afterAll(() => cleanup?.());

describe.skipIf(corpusMissing())('the whole corpus', () => {
  it('imports with every file reconciled and at least 95% of the log files fully', async () => {
    const f = await freshEngine();
    cleanup = f.cleanup;
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(300);
    const s = await importAndWait(f.engine, { paths: files });
    expect(s.state).toBe('finished');
    await expectReconciled(f.engine, s);
    const leaves = s.files.filter((x) => x.kind === 'file');
    // A duplicate (the same Zeek log loose and zipped) is fully in the case already.
    const full = leaves.filter((x) => (x.status === 'imported' && x.rejected === 0) || x.status === 'skipped-duplicate');
    const notFull = leaves.filter((x) => !full.includes(x)).map((x) => `${x.status} ${x.format} ${x.rejected}/${x.seen} ${x.path.slice(CORPUS.length + 1)} ${x.message ?? ''}`);
    process.stderr.write(`corpus: ${leaves.length} files, ${full.length} fully imported (${((100 * full.length) / leaves.length).toFixed(1)}%), ${s.totals.stored.toLocaleString('en-US')} events in ${s.seconds} s\n${notFull.join('\n')}\n`);
    expect(full.length / leaves.length).toBeGreaterThanOrEqual(0.95);
    // Nothing is left unfinished.
    expect(s.files.filter((x) => x.status === 'importing' || x.status === 'pending')).toEqual([]);
  }, 1_800_000);
});
