import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One message as received, before any parsing. */
export interface LiveMessage {
  /** Position in the journal: segment number * 2^32 + byte offset after the record. */
  seq: number;
  receivedAt: number;
  peer: string;
  transport: 'udp' | 'tcp' | 'tls' | 'file';
  message: string;
  /** Followed files: where the line ends in its file, so a restart resumes after it. */
  pos?: FilePosition;
}

export interface FilePosition {
  path: string;
  inode: number;
  offset: number;
}

const SEGMENT_BYTES = 64 * 1024 * 1024;
const SEG_FACTOR = 2 ** 32;

/**
 * The durable queue between the network and the case. Every received message
 * is appended here in the same event-loop turn it is read from the socket, so
 * a crash (even kill -9) after that point loses nothing: the write has reached
 * the operating system. Memory holds at most `maxInMemory` messages; beyond
 * that the consumer reads them back from disk (the spill), so a burst costs
 * disk, not RAM, and nothing is dropped unless the disk itself fails.
 *
 * The consumer commits the `seq` it has stored (in the case database, in the
 * same transaction as the events); on restart, `replayFrom(seq)` hands back
 * everything after it, and fully consumed segments are deleted.
 */
export class Journal {
  private segment: number;
  private fd: number;
  private offset: number;
  private readonly memory: LiveMessage[] = [];
  /** Set when memory overflowed: messages from here on are only on disk. */
  private spillFrom: number | null = null;
  private readCursor: Cursor | null = null;
  dropped = 0;
  received = 0;

  constructor(
    private readonly dir: string,
    private readonly maxInMemory = 100_000,
  ) {
    mkdirSync(dir, { recursive: true });
    const segments = listSegments(dir);
    this.segment = segments.length > 0 ? (segments[segments.length - 1] as number) : 1;
    const file = segmentPath(dir, this.segment);
    // Not O_APPEND: records are written at our own offset (see append), which a torn tail is cut back to.
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
    this.offset = cutTornTail(this.fd, fstatSync(this.fd).size);
  }

  /** The position after the last whole record: everything up to here has been received. */
  get end(): number {
    return this.segment * SEG_FACTOR + this.offset;
  }

  /** Append received messages; returns them with their journal positions. */
  append(batch: Array<Omit<LiveMessage, 'seq'>>): void {
    if (batch.length === 0) return;
    const lines: string[] = [];
    const withSeq: LiveMessage[] = [];
    const batchStart = this.segment * SEG_FACTOR + this.offset;
    let offset = this.offset;
    for (const m of batch) {
      const line = `${JSON.stringify(m.pos ? [m.receivedAt, m.peer, m.transport, m.message, m.pos.path, m.pos.inode, m.pos.offset] : [m.receivedAt, m.peer, m.transport, m.message])}\n`;
      offset += Buffer.byteLength(line);
      lines.push(line);
      withSeq.push({ ...m, seq: this.segment * SEG_FACTOR + offset });
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    let written = 0;
    try {
      // Positional writes at our own offset: a short write (disk full) is rolled back below, not left half-a-record.
      while (written < bytes.length) {
        const n = writeSync(this.fd, bytes, written, bytes.length - written, this.offset + written);
        if (n <= 0) throw new Error('short write');
        written += n;
      }
    } catch {
      // Disk full or gone: these messages are lost, and that must show as dropped.
      try {
        if (written > 0) ftruncateSync(this.fd, this.offset);
      } catch {
        // the next append writes at this.offset anyway and overwrites the fragment
      }
      this.dropped += batch.length;
      return;
    }
    this.offset = offset;
    this.received += batch.length;
    if (this.spillFrom === null && this.memory.length + withSeq.length <= this.maxInMemory) {
      for (const m of withSeq) this.memory.push(m);
    } else if (this.spillFrom === null) {
      // A seq marks where a record ends; the spill starts where this batch began.
      this.spillFrom = batchStart;
    }
    if (this.offset >= SEGMENT_BYTES) this.rotate();
  }

  /** Messages waiting to be stored, from memory or (after a burst) from disk. */
  get backlog(): number {
    return this.memory.length + (this.spillFrom !== null ? 1 : 0);
  }

  /** Up to `max` messages in order; [] when nothing is waiting. */
  take(max: number): LiveMessage[] {
    if (this.memory.length > 0) return this.memory.splice(0, max);
    if (this.spillFrom === null) return [];
    if (!this.readCursor) this.readCursor = cursorAt(this.dir, this.spillFrom);
    const out = readRecords(this.dir, this.readCursor, max, this.segment);
    if (out.length === 0 && this.readCursor.segment === this.segment && this.readCursor.offset >= this.offset) {
      // Caught up with the writer: back to the in-memory path.
      if (this.readCursor.fd !== null) closeSync(this.readCursor.fd);
      this.readCursor = null;
      this.spillFrom = null;
    }
    return out;
  }

  /**
   * Everything after `seq` (a position the consumer committed), for replay at
   * start; afterwards new messages flow through append/take as usual.
   */
  replayFrom(seq: number): void {
    const end = this.segment * SEG_FACTOR + this.offset;
    if (seq >= end) return;
    // Everything after seq is on disk; copies in memory would be taken out of order.
    this.memory.length = 0;
    if (this.readCursor?.fd != null) closeSync(this.readCursor.fd);
    this.spillFrom = seq;
    this.readCursor = cursorAt(this.dir, seq);
  }

  /** Drop segments wholly before the committed position. */
  compact(committedSeq: number): void {
    const committedSegment = Math.floor(committedSeq / SEG_FACTOR);
    for (const s of listSegments(this.dir)) if (s < committedSegment) rmSync(segmentPath(this.dir, s), { force: true });
  }

  close(): void {
    closeSync(this.fd);
    if (this.readCursor?.fd != null) closeSync(this.readCursor.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    this.segment++;
    this.fd = openSync(segmentPath(this.dir, this.segment), 'w+');
    this.offset = 0;
  }
}

/**
 * A record cut short by a crash (power loss, disk full) has no newline: cut
 * it off, or the next record appended would be glued to it and lost with it.
 * Such a record was never counted as received.
 */
function cutTornTail(fd: number, size: number): number {
  if (size === 0) return 0;
  const tail = Buffer.alloc(Math.min(size, READ_BYTES));
  // Bounded: steps back through the file one window at a time.
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - tail.length);
    const n = readSync(fd, tail, 0, end - start, start);
    const nl = tail.lastIndexOf(0x0a, n - 1);
    if (nl >= 0) {
      const keep = start + nl + 1;
      if (keep < size) ftruncateSync(fd, keep);
      return keep;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  return 0;
}

function segmentPath(dir: string, n: number): string {
  return join(dir, `journal-${String(n).padStart(8, '0')}.ndjson`);
}

function listSegments(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^journal-(\d{8})\.ndjson$/.exec(f)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

interface Cursor {
  segment: number;
  offset: number;
  fd: number | null;
}

function cursorAt(dir: string, seq: number): Cursor {
  let segment = Math.floor(seq / SEG_FACTOR);
  let offset = seq - segment * SEG_FACTOR;
  const segments = listSegments(dir);
  if (!segments.includes(segment)) {
    // The committed segment was compacted away: start at the oldest that remains.
    segment = segments.find((s) => s > segment) ?? segment;
    offset = 0;
  }
  return { segment, offset, fd: null };
}

/** A record is at most ~6x the 64 KiB message cap once JSON-escaped; 1 MiB reads always hold one. */
const READ_BYTES = 1024 * 1024;

/** A followed file's line may reach 1 MiB (6 MiB JSON-escaped); reads grow up to this for one record. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

function readRecords(dir: string, cur: Cursor, max: number, writerSegment: number): LiveMessage[] {
  const out: LiveMessage[] = [];
  let chunk = Buffer.alloc(READ_BYTES);
  // Bounded: each pass yields records, grows the window (at most 5 times), moves to the next segment, or returns.
  while (out.length < max) {
    if (cur.fd === null) {
      const p = segmentPath(dir, cur.segment);
      if (!existsSync(p)) return out;
      cur.fd = openSync(p, 'r');
    }
    const n = readSync(cur.fd, chunk, 0, chunk.length, cur.offset);
    if (n === chunk.length && chunk.indexOf(0x0a) < 0 && chunk.length < MAX_RECORD_BYTES) {
      // One record longer than the window: read it whole with a bigger one.
      chunk = Buffer.alloc(chunk.length * 4);
      continue;
    }
    let start = 0;
    while (out.length < max) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0 || nl >= n) break;
      const line = chunk.subarray(start, nl).toString('utf8');
      cur.offset += nl + 1 - start;
      start = nl + 1;
      try {
        const [receivedAt, peer, transport, message, path, inode, offset] = JSON.parse(line) as [number, string, LiveMessage['transport'], string, string?, number?, number?];
        const msg: LiveMessage = { seq: cur.segment * SEG_FACTOR + cur.offset, receivedAt, peer, transport, message };
        if (path !== undefined && inode !== undefined && offset !== undefined) msg.pos = { path, inode, offset };
        out.push(msg);
      } catch {
        // A torn write from a crash: skip the fragment, keep going.
      }
    }
    if (out.length >= max) return out;
    if (start > 0) continue; // consumed whole lines; read on from the new offset
    if (n === chunk.length) {
      // A window full of bytes without a newline even at the largest size: not a record of ours; skip it.
      cur.offset += n;
      continue;
    }
    // No complete line at the cursor: the writer's current segment just has no more yet;
    // an older segment ends here (a torn last record is skipped with it).
    if (cur.segment >= writerSegment) return out;
    closeSync(cur.fd);
    cur.fd = null;
    cur.segment++;
    cur.offset = 0;
  }
  return out;
}

/**
 * The furthest position of each followed file that reached the journal. At
 * restart the follower resumes from here (not from what the case stored),
 * since the journal replays the rest: reading those lines again would duplicate them.
 */
export function positionsInJournal(dir: string): Map<string, { inode: number; offset: number }> {
  const out = new Map<string, { inode: number; offset: number }>();
  for (const p of journalPositions(dir)) out.set(p.path, { inode: p.inode, offset: p.offset });
  return out;
}

/** Every file position in the journal, in the order written (a later one supersedes an earlier one of its inode). */
export function journalPositions(dir: string): FilePosition[] {
  const out: FilePosition[] = [];
  const segments = listSegments(dir);
  if (segments.length === 0) return out;
  const cur: Cursor = { segment: segments[0] as number, offset: 0, fd: null };
  const last = segments[segments.length - 1] as number;
  const lastOf = new Map<number, FilePosition>();
  // Bounded by the journal's size: each call consumes records or returns none at the end.
  for (;;) {
    const batch = readRecords(dir, cur, 50_000, last);
    if (batch.length === 0) break;
    for (const m of batch) {
      if (!m.pos) continue;
      lastOf.delete(m.pos.inode);
      lastOf.set(m.pos.inode, m.pos);
    }
  }
  if (cur.fd !== null) closeSync(cur.fd);
  out.push(...lastOf.values());
  return out;
}

/** How many whole records the journal holds after `seq` (the backlog a restart replays). */
export function countRecordsAfter(dir: string, seq: number): number {
  const segments = listSegments(dir);
  if (segments.length === 0) return 0;
  const cur = cursorAt(dir, seq);
  const last = segments[segments.length - 1] as number;
  let n = 0;
  // Bounded by the journal's size, as positionsInJournal.
  for (;;) {
    const batch = readRecords(dir, cur, 50_000, last);
    if (batch.length === 0) break;
    n += batch.length;
  }
  if (cur.fd !== null) closeSync(cur.fd);
  return n;
}
