import { mkdirSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventWrites } from '../ingest/event-writes';
import type { FilePosition, LiveMessage } from './journal';
import type { LiveWorkerClient } from './live-worker-client';
import { FilePositions } from './file-positions';
import { commitBatch, fieldColumns } from './live-store';
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
  /** Test hook: the next commit fails after its rows are written (and is rolled back). */
  failNextCommit = false;

  constructor(private readonly o: CaseSinkOptions) {
    this.totals = { ...o.totals };
    this.readings = { ...o.readings };
    this.positions = new FilePositions(o.positions);
    mkdirSync(o.stagingDir, { recursive: true });
  }

  async store(batch: LiveMessage[]): Promise<{ stored: number; rejected: number; skipped: number }> {
    const o = this.o;
    this.known ??= new Set(await fieldColumns(o.conn, o.evidenceId));
    const generation = o.worker.ensure();
    const init = generation !== this.initGeneration ? { columns: [...this.known], readings: this.readings, maxColumns: o.maxColumns, ...(o.tz ? { tz: o.tz } : {}) } : undefined;
    const t = this.totals;
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
      this.forgetParserState();
      throw e;
    }
    this.initGeneration = generation;
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
    await o.writes.init(o.conn);
    let firstId = 0;
    try {
      await o.writes.exclusive(async () => {
        firstId = o.writes.ids.next;
        await commitBatch(o.conn, {
          sourceId: o.sourceId,
          evidenceId: o.evidenceId,
          seq: last.seq,
          chunks: res.chunks,
          known: this.known as Set<string>,
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
      this.forgetParserState();
      throw e;
    }
    this.readingsDirty = false;
    if (positions) for (const p of positions.entries()) this.positions.set(p);
    Object.assign(this.totals, next);
    if (res.stored > 0) o.onStored?.(firstId, res.stored);
    return { stored: res.stored, rejected: res.rejected, skipped: res.skipped };
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
