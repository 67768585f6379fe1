import { open } from 'node:fs/promises';
import { abortError } from './archive/guard';

/**
 * A JSON document that is one object holding its records in an array under
 * one key: AWS CloudTrail's `{"Records": [...]}` (one line, often megabytes),
 * and exports shaped `{"value": [...]}` or `{"events": [...]}`. Read as it is,
 * the whole document would be one record; rewritten here as NDJSON, one array
 * element per line, it goes through the JSON loader like any JSON lines file.
 *
 * Streaming over bytes (constant memory, a file of any size), and strict:
 * anything but `{"<key>": [ {...}, {...} ]}` (another key beside it, an element
 * that is not an object, text after the object) gives null, and the caller
 * reads the file as it is, so nothing is dropped. Several such objects one
 * after another (concatenated, or one per line) are read alike.
 *
 * A line break between the tokens of an element (pretty-printed JSON) becomes
 * a space; one inside a string (invalid JSON) is left, and the loader rejects
 * the broken lines. A file cut off inside an element keeps that element's
 * text as the last line, which the loader rejects with its excerpt.
 */
export interface UnwrapResult {
  records: number;
  /** The input ended inside the array (a truncated file). */
  truncated: boolean;
}

const READ_BYTES = 1 << 20;
const enum Phase {
  /** Before a wrapper object's `{`. */
  Start,
  /** Inside `{`, before the key. */
  Key,
  /** Between array elements. */
  Array,
  /** Inside an element. */
  Element,
  /** After the array's `]`, before the object's `}`. */
  Close,
}

export async function unwrapJsonArray(file: string, out: string, key: string | null, signal?: AbortSignal): Promise<UnwrapResult | null> {
  // key null: the file is one top-level array (a one-line export too long to read line by line).
  const want = Buffer.from(key === null ? '' : `"${key}"`, 'utf8');
  const input = await open(file, 'r');
  const output = await open(out, 'w');
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await output.write(Buffer.concat(pending, pendingBytes));
      pending.length = 0;
      pendingBytes = 0;
    };
    const emit = (b: Buffer): void => {
      pending.push(b);
      pendingBytes += b.length;
    };

    let phase = Phase.Start;
    let records = 0;
    // The key: its bytes up to the colon and the array's `[` (a short sequence, kept whole).
    let keyBytes: number[] = [];
    let sawArray = false;
    let depth = 0;
    let inString = false;
    let escape = false;
    for (let pos = 0; ; ) {
      if (signal?.aborted) throw abortError();
      const { bytesRead } = await input.read(buf, 0, buf.length, pos);
      if (bytesRead <= 0) break;
      pos += bytesRead;
      let segStart = phase === Phase.Element ? 0 : -1;
      for (let i = 0; i < bytesRead; i++) {
        const c = buf[i] as number;
        switch (phase) {
          case Phase.Start:
            if (isSpace(c)) continue;
            if (key === null) {
              // One array only: a second top-level value is not this shape.
              if (c !== 0x5b || records > 0 || sawArray) return null;
              sawArray = true;
              phase = Phase.Array;
              continue;
            }
            if (c !== 0x7b) return null;
            phase = Phase.Key;
            keyBytes = [];
            continue;
          case Phase.Key:
            if (isSpace(c) && keyBytes.length === 0) continue;
            keyBytes.push(c);
            if (keyBytes.length > want.length + 64) return null;
            if (c === 0x5b /* [ */) {
              if (!keyMatches(keyBytes, want)) return null;
              phase = Phase.Array;
            }
            continue;
          case Phase.Array:
            if (isSpace(c) || c === 0x2c /* , */) continue;
            if (c === 0x5d /* ] */) {
              // A top-level array's `]` closes the document; a wrapper's, its object next.
              phase = key === null ? Phase.Start : Phase.Close;
              continue;
            }
            if (c !== 0x7b) return null;
            phase = Phase.Element;
            depth = 1;
            inString = false;
            escape = false;
            segStart = i;
            continue;
          case Phase.Element:
            if (inString) {
              if (escape) escape = false;
              else if (c === 0x5c) escape = true;
              else if (c === 0x22) inString = false;
              continue;
            }
            if (c === 0x22) inString = true;
            // Pretty-printed: a break between tokens becomes a space (the buffer is ours; emit copies).
            else if (c === 0x0a || c === 0x0d) buf[i] = 0x20;
            else if (c === 0x7b || c === 0x5b) depth++;
            else if (c === 0x7d || c === 0x5d) {
              depth--;
              if (depth === 0) {
                emit(Buffer.from(buf.subarray(segStart, i + 1)));
                emit(NEWLINE);
                records++;
                segStart = -1;
                phase = Phase.Array;
              }
            }
            continue;
          case Phase.Close:
            if (isSpace(c)) continue;
            if (c !== 0x7d) return null;
            phase = Phase.Start;
            continue;
        }
      }
      if (phase === Phase.Element && segStart >= 0) emit(Buffer.from(buf.subarray(segStart, bytesRead)));
      if (pendingBytes >= READ_BYTES) await flush();
    }
    const truncated = phase !== Phase.Start;
    if (phase === Phase.Element) emit(NEWLINE);
    else if (truncated && records === 0) return null;
    await flush();
    return { records, truncated };
  } finally {
    await input.close();
    await output.close();
  }
}

const NEWLINE = Buffer.from('\n');

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** `"key"`, blanks, `:`, blanks, `[`. */
function keyMatches(bytes: number[], want: Buffer): boolean {
  if (bytes.length < want.length + 2) return false;
  for (let i = 0; i < want.length; i++) if (bytes[i] !== want[i]) return false;
  let i = want.length;
  while (i < bytes.length && isSpace(bytes[i] as number)) i++;
  if (bytes[i] !== 0x3a) return false;
  i++;
  while (i < bytes.length && isSpace(bytes[i] as number)) i++;
  return i === bytes.length - 1;
}

/** Whether the file's first line runs past `maxChars` characters (bytes, as an upper bound). */
export async function firstLineLonger(file: string, maxChars: number): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(maxChars + 1, 64 << 20));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead === buf.length && buf.indexOf(10) < 0;
  } finally {
    await fh.close();
  }
}
