import type { CoreFields } from '@shared/events';
import type { CsvFlavor } from '@shared/formats';
import { compileCoreMapping, compileRowMapping, JSON_CORE_MAPPINGS, looseName, type CoreMapper, type CoreMapping, type MapExpr, type RowCoreMapper } from './json-map';
import { quoteForReason, RowRecord, type FieldValue, type Fields, type LineParser, type LineResult } from './types';
import { WINDOWS_ACTIONS } from './windows';

/**
 * CSV / TSV with a header row: the header-detection helper, an RFC 4180 record
 * reader for the JS path (quoted fields may span lines), and the core mapping
 * of the timeline tools analysts hand over, recognised by their headers:
 *   Hayabusa      Timestamp, Computer, Channel, EventID, Level, RuleTitle, Details
 *   EvtxECmd      TimeCreated, EventId, Level, Provider, Channel, Computer, MapDescription, PayloadData1..6
 *   MFTECmd       EntryNumber, ParentPath, FileName, Created0x10, LastModified0x10 ...
 *   plaso / Timesketch   datetime, timestamp_desc, message (+ timestamp in microseconds);
 *                 also plaso's legacy l2tcsv (date, time, timezone, MACB, source, ...)
 * Fields are the header's names (duplicates get `_2`, `_3`; blank names `column<N>`);
 * empty cells are null, as DuckDB's CSV reader reads them.
 */

/** Splits one complete CSV record (which may contain newlines inside quotes). Null if a quote is left open. */
export function splitCsvRecord(text: string, delimiter: string): string[] | null {
  const out: string[] = [];
  const n = text.length;
  const d = delimiter.charCodeAt(0);
  let i = 0;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34) {
      // Quoted field: "" is a quote; text after the closing quote up to the delimiter is kept (lenient).
      let value = '';
      let seg = i + 1;
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(seg, q + 1);
          j = q + 2;
          seg = j;
          continue;
        }
        value += text.slice(seg, q);
        j = q + 1;
        break;
      }
      let k = j;
      while (k < n && text.charCodeAt(k) !== d) k++;
      if (k > j) value += text.slice(j, k);
      out.push(value);
      if (k >= n) return out;
      i = k + 1;
      continue;
    }
    let k = text.indexOf(delimiter, i);
    if (k < 0) k = n;
    out.push(text.slice(i, k));
    if (k >= n) return out;
    i = k + 1;
  }
}

/** True when the record's quotes are balanced (the record is complete). */
export function csvRecordComplete(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 0;
}

const HAYABUSA = ['timestamp', 'computer', 'channel', 'eventid', 'level', 'ruletitle', 'details'];
const EVTXECMD = ['timecreated', 'eventid', 'provider', 'channel', 'computer', 'mapdescription', 'payloaddata1'];
const MFTECMD = ['entrynumber', 'parentpath', 'filename', 'created0x10', 'lastmodified0x10'];
const PLASO = ['datetime', 'timestampdesc', 'message'];
const L2TCSV = ['date', 'time', 'timezone', 'macb', 'source', 'sourcetype', 'type', 'user', 'host', 'short', 'desc'];

/** Which timeline tool wrote a header (names compared loosely). */
export function csvFlavorOf(columns: readonly string[]): CsvFlavor {
  const set = new Set(columns.map(looseName));
  const all = (names: string[]): boolean => names.every((n) => set.has(n));
  if (all(HAYABUSA)) return 'hayabusa';
  if (all(EVTXECMD)) return 'evtxecmd';
  if (all(MFTECMD)) return 'mftecmd';
  if (all(PLASO) || all(L2TCSV)) return 'plaso';
  return 'generic';
}

export interface CsvHeader {
  delimiter: string;
  /** The header's names, deduplicated; null when the first record is data. */
  columns: string[] | null;
  flavor: CsvFlavor;
}

/** Names safe as columns: blanks get `column<N>`, repeats `_2`, `_3`. */
export function uniqueColumns(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((raw, i) => {
    const name = raw.trim() === '' ? `column${i + 1}` : raw.trim();
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}

function looksNumeric(s: string): boolean {
  return /^[-+]?\d[\d.,:eE+-]*$/.test(s.trim());
}

/**
 * Header detection on the first lines of a file: the delimiter (comma, tab,
 * semicolon or pipe) is the one giving the most consistent column count over
 * the sample; the first record is a header when its cells are distinct,
 * non-empty mostly, and not numbers/dates while data rows have some.
 */
export function detectCsvHeader(lines: readonly string[]): CsvHeader | null {
  const sample = lines.filter((l) => l.length > 0).slice(0, 50);
  if (sample.length === 0) return null;
  let best: { delimiter: string; score: number; cols: number } | null = null;
  for (const d of [',', '\t', ';', '|']) {
    const first = splitCsvRecord(sample[0] as string, d);
    if (!first || first.length < 2) continue;
    let consistent = 0;
    let rows = 0;
    // Records may span lines: join lines until the quotes balance.
    let pending = '';
    for (const line of sample.slice(1)) {
      pending = pending ? `${pending}\n${line}` : line;
      if (!csvRecordComplete(pending)) continue;
      const cells = splitCsvRecord(pending, d);
      pending = '';
      rows++;
      if (cells && cells.length === first.length) consistent++;
    }
    const score = rows === 0 ? 0.5 : consistent / rows;
    if (!best || score > best.score || (score === best.score && first.length > best.cols)) best = { delimiter: d, score, cols: first.length };
  }
  if (!best || best.score < 0.8) return null;
  const head = splitCsvRecord(sample[0] as string, best.delimiter) as string[];
  const nonEmpty = head.filter((h) => h.trim().length > 0);
  const distinct = new Set(nonEmpty.map((h) => h.trim())).size === nonEmpty.length;
  const numeric = head.filter((h) => h.trim().length > 0 && looksNumeric(h)).length;
  // Header cells are names: short, no sentence punctuation, not numbers or dates.
  const nameLike = head.every((h) => h.length <= 64 && !/[.!?]\s|\s{2}|^\d{4}-\d{2}-\d{2}/.test(h));
  const isHeader = distinct && nameLike && nonEmpty.length >= head.length * 0.8 && numeric === 0;
  const columns = isHeader ? uniqueColumns(head) : null;
  return { delimiter: best.delimiter, columns, flavor: columns ? csvFlavorOf(columns) : 'generic' };
}

// ------------------------------------------------------------------ core mappings

const f = (...names: string[]): MapExpr => ({ kind: 'field', names });
const c = (value: string | null): MapExpr => ({ kind: 'const', value });
const none = c(null);

const WIN_DATASET_FROM_CHANNEL = JSON_CORE_MAPPINGS.windows.columns.dataset;

const HAYABUSA_MAP: CoreMapping = {
  family: 'hayabusa',
  prefixes: [''],
  looseNames: true,
  columns: {
    ts: f('Timestamp', 'datetime'),
    dataset: c('hayabusa'),
    host: f('Computer'),
    event_code: f('EventID'),
    severity: {
      kind: 'lookup',
      of: f('Level'),
      table: { crit: 'critical', critical: 'critical', high: 'high', med: 'medium', medium: 'medium', low: 'low', info: 'informational', informational: 'informational' },
    },
    message: { kind: 'concat', sep: ': ', parts: [f('RuleTitle'), f('Details')] },
    src_ip: f('SrcIP', 'SourceIP'),
    src_port: none,
    dst_ip: f('TgtIP', 'DestIP'),
    dst_port: none,
    protocol: none,
    user: f('TgtUser', 'SrcUser', 'User'),
    process: f('Proc', 'Process'),
    action: c('alert'),
    outcome: none,
  },
};

const EVTXECMD_MAP: CoreMapping = {
  family: 'evtxecmd',
  prefixes: [''],
  looseNames: true,
  columns: {
    ts: f('TimeCreated'),
    dataset: WIN_DATASET_FROM_CHANNEL,
    host: f('Computer'),
    event_code: f('EventId'),
    severity: {
      kind: 'lookup',
      of: f('Level'),
      table: { critical: 'critical', error: 'high', warning: 'medium', info: 'informational', information: 'informational', logalways: 'informational', verbose: 'informational' },
    },
    message: { kind: 'first', of: [{ kind: 'concat', sep: ': ', parts: [f('MapDescription'), f('PayloadData1')] }, f('Payload')] },
    // RemoteHost is "NAME (10.0.0.5)" or the bare address.
    src_ip: { kind: 'replace', of: f('RemoteHost'), pattern: '^.*\\(([^)]*)\\)\\s*$', with: '$1', global: false },
    src_port: none,
    dst_ip: none,
    dst_port: none,
    protocol: none,
    user: f('UserName'),
    process: f('ExecutableInfo'),
    action: {
      kind: 'lookup',
      of: { kind: 'concat', sep: ':', parts: [{ kind: 'core', column: 'dataset' }, f('EventId')] },
      table: WINDOWS_ACTIONS,
    },
    outcome: none,
  },
};

const MFTECMD_MAP: CoreMapping = {
  family: 'mftecmd',
  prefixes: [''],
  looseNames: true,
  columns: {
    ts: f('Created0x10', 'LastModified0x10', 'LastRecordChange0x10'),
    dataset: c('mft'),
    host: none,
    event_code: f('EntryNumber'),
    severity: none,
    message: { kind: 'concat', sep: '\\', parts: [f('ParentPath'), f('FileName')] },
    src_ip: none,
    src_port: none,
    dst_ip: none,
    dst_port: none,
    protocol: none,
    user: none,
    process: none,
    action: c('file-record'),
    outcome: none,
  },
};

const PLASO_MAP: CoreMapping = {
  family: 'plaso',
  prefixes: [''],
  looseNames: true,
  columns: {
    ts: { kind: 'first', of: [f('datetime'), f('timestamp'), { kind: 'concat', sep: ' ', parts: [f('date'), f('time')] }] },
    dataset: c('plaso'),
    host: f('hostname', 'computer_name', 'host'),
    event_code: f('event_identifier', 'data_type', 'sourcetype'),
    severity: none,
    message: f('message', 'desc', 'short'),
    src_ip: none,
    src_port: none,
    dst_ip: none,
    dst_port: none,
    protocol: none,
    user: f('username', 'user'),
    process: f('parser', 'source_long', 'source_short'),
    action: { kind: 'lower', of: f('timestamp_desc', 'type') },
    outcome: none,
  },
};

const GENERIC_JSON = JSON_CORE_MAPPINGS.generic;
const GENERIC_CSV: CoreMapping = {
  family: 'csv',
  prefixes: [''],
  looseNames: true,
  columns: {
    ...GENERIC_JSON.columns,
    // Date and Time columns side by side come first: either alone is not an instant.
    ts: {
      kind: 'first',
      of: [{ kind: 'concat', sep: ' ', parts: [f('Date'), f('Time')] }, GENERIC_JSON.columns.ts, f('event_datetime', 'DT', 'TimeCreated')],
    },
    dataset: c('csv'),
    message: { kind: 'first', of: [GENERIC_JSON.columns.message, f('Content', 'Info', 'Details', 'event_name')] },
    process: { kind: 'first', of: [GENERIC_JSON.columns.process, f('Component')] },
    user: { kind: 'first', of: [GENERIC_JSON.columns.user, f('user_id')] },
  },
};

/** The CSV core mappings as data (same expression language as JSON_CORE_MAPPINGS). */
export const CSV_CORE_MAPPINGS: Readonly<Record<CsvFlavor, CoreMapping>> = {
  hayabusa: HAYABUSA_MAP,
  evtxecmd: EVTXECMD_MAP,
  mftecmd: MFTECMD_MAP,
  plaso: PLASO_MAP,
  generic: GENERIC_CSV,
};

const csvMappers = new Map<CsvFlavor, CoreMapper>();

/** Core of one CSV row (a header-name -> cell record) for a flavor. */
export function mapCsvRow(row: Fields, flavor: CsvFlavor): CoreFields {
  let m = csvMappers.get(flavor);
  if (!m) {
    m = compileCoreMapping(CSV_CORE_MAPPINGS[flavor]);
    csvMappers.set(flavor, m);
  }
  const index = new Map<string, Fields[string]>();
  for (const [k, v] of Object.entries(row)) {
    const lk = looseName(k);
    if (!index.has(lk)) index.set(lk, v);
  }
  return m((name) => index.get(name), {});
}

// ------------------------------------------------------------------ the JS line parser

const MAX_RECORD_LINES = 10_000;
const MAX_RECORD_CHARS = 4 << 20;

export interface CsvOptions {
  /** Force the delimiter (else from the header line: the most frequent of , \t ; |). */
  delimiter?: string;
  /** Force the flavor (else from the header). */
  flavor?: CsvFlavor;
  /** The file has no header row: columns are column1..N. */
  noHeader?: boolean;
  format?: 'csv' | 'tsv';
}

/**
 * Reads records line by line: the first record is the header; a record whose
 * quotes are unbalanced continues on the next line (bounded), and is reported
 * at the line it started on.
 */
export class CsvParser implements LineParser {
  readonly format: 'csv' | 'tsv';
  private columns: string[] | null = null;
  private flavor: CsvFlavor;
  private delimiter: string | null;
  private pending: string[] = [];
  private pendingChars = 0;
  private pendingStart = 0;
  /** Results of lines read again after an unclosed quote (see giveUp), for `drain`. */
  private replayed: LineResult[] = [];
  private readonly noHeader: boolean;
  private readonly forcedFlavor: CsvFlavor | null;
  private mapper: RowCoreMapper | null = null;

  constructor(opts: CsvOptions = {}) {
    this.format = opts.format ?? (opts.delimiter === '\t' ? 'tsv' : 'csv');
    this.delimiter = opts.delimiter ?? (this.format === 'tsv' ? '\t' : null);
    this.flavor = opts.flavor ?? 'generic';
    this.forcedFlavor = opts.flavor ?? null;
    this.noHeader = opts.noHeader === true;
  }

  get header(): { columns: readonly string[] | null; flavor: CsvFlavor; delimiter: string | null } {
    return { columns: this.columns, flavor: this.flavor, delimiter: this.delimiter };
  }

  line(text: string, lineNo: number): LineResult {
    if (this.pending.length === 0) {
      if (text.length === 0) return { skip: 'blank line' };
      this.pendingStart = lineNo;
    }
    this.pending.push(text);
    this.pendingChars += text.length + 1;
    const record = this.pending.length === 1 ? text : this.pending.join('\n');
    if (!csvRecordComplete(record)) {
      if (this.pending.length >= MAX_RECORD_LINES || this.pendingChars >= MAX_RECORD_CHARS) {
        const r = this.giveUp(`has an unclosed quote (gave up after ${MAX_RECORD_LINES} lines or 4 MiB)`);
        this.replayed.push(...r.slice(1));
        return r[0] as LineResult;
      }
      return { skip: 'CSV record continues on the next line' };
    }
    const start = this.pendingStart;
    const multi = this.pending.length > 1;
    this.reset();
    const r = this.record(record, start);
    if (multi && 'core' in r) {
      r.pos = start;
      r.raw = record;
    }
    return r;
  }

  private reset(): void {
    this.pending = [];
    this.pendingChars = 0;
  }

  drain(): LineResult[] {
    const r = this.replayed;
    this.replayed = [];
    return r;
  }

  /**
   * A record whose quote never closed: only its first line is rejected, and
   * the lines after it are read again as records of their own. One stray
   * quote used to take every following line of the file with it (rows 100 to
   * 3,000 of a timeline as one rejected record). Results carry their positions.
   */
  private giveUp(why: string): LineResult[] {
    const start = this.pendingStart;
    const lines = this.pending;
    this.reset();
    const out: LineResult[] = [{ error: `CSV record starting at line ${start} ${why}: this line rejected, the ones after it read again`, pos: start, text: lines[0] ?? '' }];
    for (let i = 1; i < lines.length; i++) {
      const lineNo = start + i;
      const r = this.line(lines[i] as string, lineNo);
      out.push(...this.positioned(r, lineNo), ...this.replayed.splice(0));
    }
    return out;
  }

  /** A result of a line read again, with its position (a skip is dropped). */
  private positioned(r: LineResult, lineNo: number): LineResult[] {
    if ('skip' in r) return [];
    if ('error' in r) return [{ ...r, pos: r.pos ?? lineNo }];
    r.pos ??= lineNo;
    return [r];
  }

  private record(record: string, start: number): LineResult {
    if (this.delimiter === null) {
      const counts = [',', '\t', ';', '|'].map((d) => [d, record.split(d).length] as const);
      counts.sort((a, b) => b[1] - a[1]);
      this.delimiter = (counts[0] as readonly [string, number])[0];
    }
    const cells = splitCsvRecord(record, this.delimiter);
    if (!cells) return { error: `CSV record at line ${start} has an unbalanced quote` };
    if (this.columns === null) {
      if (this.noHeader) {
        this.columns = cells.map((_c, i) => `column${i + 1}`);
      } else {
        this.columns = uniqueColumns(cells);
        if (this.forcedFlavor === null) this.flavor = csvFlavorOf(this.columns);
        return { skip: 'CSV header' };
      }
    }
    const cols = this.columns;
    if (cells.length !== cols.length) {
      return { error: `CSV record has ${cells.length} cells but the header has ${cols.length} columns: ${quoteForReason(record)}` };
    }
    const row: FieldValue[] = new Array<FieldValue>(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const v = cells[i] as string;
      row[i] = v === '' ? null : v;
    }
    if (this.mapper === null) this.mapper = compileRowMapping(CSV_CORE_MAPPINGS[this.flavor], cols);
    return new RowRecord(cols, row, this.mapper(row, {}));
  }

  end(): LineResult[] {
    const out = this.replayed.splice(0);
    // The lines read again may leave another unclosed record: give up on that one too.
    while (this.pending.length > 0) out.push(...this.giveUp('ends inside a quoted field (file truncated, or a quote never closed)'));
    return out;
  }
}
