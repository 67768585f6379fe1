import { u16, u32, u64 } from './bytes';
import { crc32 } from './crc32';
import type { EvtxIssue } from './types';

/**
 * The 4 KiB file header. Only two of its facts steer the read: where chunks
 * start and how many the writer says are in use. Neither is trusted blindly:
 * a dirty file (not closed cleanly) often under-counts its chunks, so the
 * reader still looks at every 64 KiB slot up to the end of the file.
 */

export const FILE_HEADER_SIZE = 4096;
const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');

export interface FileHeader {
  /** The signature matched; false means the header is damaged or this is not EVTX. */
  valid: boolean;
  /** Chunks the header says are in use (0 when the header is unusable). */
  chunkCount: number;
  /** Offset of the first chunk. */
  chunksStart: number;
  nextRecordId: number;
  majorVersion: number;
  minorVersion: number;
  dirty: boolean;
  full: boolean;
}

export function parseFileHeader(bytes: Buffer, fileSize: number): { header: FileHeader; issues: EvtxIssue[] } {
  const issues: EvtxIssue[] = [];
  const fileIssue = (offset: number, reason: string, kind: EvtxIssue['kind'] = 'file'): void => {
    issues.push({ offset, chunk: null, recordId: null, reason, lostRecords: 0, kind });
  };
  const header: FileHeader = {
    valid: false,
    chunkCount: 0,
    chunksStart: FILE_HEADER_SIZE,
    nextRecordId: 0,
    majorVersion: 0,
    minorVersion: 0,
    dirty: false,
    full: false,
  };
  if (bytes.length < 128) {
    fileIssue(0, fileSize === 0 ? 'file is empty' : `file is ${fileSize} bytes, too short for an EVTX header`);
    return { header, issues };
  }
  if (!bytes.subarray(0, 8).equals(FILE_MAGIC)) {
    fileIssue(0, 'no EVTX file signature; looking for chunks anyway');
    return { header, issues };
  }
  header.valid = true;
  header.nextRecordId = u64(bytes, 24);
  header.minorVersion = u16(bytes, 36);
  header.majorVersion = u16(bytes, 38);
  header.chunkCount = u16(bytes, 42);
  const flags = u32(bytes, 120);
  header.dirty = (flags & 1) !== 0;
  header.full = (flags & 2) !== 0;
  if (crc32(bytes, 0, 120) !== u32(bytes, 124)) fileIssue(124, 'file header checksum mismatch', 'checksum');
  if (header.majorVersion !== 3) fileIssue(36, `unexpected format version ${header.majorVersion}.${header.minorVersion}`);
  const blockSize = u16(bytes, 40);
  if (blockSize !== FILE_HEADER_SIZE) fileIssue(40, `header block size ${blockSize} is not 4096; assuming 4096`);
  if (fileSize < FILE_HEADER_SIZE) fileIssue(fileSize, `file ends inside its ${FILE_HEADER_SIZE}-byte header`);
  return { header, issues };
}
