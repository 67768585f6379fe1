import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
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
    this.fd = openSync(segmentPath(dir, this.segment), 'a');
    this.offset = fstatSync(this.fd).size;
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
    try {
      writeSync(this.fd, lines.join(''));
    } catch {
      // Disk full or gone: these messages are lost, and that must show as dropped.
      this.dropped += batch.length;
      return;
    }
    this.offset = offset;
    this.received += batch.length;
    if (this.spillFrom === null && this.memory.length + withSeq.length <= this.maxInMemory) {
      this.memory.push(...withSeq);
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
    this.fd = openSync(segmentPath(this.dir, this.segment), 'a');
    this.offset = 0;
  }
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

function readRecords(dir: string, cur: Cursor, max: number, writerSegment: number): LiveMessage[] {
  const out: LiveMessage[] = [];
  const chunk = Buffer.alloc(READ_BYTES);
  // Bounded: each pass yields records, moves to the next segment, or returns.
  while (out.length < max) {
    if (cur.fd === null) {
      const p = segmentPath(dir, cur.segment);
      if (!existsSync(p)) return out;
      cur.fd = openSync(p, 'r');
    }
    const n = readSync(cur.fd, chunk, 0, chunk.length, cur.offset);
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
  const segments = listSegments(dir);
  if (segments.length === 0) return out;
  const cur: Cursor = { segment: segments[0] as number, offset: 0, fd: null };
  const last = segments[segments.length - 1] as number;
  // Bounded by the journal's size: each call consumes records or returns none at the end.
  for (;;) {
    const batch = readRecords(dir, cur, 50_000, last);
    if (batch.length === 0) break;
    for (const m of batch) if (m.pos) out.set(m.pos.path, { inode: m.pos.inode, offset: m.pos.offset });
  }
  if (cur.fd !== null) closeSync(cur.fd);
  return out;
}
