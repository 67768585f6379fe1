import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The built renderer: beside the bundle when running from out/main, else the
 * repository's out/renderer (CLI run from source under tsx).
 */
export function rendererDir(): string {
  const besideBundle = resolve(__dirname, '..', 'renderer');
  if (existsSync(join(besideBundle, 'index.html'))) return besideBundle;
  let dir = resolve(__dirname);
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'out', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = resolve(dir, '..');
  }
  return besideBundle;
}
