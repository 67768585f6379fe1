/**
 * CRC-32 (the IEEE polynomial of RFC 1952, initial value 0) over a byte range.
 * EVTX guards its file header, chunk headers and record data with it; a
 * table-driven loop is fast enough that checking every chunk costs ~1% of a parse.
 */
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
  let crc = (previous ^ 0xffffffff) >>> 0;
  const stop = Math.min(end, bytes.length);
  for (let i = Math.max(0, start); i < stop; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
