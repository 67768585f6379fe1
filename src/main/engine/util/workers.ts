import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Start a worker thread from either the built bundle or the TypeScript source.
 *
 * Built: every worker is its own entry of the main bundle (electron.vite.config.ts),
 * so it sits next to the running chunk as out/main/<name>.js. From source
 * (Vitest, tsx): the .ts file is started through tsx's loader. The caller names
 * both so neither layout has to guess the other's paths.
 */
export function startWorker(name: string, sourceUrl: string, options: WorkerOptions = {}): Worker {
  const sourcePath = fileURLToPath(sourceUrl);
  if (!sourcePath.endsWith('.ts')) {
    // Bundled: the caller may sit in out/main or in out/main/chunks; the worker
    // entry is out/main/<name>.js, so look beside the caller, then one level up.
    const here = resolve(sourcePath, '..');
    const candidates = [join(here, `${name}.js`), join(here, '..', `${name}.js`)];
    const found = candidates.find((c) => existsSync(c)) ?? candidates[0];
    return new Worker(found as string, options);
  }
  const built = join(repoRoot(sourcePath), 'out', 'main', `${name}.js`);
  if (process.env.LOUPE_WORKERS_FROM_BUILD === '1' && existsSync(built)) return new Worker(built, options);
  // `--import tsx` in a worker's execArgv is not honoured on Node 20 ("Unknown file
  // extension .ts"); registering tsx's CommonJS hook inside the worker works on 20 and 22.
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(sourcePath)});`, { ...options, eval: true });
}

function repoRoot(from: string): string {
  let dir = resolve(from, '..');
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}
