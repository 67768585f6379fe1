import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { abortError, ArchiveBombError, checkMemberName, guardedCopy, isOsMetadata, type ArchiveLimits, type ByteBudget, type ByteSource } from './guard';
import type { ArchiveItem, ArchiveReadOptions } from './types';

/**
 * The members of a tar stream (plain, or already gunzipped for .tar.gz), in
 * order. A tar has no index: each member is extracted as the stream reaches
 * it, and the next is read only when the consumer asks, so at most one member
 * is on disk at a time. A stream that ends early (the OTRF .tar.gz files are
 * truncated upstream) yields what it had, the cut member flagged, then throws
 * a message saying where it ended.
 */
export async function* readTar(
  source: Readable,
  limits: ArchiveLimits,
  budget: ByteBudget,
  opts: ArchiveReadOptions & { compressedSoFar?: () => number; label: string },
): AsyncGenerator<ArchiveItem> {
  const extract = tarStream.extract();
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  let index = 0;
  let sawEntry = false;
  try {
    for await (const entry of extract) {
      sawEntry = true;
      if (opts.signal?.aborted) throw abortError();
      index++;
      if (index > limits.maxEntries) throw new ArchiveBombError(`more than ${limits.maxEntries.toLocaleString('en-US')} entries: stopped (a tar bomb, or raise the limit)`);
      const h = entry.header;
      const mtime = h.mtime instanceof Date && !Number.isNaN(h.mtime.getTime()) ? h.mtime.toISOString() : null;
      const checked = checkMemberName(h.name);
      const type = h.type ?? 'file';
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if ('refused' in checked) {
        entry.resume();
        yield { type: 'refused', name: h.name, reason: checked.refused, size: h.size ?? null, mtime };
        continue;
      }
      const name = checked.name;
      if (type === 'symlink' || type === 'link') {
        entry.resume();
        yield { type: 'refused', name, reason: `${type === 'symlink' ? 'symbolic' : 'hard'} link to "${h.linkname ?? ''}" inside the archive: not followed`, size: null, mtime };
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        yield { type: 'refused', name, reason: `special file (${type}) inside the archive: not extracted`, size: null, mtime };
        continue;
      }
      if (isOsMetadata(name)) {
        entry.resume();
        yield { type: 'skipped', name, reason: 'operating-system metadata (macOS resource fork, Finder or Explorer state), not evidence' };
        continue;
      }
      const target = join(opts.tmpDir, `tar-${process.pid}-${Date.now().toString(36)}-${index}`);
      const copy = await guardedCopy(entry as unknown as ByteSource, target, {
        limits,
        budget,
        compressedSoFar: opts.compressedSoFar ?? (() => Number.MAX_SAFE_INTEGER),
        what: `"${name}" in ${opts.label}`,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const expected = h.size ?? copy.bytes;
      let problem: string | null = null;
      if (copy.error || copy.bytes < expected) {
        problem = `the archive ends early: only ${copy.bytes.toLocaleString('en-US')} of this member's ${expected.toLocaleString('en-US')} bytes are in it${copy.error ? ` (${copy.error.message})` : ''}`;
      }
      yield { type: 'member', name, file: target, size: copy.bytes, sha256: copy.sha256, mtime, problem };
      if (problem) throw new Error(`truncated: ${problem}`);
    }
  } catch (e) {
    if (e instanceof ArchiveBombError || (e as Error).name === 'AbortError') throw e;
    const msg = (e as Error).message;
    if (msg.startsWith('truncated: ')) throw e;
    throw new Error(sawEntry ? `damaged or truncated tar after ${index} entries: ${msg}` : `not a readable tar: ${msg}`, { cause: e });
  } finally {
    source.destroy();
    extract.destroy();
  }
}
