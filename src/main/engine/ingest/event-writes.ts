import type { DuckDBConnection } from '@duckdb/node-api';
import type { Case } from '../case/case';
import { nextEventId, nextEvidenceId } from './evidence-store';

/**
 * The one writer of `events` at a time in a case, and the id counters every
 * writer shares.
 *
 * Imports and live sources write events concurrently, each on its own
 * connection. DuckDB would accept both appends, but two writers reading
 * `max(id) + 1` would hand out the same ids, and the post-import work (Sigma
 * alerts, the dashboard rollup) keeps a watermark on events.id: it assumes an
 * id, once committed, is larger than every id committed before it. So a
 * writer takes ids from `ids.next` only inside `exclusive`, advances it after
 * its COMMIT, and commits before it lets go: ids are handed out, and become
 * visible, in one increasing order.
 *
 * Evidence ids are shared the same way, since a live source creates its
 * evidence row while an import may be numbering its files.
 */
export class EventWrites {
  /** Next free events.id; valid once `init` ran. Writers advance it after they commit. */
  readonly ids = { next: 0 };
  private nextEvidence = 0;
  private ready: Promise<void> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  /** Live sources hold DuckDB's checkpoint threshold up (checkpoint-pacer.ts). */
  private liveHold = false;
  private settingTail: Promise<unknown> = Promise.resolve();

  /** Read the counters from the case the first time (later calls are free). */
  init(conn: DuckDBConnection): Promise<void> {
    this.ready ??= (async () => {
      this.ids.next = Math.max(this.ids.next, await nextEventId(conn));
      this.nextEvidence = Math.max(this.nextEvidence, await nextEvidenceId(conn));
    })().catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  /** A fresh evidence id (after `init`). */
  takeEvidenceId(): number {
    if (this.nextEvidence === 0) throw new Error('EventWrites.init must run before evidence ids are taken');
    return this.nextEvidence++;
  }

  /**
   * Run `fn` (a transaction that appends events with ids from `ids.next` and
   * advances it after COMMIT) while no other writer of this case runs.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * DuckDB's `checkpoint_threshold` is one setting of the whole database,
   * which two writers want moved: live sources raise it (so their many small
   * commits never stall in a checkpoint) and a big file's bulk load lowers it
   * (so its COMMIT writes the rows into the database file at once instead of
   * into the write-ahead log and again at the next checkpoint). Every change
   * goes through here, one after the other, and the live sources' hold wins:
   * a bulk load neither lowers the threshold under it nor resets it after.
   */
  setLiveHold(conn: DuckDBConnection, hold: boolean, threshold: string): Promise<void> {
    return this.changeSetting(async () => {
      this.liveHold = hold;
      await conn.run(hold ? `SET checkpoint_threshold = '${threshold}'` : 'RESET checkpoint_threshold');
    });
  }

  /** Run `fn` (a bulk load) with the threshold at `threshold`, unless live sources hold it. */
  async withBulkThreshold<T>(conn: DuckDBConnection, threshold: string, fn: () => Promise<T>): Promise<T> {
    let lowered = false;
    await this.changeSetting(async () => {
      if (this.liveHold) return;
      await conn.run(`SET checkpoint_threshold = '${threshold}'`);
      lowered = true;
    });
    try {
      return await fn();
    } finally {
      if (lowered) {
        await this.changeSetting(async () => {
          if (!this.liveHold) await conn.run('RESET checkpoint_threshold');
        }).catch(() => undefined); // a closed connection: the database is closing anyway
      }
    }
  }

  private changeSetting(fn: () => Promise<void>): Promise<void> {
    const run = this.settingTail.then(fn, fn);
    this.settingTail = run.catch(() => undefined);
    return run;
  }
}

const perCase = new WeakMap<Case, EventWrites>();

/** The writer lock and counters of an open case (one per Case object). */
export function eventWrites(kase: Case): EventWrites {
  let w = perCase.get(kase);
  if (!w) {
    w = new EventWrites();
    perCase.set(kase, w);
  }
  return w;
}
