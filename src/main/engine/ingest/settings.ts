import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive/guard';
import { MAX_LINE_CHARS } from './format-support';
import { DEFAULT_SHARING } from './source-tables';
import { ROW_GROUP_ROWS } from './worker-protocol';

/** The pipeline's knobs; tests shrink them to exercise the limits cheaply. */
export interface IngestSettings {
  limits: ArchiveLimits;
  /** Records per staged chunk (one DuckDB transaction each). */
  chunkRows: number;
  /** Longest line parsed; longer ones are rejected with their head as the excerpt. */
  maxLineChars: number;
  /** Largest JSON record the JavaScript reader accumulates. */
  maxRecordChars: number;
  /** Most original-field columns a source table gets. */
  maxColumns: number;
  /**
   * DuckDB memory_limit while importing. Measured: the process's peak RSS is
   * this plus ~500 MB (Node, the parse worker, DuckDB's own allocations), so
   * 512 MB keeps any import near 1 GB (1 GB gave 1.3-1.7 GB peaks).
   */
  memoryLimit: string;
  /**
   * Let DuckDB's own readers load JSON (read_json) and clean Zeek TSV
   * (read_csv). Off, every file goes through the JavaScript parsers: the
   * reference the fast paths are tested against.
   */
  duckdbReaders: boolean;
  /** JSON files (and EVTX renderings) of at most this many bytes go to the JS reader even so (import-run.ts says why). */
  jsonJsMaxBytes: number;
  /** Sources of at most this many bytes share a field table of their family (source-tables.ts). */
  shareMaxBytes: number;
  /** Field columns a shared table grows to before its family starts another. */
  sharedMaxColumns: number;
  /**
   * NDJSON files of at least this many bytes are cut in two and read_json
   * reads the halves side by side (ndjson-halves.ts); 0 turns it off.
   */
  splitJsonMinBytes: number;
  /** The record count the cut respects: DuckDB's row group (tests make it small, to cut small files). */
  splitJsonGroupRows: number;
  /**
   * A JSON file read whole into a table of its own with at least this many
   * columns has its events core computed from the file on a second
   * connection while the field table loads (json-loader.ts); a narrower one,
   * from the field table once it is committed. 0 turns it off. Only a wide
   * table gains: the wider the records, the longer the one-thread load, and
   * the second read of the file ends within it. Windows events as JSON
   * (OTRF, 139-196 columns) imported 0-9% faster so, a 20 MB EVTX Security
   * log (105 columns) 0.70 s against 0.75-0.79 s; narrow records lost
   * (6 columns: 0.69-0.81 s against 0.60-0.63 s), the second read outlasting
   * the load; Suricata smb events (66 columns) came out even.
   */
  eventsBesideMinColumns: number;
}

export const DEFAULT_INGEST_SETTINGS: IngestSettings = {
  limits: DEFAULT_ARCHIVE_LIMITS,
  // One DuckDB row group: a transaction of whole row groups is written straight
  // to the database file instead of through the WAL, and never rewritten at a
  // checkpoint. One rather than two: the loader starts on the first chunk sooner
  // (1M auth.log lines: 5.6-5.8 s against 5.9 s).
  chunkRows: ROW_GROUP_ROWS,
  maxLineChars: MAX_LINE_CHARS,
  maxRecordChars: 16 * 1024 * 1024,
  // DuckDB holds a 256 KiB block per column while it writes a row group, and
  // about twice that at commit: a JSON file whose records each bring a new key
  // failed to commit 1,000 columns within the 512 MB limit (found by fuzzing);
  // 500 leave half of it. Real logs stay far below (OTRF: 186, Suricata EVE of
  // the bench: 123); fields past the cap are kept as JSON in `_overflow`.
  maxColumns: 500,
  memoryLimit: '512MB',
  duckdbReaders: true,
  jsonJsMaxBytes: 1 << 20,
  shareMaxBytes: DEFAULT_SHARING.shareMaxBytes,
  sharedMaxColumns: DEFAULT_SHARING.sharedMaxColumns,
  splitJsonMinBytes: 64 << 20,
  splitJsonGroupRows: ROW_GROUP_ROWS,
  eventsBesideMinColumns: 100,
};

export function ingestSettings(overrides: Partial<IngestSettings> = {}): IngestSettings {
  return { ...DEFAULT_INGEST_SETTINGS, ...overrides, limits: { ...DEFAULT_INGEST_SETTINGS.limits, ...overrides.limits } };
}
