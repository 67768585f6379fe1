import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { diskHasRoom } from './file-utils';

/**
 * A big NDJSON file cut in two at the line break nearest its middle, each
 * half a file of its own under the case's tmp/. DuckDB's read_json keeps
 * record order only on one thread, and cannot start reading in the middle of
 * a file; two halves let two connections each read one in order, at the
 * same time, on two cores (json-loader.ts), the record ordinals still known.
 *
 * Only NDJSON: one record per line, so any line break is a record boundary
 * (a JSON string cannot hold a raw line break).
 */
export interface NdjsonHalves {
  files: [string, string];
  /** Byte offset where the second half starts in the original. */
  at: number;
}

const COPY_CHUNK = 4 << 20;
/**
 * Cut `file` (of `size` bytes) in two under `dir`, or null when it cannot be
 * cut well or the disk has no room for the copy.
 *
 * The cut falls after a whole number of `groupRows` records (DuckDB's row
 * group), nearest the middle: the first half then fills whole row groups,
 * and the second half's row groups, written by the other connection, are
 * attached after them as they are. After a part-filled one DuckDB appends
 * them row by row instead and compresses them again at the next checkpoint
 * (500k EVE events: 1.2 s more), so a file with no such cut in its middle
 * half is not cut: OTRF LSASS (42k records) read in two halves took
 * 1.28-1.34 s against 1.20-1.26 s whole.
 */
export async function splitNdjsonInHalves(file: string, size: number, dir: string, stem: string, groupRows: number): Promise<NdjsonHalves | null> {
  if (!diskHasRoom(dir, size)) return null;
  const at = await cutPoint(file, size, groupRows);
  if (at === null || at >= size) return null;
  const files: [string, string] = [join(dir, `${stem}-a.ndjson`), join(dir, `${stem}-b.ndjson`)];
  try {
    // Both copies at once: the thread pool reads and writes them side by side.
    await Promise.all([copyRange(file, files[0], 0, at), copyRange(file, files[1], at, size)]);
  } catch (e) {
    for (const f of files) rmSync(f, { force: true });
    throw e;
  }
  return { files, at };
}

/**
 * The end of the record group nearest the middle, if one lies in the middle
 * half of the file. Records are counted as read_json counts them: a blank
 * line (or a lone CR) is no record. Were a count off, the halves would still
 * load right, only slower.
 */
async function cutPoint(file: string, size: number, groupRows: number): Promise<number | null> {
  const middle = Math.floor(size / 2);
  const quarter = size / 4;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let records = 0;
    let lineStart = 0;
    let lastByte = 0;
    let before: number | null = null;
    const nearest = (after: number | null): number | null => {
      const b = before !== null && middle - before <= quarter ? before : null;
      if (b === null) return after;
      return after === null || middle - b < after - middle ? b : after;
    };
    for (let pos = 0; pos < size; ) {
      // Past the middle with under 2/3 of a group: the first group ends past 3/4 of the file.
      if (pos >= middle && before === null && records < (groupRows * 2) / 3) return null;
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead <= 0) break;
      const view = buf.subarray(0, bytesRead);
      for (let i = view.indexOf(10); i >= 0; i = view.indexOf(10, i + 1)) {
        const nl = pos + i;
        const len = nl - lineStart;
        lineStart = nl + 1;
        if (len === 0 || (len === 1 && (i > 0 ? view[i - 1] : lastByte) === 13)) continue;
        records++;
        if (records % groupRows !== 0) continue;
        const end = nl + 1;
        if (end < middle) before = end;
        else return nearest(end - middle <= quarter ? end : null);
      }
      lastByte = view[bytesRead - 1] as number;
      // Estimated from the first read: too few records for a group to end in the middle half.
      if (pos === 0 && bytesRead < size && (records * size) / bytesRead < (groupRows * 4) / 3) return null;
      pos += bytesRead;
    }
    return nearest(null);
  } finally {
    await fh.close();
  }
}

async function copyRange(src: string, dst: string, start: number, end: number): Promise<void> {
  await pipeline(createReadStream(src, { start, end: end - 1, highWaterMark: COPY_CHUNK }), createWriteStream(dst, { highWaterMark: COPY_CHUNK }));
}
