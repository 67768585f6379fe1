import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared public corpus lives beside the project (../shared/corpus) and is
 * never copied in. Tests that need it skip with a visible reason when absent.
 */
export const CORPUS = process.env.LOUPE_CORPUS ?? resolve(__dirname, '..', '..', 'shared', 'corpus');

export function corpusPath(...parts: string[]): string {
  return join(CORPUS, ...parts);
}

export function hasCorpus(...parts: string[]): boolean {
  return existsSync(corpusPath(...parts));
}

/** For `describe.skipIf(...)`: prints why, so a skip is never silent. */
export function corpusMissing(...parts: string[]): boolean {
  const missing = !hasCorpus(...parts);
  if (missing) process.stderr.write(`corpus not found at ${corpusPath(...parts)}: skipping the tests that read it\n`);
  return missing;
}
