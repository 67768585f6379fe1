/**
 * Loupe's EVTX (Windows XML Event Log) reader, written from libyal's format
 * document and MS-EVEN6. The import pipeline calls:
 *
 *   const reader = readEvtx(path, { workers, recoverSlack, signal, onIssue, onProgress });
 *   for await (const batch of reader) { ... }   // EvtxEvent[] per chunk, in file order
 *   reader.summary                               // EvtxSummary, final after the loop
 *
 * - Batches are whole chunks (up to a few hundred events), in file order.
 * - Damage never throws: each damaged record or chunk is an EvtxIssue passed
 *   to onIssue (with byte offset, chunk, record id when known, reason and the
 *   records lost), and the summary reconciles
 *   recordsSeen === recordsReturned + recordsRejected.
 * - Throws only LoupeError: NOT_FOUND / IO_ERROR when the file cannot be
 *   opened, CANCELLED when `signal` aborts.
 * - `workers: 0` parses on the calling thread (a chunk at a time, ~1 ms
 *   each); by default files of 16+ chunks (1 MiB) use min(4, cores) worker
 *   threads, from a pool shared by all reads of the process. Memory stays
 *   bounded: at most 4 chunks per worker are in flight, and reading pauses
 *   while the consumer holds a batch.
 * - With workers, events cross threads by structured clone, which costs the
 *   receiving thread about half the parse time again; readEvtxNdjson moves
 *   bytes instead and is the fast path for bulk loading (e.g. DuckDB read_json).
 *
 * readEvtxNdjson(path, opts) is the same read yielding NDJSON text (the
 * `loupe evtx dump --json` shape, dump-format.ts) rendered in the workers.
 */
export { readEvtx, readEvtxNdjson, type EvtxReader, type EvtxNdjsonReader } from './reader';
export { dumpRecord, humanLine } from './dump-format';
export type { EvtxEvent, EvtxIssue, EvtxReadOptions, EvtxSummary } from './types';
