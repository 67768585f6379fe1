/**
 * Splits JSON text, fed line by line, into top-level records for the
 * JavaScript path (the fallback when DuckDB's read_json refuses a file).
 * Its job is to find where each record starts and ends, so a broken record
 * costs only itself and is reported with the line it started on:
 *
 * - `ndjson`: every line is one record; a line that does not hold exactly one
 *   JSON value is rejected, and the next line starts afresh.
 * - `concat` (pretty-printed objects one after another) and `array` (one
 *   top-level array whose elements are the records): a record may span lines.
 *   A raw newline inside a string (illegal in JSON) ends a broken record; a
 *   `{` in the first column while a record is still open is taken as the
 *   start of the next record (pretty printers indent nested values), so a
 *   truncated object does not swallow the records after it.
 *
 * Records larger than `maxChars` are rejected without being accumulated.
 */
export interface JsonRecordSink {
  record(value: unknown, startLine: number): void;
  reject(reason: string, startLine: number, text: string): void;
}

type Shape = 'ndjson' | 'array' | 'concat';

export class JsonRecordSplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  private parts: string[] = [];
  private chars = 0;
  private oversized = false;
  private startLine = 0;
  /** array shape: inside the outer `[`. */
  private inArray = false;
  private arrayClosed = false;

  constructor(
    private readonly shape: Shape,
    private readonly maxChars: number,
    private readonly sink: JsonRecordSink,
  ) {}

  line(text: string, lineNo: number): void {
    if (this.shape === 'ndjson') {
      this.ndjsonLine(text, lineNo);
      return;
    }
    if (this.depth > 0 && !this.inString && text.charCodeAt(0) === 123 /* { */ && this.parts.length > 0) {
      this.fail('record not closed before the next one starts', this.startLine);
    }
    this.scan(text, lineNo);
    if (this.inString) {
      // JSON strings cannot hold a raw newline: this record is broken here.
      this.fail('line break inside a string (truncated or broken record)', this.startLine);
    } else if (this.depth > 0) {
      this.append('\n');
    }
  }

  end(lineNo: number): void {
    if (this.depth > 0 || this.inString) this.fail(`input ends inside a record (line ${lineNo})`, this.startLine);
    if (this.shape === 'array' && this.inArray && !this.arrayClosed) {
      this.sink.reject('input ends before the closing "]" of the array', lineNo, '');
    }
  }

  private ndjsonLine(text: string, lineNo: number): void {
    const t = text.trim();
    if (t.length === 0) return;
    if (t.length > this.maxChars) {
      this.sink.reject(`record longer than ${this.maxChars} characters`, lineNo, t);
      return;
    }
    try {
      this.sink.record(JSON.parse(t), lineNo);
    } catch (e) {
      this.sink.reject(`not valid JSON: ${(e as Error).message}`, lineNo, t);
    }
  }

  /** Walks one line, cutting records at depth 0 boundaries. */
  private scan(text: string, lineNo: number): void {
    let segStart = -1; // start of the current record's text within this line
    if (this.depth > 0) segStart = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92 /* \ */) this.escape = true;
        else if (c === 34 /* " */) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (c === 32 || c === 9 || c === 13 || c === 44 /* , */) continue;
        if (this.shape === 'array' && !this.inArray && !this.arrayClosed && c === 91 /* [ */) {
          this.inArray = true;
          continue;
        }
        if (this.shape === 'array' && this.inArray && c === 93 /* ] */) {
          this.inArray = false;
          this.arrayClosed = true;
          continue;
        }
        if (c === 123 || c === 91) {
          this.depth = 1;
          this.startLine = lineNo;
          this.parts = [];
          this.chars = 0;
          this.oversized = false;
          segStart = i;
          continue;
        }
        // A bare value at the top level (or as an array element): a string,
        // number, true/false/null is a record of its own; anything else is
        // garbage, and the rest of the line goes as one rejected record.
        const end = scalarEnd(text, i);
        const token = text.slice(i, end);
        let value: unknown;
        let parsed: boolean;
        try {
          value = JSON.parse(token);
          parsed = token.length > 0;
        } catch {
          parsed = false;
        }
        if (parsed) {
          this.sink.record(value, lineNo);
          i = end - 1;
          continue;
        }
        this.sink.reject('not JSON: text outside any object or array', lineNo, text.slice(i).trim());
        return;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 0) {
          this.append(text.slice(segStart, i + 1));
          this.complete();
          segStart = -1;
        }
      }
    }
    if (this.depth > 0 && segStart >= 0) this.append(text.slice(segStart));
  }

  private append(s: string): void {
    if (this.oversized) return;
    this.chars += s.length;
    if (this.chars > this.maxChars) {
      this.oversized = true;
      return;
    }
    this.parts.push(s);
  }

  private complete(): void {
    const text = this.parts.join('');
    this.parts = [];
    if (this.oversized) {
      this.sink.reject(`record longer than ${this.maxChars} characters`, this.startLine, text);
      this.oversized = false;
      return;
    }
    try {
      this.sink.record(JSON.parse(text), this.startLine);
    } catch (e) {
      this.sink.reject(`not valid JSON: ${(e as Error).message}`, this.startLine, text);
    }
  }

  private fail(reason: string, startLine: number): void {
    const text = this.parts.join('');
    this.sink.reject(reason, startLine, text);
    this.parts = [];
    this.chars = 0;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.oversized = false;
  }
}

/** Where a scalar token starting at `i` ends: after its closing quote, or at the next separator. */
function scalarEnd(text: string, i: number): number {
  if (text.charCodeAt(i) === 34) {
    let escape = false;
    for (let j = i + 1; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (escape) escape = false;
      else if (c === 92) escape = true;
      else if (c === 34) return j + 1;
    }
    return text.length;
  }
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 44 || c === 93 || c === 125 || c === 32 || c === 9 || c === 13 || c === 123 || c === 91) break;
    j++;
  }
  return j === i ? i + 1 : j;
}
