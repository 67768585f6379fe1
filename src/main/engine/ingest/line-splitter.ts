import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { TextEncodingName } from './format-support';

/** What the splitter hands on: each line once, in order, without its terminator. */
export interface LineSink {
  /** `latin1Fallback`: the line was not valid UTF-8 in a UTF-8 file and was read as Latin-1. */
  line(text: string, lineNo: number, latin1Fallback: boolean): void;
  /** A line over the limit: only its head is kept, the rest is skipped up to the next newline. */
  tooLong(lineNo: number, length: number, head: string): void;
}

const HEAD_CHARS = 1024;

/**
 * Bytes in, lines out, in bounded memory. UTF-8 and Latin-1 are split on the
 * newline byte before decoding (both are ASCII-compatible), so a multi-byte
 * character cut by a read boundary is never mangled; UTF-16 is decoded with a
 * streaming decoder first. A line longer than `maxChars` is reported with its
 * head and skipped, never accumulated: a 2 GB file without a newline costs as
 * much memory as a short one.
 *
 * A UTF-8 file that holds an odd Latin-1 line (common in old syslog) is read
 * line by line: the bad line is decoded as Latin-1 and flagged, the rest stay
 * UTF-8.
 */
export class LineSplitter {
  private lineNo = 0;
  private carry: Buffer | null = null;
  private carryText = '';
  /** Inside an over-long line: bytes (or chars for UTF-16) counted until its newline. */
  private skipping = false;
  private skippedLength = 0;
  private skipLineNo = 0;
  private skipHead = '';
  private bomLeft: number;
  private readonly decoder: TextDecoder | null;
  private readonly maxBytes: number;

  constructor(
    private readonly encoding: TextEncodingName,
    bom: number,
    private readonly maxChars: number,
    private readonly sink: LineSink,
    /** Lines end with a lone CR: it is read as the line break. */
    private readonly crOnly = false,
  ) {
    this.bomLeft = bom;
    this.decoder = encoding === 'utf16le' ? new TextDecoder('utf-16le') : encoding === 'utf16be' ? new TextDecoder('utf-16be') : null;
    // A UTF-8 character is at most 4 bytes: a line of maxChars characters fits in 4x bytes.
    this.maxBytes = maxChars * 4;
  }

  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    if (this.bomLeft > 0) {
      const cut = Math.min(this.bomLeft, chunk.length);
      chunk = chunk.subarray(cut);
      this.bomLeft -= cut;
    }
    if (chunk.length === 0) return;
    if (this.decoder) {
      const text = this.decoder.decode(chunk, { stream: true });
      this.pushText(this.crOnly ? text.replaceAll('\r', '\n') : text);
    } else this.pushBytes(this.crOnly ? crToLf(chunk) : chunk);
  }

  end(): void {
    if (this.decoder) {
      this.pushText(this.decoder.decode());
      if (this.skipping) this.finishSkip();
      else if (this.carryText.length > 0) this.emitText(this.carryText);
      this.carryText = '';
      return;
    }
    if (this.skipping) this.finishSkip();
    else if (this.carry && this.carry.length > 0) this.emitBytesLine(this.carry);
    this.carry = null;
  }

  // ---------------------------------------------------------------- bytes (UTF-8, Latin-1)

  private pushBytes(chunk: Buffer): void {
    let data = chunk;
    if (this.skipping) {
      const nl = data.indexOf(10);
      if (nl < 0) {
        this.skippedLength += data.length;
        return;
      }
      this.skippedLength += nl;
      this.finishSkip();
      data = data.subarray(nl + 1);
    }
    if (this.carry) data = Buffer.concat([this.carry, data]);
    this.carry = null;
    const lastNl = data.lastIndexOf(10);
    if (lastNl < 0) {
      this.keepCarry(data);
      return;
    }
    const region = data.subarray(0, lastNl);
    if (lastNl + 1 < data.length) this.keepCarry(data.subarray(lastNl + 1));
    this.emitRegion(region);
  }

  private keepCarry(rest: Buffer): void {
    if (rest.length > this.maxBytes) {
      this.startSkip(this.lineNo + 1, rest.length, this.decodeHead(rest));
      return;
    }
    // Copy: a slice would pin the whole read buffer until the line ends.
    this.carry = Buffer.from(rest);
  }

  /**
   * Every line of a region that ends just before a newline byte. UTF-8 first,
   * line by line: a line that is not valid UTF-8 is Latin-1. That reads both a
   * UTF-8 file with an odd Latin-1 line (flagged) and a Latin-1 file (as
   * sniffed, not flagged) right; a Latin-1 line that happens to be valid UTF-8
   * (two accented capitals in a row) is the rare loser.
   */
  private emitRegion(region: Buffer): void {
    if (isUtf8(region)) {
      this.emitTextLines(region.toString('utf8'), false);
      return;
    }
    let start = 0;
    while (start <= region.length) {
      let nl = region.indexOf(10, start);
      if (nl < 0) nl = region.length;
      this.emitBytesLine(region.subarray(start, nl));
      start = nl + 1;
    }
  }

  private emitBytesLine(bytes: Buffer): void {
    if (bytes.length > this.maxBytes) {
      this.lineNo++;
      this.sink.tooLong(this.lineNo, bytes.length, this.decodeHead(bytes));
      return;
    }
    const utf8 = isUtf8(bytes);
    let text = bytes.toString(utf8 ? 'utf8' : 'latin1');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.emitOne(text, !utf8 && this.encoding !== 'latin1');
  }

  private emitTextLines(text: string, latin1Fallback: boolean): void {
    let start = 0;
    const n = text.length;
    while (start <= n) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.emitOne(text.slice(start, end), latin1Fallback);
      start = nl + 1;
    }
  }

  private emitOne(text: string, latin1Fallback: boolean): void {
    this.lineNo++;
    if (text.length > this.maxChars) {
      this.sink.tooLong(this.lineNo, text.length, text.slice(0, HEAD_CHARS));
      return;
    }
    this.sink.line(text, this.lineNo, latin1Fallback);
  }

  private decodeHead(bytes: Buffer): string {
    const head = bytes.subarray(0, HEAD_CHARS * 2);
    return this.encoding === 'latin1' ? head.toString('latin1') : head.toString('utf8');
  }

  // ---------------------------------------------------------------- text (UTF-16)

  private pushText(text: string): void {
    if (text.length === 0) return;
    let data = text;
    if (this.skipping) {
      const nl = data.indexOf('\n');
      if (nl < 0) {
        this.skippedLength += data.length;
        return;
      }
      this.skippedLength += nl;
      this.finishSkip();
      data = data.slice(nl + 1);
    }
    data = this.carryText + data;
    this.carryText = '';
    const lastNl = data.lastIndexOf('\n');
    const rest = lastNl < 0 ? data : data.slice(lastNl + 1);
    if (lastNl >= 0) this.emitTextLines(data.slice(0, lastNl), false);
    if (rest.length > this.maxChars) this.startSkip(this.lineNo + 1, rest.length, rest.slice(0, HEAD_CHARS));
    else this.carryText = rest;
  }

  private emitText(text: string): void {
    this.emitTextLines(text, false);
  }

  // ---------------------------------------------------------------- over-long lines

  private startSkip(lineNo: number, length: number, head: string): void {
    this.skipping = true;
    this.skipLineNo = lineNo;
    this.skippedLength = length;
    this.skipHead = head;
  }

  private finishSkip(): void {
    this.skipping = false;
    this.lineNo = this.skipLineNo;
    this.sink.tooLong(this.skipLineNo, this.skippedLength, this.skipHead);
    this.skipHead = '';
  }
}

/** A copy of the bytes with each CR as LF (CR is one byte in UTF-8 and Latin-1, never part of another character). */
function crToLf(chunk: Buffer): Buffer {
  const out = Buffer.from(chunk);
  for (let i = out.indexOf(13); i >= 0; i = out.indexOf(13, i + 1)) out[i] = 10;
  return out;
}
