import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
import { guardedCopy, type ArchiveLimits, type ByteBudget } from './guard';
import type { ArchiveItem, ArchiveReadOptions } from './types';

/**
 * A gzip file as a stream of its decompressed bytes, counting the compressed
 * bytes read (for the expansion ratio). Concatenated gzip members (logrotate,
 * `cat a.gz b.gz`) decompress as one stream.
 */
export function gunzipStream(file: string, failAtEnd = false): { stream: Readable; compressed: () => number; failure: () => Error | null } {
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
  // Read through a pass-through that simply ends when zlib fails: a stream that
  // errors drops what it had inflated but not yet handed over, and a bad
  // trailer CRC or junk after the last member (padding, a copy of a file still
  // being written) cost the last 8 KiB of good text. The failure is kept aside.
  let failure: Error | null = null;
  // `failAtEnd` (a tar inside): the failure is raised once every inflated byte has passed, so the tar reader says the archive is cut.
  const out = failAtEnd
    ? new Transform({
        highWaterMark: 1 << 20,
        transform: (chunk: Buffer, _enc, done) => done(null, chunk),
        flush: (done) => done(failure ?? undefined),
      })
    : new PassThrough({ highWaterMark: 1 << 20 });
  gunzip.on('error', (e) => {
    failure = e;
    out.end();
  });
  gunzip.pipe(out);
  out.on('close', () => gunzip.destroy());
  return { stream: out, compressed: () => compressed, failure: () => failure };
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
  const { stream, compressed, failure } = gunzipStream(file);
  const target = join(opts.tmpDir, `gz-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  const copy = await guardedCopy(stream, target, { limits, budget, compressedSoFar: compressed, what: `"${name}"`, ...(opts.signal ? { signal: opts.signal } : {}) });
  copy.error ??= failure();
  if (copy.error) Object.assign(copy, await recoverTail(file, target, copy.bytes, budget));
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

/**
 * What the gzip reader lost when the stream failed at its very end. zlib
 * checks the trailer (CRC and length) and the bytes after a member (trailing
 * junk: padding, a copy of a file still being written) in the same step that
 * hands over the last inflated block, and a failure there drops that block.
 * The first member's deflate data read again without the gzip framing
 * (inflateRaw checks no trailer and stops at the data's end) gives the bytes
 * past those already copied; they are appended, and the copy hashed again.
 */
async function recoverTail(file: string, target: string, have: number, budget: ByteBudget): Promise<{ bytes: number; sha256: string } | Record<string, never>> {
  const start = gzipHeaderLength(file);
  if (start === null) return {};
  let seen = 0;
  let added = 0;
  const fd = openSync(target, 'a');
  try {
    const raw = createReadStream(file, { start, highWaterMark: 1 << 20 }).pipe(createInflateRaw());
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      const from = Math.max(0, have - seen);
      seen += chunk.length;
      if (from >= chunk.length) continue;
      const tail = chunk.subarray(from);
      budget.take(tail.length);
      writeSync(fd, tail);
      added += tail.length;
    }
  } catch {
    // damaged inside the data too: what came out is kept
  } finally {
    closeSync(fd);
  }
  if (added === 0) return {};
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(target) as AsyncIterable<Buffer>) hash.update(chunk);
  return { bytes: have + added, sha256: hash.digest('hex') };
}

/** Where the first member's deflate data starts (after FEXTRA, FNAME, FCOMMENT, FHCRC), or null. */
function gzipHeaderLength(file: string): number | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 10 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) return null;
    const flags = head[3] ?? 0;
    let pos = 10;
    if (flags & 0x04) pos += 2 + head.readUInt16LE(10);
    for (const bit of [0x08, 0x10]) {
      if (!(flags & bit)) continue;
      const end = head.indexOf(0, pos);
      if (end < 0 || end >= n) return null;
      pos = end + 1;
    }
    if (flags & 0x02) pos += 2;
    return pos < n ? pos : null;
  } finally {
    closeSync(fd);
  }
}
