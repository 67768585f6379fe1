import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LoupeError } from '@shared/errors';

const LOCK_FILE = 'case.lock';

interface LockBody {
  pid: number;
  host: string;
  since: string;
}

/**
 * A case is open in at most one Loupe process. DuckDB locks its file too, but
 * its message names a file, not a person's situation; our lock says who holds
 * the case, and a lock left by a crashed process (dead pid on this host) is
 * taken over rather than blocking the analyst forever.
 */
export function acquireCaseLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const body: LockBody = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(body));
      closeSync(fd);
      return () => releaseCaseLock(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(file);
      if (holder && holder.pid === process.pid && holder.host === body.host) {
        throw new LoupeError('CASE_LOCKED', `The case ${dir} is already open in this Loupe process`);
      }
      if (holder && !isStale(holder)) {
        throw new LoupeError('CASE_LOCKED', `The case ${dir} is open in another Loupe process (pid ${holder.pid} on ${holder.host} since ${holder.since})`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new LoupeError('CASE_LOCKED', `Could not lock the case ${dir}`);
}

function readLock(file: string): LockBody | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockBody;
  } catch {
    return undefined; // unreadable or half-written: treat as stale
  }
}

function isStale(lock: LockBody): boolean {
  if (lock.host !== hostname()) return false; // another machine (shared drive): cannot tell, assume alive
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function releaseCaseLock(file: string): void {
  const holder = readLock(file);
  if (holder && holder.pid === process.pid) rmSync(file, { force: true });
}
