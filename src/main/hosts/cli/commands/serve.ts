import type { Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { Engine } from '../../../engine/service/engine';
import { rendererDir } from '../../web/renderer-dir';
import { startWebHost } from '../../web/server';
import { startStopWatchdog } from '../../stop-watchdog';
import { surviveStrayRejections } from '../../stray-rejections';
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
        surviveStrayRejections((text) => process.stderr.write(text));
        const engine = new Engine({ host: 'web', capabilities: { uploads: true, filePaths: true } });
        if (opts.case) await engine.useCase(opts.case, { mode: 'openOrCreate' });
        else await engine.openStartupCase();
        const host = await startWebHost({ engine, rendererDir: rendererDir(), port });
        io.result({ url: host.url, port: host.port, token: host.token }, () => `Loupe is serving on loopback only. Open:\n  ${host.url}`);
        if (!io.json) io.note('Press Ctrl+C to stop.');
        await new Promise<void>((signalled) => {
          process.once('SIGINT', () => signalled());
          process.once('SIGTERM', () => signalled());
        });
        const watchdog = startStopWatchdog({
          ms: STOP_DEADLINE_MS,
          steps: ['closing the web host', 'closing the case'],
          message: `Loupe did not stop within ${STOP_DEADLINE_MS / 1000} s (%s); exiting now. The case keeps everything committed.\n`,
        });
        try {
          await host.close();
          watchdog.step(1);
          await engine.close();
        } finally {
          watchdog.done();
        }
      }),
    );
}
