import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, type LiveMessage } from '../../../src/main/engine/live/journal';
import { LivePump, type LiveSink, type StagedLike } from '../../../src/main/engine/live/pump';
import { tempDir } from '../../helpers';
import { until } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/**
 * A two-step sink that records what it staged, committed, discarded, and
 * checks the pump's promise: a commit only ever sees the batch right after
 * the last committed one, whatever failed in between.
 */
class PipelineSink implements LiveSink {
  committed: LiveMessage[] = [];
  discarded = 0;
  resets = 0;
  /** Commits that ran while the next batch was being parsed: the overlap the two steps are for. */
  overlapped = 0;
  private staging = 0;
  failStage = new Set<number>();
  failCommit = new Set<number>();
  private stages = 0;
  private commits = 0;

  store(batch: LiveMessage[]) {
    return this.pipeline.commit({ batch });
  }

  readonly pipeline = {
    stage: async (batch: LiveMessage[]): Promise<StagedLike> => {
      const n = ++this.stages;
      this.staging++;
      await new Promise((r) => setTimeout(r, 2));
      this.staging--;
      if (this.failStage.has(n)) throw new Error(`stage ${n} failed`);
      return { batch };
    },
    commit: async (staged: StagedLike) => {
      const n = ++this.commits;
      if (this.staging > 0) this.overlapped++;
      await new Promise((r) => setTimeout(r, 5));
      if (this.failCommit.has(n)) throw new Error(`commit ${n} failed`);
      const expected = this.committed.length;
      const first = Number(staged.batch[0]?.message.slice(1));
      if (first !== expected) throw new Error(`commit out of order: batch starts at m${first}, m${expected} expected`);
      this.committed.push(...staged.batch);
      return { stored: staged.batch.length, rejected: 0 };
    },
    discard: () => {
      this.discarded++;
    },
    reset: () => {
      this.resets++;
    },
  };
}

const messages = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ receivedAt: Date.now(), peer: 'p', transport: 'tcp' as const, message: `m${from + i}` }));

describe('the pump with a two-step sink', () => {
  it('parses the next batch while one commits, and after a failed stage or commit stores everything once, in order', async () => {
    const journal = new Journal(join(tmp.dir, 'j'));
    const sink = new PipelineSink();
    sink.failCommit = new Set([2, 5]);
    sink.failStage = new Set([7]);
    const pump = new LivePump(journal, sink, { intervalMs: 5, batchSize: 10 });
    journal.append(messages(0, 200));
    pump.start();
    await until(() => sink.committed.length === 200, 'all 200 stored');
    expect(sink.committed.map((m) => m.message)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect(sink.overlapped).toBeGreaterThan(10);
    // The batch parsed behind each failed commit went back to the journal and its staging was thrown away
    // (a failed stage behind a failed commit is thrown away with it, so at least the two commits reset).
    expect(sink.resets).toBeGreaterThanOrEqual(2);
    expect(sink.discarded).toBeGreaterThanOrEqual(1);
    expect(pump.committedSeq).toBe(journal.end);
    expect(pump.stats).toMatchObject({ stored: 200, lastError: null });
    await pump.stop();
    journal.close();
  });

  it('puts a parsed batch back when the deadline passes, and the next drain stores it', async () => {
    const journal = new Journal(join(tmp.dir, 'j'));
    const sink = new PipelineSink();
    const pump = new LivePump(journal, sink, { batchSize: 10 });
    journal.append(messages(0, 30));
    // A deadline that passes at once: at most one batch commits, the one parsed behind it is returned.
    await pump.drain(performance.now() + 1);
    expect(sink.committed.length).toBeLessThanOrEqual(10);
    await pump.drain();
    expect(sink.committed.map((m) => m.message)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    journal.close();
  });
});
