import type { Journal, LiveMessage } from './journal';

/** Where received messages end up: the case (parse, normalise, store, commit the position). */
export interface LiveSink {
  /**
   * Store a batch and commit `batch[batch.length-1].seq` as the resume point
   * in the same transaction, so a crash replays exactly what was not stored.
   */
  store(batch: LiveMessage[]): Promise<{ stored: number; rejected: number }>;
}

export interface PumpStats {
  stored: number;
  rejected: number;
  batches: number;
  /** Receive-to-store latency of the messages of the last batches, ms. */
  lastLatencyMs: number | null;
  lastError: string | null;
}

/**
 * Moves messages from the journal into the sink in batches, promptly (a
 * message waits at most `intervalMs` plus one batch) so live events become
 * searchable within seconds.
 */
export class LivePump {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;
  readonly stats: PumpStats = { stored: 0, rejected: 0, batches: 0, lastLatencyMs: null, lastError: null };

  constructor(
    private readonly journal: Journal,
    private readonly sink: LiveSink,
    private readonly opts: { intervalMs?: number; batchSize?: number; onCommitted?: (seq: number) => void; committedSeq?: number } = {},
  ) {
    this.committed = opts.committedSeq ?? 0;
  }

  /** The journal position up to which everything is stored. */
  private committed: number;

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Called by the listener when messages arrive: store soon rather than at the next tick. */
  nudge(): void {
    if (!this.busy && this.timer === null && !this.stopped) this.schedule(0);
  }

  /** Store everything waiting, then stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    await this.drain();
  }

  async drain(): Promise<void> {
    for (;;) {
      const batch = this.journal.take(this.opts.batchSize ?? 20_000);
      if (batch.length === 0) return;
      await this.storeBatch(batch);
    }
  }

  private schedule(delay = this.opts.intervalMs ?? 200): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delay);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      await this.drain();
    } catch {
      // Recorded in stats.lastError; the journal was rewound, the next tick retries.
    } finally {
      this.busy = false;
      if (!this.stopped) this.schedule();
    }
  }

  private async storeBatch(batch: LiveMessage[]): Promise<void> {
    try {
      const r = await this.sink.store(batch);
      this.stats.stored += r.stored;
      this.stats.rejected += r.rejected;
      this.stats.batches++;
      const last = batch[batch.length - 1] as LiveMessage;
      this.stats.lastLatencyMs = Date.now() - last.receivedAt;
      this.committed = last.seq;
      this.opts.onCommitted?.(last.seq);
      this.stats.lastError = null;
    } catch (e) {
      // The sink failed (database busy or broken): the messages stay in the
      // journal and are replayed from the last committed position.
      this.stats.lastError = (e as Error).message;
      this.journal.replayFrom(this.committed);
      throw e;
    }
  }
}
