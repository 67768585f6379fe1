import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreFields } from '@shared/events';
import { excerpt, type Fields, type FieldValue } from './format-support';
import { BOOKKEEPING_COLUMNS, claimColumnName } from './worker-protocol';

/**
 * Staging files: parsed records become CSV files in the case's tmp/ that
 * DuckDB's read_csv loads with explicit VARCHAR columns. Measured on this
 * machine this is the fastest way from JavaScript into DuckDB (~800k rows/s
 * for 11 columns, against ~100k rows/s through the row appender), and the
 * files double as the unit of pipelining: the worker writes chunk n+1 while
 * DuckDB loads chunk n.
 *
 * Rows are written out as they come (in 1 MiB slices), never held: holding a
 * 100,000-row chunk as strings made the parser spend half its time in the
 * garbage collector.
 *
 * Encoding: an empty unquoted field is NULL, `""` is the empty string
 * (read_csv with allow_quoted_nulls=false); a field is quoted only when it
 * must be. NUL characters cannot be stored in a DuckDB VARCHAR read from CSV
 * and become U+FFFD.
 */

const NEEDS_QUOTES = /[",\r\n]/;
const SPECIAL = /[\0",\r\n]/;
const MAX_MESSAGE_CHARS = 32 * 1024;
const WRITE_BYTES = 1 << 20;

export function csvField(v: string | null): string {
  if (v === null) return '';
  if (v.length === 0) return '""';
  // One scan for the common case, a value with nothing to escape.
  if (!SPECIAL.test(v)) return v;
  if (v.includes('\0')) v = v.replaceAll('\0', '\uFFFD');
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** A field we produce ourselves from a closed vocabulary or a canonical form: never needs quoting. */
function plain(v: string | null): string {
  return v === null ? '' : v;
}

function fieldText(v: FieldValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  return v ? 'true' : 'false';
}

/** The name of the column that takes fields beyond a source's column cap, as one JSON object. */
export const OVERFLOW_COLUMN = '_overflow';

/**
 * The original-field columns of one source, in first-seen order. DuckDB
 * identifiers are case-insensitive, so `Message` and `message` in the same
 * source cannot both be columns: the later one gets a `#2` suffix (and `rid`
 * and `evidence_id`, ours, are never a field's column). Past `max` columns, further names share
 * one `_overflow` column of JSON text, so a hostile file with a million
 * distinct keys cannot make a million-column table.
 */
export class ColumnSet {
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();
  private readonly lowerTaken = new Set<string>(BOOKKEEPING_COLUMNS);
  private overflowIndex = -1;
  private readonly maps = new WeakMap<readonly string[], Int32Array>();
  overflowed = false;

  constructor(private readonly max: number) {}

  /** The column index of a field, or -1 when it goes to the overflow column. */
  indexOf(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.names.length >= this.max) {
      this.overflowed = true;
      return -1;
    }
    const column = claimColumnName(this.lowerTaken, name);
    const index = this.names.length;
    this.names.push(column);
    this.byName.set(name, index);
    return index;
  }

  /**
   * Take over the columns an existing field table already has, in order (a
   * live source appending to its table after a restart). A `Name#2` column
   * was made for a field `Name` whose lower case was taken: that field maps to it again.
   */
  restore(columns: readonly string[]): void {
    for (const column of columns) {
      if (this.lowerTaken.has(column.toLowerCase())) continue;
      const index = this.names.length;
      this.names.push(column);
      this.lowerTaken.add(column.toLowerCase());
      if (column === OVERFLOW_COLUMN) {
        this.overflowIndex = index;
        continue;
      }
      this.byName.set(column, index);
      const base = /^(.*)#\d+$/.exec(column)?.[1];
      if (base !== undefined && !this.byName.has(base)) this.byName.set(base, index);
    }
  }

  /** Our column index for each name of a tabular record's column list (cached per list, by identity). */
  mapFor(columns: readonly string[]): Int32Array {
    let m = this.maps.get(columns);
    if (!m) {
      m = Int32Array.from(columns, (name) => this.indexOf(name));
      this.maps.set(columns, m);
    }
    return m;
  }

  overflow(): number {
    if (this.overflowIndex < 0) {
      this.overflowIndex = this.names.length;
      this.names.push(OVERFLOW_COLUMN);
      this.lowerTaken.add(OVERFLOW_COLUMN);
    }
    return this.overflowIndex;
  }
}

/** A tabular record's values in the order of its (shared) column list. */
export class RowValues {
  constructor(
    readonly columns: readonly string[],
    readonly values: readonly FieldValue[],
  ) {}
}

export interface StagedError {
  pos: number;
  posKind: 'line' | 'record' | 'byte';
  kind: 'rejected' | 'warning';
  reason: string;
  excerpt: string | null;
}

/**
 * One CSV file written through a fixed buffer: each row is encoded into it
 * at once, so the row's string dies young (the young-generation collector
 * frees it for almost nothing) instead of surviving in a pending rope.
 */
class CsvOut {
  private fd = -1;
  private buf: Buffer | null = null;
  private used = 0;

  constructor(readonly file: string) {}

  write(text: string): void {
    // At most 3 UTF-8 bytes per UTF-16 unit.
    const max = text.length * 3;
    if (this.buf === null) this.buf = Buffer.allocUnsafe(WRITE_BYTES);
    if (this.used + max > WRITE_BYTES) this.drain();
    if (max > WRITE_BYTES) {
      this.open();
      writeSync(this.fd, text);
      return;
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  close(): void {
    this.drain();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.buf = null;
  }

  private open(): void {
    if (this.fd < 0) this.fd = openSync(this.file, 'w');
  }

  private drain(): void {
    if (this.used === 0 || this.buf === null) return;
    this.open();
    writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }
}

/**
 * One chunk: the events, field-table and errors CSVs of a run of records.
 * A record that brings a new column widens the chunk; rows written before
 * it are shorter, and the loader reads the file with null padding
 * (`padded`), so no row is ever rewritten and a new field never cuts a chunk
 * (a syslog file cut at every new program's field was a transaction each).
 */
export class StagingChunk {
  private readonly events: CsvOut;
  private readonly src: CsvOut;
  private readonly errors: CsvOut;
  private width: number;
  /** Some rows are shorter than the chunk's final width. */
  padded = false;
  rows = 0;
  rejected = 0;
  warnings = 0;
  errorRows = 0;
  chars = 0;

  constructor(
    readonly firstRid: number,
    private readonly columns: ColumnSet,
    dir: string,
    stem: string,
  ) {
    this.width = columns.names.length;
    this.events = new CsvOut(join(dir, `${stem}-events.csv`));
    this.src = new CsvOut(join(dir, `${stem}-src.csv`));
    this.errors = new CsvOut(join(dir, `${stem}-errors.csv`));
  }

  /** Stage one record (always taken: true). */
  add(rid: number, pos: number, core: CoreFields, fields: Fields | RowValues, raw: string | null): boolean {
    const row = this.rowOf(fields);
    if (row.length > this.width) {
      if (this.rows > 0) this.padded = true;
      this.width = row.length;
    }
    let line = String(rid);
    for (let c = 0; c < this.width; c++) {
      const v = row[c];
      line += v === undefined || v === null ? ',' : `,${csvField(v)}`;
    }
    this.src.write(`${line}\n`);
    // The message is a summary for search and lists; the full record is in raw and the field table.
    const message = core.message !== null && core.message.length > MAX_MESSAGE_CHARS ? `${core.message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : core.message;
    // ts, severity and outcome come from the parsers in fixed forms (ISO time, closed vocabularies): no quoting needed.
    this.events.write(
      `${rid},${pos},${plain(core.ts)},${csvField(core.dataset)},${csvField(core.host)},${csvField(core.event_code)},${plain(core.severity)},${csvField(message)},${csvField(core.src_ip)},${num(core.src_port)},${csvField(core.dst_ip)},${num(core.dst_port)},${csvField(core.protocol)},${csvField(core.user)},${csvField(core.process)},${csvField(core.action)},${plain(core.outcome)},${csvField(raw)}\n`,
    );
    this.rows++;
    this.chars += line.length + (raw?.length ?? 0) + (message?.length ?? 0) + 64;
    return true;
  }

  private rowOf(fields: Fields | RowValues): (string | null)[] {
    const row: (string | null)[] = [];
    let overflow: Record<string, FieldValue> | null = null;
    if (fields instanceof RowValues) {
      // Tabular formats (Zeek TSV, CSV, CEF) share one column list per file: map it to our columns once.
      const map = this.columns.mapFor(fields.columns);
      const values = fields.values;
      for (let i = 0; i < values.length; i++) {
        const c = map[i] as number;
        if (c >= 0) row[c] = fieldText(values[i]);
        else {
          overflow ??= {};
          overflow[fields.columns[i] as string] = values[i] ?? null;
        }
      }
    } else {
      for (const name in fields) {
        const v = fields[name];
        const i = this.columns.indexOf(name);
        if (i < 0) {
          overflow ??= {};
          overflow[name] = v ?? null;
          continue;
        }
        row[i] = fieldText(v);
      }
    }
    if (overflow) row[this.columns.overflow()] = JSON.stringify(overflow);
    return row;
  }

  error(e: StagedError): void {
    if (e.kind === 'rejected') this.rejected++;
    else this.warnings++;
    this.errorRows++;
    const line = `${e.pos},${e.posKind},${e.kind},${csvField(e.reason.slice(0, 2000))},${csvField(e.excerpt === null ? null : excerpt(e.excerpt))}\n`;
    this.chars += line.length;
    this.errors.write(line);
  }

  /** Rows staged plus error rows. */
  get size(): number {
    return this.rows + this.errorRows;
  }

  /** Close the chunk's files; null names for parts that are empty. */
  finish(): { eventsFile: string | null; srcFile: string | null; errorsFile: string | null; columns: string[]; padded: boolean } {
    this.events.close();
    this.src.close();
    this.errors.close();
    return {
      eventsFile: this.rows > 0 ? this.events.file : null,
      srcFile: this.rows > 0 ? this.src.file : null,
      errorsFile: this.errorRows > 0 ? this.errors.file : null,
      columns: this.columns.names.slice(0, this.width),
      padded: this.padded,
    };
  }
}

function num(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '' : String(Math.trunc(v));
}
