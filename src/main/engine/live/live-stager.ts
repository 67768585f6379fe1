import { isRejection, isSkipped, type Fields } from '../ingest/format-support';
import { ColumnSet, StagingChunk } from '../ingest/staging-writer';
import type { LiveMessage } from './journal';
import { MessageParser, type FileReading } from './message-parser';

/**
 * Turns a batch of received messages into staging CSV chunks (the import
 * pipeline's format, loaded with read_csv): the parse and CSV work of a live
 * source, done in the live worker thread so the thread that reads the
 * sockets never waits on it.
 *
 * Besides a record's own fields, each event's field-table row carries where
 * it came from: `_peer` (sender address:port) and `_transport` for network
 * messages, `_file` for followed files, and `_received_at` (ISO UTC). A
 * network message without a time of its own takes its receive time (a
 * followed file's line does not: an old file's lines were not written now).
 */

export interface StageRequest {
  sourceId: number;
  stagingDir: string;
  /** rid of the first record stored (the field table's row count). */
  firstRid: number;
  /** Ordinal (1-based) of the batch's first message in the source: events.pos and ingest_errors.pos. */
  firstPos: number;
  messages: LiveMessage[];
  /** Present when this worker has not seen the source yet: its field-table columns, file readings, zone. */
  init?: { columns: string[]; readings: Record<string, FileReading>; tz?: string; maxColumns: number };
}

export interface StagedLiveChunk {
  eventsFile: string | null;
  srcFile: string | null;
  errorsFile: string | null;
  columns: string[];
  rows: number;
  firstRid: number;
}

export interface StageResult {
  chunks: StagedLiveChunk[];
  stored: number;
  rejected: number;
  skipped: number;
  warnings: number;
  /** File readings decided for this batch (to store with the source). */
  readings: Record<string, FileReading>;
}

interface SourceState {
  columns: ColumnSet;
  parser: MessageParser;
}

/** Chunks are cut at this many rows so one huge batch does not make one huge file. */
const CHUNK_ROWS = 100_000;

export class LiveStager {
  private readonly sources = new Map<number, SourceState>();
  private seq = 0;

  has(sourceId: number): boolean {
    return this.sources.has(sourceId);
  }

  forget(sourceId: number): void {
    this.sources.delete(sourceId);
  }

  stage(req: StageRequest): StageResult {
    let st = this.sources.get(req.sourceId);
    if (!st || req.init) {
      if (!req.init) throw new Error(`live source ${req.sourceId} was not initialised in this worker`);
      const columns = new ColumnSet(req.init.maxColumns);
      columns.restore(req.init.columns);
      st = { columns, parser: new MessageParser({ readings: req.init.readings, ...(req.init.tz ? { tz: req.init.tz } : {}) }) };
      this.sources.set(req.sourceId, st);
    }
    const { columns, parser } = st;
    const batchNo = this.seq++;
    let part = 0;
    const chunks: StagedLiveChunk[] = [];
    let rid = req.firstRid;
    const open = (): StagingChunk => new StagingChunk(rid, columns, req.stagingDir, `s${req.sourceId}-b${batchNo}-c${part++}`);
    let chunk = open();
    const close = (c: StagingChunk): void => {
      const files = c.finish();
      if (c.size > 0) chunks.push({ ...files, rows: c.rows, firstRid: c.firstRid });
    };
    let stored = 0;
    let rejected = 0;
    let skipped = 0;
    let warnings = 0;
    const parsed = parser.parseBatch(req.messages);
    for (let i = 0; i < req.messages.length; i++) {
      const m = req.messages[i] as LiveMessage;
      const { result: r, structured } = parsed[i] as (typeof parsed)[number];
      const pos = req.firstPos + i;
      if (isSkipped(r)) {
        skipped++;
        continue;
      }
      if (isRejection(r)) {
        chunk.error({ pos, posKind: 'record', kind: 'rejected', reason: r.error, excerpt: m.message });
        rejected++;
        continue;
      }
      // A tabular record (CEF) builds its fields object on first read; it is ours to extend.
      const fields: Fields = r.fields;
      const received = new Date(m.receivedAt).toISOString();
      if (m.transport === 'file') {
        fields._file = m.pos?.path ?? m.peer;
      } else {
        fields._peer = m.peer;
        fields._transport = m.transport;
        if (r.core.ts === null) r.core.ts = received;
        if (r.core.host === null) r.core.host = peerHost(m.peer);
      }
      fields._received_at = received;
      const raw = structured ? null : (r.raw ?? m.message);
      if (chunk.rows >= CHUNK_ROWS) {
        close(chunk);
        chunk = open();
      }
      if (!chunk.add(rid, pos, r.core, fields, raw)) {
        // A new field: this chunk keeps its width and the record opens the next one.
        close(chunk);
        chunk = open();
        chunk.add(rid, pos, r.core, fields, raw);
      }
      rid++;
      stored++;
      if (r.warnings) {
        for (const w of r.warnings) chunk.error({ pos, posKind: 'record', kind: 'warning', reason: w, excerpt: m.message });
        warnings += r.warnings.length;
      }
    }
    close(chunk);
    const readings: Record<string, FileReading> = {};
    for (const [path, reading] of parser.newReadings) readings[path] = reading;
    parser.newReadings.clear();
    return { chunks, stored, rejected, skipped, warnings, readings };
  }
}

/** The address part of "1.2.3.4:514" or "::1:514" (IPv6 peers are written without brackets). */
function peerHost(peer: string): string | null {
  const i = peer.lastIndexOf(':');
  const host = i > 0 ? peer.slice(0, i) : peer;
  return host.length > 0 ? host : null;
}
