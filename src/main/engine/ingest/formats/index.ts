import { FORMATS, type CsvFlavor, type FormatName, type LineFormatName } from '@shared/formats';
import { CefLeefParser } from './cef-leef';
import { CsvParser } from './csv';
import { IisW3cParser } from './iis-w3c';
import { parseIdsSlgLine, parseSlgAccessLine, SlgEndpointParser } from './ids-slg';
import { parseLinuxAuditLine } from './linux-audit';
import { parseSyslogLine, SyslogClock } from './syslog';
import { TextParser } from './text';
import { checkTimeZone, type TimeZoneSpec } from './time';
import { MAX_LINE_CHARS, type LineParser, type LineResult, type ParseResult } from './types';
import { parseWebAccessLine } from './web-access';
import { parseWebErrorLine } from './web-error';
import { zeekPathFromFileName, ZeekTsvParser } from './zeek-tsv';

/**
 * One entry point for the pipeline: a stateful line parser per file (or
 * archive member) for every line-based format. JSON formats are not here: the
 * pipeline reads them with DuckDB and maps them with json-map.ts.
 */

export interface ParserOptions {
  /** Zone of zone-less timestamps: IANA name, UTC (default), or +hh:mm. Check it first with checkTimeZone. */
  tz?: TimeZoneSpec;
  /** Year of the first year-less syslog record, when the analyst states it. */
  year?: number;
  /** The file's mtime (ms since epoch): year-less records are not after it. */
  notAfter?: number;
  /** The file or member name (Zeek's log path when the file has no #path). */
  fileName?: string;
  /** CSV/TSV: a flavor or delimiter from sniff, or no header row. */
  csv?: { flavor?: CsvFlavor; delimiter?: string; noHeader?: boolean };
}

/** Wraps a stateless per-line function with the checks every format shares. */
class SimpleParser implements LineParser {
  constructor(
    readonly format: FormatName,
    private readonly fn: (line: string) => ParseResult,
  ) {}

  line(text: string): LineResult {
    if (text.length === 0 || text.trim().length === 0) return { skip: 'blank line' };
    // Annotations such as fail2ban's "# failJSON: {...}" are not records of
    // these formats: counted as rejected, with a reason that says so.
    if (text.charCodeAt(0) === 35) return { error: `comment line (starts with "#"), not a ${FORMATS[this.format]} record` };
    return this.fn(text);
  }

  end(): LineResult[] {
    return [];
  }
}

/** Rejects over-long lines before any format sees them (the pipeline should cut them at MAX_LINE_CHARS). */
class Guarded implements LineParser {
  constructor(private readonly inner: LineParser) {}

  get format(): FormatName {
    return this.inner.format;
  }

  line(text: string, lineNo: number): LineResult {
    if (text.length > MAX_LINE_CHARS) return { error: `line is longer than ${MAX_LINE_CHARS} characters (${text.length}): not parsed` };
    return this.inner.line(text, lineNo);
  }

  end(): LineResult[] {
    return this.inner.end();
  }

  drain(): LineResult[] {
    return this.inner.drain?.() ?? [];
  }
}

/**
 * A fresh parser for one file. Throws on an invalid time zone (check it with
 * checkTimeZone when the analyst types it, to answer with a message).
 */
export function createLineParser(format: LineFormatName, opts: ParserOptions = {}): LineParser {
  if (opts.tz !== undefined) {
    const bad = checkTimeZone(opts.tz);
    if (bad) throw new Error(bad);
  }
  const tz = opts.tz;
  const clockOpts = { tz, year: opts.year, notAfter: opts.notAfter };
  let p: LineParser;
  switch (format) {
    case 'syslog-3164':
    case 'syslog-5424':
    case 'auth-log': {
      const clock = new SyslogClock(clockOpts);
      p = new SimpleParser(format, (l) => parseSyslogLine(l, clock));
      break;
    }
    case 'cef': {
      const cl = new CefLeefParser(clockOpts);
      p = new SimpleParser(format, (l) => cl.parseCef(l));
      break;
    }
    case 'leef': {
      const cl = new CefLeefParser(clockOpts);
      p = new SimpleParser(format, (l) => cl.parseLeef(l));
      break;
    }
    case 'linux-audit':
      p = new SimpleParser(format, parseLinuxAuditLine);
      break;
    case 'ids-slg':
      p = new SimpleParser(format, (l) => parseIdsSlgLine(l, { tz }));
      break;
    case 'slg-access':
      p = new SimpleParser(format, (l) => parseSlgAccessLine(l, { tz }));
      break;
    case 'slg-endpoint':
      p = new SlgEndpointParser({ tz });
      break;
    case 'web-access':
      p = new SimpleParser(format, (l) => parseWebAccessLine(l, { tz }));
      break;
    case 'web-error':
      p = new SimpleParser(format, (l) => parseWebErrorLine(l, { tz }));
      break;
    case 'iis-w3c':
      p = new IisW3cParser({ tz });
      break;
    case 'zeek-tsv':
      p = new ZeekTsvParser({ path: opts.fileName ? zeekPathFromFileName(opts.fileName) : null });
      break;
    case 'csv':
    case 'tsv':
      p = new CsvParser({ ...opts.csv, format, delimiter: opts.csv?.delimiter ?? (format === 'tsv' ? '\t' : undefined) });
      break;
    case 'text':
      p = new TextParser(clockOpts);
      break;
  }
  return new Guarded(p);
}

export type { LineParser, LineResult, ParseResult, ParsedRecord, Rejection, Skipped, Fields, FieldValue } from './types';
export { isParsed, isRejection, isSkipped, MAX_LINE_CHARS, EXCERPT_CHARS, excerpt, emptyCore } from './types';
export { checkTimeZone } from './time';
export { RowRecord } from './types';

// The JSON core mapping (one definition for SQL and JS) and its helpers.
export {
  JSON_CORE_MAPPINGS,
  COLUMN_CONVERSIONS,
  mapJsonRecord,
  mapFlatRecord,
  flattenRecord,
  expandEventData,
  detectJsonFamily,
  compileCoreMapping,
  compileRowMapping,
  looseName,
  type MapExpr,
  type CoreMapping,
  type JsonHint,
  type MapContext,
} from './json-map';
export { CSV_CORE_MAPPINGS, detectCsvHeader, csvFlavorOf, mapCsvRow, splitCsvRecord, csvRecordComplete, type CsvHeader } from './csv';
export { WINDOWS_CHANNEL_DATASETS, WINDOWS_ACTIONS, WINDOWS_OUTCOMES, WINDOWS_OUTCOME_BY_KEYWORD } from './windows';
export { zeekHeaderFromLines, zeekPathFromFileName, applyZeekDirective, newZeekHeader, ZEEK_KNOWN_PATHS, type ZeekHeader } from './zeek-tsv';
export { canonicalIp, parsePort, splitHostPort } from './net';
export { parseTimestamp, epochToIso, wallToUtcMs, isoFromMs, type TimeZoneSpec } from './time';
export { SyslogClock } from './syslog';

// Field names each line format writes (the columns of its field table; tabular
// formats take theirs from the file's header instead).
export { SYSLOG_FIELDS, SYSLOG_5424_FIELDS } from './syslog';
export { AUTH_FIELDS } from './auth-log';
export { WEB_ACCESS_FIELDS } from './web-access';
export { WEB_ERROR_FIELDS } from './web-error';
export { IDS_SLG_FIELDS, SLG_ACCESS_FIELDS } from './ids-slg';
export { TEXT_FIELDS } from './text';
