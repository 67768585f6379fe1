import { statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventWrites } from '../ingest/event-writes';

/**
 * When the case checkpoints while live sources run.
 *
 * DuckDB checkpoints by itself inside the COMMIT that takes the write-ahead
 * log past `checkpoint_threshold` (16 MiB by default). Live batches are small
 * transactions that all go through the log, so at 50,000 messages/s that was
 * a checkpoint about every second, each one stalling the commit that tripped
 * it for 0.5-1.5 s while the backlog grew: the p95 of send-to-searchable was
 * 2.2 s, with storage at about 42,000 events/s. With the threshold out of the
 * way during the same burst, every commit took under 0.2 s, storage kept up
 * with the sender, and p95 fell to about 0.5 s (test/bench/live.bench.ts).
 *
 * So while any live source runs, the threshold is raised to
 * LIVE_CHECKPOINT_THRESHOLD, and the checkpoint is taken instead in a quiet
 * moment: a second with no batch stored and nothing waiting in any journal.
 * A burst that never pauses still gets a checkpoint at the raised threshold,
 * so the log stays bounded. When the last source stops, the default returns.
 */
export const LIVE_CHECKPOINT_THRESHOLD = '1GB';
/** A quiet checkpoint is worth taking once the log holds this much. */
const QUIET_CHECKPOINT_BYTES = 16 * 1024 * 1024;

export class CheckpointPacer {
  private held = false;
  private changing: Promise<void> = Promise.resolve();
  private checkpointing: Promise<void> | null = null;
  /** Quiet checkpoints taken (for tests and the log). */
  checkpoints = 0;

  constructor(
    private readonly conn: DuckDBConnection,
    /** The case database's write-ahead log file. */
    private readonly walFile: string,
    private readonly writes: EventWrites,
  ) {}

  /** Live sources run: DuckDB stops checkpointing inside their commits. */
  hold(): Promise<void> {
    return this.change(true);
  }

  /** No live source runs any more: back to DuckDB's own threshold, and a checkpoint of what the sources wrote. */
  release(): Promise<void> {
    return this.change(false);
  }

  /**
   * Called about once a second. `quiet`: no source stored a batch since the
   * last call and no journal has anything waiting.
   */
  tick(quiet: boolean): void {
    if (!this.held || !quiet || this.checkpointing || this.walBytes() < QUIET_CHECKPOINT_BYTES) return;
    const run = this.checkpoint().then(
      () => {
        this.checkpoints++;
      },
      () => undefined, // another connection's transaction was open: the next quiet second tries again
    );
    this.checkpointing = run;
    void run.finally(() => {
      if (this.checkpointing === run) this.checkpointing = null;
    });
  }

  private change(hold: boolean): Promise<void> {
    const next = this.changing.then(async () => {
      if (this.held === hold) return;
      this.held = hold;
      await this.checkpointing;
      await this.writes.setLiveHold(this.conn, hold, LIVE_CHECKPOINT_THRESHOLD);
      if (!hold && this.walBytes() >= QUIET_CHECKPOINT_BYTES) await this.checkpoint().catch(() => undefined);
    });
    this.changing = next.catch(() => undefined);
    return next;
  }

  /** Between two event writers (imports and live batches), never inside one's transaction. */
  private checkpoint(): Promise<void> {
    return this.writes.exclusive(async () => {
      await this.conn.run('CHECKPOINT');
    });
  }

  private walBytes(): number {
    try {
      return statSync(this.walFile).size;
    } catch {
      return 0;
    }
  }
}
