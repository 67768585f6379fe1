import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import {
  createLineParser,
  detectJsonFamily,
  flattenRecord,
  isLineFormat,
  isRejection,
  isSkipped,
  mapFlatRecord,
  sniffFormat,
  SNIFF_BYTES,
  type CsvFlavor,
  type FormatName,
  type JsonFamily,
  type LineParser,
  type LineResult,
  type ParsedRecord,
} from '../ingest/format-support';
import type { LiveMessage } from './journal';

/**
 * How received messages become records: the import pipeline's own parsers
 * and core mappings, chosen per message for the network and per file for
 * followed files.
 *
 * Network messages come from many devices on one port, so each is looked at
 * on its own: a CEF or LEEF payload (behind a syslog header or not) is read
 * as CEF/LEEF, a JSON object as JSON, anything with a syslog header
 * (RFC 3164, RFC 5424, auth.log lines included: their dataset is decided per
 * line) as syslog, and everything else as text, so no message is lost for
 * its shape.
 *
 * A followed file is one format, sniffed from its head as an import would
 * (auth.log, web access logs, Suricata EVE, Zeek, CEF ...); a file sniffed
 * as plain text gets the per-message choice. The decision is returned to
 * the caller, which stores it with the source so a restart reads the file
 * the same way.
 */

/** How a followed file is read (stored per path with the source). */
export interface FileReading {
  format: FormatName;
  /** JSON formats: the core mapping family. */
  family?: JsonFamily;
  zeekPath?: string | null;
  csv?: { flavor?: CsvFlavor; delimiter?: string; noHeader?: boolean };
}

export interface MessageParserOptions {
  tz?: string;
  /** Decisions made before (from the case). */
  readings?: Record<string, FileReading>;
  /** Read a followed file's head for sniffing and header priming (tests replace it). */
  readHead?: (path: string) => Buffer | null;
}

export interface ParsedMessage {
  result: LineResult;
  /** JSON and tabular records: the field table holds the whole record, so raw stays NULL (as in imports). */
  structured: boolean;
}

/** Formats whose lines mean nothing without the header at the top of the file. */
const HEADER_FORMATS = new Set<FormatName>(['zeek-tsv', 'iis-w3c', 'csv', 'tsv']);
const TABULAR = new Set<FormatName>(['zeek-tsv', 'csv', 'tsv', 'iis-w3c']);
const NOT_LINES = new Set<FormatName>(['evtx', 'zip', 'gzip', 'tar', 'binary']);

export class MessageParser {
  /** Readings decided in this process that the caller has not stored yet. */
  readonly newReadings = new Map<string, FileReading>();
  private readonly readings: Map<string, FileReading>;
  private auto: AutoParser | null = null;
  private readonly files = new Map<string, { parser: LineParser | JsonLines | AutoParser | null; structured: boolean; refusal: string | null }>();
  private readonly readHead: (path: string) => Buffer | null;

  constructor(private readonly opts: MessageParserOptions = {}) {
    this.readings = new Map(Object.entries(opts.readings ?? {}));
    this.readHead = opts.readHead ?? readFileHead;
  }

  /** Parse the messages of one batch, in order. */
  parseBatch(batch: readonly LiveMessage[]): ParsedMessage[] {
    const out: ParsedMessage[] = [];
    for (const m of batch) out.push(this.parse(m, batch));
    return out;
  }

  reading(path: string): FileReading | undefined {
    return this.readings.get(path);
  }

  private parse(m: LiveMessage, batch: readonly LiveMessage[]): ParsedMessage {
    if (m.transport !== 'file' || !m.pos) {
      this.auto ??= new AutoParser(this.opts.tz, m.receivedAt);
      return this.auto.parse(m.message);
    }
    const path = m.pos.path;
    let f = this.files.get(path);
    if (!f) {
      f = this.openFile(path, m, batch);
      this.files.set(path, f);
    }
    if (f.refusal !== null) return { result: { error: f.refusal }, structured: false };
    if (f.parser instanceof AutoParser) return f.parser.parse(m.message);
    if (f.parser instanceof JsonLines) return { result: f.parser.line(m.message), structured: true };
    return { result: (f.parser as LineParser).line(m.message, 0), structured: f.structured };
  }

  private openFile(path: string, first: LiveMessage, batch: readonly LiveMessage[]): { parser: LineParser | JsonLines | AutoParser | null; structured: boolean; refusal: string | null } {
    let reading = this.readings.get(path);
    const head = this.readHead(path);
    if (!reading) {
      reading = decideReading(path, head, batch);
      this.readings.set(path, reading);
      this.newReadings.set(path, reading);
    }
    const f = reading.format;
    if (NOT_LINES.has(f)) return { parser: null, structured: false, refusal: `${basename(path)} is ${f === 'binary' ? 'a binary file' : `a ${f} file`}, not lines of text: import it from the Import view instead` };
    if (f === 'text') return { parser: new AutoParser(this.opts.tz, first.receivedAt), structured: false, refusal: null };
    if (!isLineFormat(f)) {
      // JSON formats, followed one record per line (NDJSON, Suricata EVE, Zeek JSON).
      const family = reading.family ?? (f === 'suricata-eve' ? 'suricata' : f === 'zeek-json' ? 'zeek' : 'generic');
      return { parser: new JsonLines(family, reading.zeekPath ?? null), structured: true, refusal: null };
    }
    const parser = createLineParser(f, {
      ...(this.opts.tz ? { tz: this.opts.tz } : {}),
      notAfter: first.receivedAt,
      fileName: basename(path),
      ...(reading.csv ? { csv: reading.csv } : {}),
    });
    if (HEADER_FORMATS.has(f) && head && !startsFile(first)) primeHeader(parser, f, head, reading);
    return { parser, structured: TABULAR.has(f), refusal: null };
  }
}

/** The reading of a followed file: sniffed from its head on disk, else from the lines at hand. */
function decideReading(path: string, head: Buffer | null, batch: readonly LiveMessage[]): FileReading {
  let sample = head;
  if (!sample || sample.length === 0) {
    const lines: string[] = [];
    let size = 0;
    for (const m of batch) {
      if (m.pos?.path !== path) continue;
      lines.push(m.message);
      size += m.message.length + 1;
      if (size > SNIFF_BYTES) break;
    }
    sample = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  }
  const s = sniffFormat(sample, basename(path));
  const r: FileReading = { format: s.format };
  if (s.jsonFamily) r.family = s.jsonFamily;
  if (s.zeekPath !== undefined) r.zeekPath = s.zeekPath;
  if (s.csv) r.csv = { flavor: s.csv.flavor, delimiter: s.csv.delimiter, ...(s.csv.columns === null ? { noHeader: true } : {}) };
  return r;
}

/** Whether a followed line is the first of its file (its end offset is its own length). */
function startsFile(m: LiveMessage): boolean {
  return m.pos !== undefined && m.pos.offset <= Buffer.byteLength(m.message) + 2;
}

/**
 * Following a header-driven file from the middle (a restart, or from-end):
 * its parser learns the header (Zeek's #fields, IIS's #Fields:, a CSV's
 * first row) from the top of the file first; those lines were stored before.
 */
function primeHeader(parser: LineParser, format: FormatName, head: Buffer, reading: FileReading): void {
  const lines = head.toString('utf8').split(/\r?\n/);
  lines.pop(); // possibly cut
  if (format === 'csv' || format === 'tsv') {
    if (reading.csv?.noHeader) return;
    const header = lines.find((l) => l.trim() !== '');
    if (header !== undefined) parser.line(header, 1);
    return;
  }
  for (let i = 0; i < lines.length && i < 1000; i++) {
    const l = lines[i] as string;
    if (!l.startsWith('#')) break;
    parser.line(l, i + 1);
  }
}

function readFileHead(path: string): Buffer | null {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** One JSON object per line, mapped with the family's core mapping. */
class JsonLines {
  constructor(
    private readonly family: JsonFamily | 'auto',
    private readonly zeekPath: string | null,
  ) {}

  line(text: string): LineResult {
    if (text.trim().length === 0) return { skip: 'blank line' };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { error: `not valid JSON: ${(e as Error).message.slice(0, 200)}` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'a JSON value that is not an object' };
    const obj = value as Record<string, unknown>;
    const fields = flattenRecord(obj);
    const family = this.family === 'auto' ? detectJsonFamily(obj) : this.family;
    return { fields, core: mapFlatRecord(fields, family, { path: this.zeekPath }) };
  }
}

/**
 * The per-message choice for network messages (and followed files that
 * sniff as plain text). Holds one parser per shape so each keeps its state
 * (the syslog clock's year inference), created at the first message with
 * its receive time as the "not after" instant of that inference.
 */
class AutoParser {
  private readonly syslog: LineParser;
  private readonly cef: LineParser;
  private readonly leef: LineParser;
  private readonly text: LineParser;
  private readonly json = new JsonLines('auto', null);

  constructor(tz: string | undefined, firstReceivedAt: number) {
    const opts = { ...(tz ? { tz } : {}), notAfter: firstReceivedAt };
    this.syslog = createLineParser('syslog-3164', opts);
    this.cef = createLineParser('cef', opts);
    this.leef = createLineParser('leef', opts);
    this.text = createLineParser('text', opts);
  }

  parse(message: string): ParsedMessage {
    if (message.trim().length === 0) return { result: { skip: 'blank message' }, structured: false };
    let problem: string | null = null;
    const cefAt = message.indexOf('CEF:');
    if (cefAt >= 0 && cefAt <= 512) {
      const r = this.cef.line(message, 0);
      if (!isRejection(r) && !isSkipped(r)) return { result: r, structured: false };
      if (isRejection(r)) problem = r.error;
    } else {
      const leefAt = message.indexOf('LEEF:');
      if (leefAt >= 0 && leefAt <= 512) {
        const r = this.leef.line(message, 0);
        if (!isRejection(r) && !isSkipped(r)) return { result: r, structured: false };
        if (isRejection(r)) problem = r.error;
      }
    }
    if (message.charCodeAt(0) === 123 /* { */) {
      const r = this.json.line(message);
      if (!isRejection(r) && !isSkipped(r)) return { result: r, structured: true };
    }
    const s = this.syslog.line(message, 0);
    if (!isRejection(s) && !isSkipped(s)) return { result: withWarning(s, problem), structured: false };
    const t = this.text.line(message, 0);
    return { result: isRejection(t) || isSkipped(t) ? t : withWarning(t, problem), structured: false };
  }
}

/** A payload that looked like CEF/LEEF but was not: stored as syslog or text, with the reason as a warning. */
function withWarning(r: ParsedRecord, problem: string | null): ParsedRecord {
  if (problem === null) return r;
  r.warnings = [...(r.warnings ?? []), `read as ${r.core.dataset}: ${problem}`];
  return r;
}
