import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { LoupeError } from '@shared/errors';
import { CHUNK_SIZE, parseChunk } from './chunk-parser';
import { dumpLines } from './dump-format';
import { FILE_HEADER_SIZE, parseFileHeader } from './file-header';
import type { ChunkResult, EvtxEvent, EvtxIssue, EvtxReadOptions, EvtxSummary } from './types';
import { leaseWorkers, type PoolLease } from './worker-pool';

/**
 * Reads an EVTX file chunk by chunk: the main thread reads 64 KiB slots and
 * hands each to a worker (or parses it inline), then yields results strictly
 * in file order. At most `window` chunks are in flight, and nothing more is
 * read while the consumer holds a batch, so memory stays flat whatever the
 * file size. The file is never read whole.
 */

export interface EvtxReader extends AsyncIterable<EvtxEvent[]> {
  /** Live counts; final once iteration has ended. */
  readonly summary: EvtxSummary;
}

export interface EvtxNdjsonReader extends AsyncIterable<Buffer> {
  readonly summary: EvtxSummary;
}

/**
 * Below this many chunks (1 MiB) the default is to parse inline: a chunk
 * takes about a millisecond, so small files are done before threads pay off.
 */
const MIN_CHUNKS_FOR_DEFAULT_WORKERS = 16;
/** Chunks queued per worker: enough to keep it busy while the main thread writes. */
const CHUNKS_PER_WORKER = 4;

export function readEvtx(path: string, opts: EvtxReadOptions = {}): EvtxReader {
  const summary = emptySummary();
  return {
    summary,
    async *[Symbol.asyncIterator]() {
      for await (const piece of readPieces(path, opts, 'events', summary)) {
        if (piece.events.length > 0) yield piece.events;
      }
    },
  };
}

/**
 * The same read, but each batch arrives as UTF-8 NDJSON bytes in the shape of
 * dump-format.ts, rendered inside the workers. For dumps and exports, where
 * turning events into objects on the main thread would be wasted work.
 */
export function readEvtxNdjson(path: string, opts: EvtxReadOptions = {}): EvtxNdjsonReader {
  const summary = emptySummary();
  return {
    summary,
    async *[Symbol.asyncIterator]() {
      for await (const piece of readPieces(path, opts, 'ndjson', summary)) {
        if (piece.ndjson.length > 0) yield piece.ndjson;
      }
    },
  };
}

interface Piece {
  result: ChunkResult;
  events: EvtxEvent[];
  /** UTF-8 NDJSON (ndjson output only; empty otherwise). */
  ndjson: Buffer;
  returned: number;
}

const NO_TEXT = Buffer.alloc(0);

function emptySummary(): EvtxSummary {
  return {
    fileSize: 0,
    chunks: 0,
    chunksSkipped: 0,
    recordsSeen: 0,
    recordsReturned: 0,
    recordsRejected: 0,
    recordsMissing: 0,
    recordsRecovered: 0,
    issues: 0,
    dirty: false,
    signature: false,
  };
}

function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

async function* readPieces(path: string, opts: EvtxReadOptions, output: 'events' | 'ndjson', summary: EvtxSummary): AsyncGenerator<Piece> {
  const signal = opts.signal;
  const report = (issue: EvtxIssue): void => {
    summary.issues++;
    opts.onIssue?.(issue);
  };
  checkAbort(signal);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LoupeError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot open ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let pool: PoolLease | null = null;
  try {
    const size = (await fh.stat()).size;
    summary.fileSize = size;
    const head = await readAt(fh, 0, Math.min(size, FILE_HEADER_SIZE));
    const { header, issues } = parseFileHeader(head, size);
    summary.dirty = header.dirty;
    summary.signature = header.valid;
    for (const issue of issues) report(issue);

    const start = header.chunksStart;
    const slots = size > start ? Math.ceil((size - start) / CHUNK_SIZE) : 0;
    summary.chunks = slots;
    const wanted = opts.workers ?? (slots >= MIN_CHUNKS_FOR_DEFAULT_WORKERS ? defaultWorkers() : 0);
    const workers = Math.max(0, Math.min(Math.floor(wanted), slots - 1, 16));
    if (workers > 0) pool = leaseWorkers(workers);
    const window = pool === null ? 1 : workers * CHUNKS_PER_WORKER;

    const blocks = new BlockReader(fh, start, size);
    const chunkJob = async (index: number): Promise<Piece> => {
      const fileOffset = start + index * CHUNK_SIZE;
      const length = Math.min(CHUNK_SIZE, size - fileOffset);
      const expected = header.valid && index < header.chunkCount;
      const base = { chunk: index, fileOffset, expected, recoverSlack: opts.recoverSlack === true, output };
      try {
        const view = await blocks.chunk(index);
        if (pool !== null && view.length > 0) {
          // Workers get their own copy (64 KiB, a few microseconds) so it can be transferred.
          const bytes = Buffer.allocUnsafeSlow(view.length);
          view.copy(bytes);
          const reply = await pool.run({ ...base, bytes: bytes.buffer as ArrayBuffer, length: bytes.length });
          if (reply.result !== null) {
            const text = reply.ndjson === null ? NO_TEXT : Buffer.from(reply.ndjson.buffer, reply.ndjson.byteOffset, reply.ndjson.length);
            return { result: reply.result, events: reply.result.events, ndjson: text, returned: reply.returned };
          }
          // The worker failed on this chunk (or died): parse it here instead.
          return parseHere(await readAt(fh, fileOffset, length), base);
        }
        return parseHere(view, base);
      } catch (e) {
        const result = emptyResult(index);
        result.skipped = true;
        result.issues.push({ offset: fileOffset, chunk: index, recordId: null, reason: `chunk could not be read: ${e instanceof Error ? e.message : String(e)}`, lostRecords: 0, kind: 'chunk' });
        return { result, events: [], ndjson: NO_TEXT, returned: 0 };
      }
    };

    const inFlight = new Map<number, Promise<Piece>>();
    let nextRead = 0;
    let unused = 0;
    let firstUnused = -1;
    let chunksFound = 0;
    for (let index = 0; index < slots; index++) {
      while (nextRead < slots && nextRead < index + window) {
        inFlight.set(nextRead, chunkJob(nextRead));
        nextRead++;
      }
      const piece = await inFlight.get(index)!;
      inFlight.delete(index);
      checkAbort(signal);
      const r = piece.result;
      summary.recordsSeen += r.seen;
      summary.recordsReturned += piece.returned;
      summary.recordsRejected += r.rejected;
      summary.recordsMissing += r.missing;
      summary.recordsRecovered += r.recovered;
      if (r.skipped) summary.chunksSkipped++;
      else chunksFound++;
      if (r.unused) {
        unused++;
        if (firstUnused < 0) firstUnused = index;
      }
      for (const issue of r.issues) report(issue);
      opts.onProgress?.(Math.min(size, start + (index + 1) * CHUNK_SIZE), size);
      if (piece.returned > 0) yield piece;
    }
    const fileIssue = (offset: number, reason: string): void => report({ offset, chunk: null, recordId: null, reason, lostRecords: 0, kind: 'file' });
    if (unused > 0) {
      const where = header.valid ? ` past the ${header.chunkCount} chunk(s) the header counts` : '';
      fileIssue(start + firstUnused * CHUNK_SIZE, `${unused} chunk slot(s)${where} hold no chunk (unused space); skipped`);
    }
    if (header.valid && header.chunkCount > slots) fileIssue(size, `file ends after ${slots} chunk slot(s) but its header counts ${header.chunkCount}; the file is truncated`);
    if (chunksFound === 0 && slots > 0) fileIssue(start, 'no readable EVTX chunk in the file');
  } finally {
    pool?.release();
    await fh.close();
  }
}

function parseHere(bytes: Buffer, job: { chunk: number; fileOffset: number; expected: boolean; recoverSlack: boolean; output: 'events' | 'ndjson' }): Piece {
  const result = parseChunk(bytes, job.chunk, job.fileOffset, { expected: job.expected, recoverSlack: job.recoverSlack });
  const returned = result.events.length;
  if (job.output === 'ndjson') {
    return { result, events: [], ndjson: Buffer.from(dumpLines(result.events), 'utf8'), returned };
  }
  return { result, events: result.events, ndjson: NO_TEXT, returned };
}

function emptyResult(chunk: number): ChunkResult {
  return { chunk, events: [], issues: [], seen: 0, rejected: 0, missing: 0, recovered: 0, skipped: false, unused: false };
}

/** Chunks read per file read: large reads cost far less per byte than 64 KiB ones. */
const BLOCK_CHUNKS = 16;

/**
 * Reads the chunk area in 1 MiB blocks, one block ahead of the chunk asked
 * for, so the disk works while the parser does. Chunks must be asked for in
 * increasing order; blocks behind the current one are let go.
 */
class BlockReader {
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(
    private readonly fh: FileHandle,
    private readonly start: number,
    private readonly size: number,
  ) {}

  async chunk(index: number): Promise<Buffer> {
    const block = Math.floor(index / BLOCK_CHUNKS);
    for (const held of this.blocks.keys()) if (held < block) this.blocks.delete(held);
    const data = this.block(block);
    this.block(block + 1);
    const buf = await data;
    const from = (index - block * BLOCK_CHUNKS) * CHUNK_SIZE;
    return buf.subarray(Math.min(from, buf.length), Math.min(from + CHUNK_SIZE, buf.length));
  }

  private block(block: number): Promise<Buffer> {
    let pending = this.blocks.get(block);
    if (pending === undefined) {
      const position = this.start + block * BLOCK_CHUNKS * CHUNK_SIZE;
      const length = Math.max(0, Math.min(BLOCK_CHUNKS * CHUNK_SIZE, this.size - position));
      pending = readAt(this.fh, position, length);
      // A failed read surfaces when a chunk awaits it; never as an unhandled rejection.
      pending.catch(() => undefined);
      this.blocks.set(block, pending);
    }
    return pending;
  }
}

/** `length` bytes at `position` into a buffer that owns its memory (so it can be transferred). */
async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafeSlow(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break; // the file shrank while we read it
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LoupeError('CANCELLED', 'EVTX read cancelled');
}
