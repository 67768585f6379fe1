/**
 * Splits a TCP syslog byte stream into messages (RFC 6587). Senders use one of
 * two framings and do not announce which: octet counting ("<len> <msg>") or
 * non-transparent framing (messages end at LF, some senders use CRLF or NUL).
 * The first byte of each frame tells: a digit starts an octet count, since a
 * syslog message itself starts with "<" (PRI) or a letter/timestamp.
 */
export interface FramerOptions {
  /** Longest message kept; longer ones are cut here and counted as truncated. */
  maxMessageBytes?: number;
}

export interface Frame {
  message: string;
  truncated: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;

export class SyslogFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes still to skip of an oversized octet-counted frame. */
  private skipping = 0;
  /** An oversized LF frame: drop bytes until the next terminator. */
  private discardingLine = false;
  private readonly max: number;

  constructor(opts: FramerOptions = {}) {
    this.max = opts.maxMessageBytes ?? 64 * 1024;
  }

  /** Feed bytes; returns every complete frame now available. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    // Bounded by the buffer: every pass consumes at least one byte or stops.
    for (;;) {
      if (this.buf.length === 0) break;
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.buf.length);
        this.skipping -= n;
        this.buf = this.buf.subarray(n);
        continue;
      }
      if (this.discardingLine) {
        const end = findTerminator(this.buf);
        if (end < 0) {
          this.buf = Buffer.alloc(0);
          break;
        }
        this.discardingLine = false;
        this.buf = this.buf.subarray(end + 1);
        continue;
      }
      const first = this.buf[0] as number;
      if (first === LF || first === CR || first === NUL) {
        this.buf = this.buf.subarray(1); // stray terminators between frames
        continue;
      }
      if (first >= 0x31 && first <= 0x39) {
        const frame = this.octetCounted(out);
        if (frame === 'need-more') break;
        continue;
      }
      const end = findTerminator(this.buf);
      if (end < 0) {
        if (this.buf.length > this.max) {
          out.push({ message: this.buf.subarray(0, this.max).toString('utf8'), truncated: true });
          this.discardingLine = true;
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      out.push(this.capped(lineText(this.buf, end), end));
      this.buf = this.buf.subarray(end + 1);
    }
    return out;
  }

  /** Whatever is left when the connection closes (a last line without LF). */
  flush(): Frame[] {
    if (this.buf.length === 0 || this.skipping > 0 || this.discardingLine) return [];
    const message = this.buf.subarray(0, this.max).toString('utf8');
    const truncated = this.buf.length > this.max;
    this.buf = Buffer.alloc(0);
    return message.trim() === '' ? [] : [{ message, truncated }];
  }

  /** A complete line longer than the cap is cut to it, like a frame that never ended. */
  private capped(text: string, bytes: number): Frame {
    return bytes > this.max ? { message: Buffer.from(text).subarray(0, this.max).toString('utf8'), truncated: true } : { message: text, truncated: false };
  }

  private octetCounted(out: Frame[]): 'need-more' | 'done' {
    let i = 0;
    let len = 0;
    // At most 10 digits: a longer count is garbage, handled as a line.
    while (i < this.buf.length && i < 10) {
      const c = this.buf[i] as number;
      if (c < 0x30 || c > 0x39) break;
      len = len * 10 + (c - 0x30);
      i++;
    }
    if (i === this.buf.length) return this.buf.length < 10 ? 'need-more' : this.asLine(out);
    if (this.buf[i] !== SP) return this.asLine(out); // digits not followed by a space: a plain line
    const start = i + 1;
    if (len > this.max) {
      // Keep the first max bytes, skip the rest of the frame as it arrives.
      if (this.buf.length - start < this.max) return 'need-more';
      out.push({ message: this.buf.subarray(start, start + this.max).toString('utf8'), truncated: true });
      const consumed = Math.min(this.buf.length - start, len);
      this.skipping = len - consumed;
      this.buf = this.buf.subarray(start + consumed);
      return 'done';
    }
    if (this.buf.length - start < len) return 'need-more';
    out.push({ message: this.buf.subarray(start, start + len).toString('utf8').replace(/[\r\n]+$/, ''), truncated: false });
    this.buf = this.buf.subarray(start + len);
    return 'done';
  }

  private asLine(out: Frame[]): 'need-more' | 'done' {
    const end = findTerminator(this.buf);
    if (end < 0) {
      if (this.buf.length <= this.max) return 'need-more';
      out.push({ message: this.buf.subarray(0, this.max).toString('utf8'), truncated: true });
      this.discardingLine = true;
      this.buf = Buffer.alloc(0);
      return 'done';
    }
    out.push(this.capped(lineText(this.buf, end), end));
    this.buf = this.buf.subarray(end + 1);
    return 'done';
  }
}

function findTerminator(buf: Buffer): number {
  const lf = buf.indexOf(LF);
  const nul = buf.indexOf(NUL);
  return lf < 0 ? nul : nul < 0 ? lf : Math.min(lf, nul);
}

/** The frame before the terminator at `end`, without a CR of a CRLF ending. */
function lineText(buf: Buffer, end: number): string {
  return buf.subarray(0, end > 0 && buf[end - 1] === CR ? end - 1 : end).toString('utf8');
}
