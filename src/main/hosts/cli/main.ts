import { Command, CommanderError } from 'commander';
import { printError } from './io';
import { COMMANDS } from './commands';

/**
 * `loupe`: the engine from a terminal. Every subcommand takes --json and keeps
 * the conventions in io.ts; usage errors exit 2, handled errors exit 1.
 */
export async function main(argv: string[]): Promise<void> {
  const wantsJson = argv.includes('--json');
  const program = new Command('loupe')
    .description('Loupe: offline SOC analyst workstation (engine command line)')
    .version(process.env.LOUPE_VERSION ?? '0.1.0')
    .exitOverride()
    .configureOutput({
      // Usage errors: one line, and a JSON document on stdout when --json was asked for.
      outputError: (str) => {
        if (!wantsJson) process.stderr.write(str);
      },
    });
  for (const register of COMMANDS) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return; // --help, --version
      if (wantsJson) printError(true, { code: 'USAGE', message: e.message.replace(/^error: /, '') });
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

if (require.main === module || process.env.LOUPE_CLI_MAIN === '1') {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`loupe: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
