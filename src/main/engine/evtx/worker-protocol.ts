import type { ChunkResult } from './types';

/**
 * Messages between the reader and its chunk workers. A job carries one whole
 * chunk (its ArrayBuffer is transferred, not copied); the reply carries the
 * parsed chunk, with its events either as objects or, for the NDJSON dump,
 * already rendered as text so the main thread only copies bytes out.
 */
export interface ChunkJob {
  seq: number;
  chunk: number;
  fileOffset: number;
  bytes: ArrayBuffer;
  length: number;
  expected: boolean;
  recoverSlack: boolean;
  output: 'events' | 'ndjson';
}

export interface ChunkReply {
  seq: number;
  result: ChunkResult | null;
  /**
   * NDJSON of the chunk's events as UTF-8 bytes when the job asked for it
   * (result.events is then empty). Bytes, transferred rather than copied, so
   * the main thread never re-encodes text on its way to stdout.
   */
  ndjson: Uint8Array | null;
  /** Events in `ndjson` (result.events.length is 0 then). */
  returned: number;
  /** Set when the worker failed on this job; the reader parses it again itself. */
  error: string | null;
}
