import type { Command } from 'commander';
import { createIo, errorBody, printError, type CliIo } from './io';

/**
 * Wrap a subcommand's action so that it gets its CliIo and so that every
 * failure becomes one line (or one JSON error document) and exit code 1.
 * Subcommands never call process.exit themselves.
 */
export function action<O extends { json?: boolean }>(
  run: (io: CliIo, opts: O, args: string[], cmd: Command) => Promise<void> | void,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.opts<O>();
    const positional = cmd.args;
    const io = createIo(Boolean(opts.json));
    try {
      await run(io, opts, positional, cmd);
    } catch (e) {
      const body = errorBody(e);
      printError(io.json, body);
      // A command line that does not make sense is a usage error (2), whichever layer noticed it.
      process.exitCode = body.code === 'USAGE' ? 2 : 1;
    }
  };
}

/** Subcommand modules export one of these; main.ts registers them all. */
export type RegisterCommand = (program: Command) => void;
