import { closeSync, openSync, readSync } from 'node:fs';
import { abortError } from './archive/guard';

/**
 * How deep JSON may nest before DuckDB's reader is kept away from it. Its
 * schema detection recurses once per level: a single record 20,000 levels
 * deep (a 40 KB line) overflows a DuckDB thread's stack and kills the whole
 * process, and at 10,000 levels the detection takes minutes. Real records nest
 * a handful of levels (Suricata 5, Windows 3): a file with a deeper record is
 * read record by record in JavaScript, where that record alone is rejected.
 */
export const MAX_JSON_DEPTH = 1000;

const READ_BYTES = 4 << 20;
const YIELD_BYTES = 64 << 20;

/**
 * Whether some record of `file` nests deeper than `limit`. JSON lines: only a
 * line of at least 2 x limit bytes can (each level opens and closes), so the
 * lines are found natively, and only one with more brackets than the limit
 * (counted natively, strings or not) is walked; other shapes are walked
 * whole, strings skipped with a native search for their closing quote.
 */
export async function nestsDeeperThan(file: string, ndjson: boolean, limit = MAX_JSON_DEPTH, signal?: AbortSignal): Promise<boolean> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    const walker = new DepthWalker(limit);
    let lineLength = 0;
    for (let pos = 0; ; ) {
      if (signal?.aborted) throw abortError();
      // Synchronous reads, yielding every 64 MiB: through the thread pool they queued behind
      // (and ahead of) DuckDB's own calls, and cost the load more than the walk itself.
      if (pos > 0 && pos % YIELD_BYTES < READ_BYTES) await new Promise<void>((r) => setImmediate(r));
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) return false;
      pos += n;
      if (!ndjson) {
        if (walker.walk(buf, 0, n)) return true;
        continue;
      }
      let start = 0;
      for (let nl = buf.indexOf(10, 0); nl >= 0 && nl < n; nl = buf.indexOf(10, start)) {
        const carried = lineLength;
        lineLength += nl - start;
        // A line that began in an earlier read was walked from its start already; one
        // within this read is walked only if it has more brackets than the limit at all.
        const walk = carried > 0 || (lineLength >= 2 * limit && bracketsExceed(buf, start, nl, limit));
        if (walk && walker.walk(buf, start, nl)) return true;
        walker.reset();
        lineLength = 0;
        start = nl + 1;
      }
      // The line running past this read: walked from its start, in case it grows long.
      if (start < n) {
        lineLength += n - start;
        if (walker.walk(buf, start, n)) return true;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** More than `limit` of `{` and `[` in buf[from, to) (an upper bound of its depth). */
function bracketsExceed(buf: Buffer, from: number, to: number, limit: number): boolean {
  // A view, so a search stops at the line's end rather than the read's.
  const line = buf.subarray(from, to);
  let count = 0;
  for (const b of [123, 91]) {
    for (let i = line.indexOf(b); i >= 0; i = line.indexOf(b, i + 1)) if (++count > limit) return true;
  }
  return false;
}

/** Bracket depth over bytes, strings skipped; state carries across calls. */
class DepthWalker {
  private depth = 0;
  private inString = false;
  /** Backslashes just before the current position, inside a string (they may end a read). */
  private slashes = 0;

  constructor(private readonly limit: number) {}

  reset(): void {
    this.depth = 0;
    this.inString = false;
    this.slashes = 0;
  }

  /** Walk buf[from, to); true once the depth passes the limit. */
  walk(buf: Buffer, from: number, to: number): boolean {
    let i = from;
    while (i < to) {
      if (this.inString) {
        const q = buf.indexOf(34, i);
        if (q < 0 || q >= to) {
          this.slashes = trailingSlashes(buf, i, to, this.slashes);
          return false;
        }
        // The quote ends the string unless an odd run of backslashes escapes it.
        const run = trailingSlashes(buf, i, q, this.slashes);
        this.slashes = 0;
        i = q + 1;
        if (run % 2 === 0) this.inString = false;
        continue;
      }
      const c = buf[i++] as number;
      if (c === 34) {
        this.inString = true;
        this.slashes = 0;
      } else if (c === 123 || c === 91) {
        if (++this.depth > this.limit) return true;
      } else if (c === 125 || c === 93) {
        if (this.depth > 0) this.depth--;
      }
    }
    return false;
  }
}

/** Backslashes ending buf[from, to), added to `before` when the whole range is backslashes. */
function trailingSlashes(buf: Buffer, from: number, to: number, before: number): number {
  let k = to - 1;
  while (k >= from && buf[k] === 92) k--;
  const run = to - 1 - k;
  return k < from ? before + run : run;
}

/** Whether a parsed value nests deeper than `limit` (iterative: the value may be 100,000 levels deep). */
export function valueNestsDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return false;
}
