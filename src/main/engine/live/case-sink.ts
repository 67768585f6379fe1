import { mkdirSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventWrites } from '../ingest/event-writes';
import type { FilePosition, LiveMessage } from './journal';
import type { LiveWorkerClient } from './live-worker-client';
import { FilePositions } from './file-positions';
import { commitBatch, fieldColumns } from './live-store';
import type { StageResult } from './live-stager';
import { removeChunkFiles } from '../ingest/stage-loader';
import type { FileReading } from './message-parser';
import type { LiveSink } from './pump';

export interface SourceTotals {
  received: number;
  stored: number;
  rejected: number;
  skipped: number;
  warnings: number;
  dropped: number;
  truncated: number;
}

export interface CaseSinkOptions {
  conn: DuckDBConnection;
  writes: EventWrites;
  worker: LiveWorkerClient;
  sourceId: number;
  evidenceId: number;
  stagingDir: string;
  maxColumns: number;
  tz?: string;
  /** What the case says so far (the source's live_sources row). */
  totals: SourceTotals;
  readings: Record<string, FileReading>;
  positions: FilePosition[];
  /** The counters the journal and the transport keep (received, dropped, truncated), read at each commit. */
  transport: () => { received: number; dropped: number; truncated: number };
  /** After each commit: the events.id range the batch added (for the post-import hooks). */
  onStored?: (firstId: number, count: number) => void;
}

/** A batch parsed into staging chunks, waiting for its commit. */
export interface StagedBatch {
  batch: LiveMessage[];
  res: StageResult;
}

function removeStaged(chunks: StageResult['chunks']): void {
  for (const c of chunks) removeChunkFiles(c);
}

/**
 * A live source's way into the case: each batch is parsed into staging
 * chunks by the live worker, then loaded with the journal position it
 * reaches in one transaction (live-store.ts commitBatch), under the case's
 * event-writer lock so event ids keep their commit order.
 */
export class CaseSink implements LiveSink {
  readonly totals: SourceTotals;
  readonly readings: Record<string, FileReading>;
  /** Committed positions of followed files. */
  readonly positions: FilePositions;
  private known: Set<string> | null = null;
  private initGeneration = -1;
  private readingsDirty = false;
  /** The totals once every batch staged so far is committed (null: nothing staged beyond the commits). */
  private ahead: SourceTotals | null = null;
  /** Bumped by reset(): a stage that began before it must not move `ahead`. */
  private epoch = 0;
  /** Test hook: the next commit fails after its rows are written (and is rolled back). */
  failNextCommit = false;
  /** The pump parses the next batch while this sink commits the previous one. */
  readonly pipeline: NonNullable<LiveSink['pipeline']> = {
    stage: (batch) => this.stage(batch),
    commit: (staged) => this.commit(staged as StagedBatch),
    discard: (staged) => this.discard(staged as StagedBatch),
    reset: () => this.reset(),
  };

  constructor(private readonly o: CaseSinkOptions) {
    this.totals = { ...o.totals };
    this.readings = { ...o.readings };
    this.positions = new FilePositions(o.positions);
    mkdirSync(o.stagingDir, { recursive: true });
  }

  async store(batch: LiveMessage[]): Promise<{ stored: number; rejected: number; skipped: number }> {
    return this.commit(await this.stage(batch));
  }

  /**
   * Parse a batch into staging chunks (in the live worker). The pump stages
   * the next batch while this one commits, so the counters it starts from
   * are those the batches staged before it will have once committed.
   */
  async stage(batch: LiveMessage[]): Promise<StagedBatch> {
    const o = this.o;
    this.known ??= new Set(await fieldColumns(o.conn, o.evidenceId));
    const generation = o.worker.ensure();
    const init = generation !== this.initGeneration ? { columns: [...this.known], readings: this.readings, maxColumns: o.maxColumns, ...(o.tz ? { tz: o.tz } : {}) } : undefined;
    const t = this.ahead ?? this.totals;
    const epoch = this.epoch;
    let res;
    try {
      res = await o.worker.stage({
        sourceId: o.sourceId,
        stagingDir: o.stagingDir,
        firstRid: t.stored,
        firstPos: t.stored + t.rejected + t.skipped + 1,
        messages: batch,
        ...(init ? { init } : {}),
      });
    } catch (e) {
      this.reset();
      throw e;
    }
    this.initGeneration = generation;
    // Staged before a failure was noticed: the pump discards it, and the next stage starts from the commits.
    if (epoch !== this.epoch) return { batch, res };
    this.ahead = { ...t, stored: t.stored + res.stored, rejected: t.rejected + res.rejected, skipped: t.skipped + res.skipped, warnings: t.warnings + res.warnings };
    return { batch, res };
  }

  /** Store a staged batch with the journal position it reaches, in one transaction. */
  async commit(staged: StagedBatch): Promise<{ stored: number; rejected: number; skipped: number }> {
    const o = this.o;
    const { batch, res } = staged;
    const t = this.totals;
    for (const [path, r] of Object.entries(res.readings)) {
      this.readings[path] = r;
      this.readingsDirty = true;
    }
    let positions: FilePositions | null = null;
    for (const m of batch) {
      if (!m.pos) continue;
      positions ??= new FilePositions(this.positions.entries());
      positions.set(m.pos);
    }
    const transport = o.transport();
    const next: SourceTotals = {
      received: Math.max(transport.received, t.stored + t.rejected + t.skipped + batch.length),
      stored: t.stored + res.stored,
      rejected: t.rejected + res.rejected,
      skipped: t.skipped + res.skipped,
      warnings: t.warnings + res.warnings,
      dropped: transport.dropped,
      truncated: transport.truncated,
    };
    const last = batch[batch.length - 1] as LiveMessage;
    const fail = this.failNextCommit;
    this.failNextCommit = false;
    let firstId = 0;
    try {
      this.known ??= new Set(await fieldColumns(o.conn, o.evidenceId));
      const known = this.known;
      await o.writes.init(o.conn);
      await o.writes.exclusive(async () => {
        firstId = o.writes.ids.next;
        await commitBatch(o.conn, {
          sourceId: o.sourceId,
          evidenceId: o.evidenceId,
          seq: last.seq,
          chunks: res.chunks,
          known,
          idBase: firstId,
          firstRid: t.stored,
          totals: next,
          readings: this.readingsDirty ? this.readings : null,
          positions: positions ? positions.entries() : null,
          ...(fail ? { failBeforeCommit: true } : {}),
        });
        o.writes.ids.next += res.stored;
      });
    } catch (e) {
      // The ALTERs of a rolled-back batch are gone too: ask the table again next time.
      this.known = null;
      this.reset();
      throw e;
    }
    this.readingsDirty = false;
    if (positions) for (const p of positions.entries()) this.positions.set(p);
    Object.assign(this.totals, next);
    if (res.stored > 0) o.onStored?.(firstId, res.stored);
    return { stored: res.stored, rejected: res.rejected, skipped: res.skipped };
  }

  /** A staged batch that will not be committed (the pump stopped or the batch before it failed). */
  discard(staged: StagedBatch): void {
    removeStaged(staged.res.chunks);
  }

  /**
   * Everything after the last commit is replayed from the journal: parsers
   * start afresh and the counters from what is committed.
   */
  reset(): void {
    this.epoch++;
    this.ahead = null;
    this.forgetParserState();
  }

  /**
   * The batch is replayed from the journal: its lines must meet parsers in
   * the state they had before it (a CSV header read twice would become a
   * row), so the worker starts this source afresh with the next batch.
   */
  private forgetParserState(): void {
    this.o.worker.forget(this.o.sourceId);
    this.initGeneration = -1;
  }
}
