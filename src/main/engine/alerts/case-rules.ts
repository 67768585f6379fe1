import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { BOOLEAN, INTEGER, LIST, listValue, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { LineCounter, parseAllDocuments } from 'yaml';
import yauzl from 'yauzl';
import { loadRules, type RuleRecord, type RuleSet } from '../detect';
import { builtinRulesDir } from './builtin-pack';
import { listPacks, type StoredPack } from './rule-packs';

/**
 * The rule set of a case: Loupe's built-in pack plus every pack imported
 * into the case, loaded together so correlations may reference rules of
 * another pack and duplicate ids are reported as such. Written to the
 * `rules` table at each load, so the Rules view and SQL see statuses
 * without loading anything.
 */

export interface CaseRules {
  set: RuleSet;
  builtinDir: string | null;
  packs: StoredPack[];
  /** Rule id -> record (the first one for duplicated ids, which are errors anyway). */
  byId: Map<string, RuleRecord>;
  packOf(r: RuleRecord): number;
  /** Path inside its pack (`member` inside a zip). */
  relPath(r: RuleRecord): string;
}

export const BUILTIN_PACK_ID = 0;

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(root + sep) || path.startsWith(`${root}!`);
}

function rel(path: string, root: string): string {
  if (path.startsWith(`${root}!`)) return path.slice(root.length + 1);
  return relative(root, path).split(sep).join('/') || path;
}

export async function loadCaseRules(conn: DuckDBConnection, caseDir: string): Promise<CaseRules> {
  const builtinDir = builtinRulesDir();
  const packs = await listPacks(conn, caseDir);
  const roots: { id: number; path: string }[] = [];
  if (builtinDir) roots.push({ id: BUILTIN_PACK_ID, path: builtinDir });
  for (const p of packs) roots.push({ id: p.id, path: p.path });
  const set = await loadRules(roots.map((r) => r.path));
  const rootOf = (r: RuleRecord): { id: number; path: string } | undefined => roots.find((x) => under(r.origin.path, x.path));
  const byId = new Map<string, RuleRecord>();
  for (const r of set.rules) if (!byId.has(r.id)) byId.set(r.id, r);
  return {
    set,
    builtinDir,
    packs,
    byId,
    packOf: (r) => rootOf(r)?.id ?? -1,
    relPath: (r) => {
      const root = rootOf(r);
      return root ? rel(r.origin.path, root.path) : r.origin.path;
    },
  };
}

const CHUNK = 5000;

/** Rewrite the case's `rules` table from a loaded set. */
export async function persistRules(conn: DuckDBConnection, rules: CaseRules): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('DELETE FROM rules');
    const all = rules.set.rules;
    for (let i = 0; i < all.length; i += CHUNK) {
      const part = all.slice(i, i + CHUNK);
      const col = <T>(f: (r: RuleRecord) => T): T[] => part.map(f);
      const values: Record<string, DuckDBValue> = {
        id: listValue(col((r) => r.id)),
        pack: listValue(col((r) => rules.packOf(r))),
        title: listValue(col((r) => r.title)),
        path: listValue(col((r) => rules.relPath(r))),
        doc: listValue(col((r) => r.origin.doc)),
        line: listValue(col((r) => r.origin.line ?? null)),
        status: listValue(col((r) => r.status)),
        reason: listValue(col((r) => r.reason)),
        kind: listValue(col((r) => r.kind)),
        level: listValue(col((r) => r.level ?? null)),
        sstatus: listValue(col((r) => r.sigmaStatus ?? null)),
        descr: listValue(col((r) => r.description ?? null)),
        author: listValue(col((r) => r.author ?? null)),
        tags: listValue(col((r) => listValue(r.tags))),
        targets: listValue(col((r) => listValue(r.targets))),
        ls: listValue(col((r) => (r.logsource ? JSON.stringify(r.logsource) : null))),
        conly: listValue(col((r) => r.correlationOnly)),
      };
      const types: Record<string, DuckDBType> = {
        id: LIST(VARCHAR),
        pack: LIST(INTEGER),
        title: LIST(VARCHAR),
        path: LIST(VARCHAR),
        doc: LIST(INTEGER),
        line: LIST(INTEGER),
        status: LIST(VARCHAR),
        reason: LIST(VARCHAR),
        kind: LIST(VARCHAR),
        level: LIST(VARCHAR),
        sstatus: LIST(VARCHAR),
        descr: LIST(VARCHAR),
        author: LIST(VARCHAR),
        tags: LIST(LIST(VARCHAR)),
        targets: LIST(LIST(VARCHAR)),
        ls: LIST(VARCHAR),
        conly: LIST(BOOLEAN),
      };
      await conn.run(
        `INSERT INTO rules SELECT unnest($id), unnest($pack), unnest($title), unnest($path), unnest($doc), unnest($line), unnest($status),
           unnest($reason), unnest($kind), unnest($level), unnest($sstatus), unnest($descr), unnest($author), unnest($tags),
           unnest($targets), unnest($ls), unnest($conly)`,
        values,
        types,
      );
    }
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK');
    throw e;
  }
}

const MAX_RULE_TEXT = 1024 * 1024;

/** The YAML document of a rule as written, or null when its file is gone or unreadable. */
export async function readRuleText(r: RuleRecord): Promise<string | null> {
  const path = r.origin.path;
  const bang = path.indexOf('.zip!');
  let text: string | null;
  try {
    text = bang >= 0 ? await readZipMember(path.slice(0, bang + 4), path.slice(bang + 5)) : await readFile(path, 'utf8');
  } catch {
    return null;
  }
  if (text === null) return null;
  return documentText(text, r.origin.doc);
}

/** One YAML document of a multi-document file (the whole text when there is one). */
export function documentText(text: string, doc: number): string {
  const docs = parseAllDocuments(text, { lineCounter: new LineCounter() });
  if (!Array.isArray(docs) || docs.length <= 1) return text;
  const d = docs[doc];
  if (!d) return text;
  return text.slice(d.range[0], d.range[2]).replace(/^---\s*\n/, '').trimEnd() + '\n';
}

function readZipMember(zipPath: string, member: string): Promise<string | null> {
  return new Promise((resolvePromise) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) return resolvePromise(null);
      let done = false;
      const finish = (v: string | null): void => {
        if (done) return;
        done = true;
        zip.close();
        resolvePromise(v);
      };
      zip.on('error', () => finish(null));
      zip.on('end', () => finish(null));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== member) return zip.readEntry();
        if (entry.uncompressedSize > MAX_RULE_TEXT) return finish(null);
        zip.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) return finish(null);
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RULE_TEXT) stream.destroy();
            else chunks.push(c);
          });
          stream.on('error', () => finish(null));
          stream.on('end', () => finish(Buffer.concat(chunks).toString('utf8')));
          // A destroyed stream (over the size bound) closes without 'end'.
          stream.on('close', () => finish(null));
        });
      });
      zip.readEntry();
    });
  });
}
