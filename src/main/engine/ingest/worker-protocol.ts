import { CORE_COLUMNS } from '@shared/events';
import type { JsonFamily, LineFormatName, ParserOptions, TextEncodingName } from './format-support';

/**
 * Messages between the import pipeline (main thread) and parse-worker.ts.
 * Plain data only: they cross a thread boundary by structured clone.
 *
 * Flow control: the worker may have at most `credit` staged chunks that the
 * main thread has not loaded yet; each `loaded` message gives one back. So a
 * fast parser never fills the disk or memory ahead of a slower DuckDB.
 */

/**
 * DuckDB's row-group size. A transaction that appends whole row groups has
 * them written to the database file as they fill; a ragged tail is rewritten
 * at the next checkpoint (measured: 1M auth.log rows in 140k-row chunks cost
 * 1.7 s more in checkpoints than the same rows in 122,880-row chunks). So
 * chunks are cut on row-group boundaries, and the JSON loader counts a
 * table's row groups by it.
 */
export const ROW_GROUP_ROWS = 122_880;

/** How a file is read in JavaScript: a line format's parser, or JSON records (the read_json fallback). */
export type ParseMode =
  | { kind: 'lines'; format: LineFormatName; parser: ParserOptions }
  /** `hoist`: a top-level object whose fields take their bare names (EVTX EventData). */
  | { kind: 'json'; shape: 'ndjson' | 'array' | 'concat'; family: JsonFamily; path?: string | null; hoist?: string; tz?: string | null };

export interface ParseJob {
  type: 'job';
  jobId: number;
  /** The file on disk (an original, or an archive member extracted under the case's tmp/). */
  file: string;
  mode: ParseMode;
  encoding: TextEncodingName;
  /** Bytes of byte-order mark to skip. */
  bom: number;
  /** Lines end with a lone CR (classic Mac OS): split on it. */
  crOnly?: boolean;
  /** Folder (inside the case's tmp/) for the staging CSV files. */
  stagingDir: string;
  /** Records per staged chunk. */
  chunkRows: number;
  /** Staged chunks the worker may write ahead of the loader. */
  credit: number;
  /** Lines longer than this (in characters) are rejected, not parsed. */
  maxLineChars: number;
  /** Largest JSON record (characters) the fallback reader accumulates. */
  maxRecordChars: number;
  /** Most original-field columns one source table gets; the rest go to `_overflow` as JSON. */
  maxColumns: number;
}

export type ToWorker = ParseJob | { type: 'loaded'; jobId: number } | { type: 'cancel'; jobId: number };

export interface StagedChunk {
  type: 'chunk';
  jobId: number;
  seq: number;
  /** CSV: rid, pos, ts, dataset ... raw (EVENTS_STAGING_COLUMNS). */
  eventsFile: string | null;
  /** CSV: rid + one column per name in `columns`. */
  srcFile: string | null;
  /** CSV: pos, pos_kind, kind, reason, excerpt. */
  errorsFile: string | null;
  /** Original-field column names of srcFile, in order (the source's columns so far). */
  columns: string[];
  /** Some rows of srcFile are shorter than `columns` (read with null padding). */
  padded?: boolean;
  /** Records stored by this chunk (rows of eventsFile and srcFile). */
  rows: number;
  firstRid: number;
  rejected: number;
  warnings: number;
  /** Input bytes consumed so far (progress). */
  bytes: number;
  lines: number;
  /** The file's last chunk (possibly empty): the loader writes the evidence's final state with it. */
  last?: boolean;
}

export interface JobDone {
  type: 'done';
  jobId: number;
  seen: number;
  stored: number;
  rejected: number;
  warnings: number;
  bytes: number;
  lines: number;
  cancelled: boolean;
}

export type FromWorker = StagedChunk | JobDone | { type: 'failed'; jobId: number; message: string };

/** Column order of the events staging CSV (after the constant evidence/source ids). */
export const EVENTS_STAGING_COLUMNS = ['rid', 'pos', ...CORE_COLUMNS, 'raw'] as const;
/** Columns every field table has before its fields (source-tables.ts); a field of one of these names gets a `#2` suffix. */
export const BOOKKEEPING_COLUMNS = ['rid', 'evidence_id'] as const;

/**
 * The column a field gets in a field table: its own name, unless that name is
 * taken without regard to case (DuckDB's identifiers are case-insensitive) or
 * is a bookkeeping column, then `Name#2`, `Name#3` ... `taken` holds the lower
 * case of every name handed out and is updated. One rule for every loader, so
 * the text, JSON and Zeek paths name the same field the same way.
 */
export function claimColumnName(taken: Set<string>, field: string): string {
  // A NUL ends DuckDB's reading of the statement: it becomes U+FFFD, as in values.
  let name = field.length === 0 ? '(empty)' : field.replaceAll('\0', '\uFFFD');
  const lower = name.toLowerCase();
  if (taken.has(lower)) {
    let n = 2;
    while (taken.has(`${lower}#${n}`)) n++;
    name = `${name}#${n}`;
  }
  taken.add(name.toLowerCase());
  return name;
}

export const ERRORS_STAGING_COLUMNS = ['pos', 'pos_kind', 'kind', 'reason', 'excerpt'] as const;

export type { TextEncodingName };
