import type { Journal, LiveMessage } from './journal';
import { LatencyHistogram } from './latency';

/** Where received messages end up: the case (parse, normalise, store, commit the position). */
export interface LiveSink {
  /**
   * Store a batch and commit `batch[batch.length-1].seq` as the resume point
   * in the same transaction, so a crash replays exactly what was not stored.
   */
  store(batch: LiveMessage[]): Promise<{ stored: number; rejected: number; skipped?: number }>;
  /**
   * The same in two steps, so the pump parses the next batch while this one
   * commits (parsing runs in a worker, committing in DuckDB's threads).
   * `reset` after a failure: what follows the last commit is replayed.
   */
  pipeline?: {
    stage(batch: LiveMessage[]): Promise<StagedLike>;
    commit(staged: StagedLike): Promise<{ stored: number; rejected: number; skipped?: number }>;
    discard(staged: StagedLike): void;
    reset(): void;
  };
}

/** What a sink's stage step hands to its commit step (opaque to the pump). */
export interface StagedLike {
  batch: LiveMessage[];
}

export interface PumpStats {
  stored: number;
  rejected: number;
  skipped: number;
  batches: number;
  /** Receive-to-store latency of the messages of the last batches, ms. */
  lastLatencyMs: number | null;
  lastError: string | null;
}

export interface PumpOptions {
  /** Idle poll interval (ms): how often the journal is checked when nothing woke the pump. */
  intervalMs?: number;
  /**
   * After an arrival wakes the pump, wait this long (ms) so messages arriving
   * together are stored in one transaction rather than one each.
   */
  coalesceMs?: number;
  batchSize?: number;
  onCommitted?: (seq: number, batch: LiveMessage[]) => void;
  committedSeq?: number;
}

/**
 * Moves messages from the journal into the sink in batches, promptly (a
 * message waits at most `coalesceMs` after it arrives, plus the batch before
 * it) so live events become searchable within seconds.
 */
export class LivePump {
  private timer: NodeJS.Timeout | null = null;
  /** The pending timer is the long idle one (an arrival may cut it short). */
  private idle = false;
  private busy: Promise<void> | null = null;
  private stopped = true;
  readonly stats: PumpStats = { stored: 0, rejected: 0, skipped: 0, batches: 0, lastLatencyMs: null, lastError: null };
  /** Receive-to-commit time of every stored message (for percentiles). */
  readonly latency = new LatencyHistogram();
  /** The journal position up to which everything is stored. */
  private committed: number;

  constructor(
    private readonly journal: Journal,
    private readonly sink: LiveSink,
    private readonly opts: PumpOptions = {},
  ) {
    this.committed = opts.committedSeq ?? 0;
  }

  get committedSeq(): number {
    return this.committed;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Called by the listener when messages arrive: store soon rather than at the next idle tick. */
  nudge(): void {
    if (this.stopped || !this.idle || this.busy) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(this.opts.coalesceMs ?? 50);
  }

  /**
   * Stop ticking and store what is waiting, for at most `deadlineMs`; what is
   * left stays in the journal (replayed at the next start).
   */
  async stop(deadlineMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.busy) await this.busy.catch(() => undefined);
    await this.drain(performance.now() + deadlineMs);
  }

  /** Store everything waiting (until the journal is empty or the deadline passes). */
  async drain(until = Number.POSITIVE_INFINITY): Promise<void> {
    const size = this.opts.batchSize ?? 20_000;
    const pipe = this.sink.pipeline;
    if (!pipe) {
      // Bounded: each pass stores a batch taken from the journal, or returns when there is none.
      while (performance.now() < until) {
        const batch = this.journal.take(size);
        if (batch.length === 0) return;
        await this.storeBatch(batch);
      }
      return;
    }
    // Two batches in flight at most: one committing, the next one being parsed.
    const begin = (): Promise<StagedLike> | null => {
      const batch = this.journal.take(size);
      if (batch.length === 0) return null;
      const p = pipe.stage(batch);
      p.catch(() => undefined); // awaited below; a rejection before then is not unhandled
      return p;
    };
    let next = begin();
    try {
      // Bounded: each pass commits a batch taken from the journal, or returns when there is none.
      while (next && performance.now() < until) {
        const staged = await next;
        next = performance.now() < until ? begin() : null;
        await this.commitStaged(staged);
      }
    } catch (e) {
      // Whatever was staged beyond the failure is replayed from the journal with the rest.
      this.abandonStaged(next);
      next = null;
      this.stats.lastError = (e as Error).message;
      pipe.reset();
      this.journal.replayFrom(this.committed);
      throw e;
    } finally {
      if (next) {
        // The deadline passed with a batch parsed but not stored: it goes back to the journal.
        this.abandonStaged(next);
        pipe.reset();
        this.journal.replayFrom(this.committed);
      }
    }
  }

  private abandonStaged(p: Promise<StagedLike> | null): void {
    const pipe = this.sink.pipeline;
    if (p && pipe) void p.then((s) => pipe.discard(s), () => undefined);
  }

  private async commitStaged(staged: StagedLike): Promise<void> {
    const r = await (this.sink.pipeline as NonNullable<LiveSink['pipeline']>).commit(staged);
    this.committedBatch(staged.batch, r);
  }

  private committedBatch(batch: LiveMessage[], r: { stored: number; rejected: number; skipped?: number }): void {
    const now = Date.now();
    this.stats.stored += r.stored;
    this.stats.rejected += r.rejected;
    this.stats.skipped += r.skipped ?? 0;
    this.stats.batches++;
    const last = batch[batch.length - 1] as LiveMessage;
    this.stats.lastLatencyMs = now - last.receivedAt;
    for (const m of batch) this.latency.add(now - m.receivedAt);
    this.committed = last.seq;
    this.opts.onCommitted?.(last.seq, batch);
    this.stats.lastError = null;
  }

  private schedule(delay: number): void {
    this.idle = delay >= (this.opts.intervalMs ?? 250);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.idle = false;
      const run = this.tick();
      this.busy = run;
      void run.finally(() => {
        if (this.busy === run) this.busy = null;
      });
    }, delay);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let failed = false;
    try {
      await this.drain();
    } catch {
      // Recorded in stats.lastError; the journal was rewound, the next tick retries.
      failed = true;
    } finally {
      // After a failure wait a whole interval (a broken database is not retried in a tight loop).
      if (!this.stopped) this.schedule(failed ? Math.max(1000, this.opts.intervalMs ?? 250) : (this.opts.intervalMs ?? 250));
    }
  }

  private async storeBatch(batch: LiveMessage[]): Promise<void> {
    try {
      this.committedBatch(batch, await this.sink.store(batch));
    } catch (e) {
      // The sink failed (database busy or broken): the messages stay in the
      // journal and are replayed from the last committed position.
      this.stats.lastError = (e as Error).message;
      this.journal.replayFrom(this.committed);
      throw e;
    }
  }
}
