import type { FilePosition } from './journal';

/** Inodes remembered per source (a folder rotated daily for years stays far below). */
const MAX_ENTRIES = 2000;

/**
 * How far each followed file was read, keyed by inode and ordered by when
 * it last moved: the latest entry of a path is where that path resumes, and
 * every inode's offset lets a rotated file met again under a new name
 * (auth.log -> auth.log.1) carry on instead of being read twice.
 */
export class FilePositions {
  private readonly byInode = new Map<number, FilePosition>();

  constructor(entries: readonly FilePosition[] = []) {
    for (const e of entries) this.set(e);
  }

  set(p: FilePosition): void {
    // Re-inserted so iteration order is recency order.
    this.byInode.delete(p.inode);
    this.byInode.set(p.inode, { path: p.path, inode: p.inode, offset: p.offset });
    if (this.byInode.size > MAX_ENTRIES) {
      const oldest = this.byInode.keys().next().value;
      if (oldest !== undefined) this.byInode.delete(oldest);
    }
  }

  entries(): FilePosition[] {
    return [...this.byInode.values()];
  }

  /** Where each path resumes: its most recently read inode. */
  latestByPath(): Map<string, { inode: number; offset: number }> {
    const out = new Map<string, { inode: number; offset: number }>();
    for (const p of this.byInode.values()) out.set(p.path, { inode: p.inode, offset: p.offset });
    return out;
  }

  inodeOffsets(): Map<number, number> {
    return new Map([...this.byInode.values()].map((p) => [p.inode, p.offset]));
  }
}
