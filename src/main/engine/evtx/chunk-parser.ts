import { BinXmlError, BinXmlReader } from './binxml';
import * as bytes from './bytes';
import { crc32 } from './crc32';
import { EventFlattener } from './event-flattener';
import type { ChunkResult, EvtxEvent, EvtxIssue } from './types';
import { filetimeIso } from './values';

// Bound once here, not at each use: run from source (tsx, Vitest), every use
// of an imported name is a getter call, which made the hot loop ~30% slower.
const { u32, u64 } = bytes;

/**
 * One 64 KiB chunk to events. Chunks are self-contained (their string and
 * template tables only point inside the chunk), which is what lets workers
 * parse them independently. Nothing in here throws: damage becomes issues
 * and counts, so the caller can reconcile seen = returned + rejected.
 */

export const CHUNK_SIZE = 0x10000;
export const CHUNK_HEADER_SIZE = 512;
const RECORD_HEADER_SIZE = 24;
/** Signature, size, id, written time, and the trailing copy of the size. */
const MIN_RECORD_SIZE = RECORD_HEADER_SIZE + 4;
const RECORD_MAGIC = 0x00002a2a;
const RECORD_MAGIC_BYTES = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);
const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');
/** More records than this cannot fit in a chunk; a header claiming more is damaged. */
const MAX_RECORDS_PER_CHUNK = Math.floor((CHUNK_SIZE - CHUNK_HEADER_SIZE) / MIN_RECORD_SIZE);

export interface ChunkOptions {
  /** Scan free space after the last record for older records. */
  recoverSlack: boolean;
  /**
   * Whether the file header says this chunk is in use. An all-zero chunk
   * there is damage; past the header's count it is just unused space.
   */
  expected: boolean;
}

export function parseChunk(buf: Buffer, chunk: number, fileOffset: number, opts: ChunkOptions): ChunkResult {
  const result: ChunkResult = { chunk, events: [], issues: [], seen: 0, rejected: 0, missing: 0, recovered: 0, skipped: false, unused: false };
  const issue = (offset: number, reason: string, kind: EvtxIssue['kind'], lostRecords = 0, recordId: number | null = null): void => {
    result.issues.push({ offset: fileOffset + offset, chunk, recordId, reason, lostRecords, kind });
  };
  try {
    parseInto(buf, chunk, fileOffset, opts, result, issue);
  } catch (e) {
    // Every expected failure is handled below; this is the net for a bug, so
    // one bad chunk cannot end the whole read.
    issue(0, `chunk could not be parsed: ${e instanceof Error ? e.message : String(e)}`, 'chunk');
    result.skipped = true;
  }
  return result;
}

type IssueFn = (offset: number, reason: string, kind: EvtxIssue['kind'], lostRecords?: number, recordId?: number | null) => void;

function parseInto(buf: Buffer, chunk: number, fileOffset: number, opts: ChunkOptions, result: ChunkResult, issue: IssueFn): void {
  const signed = buf.length >= 8 && buf.subarray(0, 8).equals(CHUNK_MAGIC);
  if (!signed || buf.length < CHUNK_HEADER_SIZE) {
    result.skipped = true;
    if (!opts.expected && !signed) {
      result.unused = true;
    } else if (buf.length < CHUNK_HEADER_SIZE) {
      issue(0, `chunk truncated to ${buf.length} bytes, shorter than its header`, 'chunk');
    } else if (isZero(buf, 0, buf.length)) {
      issue(0, 'chunk is all zeros', 'chunk');
    } else {
      issue(0, `bad chunk signature; chunk skipped${opts.recoverSlack ? ' and scanned for records' : ''}`, 'chunk');
    }
    // Records can outlive their chunk header: with recovery on, look for them.
    if (opts.recoverSlack && !isZero(buf, 0, buf.length)) scanForRecords(buf, chunk, fileOffset, 0, buf.length, new Set(), result, issue);
    return;
  }

  const firstNumber = u64(buf, 8);
  const lastNumber = u64(buf, 16);
  const freeSpace = u32(buf, 48);
  // Record numbers start at 1; 0 means the header never recorded a range.
  const announced = firstNumber > 0 && lastNumber >= firstNumber && lastNumber - firstNumber < MAX_RECORDS_PER_CHUNK ? lastNumber - firstNumber + 1 : null;

  // The header CRC covers bytes 0-120 and 128-512 (it cannot cover itself).
  if (crc32(buf, 128, CHUNK_HEADER_SIZE, crc32(buf, 0, 120)) !== u32(buf, 124)) issue(0, 'chunk header checksum mismatch', 'checksum');

  const truncated = buf.length < CHUNK_SIZE;
  if (truncated) issue(buf.length, `chunk truncated at ${buf.length} of ${CHUNK_SIZE} bytes`, 'chunk');

  const freeSpaceOk = freeSpace >= CHUNK_HEADER_SIZE && freeSpace <= CHUNK_SIZE;
  if (!freeSpaceOk) issue(48, `chunk free-space offset ${freeSpace} is out of range`, 'chunk');
  else if (!truncated && crc32(buf, CHUNK_HEADER_SIZE, freeSpace) !== u32(buf, 52)) issue(52, 'chunk event records checksum mismatch', 'checksum');
  const usedEnd = freeSpaceOk ? Math.min(freeSpace, buf.length) : buf.length;

  const reader = new BinXmlReader(buf);
  const flattener = new EventFlattener(reader);
  const ids = new Set<number>();
  let pos = CHUNK_HEADER_SIZE;
  while (pos + MIN_RECORD_SIZE <= usedEnd) {
    const header = checkRecordHeader(buf, pos, usedEnd);
    if (header === 'ok') {
      const size = u32(buf, pos + 4);
      const recordId = u64(buf, pos + 8);
      result.seen++;
      ids.add(recordId);
      readRecord(buf, pos, size, chunk, fileOffset, reader, flattener, result, issue, false);
      pos += size;
      continue;
    }
    if (header === 'bad-size') {
      // The signature says a record starts here but its size does not hold.
      const recordId = u64(buf, pos + 8);
      result.seen++;
      result.rejected++;
      ids.add(recordId);
      const size = u32(buf, pos + 4);
      const why = pos + size > buf.length && truncated ? 'record cut off where the file ends' : `record size ${size} does not match its trailing copy`;
      issue(pos, why, 'record', 1, recordId);
    } else if (isZero(buf, pos, usedEnd)) {
      // Zeros up to the free-space mark: the writer stopped here.
      break;
    } else {
      issue(pos, 'no record signature where a record should start', 'chunk');
    }
    // Resynchronise on the next intact record header (libyal's recovery approach).
    const next = findRecord(buf, pos + 1, usedEnd);
    if (next < 0) break;
    pos = next;
  }

  if (announced !== null && result.seen < announced) {
    const missing = announced - result.seen;
    result.missing += missing;
    issue(pos, `chunk header announces ${announced} records, ${result.seen} found`, 'chunk', missing);
  }
  if (opts.recoverSlack) scanForRecords(buf, chunk, fileOffset, Math.max(pos, usedEnd), buf.length, ids, result, issue);
}

type HeaderCheck = 'ok' | 'bad-size' | 'no-signature';

function checkRecordHeader(buf: Buffer, pos: number, end: number): HeaderCheck {
  if (u32(buf, pos) !== RECORD_MAGIC) return 'no-signature';
  const size = u32(buf, pos + 4);
  if (size < MIN_RECORD_SIZE || pos + size > end || u32(buf, pos + size - 4) !== size) return 'bad-size';
  return 'ok';
}

/** The next offset in [from, end) holding a record header whose size checks out, or -1. */
function findRecord(buf: Buffer, from: number, end: number): number {
  let at = from;
  while (at + MIN_RECORD_SIZE <= end) {
    const hit = buf.indexOf(RECORD_MAGIC_BYTES, at);
    if (hit < 0 || hit + MIN_RECORD_SIZE > end) return -1;
    if (checkRecordHeader(buf, hit, end) === 'ok') return hit;
    at = hit + 1;
  }
  return -1;
}

/**
 * Records in space the chunk header does not cover: free space after the
 * last record, or a whole chunk whose header is damaged. A record id already
 * read from this chunk is an older copy and is skipped.
 */
function scanForRecords(
  buf: Buffer,
  chunk: number,
  fileOffset: number,
  from: number,
  end: number,
  ids: Set<number>,
  result: ChunkResult,
  issue: IssueFn,
): void {
  const reader = new BinXmlReader(buf);
  const flattener = new EventFlattener(reader);
  let pos = findRecord(buf, from, end);
  while (pos >= 0) {
    const size = u32(buf, pos + 4);
    const recordId = u64(buf, pos + 8);
    if (ids.has(recordId)) {
      pos = findRecord(buf, pos + 1, end);
      continue;
    }
    ids.add(recordId);
    result.seen++;
    const ok = readRecord(buf, pos, size, chunk, fileOffset, reader, flattener, result, issue, true);
    pos = findRecord(buf, ok ? pos + size : pos + 1, end);
  }
}

function readRecord(
  buf: Buffer,
  pos: number,
  size: number,
  chunk: number,
  fileOffset: number,
  reader: BinXmlReader,
  flattener: EventFlattener,
  result: ChunkResult,
  issue: IssueFn,
  recovered: boolean,
): boolean {
  const recordId = u64(buf, pos + 8);
  try {
    const nodes = reader.parseDocument(pos + RECORD_HEADER_SIZE, pos + size - 4);
    const { system, eventData } = flattener.flatten(nodes);
    const systemTime = system.TimeCreated_SystemTime;
    const eventId = system.EventID;
    // Windows shows System/EventRecordID; in a saved (filtered) log it keeps the
    // original number while the record header restarts at 1, so prefer it.
    const shownId = system.EventRecordID;
    const event: EvtxEvent = {
      recordId: typeof shownId === 'number' ? shownId : recordId,
      timeCreated: (typeof systemTime === 'string' ? isoUtc(systemTime) : null) ?? writtenTime(buf, pos),
      eventId: typeof eventId === 'number' ? eventId : null,
      system,
      eventData,
      offset: fileOffset + pos,
      chunk,
    };
    if (recovered) {
      event.recovered = true;
      result.recovered++;
    }
    result.events.push(event);
    return true;
  } catch (e) {
    result.rejected++;
    // Where in the file the BinXml went wrong, for a look with a hex editor.
    const at = e instanceof BinXmlError && e.offset > 0 ? ` (at byte 0x${(fileOffset + e.offset).toString(16)})` : '';
    const why = (e instanceof Error ? e.message : String(e)) + at;
    issue(pos, recovered ? `slack record could not be parsed: ${why}` : `record could not be parsed: ${why}`, 'record', 1, recordId);
    return false;
  }
}

const ISO = /^([+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/;

/**
 * TimeCreated as ISO UTC with 7 fractional digits. A FILETIME substitution
 * already renders so; a time written as text (forwarded events) may carry
 * more or fewer digits and is brought to the same form.
 */
function isoUtc(text: string): string | null {
  if (text.length === 28 && text.charCodeAt(19) === 0x2e) return ISO.test(text) ? text : null;
  const m = ISO.exec(text);
  if (!m) return null;
  return `${m[1]}.${(m[2] ?? '').padEnd(7, '0').slice(0, 7)}Z`;
}

function writtenTime(buf: Buffer, pos: number): string | null {
  const lo = u32(buf, pos + 16);
  const hi = u32(buf, pos + 20);
  if (lo === 0 && hi === 0) return null;
  return filetimeIso(lo, hi);
}

function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}
