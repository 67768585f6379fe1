import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * What keeps an archive from hurting the machine that opens it. An archive is
 * evidence from a possibly hostile host: a zip bomb (42.zip: 42 KB that
 * expands to petabytes), a member named ../../.bashrc, a symlink to /etc, a
 * million empty entries. Every member is streamed through a guard that counts
 * its bytes against these limits, and extraction stops with a message that
 * says which limit and why.
 */
export interface ArchiveLimits {
  /** Total bytes extracted in one import run, all archives and members together. */
  maxTotalBytes: number;
  /** Largest expansion ratio (expanded / compressed) of one member or stream... */
  maxRatio: number;
  /** ...checked once a member has expanded past this many bytes (tiny members may compress 1000:1 legitimately). */
  ratioMinBytes: number;
  /** Most entries one archive may hold (counting directories and refused ones). */
  maxEntries: number;
  /** Archives inside archives: a member at a deeper nesting level is recorded but not opened. */
  maxDepth: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxTotalBytes: 64 * 1024 ** 3,
  maxRatio: 1000,
  ratioMinBytes: 16 * 1024 ** 2,
  maxEntries: 100_000,
  maxDepth: 3,
};

/** An archive that breaks a limit: the whole archive stops (members already imported stay). */
export class ArchiveBombError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveBombError';
  }
}

/** Bytes left for the whole import run. */
export class ByteBudget {
  used = 0;
  constructor(readonly max: number) {}

  take(n: number): void {
    this.used += n;
    if (this.used > this.max) {
      throw new ArchiveBombError(
        `archive expansion stopped: more than ${formatBytes(this.max)} extracted in this import (the limit on total expanded bytes; a zip bomb, or raise the limit)`,
      );
    }
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * A member path inside an archive, made safe to show and to use as a name:
 * null (with the reason) for absolute paths, drive letters, `..` segments and
 * NUL bytes, the classic "zip slip" that writes outside the target folder.
 * We never write under an archive's own names anyway (members land in a
 * temp file named by us), but such an entry is a red flag worth reporting.
 */
export function checkMemberName(raw: string): { name: string } | { refused: string } {
  if (raw.includes('\0')) return { refused: 'member name contains a NUL byte' };
  const name = raw.replaceAll('\\', '/');
  if (name.startsWith('/')) return { refused: `absolute path "${raw}" (zip slip): not extracted` };
  if (/^[A-Za-z]:/.test(name)) return { refused: `absolute Windows path "${raw}" (zip slip): not extracted` };
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) return { refused: `path "${raw}" climbs out of the archive with ".." (zip slip): not extracted` };
  const clean = parts.filter((p) => p !== '' && p !== '.').join('/');
  return clean.length === 0 ? { refused: `empty member name "${raw}"` } : { name: clean };
}

/** macOS and Windows metadata entries that are not evidence (resource forks, Finder state). */
export function isOsMetadata(name: string): boolean {
  return name.startsWith('__MACOSX/') || name.split('/').some((p) => p === '.DS_Store' || p.startsWith('._')) || name.endsWith('/Thumbs.db');
}

export interface GuardedCopy {
  bytes: number;
  sha256: string;
  /** Set when the source stream failed part-way (truncated gzip, damaged zip data): what was copied is kept. */
  error: Error | null;
  /** The CRC-32 of the bytes copied, when asked for (a zip member's integrity check). */
  crc32: number | null;
}

/**
 * Stream `source` into `target` while hashing it and enforcing the limits.
 * `compressedSoFar` tells how many input bytes produced the output so far (for
 * the ratio). A bomb rejects; any other stream error resolves with `error`
 * set and the bytes copied up to it, so a truncated archive still yields
 * what it holds.
 */
/** What guardedCopy reads: a Node stream or a tar-stream (streamx) entry. */
export type ByteSource = AsyncIterable<Buffer> & { destroy(err?: Error): unknown };

export async function guardedCopy(
  source: ByteSource,
  target: string,
  opts: { limits: ArchiveLimits; budget: ByteBudget; compressedSoFar: () => number; what: string; signal?: AbortSignal; crc32?: boolean },
): Promise<GuardedCopy> {
  const hash = createHash('sha256');
  let bytes = 0;
  let crc: number | null = opts.crc32 ? 0 : null;
  // Written synchronously chunk by chunk (not through pipeline()) so that
  // when the source fails mid-way every byte it did deliver is on disk.
  const fd = openSync(target, 'w');
  try {
    for await (const chunk of source) {
      if (opts.signal?.aborted) throw abortError();
      bytes += chunk.length;
      opts.budget.take(chunk.length);
      if (bytes > opts.limits.ratioMinBytes) {
        const ratio = bytes / Math.max(1, opts.compressedSoFar());
        if (ratio > opts.limits.maxRatio) {
          throw new ArchiveBombError(
            `${opts.what} expands more than ${opts.limits.maxRatio}:1 (${formatBytes(bytes)} from ${formatBytes(opts.compressedSoFar())} so far): stopped as a likely zip bomb`,
          );
        }
      }
      hash.update(chunk);
      if (crc !== null) crc = crc32(chunk, crc);
      writeSync(fd, chunk);
    }
    return { bytes, sha256: hash.digest('hex'), error: null, crc32: crc };
  } catch (e) {
    source.destroy();
    if (e instanceof ArchiveBombError || (e as Error).name === 'AbortError') throw e;
    return { bytes, sha256: hash.digest('hex'), error: e as Error, crc32: crc };
  } finally {
    closeSync(fd);
  }
}

export function abortError(): Error {
  const e = new Error('The import was cancelled');
  e.name = 'AbortError';
  return e;
}
