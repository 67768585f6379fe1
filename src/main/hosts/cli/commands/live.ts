import type { Command } from 'commander';
import type { LiveSourceInfo } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import { defaultCaseDir } from '../../../engine/paths';
import { call } from '../../../engine/service/dispatch';
import { Engine } from '../../../engine/service/engine';
import { action } from '../command';
import type { CliIo } from '../io';

/**
 * `loupe listen` and `loupe watch`: a live source feeding a case until
 * Ctrl+C or SIGTERM, with its counters on stderr every few seconds and,
 * with --json, one summary document on stdout at the end.
 *
 * "received" on stderr is the number of messages written to the source's
 * journal in the case folder: from that moment a crash of this process
 * (even kill -9) loses none of them; the next start stores them.
 */
export function registerLive(program: Command): void {
  program
    .command('listen')
    .description('receive syslog (UDP, TCP, TLS) into a case until Ctrl+C; binds 127.0.0.1 unless --host names an interface')
    .option('--case <dir>', 'case folder (created when missing); default: the default case in the data folder')
    .option('--udp [port]', 'listen on UDP (default port 5514)')
    .option('--tcp [port]', 'listen on TCP, newline or octet-counted framing (default port 5514)')
    .option('--tls [port]', 'listen for syslog over TLS (default port 6514); needs --tls-cert and --tls-key')
    .option('--tls-cert <file>', 'PEM certificate for TLS')
    .option('--tls-key <file>', 'PEM private key for TLS')
    .option('--host <address>', 'interface to bind (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--tz <zone>', 'time zone of timestamps that carry none (RFC 3164)')
    .option('--interval <ms>', 'how often counters are printed on stderr', '5000')
    .option('--json', 'print one JSON summary document on stdout at exit')
    .action(
      action<ListenOptions>(async (io, opts) => {
        const spec = listenerSpec(opts);
        await runLive(io, opts, (engine) => call(engine.handlers, 'startListener', spec));
      }),
    );

  program
    .command('watch')
    .description('follow growing files and folders (tail -F) into a case until Ctrl+C; resumes where it left off')
    .argument('<paths...>', 'files or folders to follow (a folder: its files, including new ones)')
    .option('--case <dir>', 'case folder (created when missing); default: the default case in the data folder')
    .option('--from-end', 'start files that exist now at their end (only lines written from now on)')
    .option('--tz <zone>', 'time zone of timestamps that carry none')
    .option('--interval <ms>', 'how often counters are printed on stderr', '5000')
    .option('--json', 'print one JSON summary document on stdout at exit')
    .action(
      action<WatchOptions>(async (io, opts, args) => {
        await runLive(io, opts, (engine) => call(engine.handlers, 'startWatch', { paths: args, fromEnd: Boolean(opts.fromEnd), ...(opts.tz ? { tz: opts.tz } : {}) }));
      }),
    );
}

interface CommonOptions {
  json?: boolean;
  case?: string;
  tz?: string;
  interval: string;
}

interface ListenOptions extends CommonOptions {
  udp?: string | boolean;
  tcp?: string | boolean;
  tls?: string | boolean;
  tlsCert?: string;
  tlsKey?: string;
  host: string;
}

interface WatchOptions extends CommonOptions {
  fromEnd?: boolean;
}

function port(v: string | boolean | undefined, fallback: number, what: string): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new LoupeError('USAGE', `bad ${what} port: ${v}`);
  return n;
}

function listenerSpec(o: ListenOptions): Record<string, unknown> {
  let udp = port(o.udp, 5514, 'UDP');
  let tcp = port(o.tcp, 5514, 'TCP');
  const wantsTls = o.tls !== undefined || o.tlsCert !== undefined || o.tlsKey !== undefined;
  if (wantsTls && (!o.tlsCert || !o.tlsKey)) throw new LoupeError('USAGE', 'TLS needs both --tls-cert and --tls-key');
  const tls = wantsTls ? { port: port(o.tls ?? true, 6514, 'TLS') as number, certPath: o.tlsCert as string, keyPath: o.tlsKey as string } : undefined;
  if (udp === undefined && tcp === undefined && !tls) {
    // Nothing named: the usual syslog pair on the usual unprivileged port.
    udp = 5514;
    tcp = 5514;
  }
  return { host: o.host, ...(udp !== undefined ? { udp } : {}), ...(tcp !== undefined ? { tcp } : {}), ...(tls ? { tls } : {}), ...(o.tz ? { tz: o.tz } : {}) };
}

async function runLive(io: CliIo, opts: CommonOptions, start: (engine: Engine) => Promise<LiveSourceInfo>): Promise<void> {
  const interval = Number(opts.interval);
  if (!Number.isFinite(interval) || interval < 50) throw new LoupeError('USAGE', `bad --interval: ${opts.interval} (milliseconds, at least 50)`);
  const engine = new Engine({ host: 'cli' });
  const t0 = performance.now();
  try {
    const caseInfo = await engine.useCase(opts.case ?? defaultCaseDir(), { mode: 'openOrCreate' });
    const info = await start(engine);
    io.note(`${describeStart(info)} into case ${caseInfo.dir} (live source #${info.id}, evidence #${info.evidenceId}). Ctrl+C stops.`);
    const rt = (): LiveSourceInfo => engine.live.runtime(info.id)?.info() ?? info;
    const timer = setInterval(() => io.note(counterLine(rt())), interval);
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    clearInterval(timer);
    io.note('stopping: storing what was received ...');
    await call(engine.handlers, 'stopLiveSource', { id: info.id });
    const runtime = engine.live.runtime(info.id);
    // Bounded: the journal only shrinks once nothing is received; give up after a minute (it is stored at the next start).
    const until = Date.now() + 60_000;
    while (runtime && runtime.counters().backlog > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const final = runtime?.info() ?? (await call(engine.handlers, 'listLiveSources', {})).sources.find((s) => s.id === info.id) ?? info;
    const latency = runtime?.pump.latency.summary() ?? null;
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    io.result(
      { source: final.id, label: final.label, evidenceId: final.evidenceId, bound: info.bound, counters: final.counters, latencyMs: latency, seconds, message: final.message },
      () => `${final.label}: ${counterLine(final)}${latency ? `; receive-to-searchable p50 ${latency.p50} ms, p99 ${latency.p99} ms` : ''} (${seconds} s)`,
    );
  } finally {
    await engine.close();
  }
}

function describeStart(info: LiveSourceInfo): string {
  if (info.kind === 'watch') return `watching ${info.watch?.paths.join(', ')}${info.watch?.fromEnd ? ' (from their end)' : ''}`;
  const h = info.listener?.host ?? '127.0.0.1';
  const host = h.includes(':') ? `[${h}]` : h;
  const b = info.bound;
  const parts = [b?.udp != null ? `udp ${host}:${b.udp}` : null, b?.tcp != null ? `tcp ${host}:${b.tcp}` : null, b?.tls != null ? `tls ${host}:${b.tls}` : null].filter(Boolean);
  return `listening on ${parts.join(', ')}`;
}

function counterLine(i: LiveSourceInfo): string {
  const c = i.counters;
  const n = (x: number): string => x.toLocaleString('en-US');
  const lat = i.latencyMs ? `, latency p50 ${i.latencyMs.p50} ms p99 ${i.latencyMs.p99} ms` : '';
  const udp = c.udpSocketDrops !== null ? `, udp socket drops ${n(c.udpSocketDrops)}` : '';
  const problem = i.message ? ` (${i.message})` : '';
  return `received ${n(c.received)}, stored ${n(c.stored)}, rejected ${n(c.rejected)}, dropped ${n(c.dropped)}, backlog ${n(c.backlog)}, ${n(i.rate)}/s${lat}${udp}${problem}`;
}
