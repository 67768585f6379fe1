import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LoupeError } from '@shared/errors';

/**
 * File helpers for the intel folder. The folder is shared by every case and
 * may be written by the app and the CLI at once, so every write goes to a
 * temporary name first and is renamed into place: a reader sees the old file
 * or the new one, never half of one.
 */

function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function writeAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new LoupeError('IO_ERROR', `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export function copyAtomic(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const tmp = tmpName(to);
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new LoupeError('IO_ERROR', `cannot copy ${from} to ${to}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export function readJson<T>(path: string, fallback: T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // A manifest we cannot read is treated as absent; the data files stay on disk.
    return fallback;
  }
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Read a user-named input file, refusing folders and files over `maxBytes`. */
export function readInputFile(path: string, maxBytes: number): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new LoupeError('BAD_INPUT', `${path} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof LoupeError) throw e;
    throw new LoupeError('NOT_FOUND', `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (size > maxBytes) throw new LoupeError('BAD_INPUT', `${path} is ${size} bytes, over the ${maxBytes}-byte limit`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new LoupeError('IO_ERROR', `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileFingerprint(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}
