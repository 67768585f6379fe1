import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LoupeError } from '@shared/errors';

export const CASE_FILE = 'case.json';
export const DB_FILE = 'case.duckdb';

export const CaseManifest = z.object({
  format: z.literal('loupe-case'),
  schemaVersion: z.number().int().positive(),
  id: z.string().min(1),
  name: z.string(),
  createdAt: z.string(),
  appVersion: z.string(),
});
export type CaseManifest = z.infer<typeof CaseManifest>;

/**
 * Read and check case.json. Three distinct failures get three distinct
 * messages because the analyst's next step differs: pick another folder,
 * upgrade Loupe, or repair the case.
 */
export function readCaseManifest(dir: string): CaseManifest {
  const file = join(dir, CASE_FILE);
  if (!existsSync(dir)) throw new LoupeError('NOT_FOUND', `No such folder: ${dir}`);
  if (!existsSync(file)) throw new LoupeError('NOT_A_CASE', `${dir} is not a Loupe case (no ${CASE_FILE} in it)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LoupeError('NOT_A_CASE', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = CaseManifest.safeParse(raw);
  if (!parsed.success) throw new LoupeError('NOT_A_CASE', `${file} is not a Loupe case manifest`);
  return parsed.data;
}

export function writeCaseManifest(dir: string, manifest: CaseManifest): void {
  // Write-then-rename so a crash never leaves a half-written manifest.
  const file = join(dir, CASE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
