import type { Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { Engine } from '../../../engine/service/engine';
import { rendererDir } from '../../web/renderer-dir';
import { startWebHost } from '../../web/server';
import { action } from '../command';

/** How long Ctrl+C or SIGTERM waits for the web host and the case to close before exiting anyway. */
const STOP_DEADLINE_MS = 15_000;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('browser mode: serve the app on 127.0.0.1 with a per-start token')
    .option('--case <dir>', 'open this case (created when missing); default: the last used case')
    .option('--port <port>', 'port on 127.0.0.1 (default: a free one)', '0')
    .option('--json', 'print {"url","port","token"} as one JSON document once listening')
    .action(
      action<{ json?: boolean; case?: string; port: string }>(async (io, opts) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LoupeError('USAGE', `bad port: ${opts.port}`);
        const engine = new Engine({ host: 'web', capabilities: { uploads: true, filePaths: true } });
        if (opts.case) await engine.useCase(opts.case, { mode: 'openOrCreate' });
        else await engine.openStartupCase();
        const host = await startWebHost({ engine, rendererDir: rendererDir(), port });
        io.result({ url: host.url, port: host.port, token: host.token }, () => `Loupe is serving on loopback only. Open:\n  ${host.url}`);
        if (!io.json) io.note('Press Ctrl+C to stop.');
        await new Promise<void>((done) => {
          const stop = (): void => {
            let step = 'closing the web host';
            // Stopping must not hang: past the deadline the process exits as a kill would
            // leave it, which the case is made to survive (committed rows stay, an
            // interrupted import is marked incomplete at the next open).
            const deadline = setTimeout(() => {
              process.stderr.write(`Loupe did not stop within ${STOP_DEADLINE_MS / 1000} s (${step}); exiting now. The case keeps everything committed.\n`);
              process.exit(1);
            }, STOP_DEADLINE_MS);
            void host
              .close()
              .then(() => {
                step = 'closing the case';
                return engine.close();
              })
              .then(() => {
                clearTimeout(deadline);
                done();
              });
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
