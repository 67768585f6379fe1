import type { Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { Case } from '../../../engine/case/case';
import { intelStore } from '../../../engine/intel';
import { ensureOverview } from '../../../engine/overview';
import { fillScenario, SCENARIO_TRUTH } from '../../../engine/query/demo-scenario';
import { action } from '../command';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('create a demo case: generated Windows, Sysmon, Linux auth, Zeek, Suricata and web events with a hidden attack story')
    .argument('<dir>', 'folder for the new case (must be missing or empty)')
    .option('--events <n>', 'how many events (1,000-100,000,000)', '200000')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; events: string }>(async (io, opts, args) => {
        const events = Number(opts.events);
        if (!Number.isInteger(events) || events < 1000 || events > 100_000_000) throw new LoupeError('USAGE', `bad --events: ${opts.events} (1000-100000000)`);
        const dir = args[0] ?? '';
        const c = await Case.create(dir, 'Demo case');
        try {
          const t0 = performance.now();
          const r = await fillScenario(c.conn, { events });
          // What a finished import leaves behind: the IPs enriched and the dashboard's rollup.
          await ensureOverview(c, intelStore());
          const info = await c.info();
          io.result({ case: info, events: r.events, sources: r.sources, seconds: Math.round((performance.now() - t0) / 100) / 10 }, () =>
            [
              `created demo case "${info.name}" in ${info.dir}: ${r.events.toLocaleString('en-US')} events from ${r.sources} sources`,
              `try: loupe search --case ${info.dir} 'src_ip:${SCENARIO_TRUTH.bruteForce.ip}'   or   loupe serve --case ${info.dir}`,
            ].join('\n'),
          );
        } finally {
          c.close();
        }
      }),
    );
}
