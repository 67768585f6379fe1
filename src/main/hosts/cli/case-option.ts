import type { Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { Engine } from '../../engine/service/engine';
import { defaultCaseDir } from '../../engine/paths';

/** Adds the shared `--case DIR` option (created when missing) and `--json`. */
export function caseOptions(cmd: Command): Command {
  return cmd.option('--case <dir>', 'case folder (created when missing); default: the default case in the data folder').option('--json', 'print one JSON document on stdout');
}

/**
 * Run `fn` with an engine whose case is `--case DIR` (or the default case),
 * and always close the case afterwards so no lock outlives the command.
 */
export async function withCase<T>(opts: { case?: string }, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = new Engine({ host: 'cli' });
  try {
    await engine.useCase(opts.case ?? defaultCaseDir(), { mode: 'openOrCreate' });
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

export function requireArg(value: string | undefined, what: string): string {
  if (!value) throw new LoupeError('USAGE', `missing ${what}`);
  return value;
}
