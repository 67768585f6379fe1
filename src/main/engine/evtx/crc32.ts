import * as zlib from 'node:zlib';

/**
 * CRC-32 (the IEEE polynomial of RFC 1952, initial value 0) over a byte range.
 * EVTX guards its file header, chunk headers and record data with it. Node
 * 20.15+ and 22 ship a native zlib.crc32, ~20x faster than a table loop, which
 * matters because every 64 KiB chunk is checked; the loop is the fallback.
 */
type NativeCrc = (data: Uint8Array, value?: number) => number;
const native: NativeCrc | undefined = (zlib as unknown as { crc32?: NativeCrc }).crc32;

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Continue a CRC over bytes [start, end); pass the previous result to chain ranges. */
export function crc32(bytes: Uint8Array, start: number, end: number, previous = 0): number {
  const from = Math.max(0, start);
  const stop = Math.min(end, bytes.length);
  if (stop <= from) return previous >>> 0;
  if (native !== undefined) return native(bytes.subarray(from, stop), previous) >>> 0;
  return tableCrc32(bytes, from, stop, previous);
}

export function tableCrc32(bytes: Uint8Array, from: number, stop: number, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = from; i < stop; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
