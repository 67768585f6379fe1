import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { abortError, ArchiveBombError, checkMemberName, guardedCopy, isOsMetadata, type ArchiveLimits, type ByteBudget } from './guard';
import type { ArchiveItem, ArchiveReadOptions } from './types';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * The members of a zip file, one at a time, each extracted to a temp file
 * through the guard. Reads the central directory (yauzl), so a member is
 * found by its offset, never by scanning; names are decoded and checked by
 * us (decodeStrings off) so one bad name refuses that entry, not the archive.
 */
export async function* readZip(file: string, limits: ArchiveLimits, budget: ByteBudget, opts: ArchiveReadOptions): AsyncGenerator<ArchiveItem> {
  const { zip, note } = await openZip(file);
  if (note) yield { type: 'note', text: note };
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new ArchiveBombError(`the zip declares ${zip.entryCount.toLocaleString('en-US')} entries, more than the ${limits.maxEntries.toLocaleString('en-US')} allowed: not opened (a zip bomb, or raise the limit)`);
    }
    let index = 0;
    for (;;) {
      if (opts.signal?.aborted) throw abortError();
      const entry = await nextEntry(zip);
      if (!entry) return;
      index++;
      if (index > limits.maxEntries) throw new ArchiveBombError(`more than ${limits.maxEntries.toLocaleString('en-US')} entries: stopped`);
      const rawName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const mtime = safeDate(entry);
      const checked = checkMemberName(rawName);
      if ('refused' in checked) {
        yield { type: 'refused', name: rawName, reason: checked.refused, size: entry.uncompressedSize, mtime };
        continue;
      }
      const name = checked.name;
      if (rawName.endsWith('/') || rawName.endsWith('\\')) continue; // a folder: its files come as their own entries
      if (isOsMetadata(name)) {
        yield { type: 'skipped', name, reason: 'operating-system metadata (macOS resource fork, Finder or Explorer state), not evidence' };
        continue;
      }
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (mode === S_IFLNK) {
        yield { type: 'refused', name, reason: 'symbolic link inside the archive: not followed', size: entry.uncompressedSize, mtime };
        continue;
      }
      if (entry.isEncrypted()) {
        yield { type: 'refused', name, reason: 'password-protected (encrypted) entry: Loupe does not decrypt archives; extract it with the password and import the files', size: entry.uncompressedSize, mtime };
        continue;
      }
      if (!entry.canDecodeFileData()) {
        yield { type: 'refused', name, reason: `compression method ${entry.compressionMethod} is not supported (only stored and deflate): extract it with another tool`, size: entry.uncompressedSize, mtime };
        continue;
      }
      // The declared sizes tell a bomb before a byte is inflated.
      if (entry.uncompressedSize > limits.ratioMinBytes && entry.uncompressedSize / Math.max(1, entry.compressedSize) > limits.maxRatio) {
        throw new ArchiveBombError(
          `"${name}" would expand ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize)).toLocaleString('en-US')}:1, over the ${limits.maxRatio}:1 limit: stopped as a likely zip bomb`,
        );
      }
      const target = join(opts.tmpDir, `zip-${process.pid}-${Date.now().toString(36)}-${index}`);
      // Inflate ourselves from the raw stream so the compressed bytes read
      // are counted exactly: declared sizes can lie, the running ratio cannot.
      const raw = await openStream(zip, entry);
      let compressed = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          compressed += chunk.length;
          done(null, chunk);
        },
      });
      const inflate: Transform = entry.compressionMethod === 8 ? createInflateRaw() : new PassThrough();
      raw.on('error', (e) => inflate.destroy(e));
      counter.on('error', (e) => inflate.destroy(e));
      raw.pipe(counter).pipe(inflate);
      const copy = await guardedCopy(inflate, target, {
        limits,
        budget,
        compressedSoFar: () => compressed,
        what: `"${name}"`,
        crc32: true,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      raw.destroy();
      const expected = entry.uncompressedSize;
      let problem: string | null = null;
      if (copy.error) problem = `only ${copy.bytes.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} bytes could be read: ${copy.error.message}`;
      else if (copy.bytes !== expected) problem = `${copy.bytes.toLocaleString('en-US')} bytes extracted where the archive declares ${expected.toLocaleString('en-US')}`;
      // yauzl does not check the CRC: a flipped bit in stored data (or one
      // that still inflates) would otherwise import damaged records unmarked.
      else if (copy.crc32 !== entry.crc32) problem = `the data fails its CRC-32 check (${hex32(copy.crc32)} where the archive records ${hex32(entry.crc32)}): the member is damaged, and what it holds was read as it is`;
      yield { type: 'member', name, file: target, size: copy.bytes, sha256: copy.sha256, mtime, problem };
    }
  } finally {
    zip.close();
  }
}

const ZIP_OPTIONS = { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false } as const;

async function openZip(file: string): Promise<{ zip: ZipFile; note: string | null }> {
  try {
    return { zip: await openWith((cb) => yauzl.open(file, ZIP_OPTIONS, cb)), note: null };
  } catch (e) {
    // Zips with bytes appended after their end record (a stray newline from a
    // text-mode copy, as in some OTRF files) are read up to that record.
    const end = zipEndOffset(file);
    if (end === null) throw new Error(`not a readable zip: ${(e as Error).message}`, { cause: e });
    const size = statSync(file).size;
    const reader = new FileRangeReader(file);
    try {
      const zip = await openWith((cb) => yauzl.fromRandomAccessReader(reader, end, ZIP_OPTIONS, cb));
      return { zip, note: `${size - end} byte${size - end === 1 ? '' : 's'} after the end of the zip ignored` };
    } catch (e2) {
      throw new Error(`not a readable zip: ${(e2 as Error).message}`, { cause: e2 });
    }
  }
}

function openWith(open: (cb: (err: Error | null, zip?: ZipFile) => void) => void): Promise<ZipFile> {
  return new Promise((ok, fail) => {
    open((err, zip) => {
      if (err || !zip) fail(err ?? new Error('unknown error'));
      else ok(zip);
    });
  });
}

/** Where the end-of-central-directory record (and its comment) ends, found from the file's tail; null if none. */
function zipEndOffset(file: string): number | null {
  const size = statSync(file).size;
  const tail = Math.min(size, 65_535 + 22 + 1024);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(tail);
    readSync(fd, buf, 0, tail, size - tail);
    for (let i = tail - 22; i >= 0; i--) {
      if (buf.readUInt32LE(i) !== 0x06054b50) continue;
      const end = size - tail + i + 22 + buf.readUInt16LE(i + 20);
      if (end <= size) return end;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

class FileRangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: string) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return createReadStream(this.file, { start, end: end - 1 });
  }
}

function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((ok, fail) => {
    const onEntry = (e: Entry): void => {
      cleanup();
      ok(e);
    };
    const onEnd = (): void => {
      cleanup();
      ok(null);
    };
    const onError = (e: Error): void => {
      cleanup();
      fail(new Error(`damaged zip: ${e.message}`));
    };
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openStream(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((ok, fail) => {
    // Raw bytes for deflate (we inflate and count ourselves); stored entries are raw already.
    zip.openReadStream(entry, entry.compressionMethod === 8 ? { decompress: false } : {}, (err, stream) => {
      if (err || !stream) fail(new Error(`cannot read "${String(entry.fileNameRaw)}": ${err?.message ?? 'unknown error'}`));
      else ok(stream);
    });
  });
}

function hex32(n: number | null): string {
  return n === null ? 'none' : (n >>> 0).toString(16).padStart(8, '0');
}

function safeDate(entry: Entry): string | null {
  try {
    const d = entry.getLastModDate();
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  } catch {
    return null;
  }
}
