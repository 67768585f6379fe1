import { MAX_JSON_DEPTH, valueNestsDeeperThan } from './json-depth';
import { createLineParser, flattenRecord, isRejection, isSkipped, mapFlatRecord, RowRecord, type Fields, type LineParser, type LineResult } from './format-support';
import type { MapContext } from './formats/json-map';
import { JsonRecordSplitter } from './json-records';
import { LineSplitter } from './line-splitter';
import { ColumnSet, RowValues, StagingChunk } from './staging-writer';
import { rmSync } from 'node:fs';
import { ROW_GROUP_ROWS, type JobDone, type ParseJob, type StagedChunk } from './worker-protocol';

/** Where parseFile sends its chunks; `false` from either means "stop" (cancelled). */
export interface ParseOutput {
  chunk(c: Omit<StagedChunk, 'type' | 'jobId'>): Promise<boolean>;
  yieldNow(): Promise<boolean>;
}

const READ_BYTES = 1 << 20;
/** Past this size a chunk is cut at its next row-group boundary... */
const CHUNK_CHARS = 48 << 20;
/** ...and past this one at once, so a file of 1 MiB lines cannot build a multi-GB chunk. */
const MAX_CHUNK_CHARS = 4 * CHUNK_CHARS;
const TABULAR = new Set(['zeek-tsv', 'csv', 'tsv', 'iis-w3c']);
const LATIN1_WARNING = 'line is not valid UTF-8: read as Latin-1';
/** How the format layer words a `#` line in a format without comments (formats/index.ts SimpleParser). */
const COMMENT_REJECTION = /^comment line \(starts with "#"\)/;

/**
 * Parse one file into staging chunks: bytes -> lines (LineSplitter) -> records
 * (a format's LineParser, or JSON records for the read_json fallback) ->
 * CSV chunks (StagingChunk). Every line is accounted for: a record stored, a
 * record rejected (with its line and an excerpt), or a line that is not a
 * record at all (blank, a header directive), which the parser says it skips.
 *
 * Runs inside parse-worker.ts; separate from it so tests can drive it in-thread.
 */
export async function parseFile(job: ParseJob, read: (buf: Buffer) => number, out: ParseOutput): Promise<Omit<JobDone, 'type' | 'jobId' | 'cancelled'>> {
  const columns = new ColumnSet(job.maxColumns);
  let rid = 0;
  let seq = 0;
  let seen = 0;
  let stored = 0;
  let rejected = 0;
  let warnings = 0;
  let bytes = 0;
  const newChunk = (): StagingChunk => new StagingChunk(rid, columns, job.stagingDir, `j${job.jobId}-c${seq}`);
  let chunk = newChunk();
  let stopped = false;

  /** Chunks cut mid-read (on a row count), sent before the next read. */
  const ready: StagingChunk[] = [];
  const store = (fields: Fields | RowValues, core: Parameters<StagingChunk['add']>[2], pos: number, raw: string | null, warns: readonly string[] | undefined, warnPos: number, text: string | null = raw): void => {
    chunk.add(rid, pos, core, fields, raw);
    rid++;
    seen++;
    stored++;
    if (warns) for (const w of warns) warn(warnPos, w, text);
    // Cut exactly here, not after the read buffer is used up: the row count is what DuckDB's row groups see.
    const rows = chunk.rows;
    if (rows >= job.chunkRows || (chunk.chars >= CHUNK_CHARS && rows % ROW_GROUP_ROWS === 0) || chunk.chars >= MAX_CHUNK_CHARS) {
      ready.push(chunk);
      seq++;
      chunk = newChunk();
    }
  };
  const reject = (pos: number, reason: string, text: string | null): void => {
    chunk.error({ pos, posKind: 'line', kind: 'rejected', reason, excerpt: text });
    seen++;
    rejected++;
  };
  const warn = (pos: number, reason: string, text: string | null): void => {
    chunk.error({ pos, posKind: 'line', kind: 'warning', reason, excerpt: text });
    warnings++;
  };

  const send = async (c: StagingChunk, last: boolean): Promise<void> => {
    const files = c.finish();
    // The last chunk goes even when empty: it carries the file's end (the evidence's final state).
    if (c.size === 0 && !last) return;
    const ok = await out.chunk({
      seq: sent++,
      ...files,
      rows: c.rows,
      firstRid: c.firstRid,
      rejected: c.rejected,
      warnings: c.warnings,
      bytes,
      lines: splitter.lines,
      ...(last ? { last: true } : {}),
    });
    if (!ok) stopped = true;
  };
  let sent = 0;
  const flush = async (last = false): Promise<void> => {
    await send(chunk, last);
    seq++;
    chunk = newChunk();
  };

  // ------------------------------------------------------------ per-mode record handling
  let onLine: (text: string, lineNo: number) => void;
  let onEnd: (lineNo: number) => void;
  let onTooLong: (lineNo: number, length: number, head: string) => void;

  if (job.mode.kind === 'lines') {
    const parser: LineParser = createLineParser(job.mode.format, job.mode.parser);
    // Tabular formats: the field table holds the whole record (every column of
    // the header), so raw is NULL as for JSON; the line would only repeat it.
    const keepRaw = !TABULAR.has(job.mode.format);
    const handle = (r: LineResult, lineNo: number, line: string | null): void => {
      if (isSkipped(r)) return;
      if (isRejection(r)) {
        // `#` annotation lines (fail2ban's "# failJSON:", config headers) are
        // not records of a format that has no comments: kept as a warning with
        // their text, not counted against the file.
        if (COMMENT_REJECTION.test(r.error)) warn(r.pos ?? lineNo, r.error, r.text ?? line);
        else reject(r.pos ?? lineNo, r.error, r.text ?? line);
        return;
      }
      const fields = r instanceof RowRecord ? new RowValues(r.columns, r.values) : r.fields;
      store(fields, r.core, r.pos ?? lineNo, keepRaw ? (r.raw ?? line) : null, r.warnings, r.pos ?? lineNo, r.raw ?? line);
    };
    onLine = (text, lineNo) => {
      handle(parser.line(text, lineNo), lineNo, text);
      // Lines a multi-line format read again (CSV after an unclosed quote), each at its own position.
      const again = parser.drain?.();
      if (again) for (const r of again) handle(r, lineNo, null);
    };
    onEnd = (lineNo) => {
      for (const r of parser.end()) handle(r, lineNo, null);
    };
    onTooLong = (lineNo, length, head) => reject(lineNo, `line of ${length.toLocaleString('en-US')} characters is longer than the ${job.maxLineChars.toLocaleString('en-US')} limit: not parsed`, head);
  } else {
    const { family, path, hoist, tz } = job.mode;
    const prefix = hoist ? `${hoist}.` : null;
    let recordNo = 0;
    // A time that is there but does not parse is kept as NULL and reported, as the SQL path does (source-events.ts).
    let badTime: string | null = null;
    const ctx: MapContext = { path: path ?? null, tz: tz ?? null, onBadTime: (text) => (badTime = text) };
    /** The unreadable time the last mapping reported, if any (and forget it). */
    const takeBadTime = (): string | null => {
      const t = badTime;
      badTime = null;
      return t;
    };
    const splitterJson = new JsonRecordSplitter(job.mode.shape, job.maxRecordChars, {
      record(value, startLine) {
        if (valueNestsDeeperThan(value)) {
          // Flattening it would overflow the stack; nothing real nests this deep.
          reject(startLine, `record nests deeper than ${MAX_JSON_DEPTH.toLocaleString('en-US')} levels: not read`, null);
          return;
        }
        recordNo++;
        const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value: JSON.stringify(value) };
        let fields = flattenRecord(obj);
        if (prefix) fields = hoistFields(fields, prefix);
        const core = mapFlatRecord(fields, family, ctx);
        const unreadable = takeBadTime();
        store(fields, core, recordNo, null, unreadable === null ? undefined : [`time not understood: ${unreadable.slice(0, 200)}`], startLine);
      },
      reject(reason, startLine, text) {
        reject(startLine, reason, text);
      },
    });
    onLine = (text, lineNo) => splitterJson.line(text, lineNo);
    onEnd = (lineNo) => splitterJson.end(lineNo);
    onTooLong = (lineNo, length, head) => reject(lineNo, `line of ${length.toLocaleString('en-US')} characters is longer than the ${job.maxLineChars.toLocaleString('en-US')} limit: not parsed`, head);
  }

  const sink = {
    line(text: string, lineNo: number, latin1: boolean): void {
      if (latin1) warn(lineNo, LATIN1_WARNING, text);
      // A log preallocated, or extended by a crash before its data reached the
      // disk, holds NUL runs where lines were to be: they are not part of the
      // record that follows (or precedes) them.
      if (text.charCodeAt(0) === 0 || text.charCodeAt(text.length - 1) === 0) {
        const kept = withoutNulPadding(text);
        warn(lineNo, kept.length === 0 ? `${text.length.toLocaleString('en-US')} NUL bytes of padding and nothing else: not a record` : `${(text.length - kept.length).toLocaleString('en-US')} NUL bytes of padding removed around this line`, kept.length === 0 ? null : kept);
        if (kept.length === 0) return;
        text = kept;
      }
      onLine(text, lineNo);
    },
    tooLong: (lineNo: number, length: number, head: string): void => onTooLong(lineNo, length, head),
  };
  const splitter = new LineSplitter(job.encoding, job.bom, job.maxLineChars, sink, job.crOnly === true);

  const buf = Buffer.allocUnsafe(READ_BYTES);
  for (;;) {
    const n = read(buf);
    if (n <= 0) break;
    bytes += n;
    splitter.push(buf.subarray(0, n));
    while (ready.length > 0 && !stopped) await send(ready.shift() as StagingChunk, false);
    if (stopped) break;
    // A chunk of mostly rejected lines is cut on its size (errors do not fill row groups).
    if (chunk.size >= job.chunkRows * 2 || chunk.chars >= MAX_CHUNK_CHARS) await flush();
    else if (!(await out.yieldNow())) stopped = true;
    if (stopped) break;
  }
  if (!stopped) {
    splitter.end();
    onEnd(splitter.lines);
    while (ready.length > 0 && !stopped) await send(ready.shift() as StagingChunk, false);
    if (!stopped) await flush(true);
  }
  if (stopped) {
    // Cancelled: the chunk files not handed over are ours to remove.
    for (const c of ready) removeFiles(c.finish());
    removeFiles(chunk.finish());
  }
  return { seen, stored, rejected, warnings, bytes, lines: splitter.lines };
}

/** The line without the NULs it begins or ends with. */
export function withoutNulPadding(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && text.charCodeAt(a) === 0) a++;
  while (b > a && text.charCodeAt(b - 1) === 0) b--;
  return text.slice(a, b);
}

function removeFiles(f: { eventsFile: string | null; srcFile: string | null; errorsFile: string | null }): void {
  for (const p of [f.eventsFile, f.srcFile, f.errorsFile]) if (p) rmSync(p, { force: true });
}

/** `EventData.CommandLine` -> `CommandLine`, unless the record has that name already (then it stays dotted). */
function hoistFields(fields: Fields, prefix: string): Fields {
  const out: Fields = {};
  for (const k in fields) if (!k.startsWith(prefix)) out[k] = fields[k] ?? null;
  for (const k in fields) {
    if (!k.startsWith(prefix)) continue;
    const bare = k.slice(prefix.length);
    out[bare in out ? k : bare] = fields[k] ?? null;
  }
  return out;
}
