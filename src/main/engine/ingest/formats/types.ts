import type { CoreFields } from '@shared/events';
import type { FormatName } from '@shared/formats';

/** A value of an original field; becomes a cell of the source's field table. */
export type FieldValue = string | number | boolean | null;
export type Fields = Record<string, FieldValue>;

/** One record a parser understood. */
export interface ParsedRecord {
  /** The original fields under their original names (documented per format). */
  fields: Fields;
  /** The normalised core (events table). */
  core: CoreFields;
  /**
   * Problems that do not cost the record (stored as `warning` in ingest_errors),
   * e.g. a timestamp that did not parse: the event is kept with ts NULL.
   */
  warnings?: string[];
  /** Set by multi-line formats: the line the record started on, when not the current line. */
  pos?: number;
  /** Set by multi-line formats: the record's full original text (else the pipeline keeps the line). */
  raw?: string;
  /**
   * Tabular formats (Zeek TSV, CSV): the same values as `fields`, in the order of
   * `columns`. A pipeline appending rows column by column should read these:
   * `fields` is then built only if someone reads it.
   */
  values?: readonly FieldValue[];
  columns?: readonly string[];
}

/**
 * A record of a tabular format: values in column order, `fields` materialised
 * on first read. Building a 20-key object per row was a third of the Zeek TSV
 * parser's time, and a pipeline that appends by column never needs it.
 */
export class RowRecord implements ParsedRecord {
  private built: Fields | null = null;
  warnings?: string[];
  pos?: number;
  raw?: string;

  constructor(
    readonly columns: readonly string[],
    readonly values: readonly FieldValue[],
    public core: CoreFields,
  ) {}

  get fields(): Fields {
    if (this.built === null) {
      const f: Fields = {};
      for (let i = 0; i < this.columns.length; i++) f[this.columns[i] as string] = this.values[i] ?? null;
      this.built = f;
    }
    return this.built;
  }

  /** Plain-object form (what JSON.stringify and structured clone across a worker boundary see). */
  toJSON(): ParsedRecord {
    const out: ParsedRecord = { fields: this.fields, core: this.core };
    if (this.warnings) out.warnings = this.warnings;
    if (this.pos !== undefined) out.pos = this.pos;
    if (this.raw !== undefined) out.raw = this.raw;
    return out;
  }
}

/** A record that could not be parsed: counted against the file with this reason. */
export interface Rejection {
  error: string;
  /** Where the rejected text starts, when not the line just fed (a record handed back by `drain`). */
  pos?: number;
  /** The rejected text, when not the line just fed. */
  text?: string;
}

/** A line that is not a record and not an error (a Zeek `#fields` header, a blank line). */
export interface Skipped {
  skip: string;
}

export type ParseResult = ParsedRecord | Rejection;
export type LineResult = ParsedRecord | Rejection | Skipped;

export function isRejection(r: LineResult): r is Rejection {
  return (r as Rejection).error !== undefined;
}

export function isSkipped(r: LineResult): r is Skipped {
  return (r as Skipped).skip !== undefined;
}

export function isParsed(r: LineResult): r is ParsedRecord {
  return (r as ParsedRecord).core !== undefined;
}

/**
 * A stateful parser for one file (or archive member), fed line by line in order.
 * State lives here because several formats need it: syslog year inference, the
 * Zeek and IIS header directives, a CSV header, multi-line records.
 */
export interface LineParser {
  readonly format: FormatName;
  /**
   * @param text one line without its terminator (the pipeline strips \n and \r\n)
   * @param lineNo 1-based line number, used only for messages and multi-line positions
   */
  line(text: string, lineNo: number): LineResult;
  /** Flush at end of input (multi-line formats hold their last record until then). */
  end(): LineResult[];
  /**
   * Results beyond the one `line` returned, to take right after it: lines a
   * multi-line format read again after giving up on the record they seemed to
   * continue (a CSV quote never closed). Each carries its own `pos`.
   */
  drain?(): LineResult[];
}

export function emptyCore(dataset: string): CoreFields {
  return {
    ts: null,
    dataset,
    host: null,
    event_code: null,
    severity: null,
    message: null,
    src_ip: null,
    src_port: null,
    dst_ip: null,
    dst_port: null,
    protocol: null,
    user: null,
    process: null,
    action: null,
    outcome: null,
  };
}

/**
 * The longest line the pipeline should hand a parser. Longer lines are cut here
 * and the record rejected as truncated (its first KiB kept as the excerpt): real
 * log lines stay far below it (the longest in the corpus, a plaso XML cell, is
 * under 64 KiB), while a runaway binary "line" cannot make one record eat memory.
 * Every parser is linear in the line length and tested on a 1 MiB hostile line.
 */
export const MAX_LINE_CHARS = 1 << 20;

/** How much of a rejected line to keep as ingest_errors.excerpt (data-model: at most 1 KiB). */
export const EXCERPT_CHARS = 1024;

export function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? text : `${text.slice(0, EXCERPT_CHARS - 1)}…`;
}

/** Cuts a value quoted in a rejection reason, so a 1 MB garbage line does not become a 1 MB reason. */
export function quoteForReason(text: string, max = 60): string {
  const t = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(t);
}
