import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LoupeError } from '@shared/errors';
import { queryRows, queryValue } from '../db/sql';

/**
 * Rule packs imported into a case. A pack is copied under <case>/rules/ so
 * the case keeps working when the analyst's download folder is cleaned up,
 * and a case folder handed to a colleague carries its rules: a folder
 * becomes <case>/rules/<id>-<name>/ (rule files only), a zip is copied as
 * <case>/rules/<id>-<name>.zip and read in place by the loader.
 */

export interface StoredPack {
  id: number;
  name: string;
  kind: 'folder' | 'zip';
  origin: string;
  /** Absolute path of the copy inside the case. */
  path: string;
  files: number;
  bytes: number;
  importedAt: string;
}

const MAX_FILES = 100_000;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_TOTAL_BYTES = 512 * 1024 * 1024;
const MAX_DEPTH = 64;

function slug(name: string): string {
  return name.toLowerCase().replace(/\.zip$/i, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'rules';
}

export function packsDir(caseDir: string): string {
  return join(caseDir, 'rules');
}

export async function listPacks(conn: DuckDBConnection, caseDir: string): Promise<StoredPack[]> {
  const rows = await queryRows(conn, 'SELECT id, name, kind, origin, stored, files, bytes, imported_at FROM rule_packs ORDER BY id');
  return rows.map((r) => ({
    id: Number(r.id),
    name: String(r.name),
    kind: r.kind === 'zip' ? 'zip' : 'folder',
    origin: String(r.origin),
    path: join(caseDir, String(r.stored)),
    files: Number(r.files),
    bytes: Number(r.bytes),
    importedAt: String(r.imported_at),
  }));
}

/** Copy the rule files of a folder (recursive, .yml/.yaml) into dest, bounded. */
function copyRuleTree(src: string, dest: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new LoupeError('REFUSED', `${dir}: folders nest over ${MAX_DEPTH} levels`);
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const from = join(dir, ent.name);
      if (ent.isDirectory()) {
        walk(from, depth + 1);
        continue;
      }
      const isRule = /\.ya?ml$/i.test(ent.name);
      const isZip = /\.zip$/i.test(ent.name);
      if (!ent.isFile() || (!isRule && !isZip)) continue;
      const size = statSync(from).size;
      if (isRule && size > MAX_FILE_BYTES) continue; // the loader would refuse it too; copying it helps nobody
      if (++files > MAX_FILES) throw new LoupeError('REFUSED', `${src} holds over ${MAX_FILES} rule files`);
      bytes += size;
      if (bytes > MAX_TOTAL_BYTES) throw new LoupeError('REFUSED', `${src} holds over ${MAX_TOTAL_BYTES / 1024 / 1024} MiB of rules`);
      const to = join(dest, relative(src, from));
      mkdirSync(resolve(to, '..'), { recursive: true });
      copyFileSync(from, to);
    }
  };
  walk(src, 0);
  return { files, bytes };
}

/** Copy a folder or zip of rules into the case and record it. The caller reloads the rule set. */
export async function importPack(conn: DuckDBConnection, caseDir: string, path: string): Promise<StoredPack> {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new LoupeError('NOT_FOUND', `No such file or folder: ${abs}`);
  }
  const isZip = st.isFile() && /\.zip$/i.test(abs);
  const isRuleFile = st.isFile() && /\.ya?ml$/i.test(abs);
  if (!st.isDirectory() && !isZip && !isRuleFile) throw new LoupeError('BAD_INPUT', `${abs} is neither a folder, a .zip nor a .yml rule file`);
  if (abs === resolve(caseDir) || abs.startsWith(resolve(caseDir) + sep)) throw new LoupeError('BAD_INPUT', 'That path is inside the case folder already');
  if (isZip && st.size > MAX_TOTAL_BYTES) throw new LoupeError('REFUSED', `${abs} is over ${MAX_TOTAL_BYTES / 1024 / 1024} MiB`);
  const id = Number((await queryValue<number>(conn, 'SELECT coalesce(max(id), 0) + 1 FROM rule_packs')) ?? 1);
  const name = basename(abs);
  const stored = isZip ? `rules/${id}-${slug(name)}.zip` : `rules/${id}-${slug(name)}`;
  const target = join(caseDir, stored);
  mkdirSync(packsDir(caseDir), { recursive: true });
  rmSync(target, { recursive: true, force: true });
  let counts: { files: number; bytes: number };
  try {
    if (isZip) {
      copyFileSync(abs, target);
      counts = { files: 1, bytes: st.size };
    } else if (isRuleFile) {
      mkdirSync(target, { recursive: true });
      copyFileSync(abs, join(target, name));
      counts = { files: 1, bytes: st.size };
    } else {
      mkdirSync(target, { recursive: true });
      counts = copyRuleTree(abs, target);
      if (counts.files === 0) throw new LoupeError('BAD_INPUT', `${abs} holds no .yml/.yaml rule files`);
    }
  } catch (e) {
    rmSync(target, { recursive: true, force: true });
    throw e;
  }
  const kind = isZip ? 'zip' : 'folder';
  await conn.run('INSERT INTO rule_packs VALUES ($id, $name, $kind, $origin, $stored, $files, $bytes, now())', {
    id,
    name,
    kind,
    origin: abs,
    stored,
    files: counts.files,
    bytes: counts.bytes,
  });
  const pack = (await listPacks(conn, caseDir)).find((p) => p.id === id);
  if (!pack) throw new LoupeError('INTERNAL', 'the imported pack was not recorded');
  return pack;
}

/** Forget a pack and delete its copy. Its alerts stay (they are findings); its rules leave the set. */
export async function removePack(conn: DuckDBConnection, caseDir: string, id: number): Promise<boolean> {
  const pack = (await listPacks(conn, caseDir)).find((p) => p.id === id);
  if (!pack) return false;
  await conn.run('DELETE FROM rule_packs WHERE id = $id', { id });
  // Only ever delete inside the case's own rules folder.
  const root = resolve(packsDir(caseDir));
  if (resolve(pack.path).startsWith(root + sep)) rmSync(pack.path, { recursive: true, force: true });
  return true;
}
