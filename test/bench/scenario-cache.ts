import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateScenario } from '../fixtures/scenario';

/**
 * A generated scenario case kept under .tmp/bench between runs: generating
 * 10M events takes minutes and is no part of what a bench measures. The
 * stamp names what was generated; a different size or generator version
 * (`version`, bumped when the case's shape changes) generates it again.
 */
export async function cachedScenario(dir: string, events: number, version: number, log: (line: string) => void): Promise<void> {
  const stamp = join(dir, 'generated.json');
  const want = JSON.stringify({ events, seed: 7, v: version });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '..'), { recursive: true });
  log(`generating a scenario case of ${events.toLocaleString('en-US')} events in ${dir} ...`);
  const t0 = performance.now();
  await generateScenario(dir, { events });
  log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(stamp, want);
}
