import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { constants, gunzipSync, inflateRawSync } from 'node:zlib';
import { CORPUS } from '../../corpus';

/** Test helpers that read corpus files the way the pipeline will (heads, gzip, zip members). */

export function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) {
        if (relative(CORPUS, p) !== 'sigma') walk(p);
      } else if (!p.endsWith('.mmdb')) out.push(relative(CORPUS, p));
    }
  };
  walk(CORPUS);
  return out.sort();
}

export function readHead(rel: string, bytes = 64 * 1024): Buffer {
  const fd = openSync(join(CORPUS, rel), 'r');
  try {
    const b = Buffer.alloc(bytes);
    const n = readSync(fd, b, 0, bytes, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Whole file, gunzipped when it is gzip (a truncated stream yields what decompresses). */
export function readMaybeGunzip(rel: string): Buffer {
  const raw = readFileSync(join(CORPUS, rel));
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  return gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
}

/**
 * The first `bytes` of every member of a zip (directories and __MACOSX resource
 * forks left out). Read through the central directory with our own few lines
 * rather than yauzl, which refuses one corpus zip (empire_mimikatz_logonpasswords.zip:
 * "Invalid comment length") that unzip and Python read fine.
 */
export function zipMemberHeads(rel: string, bytes = 64 * 1024): Array<{ name: string; head: Buffer }> {
  const z = readFileSync(join(CORPUS, rel));
  let eocd = -1;
  for (let i = z.length - 22; i >= Math.max(0, z.length - 22 - 65535); i--) {
    if (z.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${rel}: no end of central directory`);
  const count = z.readUInt16LE(eocd + 10);
  let p = z.readUInt32LE(eocd + 16);
  const out: Array<{ name: string; head: Buffer }> = [];
  for (let k = 0; k < count; k++) {
    if (z.readUInt32LE(p) !== 0x02014b50) throw new Error(`${rel}: bad central directory entry`);
    const method = z.readUInt16LE(p + 10);
    const csize = z.readUInt32LE(p + 20);
    const nameLen = z.readUInt16LE(p + 28);
    const extraLen = z.readUInt16LE(p + 30);
    const commentLen = z.readUInt16LE(p + 32);
    const local = z.readUInt32LE(p + 42);
    const name = z.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/') || name.startsWith('__MACOSX/')) continue;
    const dataStart = local + 30 + z.readUInt16LE(local + 26) + z.readUInt16LE(local + 28);
    const data = z.subarray(dataStart, dataStart + csize);
    const body = method === 0 ? data : inflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
    out.push({ name, head: body.subarray(0, bytes) });
  }
  return out;
}

/** A whole zip member as text (for the few tests that parse a member completely). */
export function zipMemberText(rel: string, member: string): string {
  const m = zipMemberHeads(rel, 1 << 30).find((h) => h.name === member);
  if (!m) throw new Error(`${member} not in ${rel}`);
  return m.head.toString('utf8');
}
