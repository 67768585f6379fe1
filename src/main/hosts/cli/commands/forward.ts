import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Destination, ForwardRun } from '@shared/findings-contract';
import { DESTINATION_KINDS } from '@shared/findings-contract';
import { LoupeError } from '@shared/errors';
import { call } from '../../../engine/service/dispatch';
import { action } from '../command';
import { selection, selectionOptions, withExistingCase, type SelectionOpts } from './findings';

/**
 * `loupe forward`: hand-off to a SIEM once back online. Destinations are
 * stored in the case (the token in its secrets file); a run sends alerts or
 * events and records each acknowledged item, so a second run sends only
 * what is still missing.
 */

function runLine(r: ForwardRun): string {
  const lat = r.latencyMs.p50 === null ? '' : `, latency p50 ${r.latencyMs.p50} ms p95 ${r.latencyMs.p95} ms`;
  return [
    `${r.status}: ${r.sent} sent (acknowledged), ${r.failed} failed, ${r.skipped} already sent earlier, ${r.retried} retries in ${r.batches} batches${lat}`,
    ...(r.lastError ? [`last error: ${r.lastError}`] : []),
  ].join('\n');
}

function destLine(d: Destination): string {
  const last = d.lastRun ? `last run ${d.lastRun.startedAt.slice(0, 19).replace('T', ' ')} ${d.lastRun.status}` : 'never run';
  return `${d.name.padEnd(16)} ${d.kind.padEnd(12)} ${d.url}${d.index ? ` index=${d.index}` : ''}${d.hasToken ? '' : ' (no token)'}  acked ${d.acked}, failed ${d.failed}; ${last}`;
}

/** The token from the environment or a file, so it stays out of shell history and process lists. */
function tokenOf(o: { token?: string; tokenEnv?: string; tokenFile?: string }): string | undefined {
  const given = [o.token, o.tokenEnv, o.tokenFile].filter((x) => x !== undefined).length;
  if (given > 1) throw new LoupeError('USAGE', 'give the token one way: --token-env VAR, --token-file FILE or --token T');
  if (o.tokenEnv !== undefined) {
    const v = process.env[o.tokenEnv];
    if (!v) throw new LoupeError('USAGE', `the environment variable ${o.tokenEnv} is not set`);
    return v;
  }
  if (o.tokenFile !== undefined) return readFileSync(o.tokenFile, 'utf8').trim();
  return o.token;
}

export function registerForward(program: Command): void {
  // `forward` has options of its own (--case, --to ...) and subcommands with a --case of
  // theirs: positional options keep `forward add NAME --case DIR` from giving --case to the parent.
  program.enablePositionalOptions();
  const fwd = selectionOptions(
    program
      .command('forward')
      .description('send alerts or events to a SIEM (Splunk HEC, Elasticsearch/OpenSearch _bulk); add|list|check|remove|log manage destinations')
      .option('--case <dir>', 'the case folder')
      .option('--to <name>', 'the destination (see loupe forward add)')
      .option('--resend', 'send again what this destination already acknowledged')
      .option('--json', 'print one JSON document on stdout'),
    false,
  )
    .enablePositionalOptions()
    .action(
    action<Omit<SelectionOpts, 'from' | 'to'> & { json?: boolean; case?: string; to?: string; resend?: boolean }>(async (io, opts) => {
      if (!opts.to) throw new LoupeError('USAGE', 'missing --to NAME (loupe forward list shows the destinations)');
      const to = opts.to;
      const source = selection({ ...opts, to: undefined });
      const run = await withExistingCase(opts.case, async (engine) => {
        const off = engine.push.subscribe((event, p) => {
          if (event !== 'forwardProgress' || io.json) return;
          const q = p as { sent: number; failed: number; selected: number; skipped: number };
          if (process.stderr.isTTY) process.stderr.write(`\r${q.sent + q.failed} of ${q.selected - q.skipped} done…`);
        });
        const onSig = () => void call(engine.handlers, 'cancelForward', { forwardId: 'cli' });
        process.once('SIGINT', onSig);
        try {
          return await call(engine.handlers, 'forwardItems', { forwardId: 'cli', destination: to, source, resend: opts.resend === true });
        } finally {
          process.off('SIGINT', onSig);
          off();
          if (process.stderr.isTTY && !io.json) process.stderr.write('\n');
        }
      });
      io.result(run, () => `${run.what} → ${run.destination}\n${runLine(run)}`);
      if (run.status === 'failed' || run.status === 'partial') process.exitCode = 1;
    }),
  );

  fwd
    .command('add')
    .description('add or change a destination of the case')
    .argument('<name>', 'a short name, e.g. splunk or es-ir')
    .requiredOption('--case <dir>', 'the case folder')
    .requiredOption('--kind <kind>', DESTINATION_KINDS.join(' or '))
    .requiredOption('--url <url>', 'e.g. https://splunk.example:8088 or https://es.example:9200')
    .option('--index <index>', 'Splunk index (optional) or Elasticsearch index (required)')
    .option('--token-env <var>', 'read the token (HEC token, API key, user:pass in base64) from this environment variable')
    .option('--token-file <file>', 'read the token from this file')
    .option('--token <token>', 'the token itself (visible in your shell history: prefer --token-env)')
    .option('--auth-scheme <scheme>', 'Elasticsearch: ApiKey (default), Basic or Bearer')
    .option('--sourcetype <st>', 'Splunk sourcetype (default _json)')
    .option('--ack-channel <guid>', 'Splunk: the channel id when the token has indexer acknowledgment on')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string; kind: string; url: string; index?: string; token?: string; tokenEnv?: string; tokenFile?: string; authScheme?: string; sourcetype?: string; ackChannel?: string }>(
        async (io, opts, args) => {
          if (!(DESTINATION_KINDS as readonly string[]).includes(opts.kind)) throw new LoupeError('USAGE', `--kind is ${DESTINATION_KINDS.join(' or ')}, not "${opts.kind}"`);
          if (opts.authScheme !== undefined && !['ApiKey', 'Basic', 'Bearer'].includes(opts.authScheme)) throw new LoupeError('USAGE', '--auth-scheme is ApiKey, Basic or Bearer');
          const token = tokenOf(opts);
          const d = await withExistingCase(opts.case, (engine) =>
            call(engine.handlers, 'saveDestination', {
              name: args[0] ?? '',
              kind: opts.kind,
              url: opts.url,
              ...(opts.index ? { index: opts.index } : {}),
              ...(opts.sourcetype ? { sourcetype: opts.sourcetype } : {}),
              ...(opts.ackChannel ? { ackChannel: opts.ackChannel } : {}),
              ...(opts.authScheme ? { authScheme: opts.authScheme } : {}),
              ...(token !== undefined ? { token } : {}),
            }),
          );
          io.result({ destination: d }, () => `saved destination ${destLine(d)}`);
        },
      ),
    );

  fwd
    .command('list')
    .description('the destinations of the case with their counts and last run')
    .requiredOption('--case <dir>', 'the case folder')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string }>(async (io, opts) => {
        const list = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'listDestinations', {}));
        io.result({ destinations: list }, () => (list.length ? list.map(destLine).join('\n') : 'no destinations (loupe forward add NAME --kind ... --url ...)'));
      }),
    );

  fwd
    .command('check')
    .description("check a destination's health endpoint")
    .argument('<name>', 'the destination')
    .requiredOption('--case <dir>', 'the case folder')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string }>(async (io, opts, args) => {
        const h = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'checkDestination', { name: args[0] ?? '' }));
        io.result(h, () => `${h.ok ? 'healthy' : 'NOT healthy'}: ${h.detail} (${h.latencyMs} ms)`);
        if (!h.ok) process.exitCode = 1;
      }),
    );

  fwd
    .command('remove')
    .description('remove a destination and its token (the forward log stays)')
    .argument('<name>', 'the destination')
    .requiredOption('--case <dir>', 'the case folder')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string }>(async (io, opts, args) => {
        const r = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'deleteDestination', { name: args[0] ?? '' }));
        if (!r.deleted) throw new LoupeError('NOT_FOUND', `no destination "${args[0] ?? ''}"`);
        io.result(r, () => `removed ${args[0] ?? ''}`);
      }),
    );

  fwd
    .command('log')
    .description('what a destination acknowledged or gave up on, newest first')
    .argument('<name>', 'the destination')
    .requiredOption('--case <dir>', 'the case folder')
    .option('--failed', 'only the items that failed')
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string; failed?: boolean; limit: string }>(async (io, opts, args) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new LoupeError('USAGE', `bad --limit: ${opts.limit} (1-1000)`);
        const entries = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'listForwardLog', { destination: args[0] ?? '', limit, ...(opts.failed ? { status: 'failed' } : {}) }));
        io.result({ entries }, () => (entries.length ? entries.map((e) => `${e.at.slice(0, 19).replace('T', ' ')}  ${e.status.padEnd(6)} ${e.kind} ${e.ref}  ${e.reason ?? ''}`).join('\n') : 'nothing logged'));
      }),
    );
}
