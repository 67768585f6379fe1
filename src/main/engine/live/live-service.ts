import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ListenerSpec, LiveSourceInfo, WatchSpec } from '@shared/live-contract';
import { LoupeError } from '@shared/errors';
import type { Case } from '../case/case';
import { DB_FILE } from '../case/case-file';
import { queryValue } from '../db/sql';
import { eventWrites } from '../ingest/event-writes';
import type { ImportedHook } from '../ingest/import-service';
import { checkTimeZone } from '../ingest/format-support';
import { ingestSettings } from '../ingest/settings';
import type { PushBus } from '../service/push';
import { CheckpointPacer } from './checkpoint-pacer';
import { FilePositions } from './file-positions';
import { countRecordsAfter } from './journal';
import { LiveWorkerClient } from './live-worker-client';
import { journalDir, LiveSource, sourceLabel, type SourceContext, type SourceSpec } from './live-source';
import { deleteSource, insertSource, listSourceRows, setSourceState, type SourceRow } from './live-store';

export interface LiveServiceOptions {
  push: PushBus;
  /** The engine's post-import hooks (Sigma alerts, the dashboard rollup), run over new live events too. */
  hooks: () => readonly ImportedHook[];
  /** Start again the sources that were running when the case was last open (the desktop and web hosts). */
  resumeOnOpen: boolean;
  /** How often the post-import hooks (Sigma alerts) run while new events arrive, ms (default 1000). */
  hookIntervalMs?: number;
  /** How often liveStats is pushed, ms (default 1000). */
  statsIntervalMs?: number;
  pump?: SourceContext['pump'];
  followIntervalMs?: number;
}

/**
 * The live sources of the open case: start, stop, list and remove them,
 * resume them when the case opens, push their counters (`liveStats`) and run
 * the post-import hooks over their new events at most every few seconds.
 *
 * The `state` stored in live_sources is the analyst's intent: `running`
 * means "should run". A host that resumes (desktop, browser mode) starts
 * such sources again when it opens the case; other commands (the CLI's
 * search, import ...) leave them alone but still store whatever their
 * journals hold that the case does not.
 */
export class LiveService {
  private kase: Case | null = null;
  private conn: DuckDBConnection | null = null;
  private readonly runtimes = new Map<number, LiveSource>();
  private readonly worker = new LiveWorkerClient();
  private ops: Promise<unknown> = Promise.resolve();
  private statsTimer: NodeJS.Timeout | null = null;
  private hookTimer: NodeJS.Timeout | null = null;
  private newEvents: { firstId: number; evidence: Set<number> } | null = null;
  private hooksRunning: Promise<void> | null = null;
  /** No rule run starts before this (performance.now() ms): see runHooks. */
  private hooksRestUntil = 0;
  private readonly background = new Set<Promise<unknown>>();
  private lastPushEmpty = true;
  private statsQuery: Promise<void> | null = null;
  private pacer: CheckpointPacer | null = null;
  /** Batches stored by all sources at the last stats tick (a quiet second stores none). */
  private batchesSeen = 0;

  constructor(private readonly o: LiveServiceOptions) {}

  // ------------------------------------------------------------------ case lifecycle

  /** The case just opened: store what journals hold, and resume sources when the host does. */
  async attach(kase: Case): Promise<void> {
    this.kase = kase;
    this.conn = await kase.connect();
    this.pacer = new CheckpointPacer(this.conn, join(kase.dir, `${DB_FILE}.wal`), eventWrites(kase));
    const rows = await listSourceRows(this.conn);
    for (const row of rows) {
      // The import pipeline's recovery marked the evidence of a source that was running `incomplete`.
      await this.conn.run(`UPDATE evidence SET status = 'imported', message = $m WHERE id = $ev AND status IN ('incomplete', 'importing')`, {
        ev: row.evidenceId,
        m: `live source #${row.id}`,
      });
      const pending = countRecordsAfter(journalDir(kase.dir, row.id), row.committedSeq) > 0;
      const resume = row.state === 'running' && this.o.resumeOnOpen;
      if (!resume && !pending) continue;
      const source = parseSpec(row);
      const rt = await LiveSource.open(this.context(kase), row, source);
      this.runtimes.set(row.id, rt);
      if (resume) {
        try {
          await this.pacer.hold();
          await rt.startTransport();
          await setSourceState(this.conn, { id: row.id, evidenceId: row.evidenceId, state: 'running', message: null });
        } catch (e) {
          rt.failure = (e as Error).message;
          await setSourceState(this.conn, { id: row.id, evidenceId: row.evidenceId, state: 'failed', message: rt.failure });
          this.closeWhenDrained(rt);
        }
      } else this.closeWhenDrained(rt);
    }
    this.ensureTimers();
  }

  /** The case is closing or switching: stop every source (their journals keep what is not stored yet). */
  async detach(deadlineMs = 5000): Promise<void> {
    const kase = this.kase;
    if (!kase) return;
    await this.ops.catch(() => undefined);
    this.stopTimers();
    const closing = [...this.runtimes.values()].map((rt) => rt.close(deadlineMs));
    this.runtimes.clear();
    await Promise.allSettled(closing);
    await Promise.allSettled([...this.background]);
    // The last events still get their rules when the sources stop.
    await this.runHooks(true).catch(() => undefined);
    this.pushStats(true);
    // A query still running on a connection that is closed takes the process down with it.
    await this.statsQuery?.catch(() => undefined);
    if (!kase.isClosed) await this.pacer?.release().catch(() => undefined);
    this.pacer = null;
    if (this.conn && !kase.isClosed) kase.release(this.conn);
    this.conn = null;
    this.kase = null;
  }

  /** The case is being closed at once (no await possible): sockets close, journals keep the rest. */
  abandon(): void {
    this.stopTimers();
    for (const rt of this.runtimes.values()) rt.abandon();
    this.runtimes.clear();
    this.kase = null;
    this.conn = null;
    this.pacer = null;
  }

  /** Detach and stop the parse worker (the engine is closing). */
  async close(): Promise<void> {
    await this.detach();
    this.worker.close();
  }

  // ------------------------------------------------------------------ operations

  startListener(spec: ListenerSpec): Promise<LiveSourceInfo> {
    if (spec.tz) {
      const bad = checkTimeZone(spec.tz);
      if (bad) throw new LoupeError('BAD_INPUT', bad);
    }
    return this.start({ kind: 'listener', spec });
  }

  startWatch(spec: WatchSpec): Promise<LiveSourceInfo> {
    if (spec.tz) {
      const bad = checkTimeZone(spec.tz);
      if (bad) throw new LoupeError('BAD_INPUT', bad);
    }
    const paths = [...new Set(spec.paths.map((p) => resolve(p)))].sort();
    for (const p of paths) {
      // A file that does not exist yet is followed once it appears (tail -F), but its folder must exist.
      if (existsSync(p)) {
        const st = statSync(p);
        if (!st.isFile() && !st.isDirectory()) throw new LoupeError('BAD_INPUT', `${p} is not a file or a folder`);
      } else if (!existsSync(dirname(p))) throw new LoupeError('NOT_FOUND', `No such file or folder: ${p}`);
    }
    return this.start({ kind: 'watch', spec: { ...spec, paths } });
  }

  stop(id: number): Promise<LiveSourceInfo> {
    return this.serial(async () => {
      const conn = this.requireConn();
      const row = await this.row(id);
      const rt = this.runtimes.get(id);
      if (rt?.running) {
        await rt.stopTransport();
        const c = rt.counters();
        await setSourceState(conn, { id, evidenceId: row.evidenceId, state: 'stopped', message: null, received: c.received, dropped: c.dropped, truncated: c.truncated });
        this.closeWhenDrained(rt);
      } else if (row.state === 'running') {
        await setSourceState(conn, { id, evidenceId: row.evidenceId, state: 'stopped', message: null });
      }
      this.pushStats();
      return this.infoOf((await this.row(id)) ?? row);
    });
  }

  remove(id: number): Promise<{ removed: boolean }> {
    return this.serial(async () => {
      const conn = this.requireConn();
      const kase = this.kase as Case;
      const row = await this.row(id);
      const rt = this.runtimes.get(id);
      if (rt) {
        this.runtimes.delete(id);
        await rt.close(0);
      }
      this.worker.forget(id);
      await eventWrites(kase).exclusive(() => deleteSource(conn, { id, evidenceId: row.evidenceId }));
      rmSync(journalDir(kase.dir, id), { recursive: true, force: true });
      this.pushStats();
      this.o.push.emit('caseChanged', { case: await kase.info() });
      return { removed: true };
    });
  }

  async list(): Promise<LiveSourceInfo[]> {
    const rows = await listSourceRows(this.requireConn());
    return rows.map((r) => this.infoOf(r));
  }

  /** The evidence rows that belong to live sources among `ids` (an import must not re-read or remove them). */
  async liveEvidence(ids: readonly number[]): Promise<number[]> {
    if (!this.conn) return [];
    const rows = await listSourceRows(this.conn);
    const set = new Set(rows.map((r) => r.evidenceId));
    return ids.filter((id) => set.has(id));
  }

  /** The running source with this id (tests, the CLI). */
  runtime(id: number): LiveSource | undefined {
    return this.runtimes.get(id);
  }

  // ------------------------------------------------------------------ internals

  private start(source: SourceSpec): Promise<LiveSourceInfo> {
    return this.serial(async () => {
      const kase = this.kase;
      const conn = this.requireConn();
      if (!kase) throw new LoupeError('NO_CASE_OPEN', 'No case is open: create or open one first');
      const key = matchKey(source);
      const rows = await listSourceRows(conn);
      let row = rows.find((r) => r.kind === source.kind && matchKey(parseSpec(r)) === key);
      const specText = JSON.stringify(source.spec);
      if (!row) {
        const writes = eventWrites(kase);
        await writes.init(conn);
        const id = rows.reduce((m, r) => Math.max(m, r.id), 0) + 1;
        const evidenceId = writes.takeEvidenceId();
        await insertSource(conn, { id, evidenceId, kind: source.kind, spec: specText, label: sourceLabel(source) });
        row = (await this.row(id)) as SourceRow;
        // The new source is evidence: the top bar's count changed.
        this.o.push.emit('caseChanged', { case: await kase.info() });
      } else if (row.spec !== specText) {
        // Same ports or paths, other options (time zone, from-end): the source carries on with the new ones.
        await conn.run('UPDATE live_sources SET spec = $s WHERE id = $id', { s: specText, id: row.id });
        const old = this.runtimes.get(row.id);
        if (old && !old.running) {
          this.runtimes.delete(row.id);
          await old.close(0);
        }
        row = { ...row, spec: specText };
      }
      let rt = this.runtimes.get(row.id);
      if (rt?.running) return rt.info();
      if (!rt) {
        rt = await LiveSource.open(this.context(kase), row, source);
        this.runtimes.set(row.id, rt);
      }
      try {
        await this.pacer?.hold();
        await rt.startTransport();
      } catch (e) {
        rt.failure = (e as Error).message;
        await setSourceState(conn, { id: row.id, evidenceId: row.evidenceId, state: 'failed', message: rt.failure });
        this.closeWhenDrained(rt);
        this.pushStats();
        throw e;
      }
      await setSourceState(conn, { id: row.id, evidenceId: row.evidenceId, state: 'running', message: null });
      this.ensureTimers();
      this.pushStats();
      return rt.info();
    });
  }

  private context(kase: Case): SourceContext {
    return {
      kase,
      writes: eventWrites(kase),
      worker: this.worker,
      maxColumns: ingestSettings().maxColumns,
      onStored: (source, firstId) => {
        if (this.newEvents) {
          this.newEvents.firstId = Math.min(this.newEvents.firstId, firstId);
          this.newEvents.evidence.add(source.evidenceId);
        } else this.newEvents = { firstId, evidence: new Set([source.evidenceId]) };
      },
      ...(this.o.pump ? { pump: this.o.pump } : {}),
      ...(this.o.followIntervalMs ? { followIntervalMs: this.o.followIntervalMs } : {}),
    };
  }

  /** A source that is not running stores what its journal holds, then lets go of it. */
  private closeWhenDrained(rt: LiveSource): void {
    const task = (async () => {
      // Bounded by the journal: every pass either sees the backlog shrink or waits for the pump's retry.
      while (this.runtimes.get(rt.id) === rt && !rt.running && rt.counters().backlog > 0) await new Promise((r) => setTimeout(r, 100));
      if (this.runtimes.get(rt.id) === rt && !rt.running) {
        this.runtimes.delete(rt.id);
        await rt.close();
      }
    })().catch(() => undefined);
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private infoOf(row: SourceRow): LiveSourceInfo {
    const rt = this.runtimes.get(row.id);
    if (rt) {
      const info = rt.info();
      return info.state === 'stopped' && row.state === 'failed' ? { ...info, state: 'failed', message: info.message ?? row.message } : info;
    }
    const source = parseSpec(row);
    const asleep = row.state === 'running';
    return {
      id: row.id,
      kind: row.kind,
      label: sourceLabel(source),
      listener:
        source.kind === 'listener'
          ? {
              host: source.spec.host,
              udp: source.spec.udp ?? null,
              tcp: source.spec.tcp ?? null,
              tls: source.spec.tls?.port ?? null,
              certPath: source.spec.tls?.certPath ?? null,
              keyPath: source.spec.tls?.keyPath ?? null,
            }
          : null,
      watch: source.kind === 'watch' ? { paths: source.spec.paths, fromEnd: source.spec.fromEnd } : null,
      bound: null,
      state: row.state === 'failed' ? 'failed' : 'stopped',
      evidenceId: row.evidenceId,
      counters: {
        received: row.received,
        stored: row.stored,
        rejected: row.rejected,
        skipped: row.skipped,
        dropped: row.dropped,
        truncated: row.truncated,
        backlog: Math.max(0, row.received - row.stored - row.rejected - row.skipped),
        udpSocketDrops: null,
        connections: 0,
      },
      rate: 0,
      latencyMs: null,
      files: [...new FilePositions(row.positions).latestByPath()].map(([path, p]) => ({ path, format: row.readings[path]?.format ?? null, offset: p.offset })),
      startedAt: row.startedAt,
      stoppedAt: row.stoppedAt,
      message: asleep ? 'was running when Loupe last closed the case; it resumes when the app opens the case, or start it again' : row.message,
    };
  }

  private async row(id: number): Promise<SourceRow> {
    const rows = await listSourceRows(this.requireConn());
    const row = rows.find((r) => r.id === id);
    if (!row) throw new LoupeError('NOT_FOUND', `No live source #${id} in this case`);
    return row;
  }

  private requireConn(): DuckDBConnection {
    if (!this.conn || !this.kase || this.kase.isClosed) throw new LoupeError('NO_CASE_OPEN', 'No case is open: create or open one first');
    return this.conn;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.ops.then(fn, fn);
    this.ops = next.catch(() => undefined);
    return next;
  }

  private ensureTimers(): void {
    this.statsTimer ??= setInterval(() => {
      for (const rt of this.runtimes.values()) rt.tick();
      this.pushStats();
      this.paceCheckpoints();
    }, this.o.statsIntervalMs ?? 1000);
    this.hookTimer ??= setInterval(() => void this.runHooks().catch(() => undefined), this.o.hookIntervalMs ?? 1000);
  }

  /** Checkpoints in quiet seconds while sources run (checkpoint-pacer.ts). */
  private paceCheckpoints(): void {
    const pacer = this.pacer;
    if (!pacer) return;
    const runtimes = [...this.runtimes.values()];
    if (!runtimes.some((rt) => rt.running)) {
      void pacer.release().catch(() => undefined);
      return;
    }
    const batches = runtimes.reduce((n, rt) => n + rt.pump.stats.batches, 0);
    const quiet = batches === this.batchesSeen && runtimes.every((rt) => rt.journal.backlog === 0);
    this.batchesSeen = batches;
    pacer.tick(quiet);
  }

  private stopTimers(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.hookTimer) clearInterval(this.hookTimer);
    this.statsTimer = null;
    this.hookTimer = null;
  }

  /** The post-import hooks over the events stored since they last ran; never two runs at once. */
  private runHooks(force = false): Promise<void> {
    if (this.hooksRunning) return this.hooksRunning;
    // Under a burst the rule runs would follow each other back to back and take a
    // core from storing; resting as long as the last run took keeps them at most
    // half the time, so alerts lag by about one run and storage keeps up.
    if (!force && performance.now() < this.hooksRestUntil) return Promise.resolve();
    const pending = this.newEvents;
    const kase = this.kase;
    if (!pending || !kase || kase.isClosed) return Promise.resolve();
    this.newEvents = null;
    const started = performance.now();
    const run = (async () => {
      for (const hook of this.o.hooks()) {
        try {
          await hook({ case: kase, importId: 0, evidenceIds: [...pending.evidence], firstNewEventId: pending.firstId, live: true });
        } catch {
          // A hook's failure (a rule that broke) is its own to report; the sources keep storing.
        }
      }
    })();
    this.hooksRunning = run;
    void run.finally(() => {
      if (this.hooksRunning === run) this.hooksRunning = null;
      const now = performance.now();
      this.hooksRestUntil = now + (now - started);
    });
    return run;
  }

  private pushStats(force = false): void {
    const sources = [...this.runtimes.values()].map((rt) => rt.info());
    if (sources.length === 0 && this.lastPushEmpty && !force) return;
    this.lastPushEmpty = sources.length === 0;
    const conn = this.conn;
    if (!conn) return;
    const emit = (events: number): void => this.o.push.emit('liveStats', { sources, events, at: new Date().toISOString() });
    if (this.statsQuery) return; // the previous count is still running: skip this push
    const q = queryValue<number>(conn, 'SELECT count(*) FROM events').then(
      (n) => emit(Number(n ?? 0)),
      () => undefined,
    );
    this.statsQuery = q;
    void q.finally(() => {
      if (this.statsQuery === q) this.statsQuery = null;
    });
  }
}

function parseSpec(row: SourceRow): SourceSpec {
  const spec = JSON.parse(row.spec) as ListenerSpec | WatchSpec;
  return row.kind === 'watch' ? { kind: 'watch', spec: spec as WatchSpec } : { kind: 'listener', spec: spec as ListenerSpec };
}

/** What makes two starts the same source: the interface and ports, or the set of paths. */
function matchKey(s: SourceSpec): string {
  if (s.kind === 'watch') return [...s.spec.paths].sort().join('\n');
  return `${s.spec.host}|${s.spec.udp ?? '-'}|${s.spec.tcp ?? '-'}|${s.spec.tls?.port ?? '-'}`;
}
