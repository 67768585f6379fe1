import { readFileSync, rmSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ListenerSpec, LiveSourceInfo, WatchSpec } from '@shared/live-contract';
import { LoupeError } from '@shared/errors';
import type { Case } from '../case/case';
import type { EventWrites } from '../ingest/event-writes';
import { CaseSink } from './case-sink';
import { FileFollower } from './follow';
import { FilePositions } from './file-positions';
import { countRecordsAfter, Journal, journalPositions, type LiveMessage } from './journal';
import { LatencyHistogram } from './latency';
import type { LiveWorkerClient } from './live-worker-client';
import type { SourceRow } from './live-store';
import { LivePump } from './pump';
import { SyslogListener, type ListenerPorts } from './syslog-listener';
import { udpSocketDrops } from './udp-drops';

export interface SourceContext {
  kase: Case;
  writes: EventWrites;
  worker: LiveWorkerClient;
  maxColumns: number;
  /** After each commit of new events (the service batches the post-import hooks). */
  onStored: (source: LiveSource, firstId: number, count: number) => void;
  /** Pump timing (tests shorten it). */
  pump?: { intervalMs?: number; coalesceMs?: number; batchSize?: number };
  /** Follower poll interval, ms. */
  followIntervalMs?: number;
}

export type SourceSpec = { kind: 'listener'; spec: ListenerSpec } | { kind: 'watch'; spec: WatchSpec };

/** Where a source's journal lives: in the case folder, beside the database it feeds. */
export function journalDir(caseDir: string, sourceId: number): string {
  return join(caseDir, 'live', `source-${sourceId}`);
}

export function stagingDir(kase: Case, sourceId: number): string {
  return join(kase.tmpDir, `live-${sourceId}`);
}

/** "udp 127.0.0.1:5514, tcp 127.0.0.1:5514" or the watched paths: the evidence path and the UI's label. */
export function sourceLabel(s: SourceSpec): string {
  if (s.kind === 'watch') {
    const all = s.spec.paths.join(', ');
    return `watch ${all.length > 300 ? `${all.slice(0, 299)}…` : all}`;
  }
  const h = s.spec.host.includes(':') ? `[${s.spec.host}]` : s.spec.host;
  const parts: string[] = [];
  if (s.spec.udp !== undefined) parts.push(`udp ${h}:${s.spec.udp}`);
  if (s.spec.tcp !== undefined) parts.push(`tcp ${h}:${s.spec.tcp}`);
  if (s.spec.tls) parts.push(`tls ${h}:${s.spec.tls.port}`);
  return `syslog ${parts.join(', ')}`;
}

/**
 * One live source at run time: its journal, its transport (a syslog
 * listener or a file follower) writing into it, and the pump that stores
 * the journal into the case. The transport can stop and start again while
 * the pump keeps storing what is left (a restart replays the journal from
 * the position the case has).
 */
export class LiveSource {
  private listener: SyslogListener | null = null;
  private follower: FileFollower | null = null;
  bound: ListenerPorts | null = null;
  failure: string | null = null;
  private readonly window = new LatencyHistogram();
  private windowSummary: LiveSourceInfo['latencyMs'] = null;
  private rate = 0;
  private last = { received: 0, at: performance.now() };
  private lastCompact = 0;
  /** Truncated messages counted by listeners of earlier starts in this process. */
  private truncatedBefore = 0;
  startedAt: string | null = null;
  stoppedAt: string | null;

  private constructor(
    private readonly ctx: SourceContext,
    readonly row: SourceRow,
    readonly source: SourceSpec,
    private readonly conn: DuckDBConnection,
    readonly journal: Journal,
    readonly sink: CaseSink,
    readonly pump: LivePump,
    /** Messages received before this process's journal began counting (stored, rejected, skipped, or waiting in the journal). */
    private readonly receivedBase: number,
  ) {
    this.stoppedAt = row.stoppedAt;
    this.last.received = this.counters().received;
  }

  get id(): number {
    return this.row.id;
  }

  get evidenceId(): number {
    return this.row.evidenceId;
  }

  get running(): boolean {
    return this.listener !== null || this.follower !== null;
  }

  /** Open the journal, replay what the case does not have yet, and start storing. */
  static async open(ctx: SourceContext, row: SourceRow, source: SourceSpec): Promise<LiveSource> {
    const dir = journalDir(ctx.kase.dir, row.id);
    const staging = stagingDir(ctx.kase, row.id);
    rmSync(staging, { recursive: true, force: true }); // chunks of a batch that never committed
    const journal = new Journal(dir);
    const pending = countRecordsAfter(dir, row.committedSeq);
    journal.replayFrom(row.committedSeq);
    const receivedBase = row.stored + row.rejected + row.skipped + pending;
    const conn = await ctx.kase.connect();
    let self: LiveSource | null = null;
    const sink = new CaseSink({
      conn,
      writes: ctx.writes,
      worker: ctx.worker,
      sourceId: row.id,
      evidenceId: row.evidenceId,
      stagingDir: staging,
      maxColumns: ctx.maxColumns,
      ...(source.spec.tz ? { tz: source.spec.tz } : {}),
      totals: { received: receivedBase, stored: row.stored, rejected: row.rejected, skipped: row.skipped, warnings: row.warnings, dropped: row.dropped, truncated: row.truncated },
      readings: row.readings,
      positions: row.positions,
      transport: () => {
        const c = self?.transportCounters();
        return c ?? { received: receivedBase + journal.received, dropped: row.dropped + journal.dropped, truncated: row.truncated };
      },
      onStored: (firstId, count) => {
        if (self) ctx.onStored(self, firstId, count);
      },
    });
    const pump = new LivePump(journal, sink, {
      committedSeq: row.committedSeq,
      ...ctx.pump,
      onCommitted: (seq, batch) => self?.committed(seq, batch),
    });
    self = new LiveSource(ctx, row, source, conn, journal, sink, pump, receivedBase);
    pump.start();
    return self;
  }

  /** Bind the sockets or start following the files. */
  async startTransport(): Promise<void> {
    if (this.running) return;
    this.failure = null;
    if (this.source.kind === 'listener') {
      const s = this.source.spec;
      let tls: { port: number; cert: Buffer; key: Buffer } | undefined;
      if (s.tls) {
        try {
          tls = { port: s.tls.port, cert: readFileSync(s.tls.certPath), key: readFileSync(s.tls.keyPath) };
        } catch (e) {
          throw new LoupeError('BAD_INPUT', `Cannot read the TLS certificate or key: ${(e as Error).message}`);
        }
        try {
          // OpenSSL's own words ("DECODER routines::unsupported") say little; check the pair before binding.
          createSecureContext({ cert: tls.cert, key: tls.key });
        } catch (e) {
          throw new LoupeError('BAD_INPUT', `The TLS certificate and key cannot be used together (a PEM certificate and its unencrypted PEM private key are needed): ${(e as Error).message}`);
        }
      }
      const listener = new SyslogListener({
        journal: this.journal,
        host: s.host,
        ...(s.udp !== undefined ? { udpPort: s.udp } : {}),
        ...(s.tcp !== undefined ? { tcpPort: s.tcp } : {}),
        ...(tls ? { tls } : {}),
        onReceived: () => this.pump.nudge(),
      });
      try {
        this.bound = await listener.start();
      } catch (e) {
        await listener.stop().catch(() => undefined);
        const err = e as NodeJS.ErrnoException;
        const why =
          err.code === 'EADDRINUSE'
            ? `a port is already in use on ${s.host} (another listener, or another program)`
            : err.code === 'EACCES'
              ? 'ports below 1024 need administrator rights: pick a port such as 5514'
              : err.code === 'EADDRNOTAVAIL'
                ? `${s.host} is not an address of this machine`
                : err.message;
        throw new LoupeError('REFUSED', `Cannot listen: ${why}`);
      }
      this.listener = listener;
    } else {
      const dir = journalDir(this.ctx.kase.dir, this.row.id);
      // Committed positions, overlaid with what reached the journal since (the journal replays those lines).
      const known = new FilePositions([...this.sink.positions.entries(), ...journalPositions(dir)]);
      const follower = new FileFollower({
        paths: this.source.spec.paths,
        journal: this.journal,
        resume: known.latestByPath(),
        resumeInodes: known.inodeOffsets(),
        fromEnd: this.source.spec.fromEnd,
        ...(this.ctx.followIntervalMs ? { intervalMs: this.ctx.followIntervalMs } : {}),
        onReceived: () => this.pump.nudge(),
      });
      follower.start();
      this.follower = follower;
    }
    this.startedAt = new Date().toISOString();
    this.stoppedAt = null;
  }

  /** Close the sockets (or stop following); what was received is still stored by the pump. */
  async stopTransport(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    if (l) {
      this.truncatedBefore += l.stats().truncated;
      await l.stop();
    }
    this.follower?.stop();
    this.follower = null;
    this.bound = null;
    this.stoppedAt = new Date().toISOString();
  }

  /** Stop everything: transport, then the pump (storing what waits, until the deadline), then the journal. */
  async close(deadlineMs = 10_000): Promise<void> {
    await this.stopTransport();
    try {
      await this.pump.stop(deadlineMs);
    } catch {
      // Left in the journal: replayed when the source opens again.
    }
    this.journal.compact(this.pump.committedSeq);
    this.journal.close();
    if (!this.ctx.kase.isClosed) this.ctx.kase.release(this.conn);
  }

  /** Leave at once (the case is closing under us): the journal keeps what is not stored. */
  abandon(): void {
    void this.listener?.stop();
    this.listener = null;
    this.follower?.stop();
    this.follower = null;
    void this.pump.stop(0).catch(() => undefined);
    try {
      this.journal.close();
    } catch {
      // already closed
    }
  }

  private transportCounters(): { received: number; dropped: number; truncated: number } {
    return {
      received: this.receivedBase + this.journal.received,
      dropped: this.row.dropped + this.journal.dropped,
      truncated: this.row.truncated + this.truncatedBefore + (this.listener?.stats().truncated ?? 0),
    };
  }

  counters(): LiveSourceInfo['counters'] {
    const t = this.transportCounters();
    const s = this.sink.totals;
    const done = s.stored + s.rejected + s.skipped;
    return {
      received: t.received,
      stored: s.stored,
      rejected: s.rejected,
      skipped: s.skipped,
      dropped: t.dropped,
      truncated: t.truncated,
      backlog: Math.max(0, t.received - done),
      udpSocketDrops: this.bound?.udp ? udpSocketDrops(this.bound.udp) : null,
      connections: this.listener?.stats().open ?? 0,
    };
  }

  /** Once a second: the rate and latency of the last interval. */
  tick(): void {
    const now = performance.now();
    const received = this.transportCounters().received;
    const dt = (now - this.last.at) / 1000;
    if (dt > 0) this.rate = Math.round((received - this.last.received) / dt);
    this.last = { received, at: now };
    this.windowSummary = this.window.summary() ?? (this.backlogEmpty() ? null : this.windowSummary);
    this.window.reset();
  }

  private backlogEmpty(): boolean {
    return this.counters().backlog === 0;
  }

  private committed(seq: number, batch: LiveMessage[]): void {
    const now = Date.now();
    for (const m of batch) this.window.add(now - m.receivedAt);
    if (now - this.lastCompact > 10_000) {
      this.lastCompact = now;
      this.journal.compact(seq);
    }
  }

  info(): LiveSourceInfo {
    const s = this.source;
    const files = this.follower
      ? this.follower.positions().map((p) => ({ path: p.path, format: this.sink.readings[p.path]?.format ?? null, offset: p.offset }))
      : [...this.sink.positions.latestByPath()].map(([path, p]) => ({ path, format: this.sink.readings[path]?.format ?? null, offset: p.offset }));
    const problem = this.failure ?? this.pump.stats.lastError ?? this.listener?.lastError ?? this.follower?.lastError ?? null;
    return {
      id: this.row.id,
      kind: s.kind,
      label: sourceLabel(s),
      listener:
        s.kind === 'listener'
          ? { host: s.spec.host, udp: s.spec.udp ?? null, tcp: s.spec.tcp ?? null, tls: s.spec.tls?.port ?? null, certPath: s.spec.tls?.certPath ?? null, keyPath: s.spec.tls?.keyPath ?? null }
          : null,
      watch: s.kind === 'watch' ? { paths: s.spec.paths, fromEnd: s.spec.fromEnd } : null,
      bound: this.bound ? { udp: this.bound.udp ?? null, tcp: this.bound.tcp ?? null, tls: this.bound.tls ?? null } : null,
      state: this.running ? 'running' : this.failure ? 'failed' : 'stopped',
      evidenceId: this.row.evidenceId,
      counters: this.counters(),
      rate: this.running ? this.rate : 0,
      latencyMs: this.windowSummary,
      files,
      startedAt: this.startedAt,
      stoppedAt: this.stoppedAt,
      message: problem && this.pump.stats.lastError ? `storing is failing (messages wait in the journal): ${problem}` : problem,
    };
  }
}
