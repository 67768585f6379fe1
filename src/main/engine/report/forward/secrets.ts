import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoupeError } from '@shared/errors';

/**
 * Destination tokens live in the case folder (`secrets.json`, readable by
 * the owner only), not in the case database: the SQL console, exports and
 * the report read the database, and none of them may ever see a token.
 */
export const SECRETS_FILE = 'secrets.json';

interface SecretsDoc {
  format: 'loupe-secrets';
  forward: Record<string, string>;
}

function path(caseDir: string): string {
  return join(caseDir, SECRETS_FILE);
}

function read(caseDir: string): SecretsDoc {
  const p = path(caseDir);
  if (!existsSync(p)) return { format: 'loupe-secrets', forward: {} };
  try {
    const doc = JSON.parse(readFileSync(p, 'utf8')) as Partial<SecretsDoc>;
    const forward: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.forward ?? {})) if (typeof v === 'string') forward[k] = v;
    return { format: 'loupe-secrets', forward };
  } catch (e) {
    throw new LoupeError('IO_ERROR', `The case's ${SECRETS_FILE} cannot be read: ${(e as Error).message}`);
  }
}

function write(caseDir: string, doc: SecretsDoc): void {
  const p = path(caseDir);
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, p);
}

export function getToken(caseDir: string, destination: string): string | null {
  return read(caseDir).forward[destination] ?? null;
}

export function setToken(caseDir: string, destination: string, token: string | null): void {
  const doc = read(caseDir);
  if (token === null) delete doc.forward[destination];
  else doc.forward[destination] = token;
  if (Object.keys(doc.forward).length === 0) rmSync(path(caseDir), { force: true });
  else write(caseDir, doc);
}
