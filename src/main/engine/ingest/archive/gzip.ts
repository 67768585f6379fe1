import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { guardedCopy, type ArchiveLimits, type ByteBudget } from './guard';
import type { ArchiveItem, ArchiveReadOptions } from './types';

/**
 * A gzip file as a stream of its decompressed bytes, counting the compressed
 * bytes read (for the expansion ratio). Concatenated gzip members (logrotate,
 * `cat a.gz b.gz`) decompress as one stream.
 */
export function gunzipStream(file: string): { stream: Readable; compressed: () => number } {
  let compressed = 0;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      compressed += chunk.length;
      done(null, chunk);
    },
  });
  const gunzip = createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  counter.on('error', (e) => gunzip.destroy(e));
  input.pipe(counter).pipe(gunzip);
  gunzip.on('close', () => input.destroy());
  return { stream: gunzip, compressed: () => compressed };
}

/** The first bytes of the decompressed content, for sniffing what the gzip holds. */
export async function gunzipHead(file: string, bytes: number): Promise<Buffer> {
  const { stream } = gunzipStream(file);
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      n += chunk.length;
      if (n >= bytes) break;
    }
  } catch {
    // a truncated or damaged stream: sniff what did come out
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/**
 * The name the gzip header stores for its content (FNAME), else the file's
 * own name without .gz (and .tgz -> .tar).
 */
export function gzipMemberName(file: string): string {
  const fallback = basename(file).replace(/\.tgz$/i, '.tar').replace(/\.(gz|gzip|z)$/i, '') || 'content';
  let fd = -1;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(1024);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 10 || head[0] !== 0x1f || head[1] !== 0x8b) return fallback;
    const flags = head[3] ?? 0;
    let pos = 10;
    if (flags & 0x04) pos += 2 + (head.readUInt16LE(10) || 0); // FEXTRA
    if (!(flags & 0x08) || pos >= n) return fallback; // no FNAME
    const end = head.indexOf(0, pos);
    if (end < 0) return fallback;
    const name = basename(head.subarray(pos, end).toString('latin1').replaceAll('\\', '/'));
    return name.length > 0 && name !== '.' && name !== '..' ? name : fallback;
  } catch {
    return fallback;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** A plain .gz (not a tar inside): its one decompressed member, extracted through the guard. */
export async function readGzipMember(file: string, limits: ArchiveLimits, budget: ByteBudget, opts: ArchiveReadOptions): Promise<ArchiveItem> {
  const name = gzipMemberName(file);
  const { stream, compressed } = gunzipStream(file);
  const target = join(opts.tmpDir, `gz-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  const copy = await guardedCopy(stream, target, { limits, budget, compressedSoFar: compressed, what: `"${name}"`, ...(opts.signal ? { signal: opts.signal } : {}) });
  return {
    type: 'member',
    name,
    file: target,
    size: copy.bytes,
    sha256: copy.sha256,
    mtime: null,
    problem: copy.error ? `the gzip stream is damaged or truncated after ${copy.bytes.toLocaleString('en-US')} decompressed bytes (${copy.error.message}): the bytes before it were imported` : null,
  };
}
