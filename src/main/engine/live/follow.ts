import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FilePosition, Journal, LiveMessage } from './journal';

export interface FollowOptions {
  /** Files and folders; a folder's regular files are followed, including ones that appear later. */
  paths: string[];
  journal: Journal;
  /** Where each file was left (from the case, committed with its events). */
  resume?: Map<string, { inode: number; offset: number }>;
  /** How far each inode was read, whatever its name was (a rotated file met again under a new name). */
  resumeInodes?: Map<number, number>;
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

/** Compressed, archived or binary logs (logrotate's .gz beside the live file): not lines of text. */
const BINARY_MAGIC: Array<[number, number[]]> = [
  [0, [0x1f, 0x8b]], // gzip
  [0, [0x50, 0x4b, 0x03, 0x04]], // zip
  [0, [0x42, 0x5a, 0x68]], // bzip2
  [0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], // xz
  [0, [0x28, 0xb5, 0x2f, 0xfd]], // zstd
  [0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]], // 7z
  [0, [0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]], // EVTX "ElfFile\0"
  [257, [0x75, 0x73, 0x74, 0x61, 0x72]], // tar "ustar"
];

/**
 * tail -F for Loupe: follows growing files by path, not by descriptor. When a
 * file is rotated (renamed away and recreated) the old one is read to its end
 * before switching; when it is truncated in place (copytruncate) reading
 * restarts at 0; files appearing in a watched folder are picked up. Only whole
 * lines are taken: a line still being written waits for its newline.
 *
 * What was read is remembered per inode as well as per path, so a rotated
 * file that shows up again under its new name in a watched folder
 * (auth.log -> auth.log.1) carries on where it was, instead of being read
 * again from the start. Compressed rotations (auth.log.2.gz) and other
 * binary files are not lines: they are listed as ignored, never read.
 */
export class FileFollower {
  private readonly followed = new Map<string, Followed>();
  /** How far each inode has been read (rotation-proof resume). */
  private readonly byInode = new Map<number, number>();
  /** Files that are not text, with why. */
  readonly ignored = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  /** After the first poll, files that appear are new: read from their start even with fromEnd. */
  private firstPollDone = false;
  lines = 0;
  /** The last problem reading a watched path (the follower keeps going). */
  lastError: string | null = null;

  constructor(private readonly opts: FollowOptions) {
    for (const [inode, offset] of opts.resumeInodes ?? []) this.byInode.set(inode, offset);
    for (const p of opts.resume?.values() ?? []) this.byInode.set(p.inode, Math.max(this.byInode.get(p.inode) ?? 0, p.offset));
  }

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
    if (this.ignored.has(path)) return;
    const current = statSync(path);
    let f = this.followed.get(path);
    if (f && f.inode !== current.ino) {
      // Rotated: finish the old file, then start the new one from its beginning.
      this.readAvailable(f, Number.MAX_SAFE_INTEGER);
      closeSync(f.fd);
      this.followed.delete(path);
      f = undefined;
    }
    if (!f) {
      if (current.size > 0 && this.isBinary(path)) return;
      const saved = this.opts.resume?.get(path);
      if (saved && saved.inode !== current.ino) this.finishRotatedAway(path, saved.inode);
      const known = this.byInode.get(current.ino);
      const start =
        known !== undefined && known <= current.size
          ? known // this file, under this name or another, was read this far
          : this.opts.fromEnd && !this.firstPollDone
            ? current.size
            : 0;
      f = this.track(path, current.ino, start);
    }
    if (current.size < f.offset) f.offset = 0; // truncated in place
    this.readAvailable(f, this.opts.maxBytesPerPoll ?? 8 * 1024 * 1024);
  }

  /** Not lines of text (checked once, on the first bytes a file has). */
  private isBinary(path: string): boolean {
    let fd = -1;
    try {
      fd = openSync(path, 'r');
      const head = Buffer.alloc(262);
      const n = readSync(fd, head, 0, head.length, 0);
      const hit = BINARY_MAGIC.some(([at, magic]) => n >= at + magic.length && magic.every((b, i) => head[at + i] === b));
      if (hit) this.ignored.set(path, 'compressed, archived or binary: not followed (import it from the Import view)');
      return hit;
    } catch {
      return false;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  /**
   * The file was rotated while Loupe was not running: the lines written to
   * it after our last position are in the renamed file (auth.log.1), which is
   * found by its inode in the same folder and read to its end first.
   */
  private finishRotatedAway(path: string, inode: number): void {
    const offset = this.byInode.get(inode);
    if (offset === undefined) return;
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
        if (!st.isFile() || st.ino !== inode || st.size <= offset) continue;
        const old: Followed = { path, fd: openSync(candidate, 'r'), inode, offset };
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
    this.byInode.set(inode, offset);
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
    this.byInode.set(f.inode, f.offset);
    this.lines += batch.length;
    this.opts.journal.append(batch);
    this.opts.onReceived?.();
  }
}
