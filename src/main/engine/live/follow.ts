import { closeSync, existsSync, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FilePosition, Journal, LiveMessage } from './journal';

export interface FollowOptions {
  /** Files and folders; a folder's regular files are followed, including ones that appear later. */
  paths: string[];
  journal: Journal;
  /** Where each file was left (from the case, committed with its events). */
  resume?: Map<string, { inode: number; offset: number }>;
  /** Start new files at their end instead of reading what they already hold. */
  fromEnd?: boolean;
  intervalMs?: number;
  /** Bytes read per file per poll, so one huge file cannot starve the rest. */
  maxBytesPerPoll?: number;
  onReceived?: () => void;
}

interface Followed {
  path: string;
  fd: number;
  inode: number;
  offset: number;
}

/**
 * tail -F for Loupe: follows growing files by path, not by descriptor. When a
 * file is rotated (renamed away and recreated) the old one is read to its end
 * before switching; when it is truncated in place (copytruncate) reading
 * restarts at 0; files appearing in a watched folder are picked up. Only whole
 * lines are taken: a line still being written waits for its newline.
 */
export class FileFollower {
  private readonly followed = new Map<string, Followed>();
  private timer: NodeJS.Timeout | null = null;
  /** After the first poll, files that appear are new: read from their start even with fromEnd. */
  private firstPollDone = false;
  lines = 0;
  /** The last problem reading a watched path (the follower keeps going). */
  lastError: string | null = null;

  constructor(private readonly opts: FollowOptions) {}

  start(): void {
    this.poll();
    this.timer = setInterval(() => this.poll(), this.opts.intervalMs ?? 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const f of this.followed.values()) closeSync(f.fd);
    this.followed.clear();
  }

  /** Where each followed file is (path, inode, offset of the next byte to read). */
  positions(): FilePosition[] {
    return [...this.followed.values()].map((f) => ({ path: f.path, inode: f.inode, offset: f.offset }));
  }

  /** One pass over every watched path (exposed for tests). */
  poll(): void {
    const paths = this.expand();
    const present = new Set(paths);
    for (const path of paths) {
      try {
        this.pollFile(path);
      } catch (e) {
        // Vanished between listing and reading (rotation in progress): next poll.
        this.lastError = `${path}: ${(e as Error).message}`;
      }
    }
    for (const f of [...this.followed.values()]) {
      if (present.has(f.path)) continue;
      // Deleted or moved away and not recreated: read what it still holds, then let it go.
      try {
        this.readAvailable(f, Number.MAX_SAFE_INTEGER);
      } catch {
        // unreadable now: nothing more to take from it
      }
      closeSync(f.fd);
      this.followed.delete(f.path);
    }
    this.firstPollDone = true;
  }

  private expand(): string[] {
    const out: string[] = [];
    for (const p of this.opts.paths) {
      const abs = resolve(p);
      try {
        if (!existsSync(abs)) continue;
        const st = statSync(abs);
        if (st.isDirectory()) {
          for (const name of readdirSync(abs).sort()) {
            const child = join(abs, name);
            try {
              // Symlinks are not followed: a link could lead the follower out of what the analyst chose.
              if (lstatSync(child).isFile()) out.push(child);
            } catch {
              // gone between listing and stat
            }
          }
        } else if (st.isFile()) out.push(abs);
      } catch (e) {
        // An unreadable folder is reported, and the other paths are still followed.
        this.lastError = `${abs}: ${(e as Error).message}`;
      }
    }
    return out;
  }

  private pollFile(path: string): void {
    const current = statSync(path);
    let f = this.followed.get(path);
    if (f && fstatSync(f.fd).ino !== current.ino) {
      // Rotated: finish the old file, then start the new one from its beginning.
      this.readAvailable(f, Number.MAX_SAFE_INTEGER);
      closeSync(f.fd);
      this.followed.delete(path);
      f = undefined;
      this.track(path, current.ino, 0);
    }
    if (!f) {
      const saved = this.opts.resume?.get(path);
      if (saved && saved.inode !== current.ino) this.finishRotatedAway(path, saved);
      const start =
        saved && saved.inode === current.ino && saved.offset <= current.size ? saved.offset : this.opts.fromEnd && !saved && !this.firstPollDone ? current.size : 0;
      f = this.track(path, current.ino, start);
    }
    if (current.size < f.offset) f.offset = 0; // truncated in place
    this.readAvailable(f, this.opts.maxBytesPerPoll ?? 8 * 1024 * 1024);
  }

  /**
   * The file was rotated while Loupe was not running: the lines written to
   * it after our last position are in the renamed file (auth.log.1), which is
   * found by its inode in the same folder and read to its end first.
   */
  private finishRotatedAway(path: string, saved: { inode: number; offset: number }): void {
    const dir = dirname(path);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        const st = lstatSync(candidate);
        if (!st.isFile() || st.ino !== saved.inode || st.size <= saved.offset) continue;
        const old: Followed = { path, fd: openSync(candidate, 'r'), inode: saved.inode, offset: saved.offset };
        try {
          this.readAvailable(old, Number.MAX_SAFE_INTEGER);
        } finally {
          closeSync(old.fd);
        }
        return;
      } catch {
        // vanished meanwhile: nothing to finish
      }
    }
  }

  private track(path: string, inode: number, offset: number): Followed {
    const f = { path, fd: openSync(path, 'r'), inode, offset };
    this.followed.set(path, f);
    return f;
  }

  private readAvailable(f: Followed, budget: number): void {
    const chunk = Buffer.alloc(1024 * 1024);
    let left = budget;
    while (left > 0) {
      const n = readSync(f.fd, chunk, 0, Math.min(chunk.length, left), f.offset);
      if (n === 0) return;
      const lastNl = chunk.lastIndexOf(0x0a, n - 1);
      if (lastNl < 0) {
        if (n === chunk.length) {
          // A line longer than the read window: take it as is rather than stall forever.
          this.emit(f, chunk.subarray(0, n), n);
          continue;
        }
        return; // an unfinished line: wait for its newline
      }
      this.emit(f, chunk.subarray(0, lastNl + 1), lastNl + 1);
      left -= lastNl + 1;
    }
  }

  private emit(f: Followed, bytes: Buffer, consumed: number): void {
    const now = Date.now();
    const batch: Array<Omit<LiveMessage, 'seq'>> = [];
    let start = 0;
    let offset = f.offset;
    while (start < bytes.length) {
      let nl = bytes.indexOf(0x0a, start);
      if (nl < 0) nl = bytes.length;
      const end = nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : nl;
      offset += nl + 1 - start;
      const line = bytes.subarray(start, end).toString('utf8');
      start = nl + 1;
      if (line.trim() === '') continue;
      const pos: FilePosition = { path: f.path, inode: f.inode, offset: Math.min(offset, f.offset + consumed) };
      batch.push({ receivedAt: now, peer: f.path, transport: 'file', message: line, pos });
    }
    f.offset += consumed;
    this.lines += batch.length;
    this.opts.journal.append(batch);
    this.opts.onReceived?.();
  }
}
