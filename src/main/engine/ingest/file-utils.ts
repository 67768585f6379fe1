import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, readSync, statfsSync } from 'node:fs';
import { once } from 'node:events';
import { TextDecoder } from 'node:util';
import type { TextEncodingName } from './format-support';

/** Free space a scratch file must leave on its disk, so the case's database can still grow. */
const SPARE_BYTES = 512 << 20;

/** Whether `dir`'s disk takes `bytes` more and still has SPARE_BYTES free (no when it cannot tell). */
export function diskHasRoom(dir: string, bytes: number): boolean {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize >= bytes + SPARE_BYTES;
  } catch {
    return false;
  }
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** The first `bytes` of a file (fewer when it is shorter). */
export function readHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    let n = 0;
    while (n < bytes) {
      const r = readSync(fd, buf, n, bytes - n, n);
      if (r <= 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Rewrite a text file as UTF-8 without BOM (DuckDB's readers take UTF-8 only).
 * Streamed; Latin-1 maps byte for byte, UTF-16 through a streaming decoder so
 * a surrogate pair cut by a read boundary survives.
 */
export async function transcodeToUtf8(file: string, target: string, encoding: TextEncodingName, bom: number): Promise<void> {
  const out = createWriteStream(target);
  const decoder = encoding === 'utf16le' ? new TextDecoder('utf-16le') : encoding === 'utf16be' ? new TextDecoder('utf-16be') : null;
  let skip = bom;
  const write = async (text: string): Promise<void> => {
    if (text.length > 0 && !out.write(text, 'utf8')) await once(out, 'drain');
  };
  for await (const raw of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let chunk = raw;
    if (skip > 0) {
      const cut = Math.min(skip, chunk.length);
      chunk = chunk.subarray(cut);
      skip -= cut;
    }
    if (decoder) await write(decoder.decode(chunk, { stream: true }));
    else if (encoding === 'latin1') await write(chunk.toString('latin1'));
    else {
      // UTF-8 with a BOM: only the BOM goes; the bytes are copied as they are.
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  if (decoder) await write(decoder.decode());
  out.end();
  await once(out, 'finish');
}
