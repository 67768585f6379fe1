import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Where Loupe's own rule pack (resources/rules) is on this installation.
 *
 * Three layouts run the same engine: the TypeScript source (tests, tsx: this
 * file is src/main/engine/alerts/), the bundle (out/main/*.js) and a
 * packaged app, where the bundle sits in resources/app.asar/out/main and
 * electron-builder unpacks resources/** beside it into app.asar.unpacked
 * (electron-builder.yml). Rather than guess one layout, walk up from this
 * module and from Electron's resourcesPath, and take the first folder that
 * holds the pack's marker file, so a stray `resources/rules` of some other
 * program is never taken for ours. LOUPE_RULES_DIR overrides everything.
 */

export const PACK_MARKER = 'loupe-pack.json';

export function builtinRulesCandidates(from: string = __dirname): string[] {
  const out: string[] = [];
  if (process.env.LOUPE_RULES_DIR) out.push(resolve(process.env.LOUPE_RULES_DIR));
  const roots: string[] = [];
  let dir = resolve(from);
  for (let i = 0; i < 8; i++) {
    roots.push(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) roots.push(resolve(resourcesPath));
  for (const root of roots) {
    // Inside an asar archive the unpacked copy is what plain fs (and DuckDB, and workers) can read.
    if (basename(root) === 'app.asar') out.push(join(`${root}.unpacked`, 'resources', 'rules'));
    out.push(join(root, 'resources', 'rules'));
    out.push(join(root, 'app.asar.unpacked', 'resources', 'rules'));
    out.push(join(root, 'rules'));
  }
  return [...new Set(out)];
}

/** The built-in pack's folder, or null when this installation lacks it (reported, never fatal). */
export function builtinRulesDir(from: string = __dirname): string | null {
  for (const c of builtinRulesCandidates(from)) if (existsSync(join(c, PACK_MARKER))) return c;
  return null;
}
