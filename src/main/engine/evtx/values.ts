import * as bytes from './bytes';

// Bound once here, not at each use: run from source (tsx, Vitest), every use
// of an imported name is a getter call, which made the hot loop ~30% slower.
const { hexUpper, i64big, u16, u32, u64big, utf16 } = bytes;

/**
 * Substitution values to the text Windows shows in an event's XML, so that
 * fields read the way analysts and Sigma rules expect them: hex integers as
 * `0x3e7` (unpadded, lower case, as rules match LogonId: '0x3e7'), GUIDs as
 * `{8-4-4-4-12}` upper case, binary as upper-case hex, times as ISO 8601 UTC
 * with FILETIME's full 100 ns precision (`2022-10-11T19:26:52.0456558Z`).
 */

export const V_NULL = 0x00;
export const V_STRING = 0x01;
export const V_ANSI = 0x02;
export const V_INT8 = 0x03;
export const V_UINT8 = 0x04;
export const V_INT16 = 0x05;
export const V_UINT16 = 0x06;
export const V_INT32 = 0x07;
export const V_UINT32 = 0x08;
export const V_INT64 = 0x09;
export const V_UINT64 = 0x0a;
export const V_REAL32 = 0x0b;
export const V_REAL64 = 0x0c;
export const V_BOOL = 0x0d;
export const V_BINARY = 0x0e;
export const V_GUID = 0x0f;
export const V_SIZET = 0x10;
export const V_FILETIME = 0x11;
export const V_SYSTEMTIME = 0x12;
export const V_SID = 0x13;
export const V_HEX32 = 0x14;
export const V_HEX64 = 0x15;
export const V_EVT_HANDLE = 0x20;
export const V_BINXML = 0x21;
export const V_EVT_XML = 0x23;
export const V_ARRAY = 0x80;

/** Byte width of the fixed-size types, 0 for variable-size ones. */
const WIDTH: Record<number, number> = {
  [V_INT8]: 1,
  [V_UINT8]: 1,
  [V_INT16]: 2,
  [V_UINT16]: 2,
  [V_INT32]: 4,
  [V_UINT32]: 4,
  [V_INT64]: 8,
  [V_UINT64]: 8,
  [V_REAL32]: 4,
  [V_REAL64]: 8,
  [V_BOOL]: 4,
  [V_GUID]: 16,
  [V_FILETIME]: 8,
  [V_SYSTEMTIME]: 16,
  [V_HEX32]: 4,
  [V_HEX64]: 8,
};

/**
 * Windows-1252, the default code page of ANSI event strings. Node's
 * TextDecoder treats the label as Latin-1 (0x80 stays U+0080), so the 32
 * characters where the two differ are mapped here.
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d,
  0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function ansi(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = b[o + i]!;
    s += String.fromCharCode(c >= 0x80 && c < 0xa0 ? CP1252_HIGH[c - 0x80]! : c);
  }
  return s;
}

/**
 * Render one scalar value of `type` stored in `size` bytes at `o`. Never
 * throws: a value too short for its type is shown as hex of what is there.
 */
export function renderScalar(b: Buffer, o: number, size: number, type: number): string {
  switch (type) {
    case V_NULL:
      return '';
    case V_STRING:
    case V_EVT_XML: {
      // Strings are not terminated, but some writers include the NUL anyway.
      let chars = size >>> 1;
      while (chars > 0 && u16(b, o + 2 * chars - 2) === 0) chars--;
      return utf16(b, o, chars);
    }
    case V_ANSI: {
      let n = size;
      while (n > 0 && b[o + n - 1] === 0) n--;
      return ansi(b, o, n);
    }
    case V_BINARY:
      return hexUpper(b, o, size);
    case V_SIZET:
      if (size === 4) return hex32(u32(b, o));
      if (size === 8) return hex64(b, o);
      return hexUpper(b, o, size);
    case V_SID:
      return renderSid(b, o, size);
    case V_EVT_HANDLE:
      if (size === 4) return String(u32(b, o));
      if (size === 8) return u64big(b, o).toString();
      return hexUpper(b, o, size);
    default:
      break;
  }
  const width = WIDTH[type];
  if (width === undefined || size < width) return hexUpper(b, o, size);
  switch (type) {
    case V_INT8:
      return String((b[o]! << 24) >> 24);
    case V_UINT8:
      return String(b[o]!);
    case V_INT16:
      return String((u16(b, o) << 16) >> 16);
    case V_UINT16:
      return String(u16(b, o));
    case V_INT32:
      return String(u32(b, o) | 0);
    case V_UINT32:
      return String(u32(b, o));
    case V_INT64: {
      const hi = u32(b, o + 4);
      // Fast path while the value is a safe non-negative integer.
      if (hi < 0x200000) return String(u32(b, o) + hi * 0x100000000);
      return i64big(b, o).toString();
    }
    case V_UINT64: {
      const hi = u32(b, o + 4);
      if (hi < 0x200000) return String(u32(b, o) + hi * 0x100000000);
      return u64big(b, o).toString();
    }
    case V_REAL32:
      return formatReal(b.readFloatLE(o));
    case V_REAL64:
      return formatReal(b.readDoubleLE(o));
    case V_BOOL:
      return u32(b, o) !== 0 ? 'true' : 'false';
    case V_GUID:
      return renderGuid(b, o);
    case V_FILETIME:
      return filetimeIso(u32(b, o), u32(b, o + 4));
    case V_SYSTEMTIME:
      return systemtimeIso(b, o);
    case V_HEX32:
      return hex32(u32(b, o));
    case V_HEX64:
      return hex64(b, o);
    default:
      return hexUpper(b, o, size);
  }
}

/** An integer value as a number (for counters), or null when not an integer type or not exact. */
export function integerValue(b: Buffer, o: number, size: number, type: number): number | null {
  const width = WIDTH[type];
  if (width === undefined || size < width) return null;
  switch (type) {
    case V_INT8:
      return (b[o]! << 24) >> 24;
    case V_UINT8:
      return b[o]!;
    case V_INT16:
      return (u16(b, o) << 16) >> 16;
    case V_UINT16:
      return u16(b, o);
    case V_INT32:
      return u32(b, o) | 0;
    case V_UINT32:
      return u32(b, o);
    case V_INT64:
    case V_UINT64: {
      const hi = u32(b, o + 4);
      return hi < 0x200000 ? u32(b, o) + hi * 0x100000000 : null;
    }
    default:
      return null;
  }
}

/**
 * Render an array value (type | 0x80) as its items. String arrays are
 * NUL-separated; every other array is a run of fixed-size items.
 */
export function renderArray(b: Buffer, o: number, size: number, type: number): string[] {
  const itemType = type & ~V_ARRAY;
  const items: string[] = [];
  if (itemType === V_STRING) {
    let start = o;
    const end = o + (size & ~1);
    for (let p = o; p < end; p += 2) {
      if (u16(b, p) === 0) {
        items.push(utf16(b, start, (p - start) >>> 1));
        start = p + 2;
      }
    }
    if (start < end) items.push(utf16(b, start, (end - start) >>> 1));
    return items;
  }
  if (itemType === V_ANSI) {
    let start = o;
    for (let p = o; p < o + size; p++) {
      if (b[p] === 0) {
        items.push(ansi(b, start, p - start));
        start = p + 1;
      }
    }
    if (start < o + size) items.push(ansi(b, start, o + size - start));
    return items;
  }
  if (itemType === V_SID) {
    // SIDs vary in length: each announces its sub-authority count.
    let p = o;
    while (p + 8 <= o + size) {
      const len = 8 + 4 * b[p + 1]!;
      if (p + len > o + size) break;
      items.push(renderSid(b, p, len));
      p += len;
    }
    return items;
  }
  const width = itemType === V_SIZET ? (size % 8 === 0 ? 8 : 4) : (WIDTH[itemType] ?? 0);
  if (width === 0) return [hexUpper(b, o, size)];
  for (let p = o; p + width <= o + size; p += width) items.push(renderScalar(b, p, width, itemType));
  return items;
}

function hex32(v: number): string {
  return `0x${v.toString(16)}`;
}

function hex64(b: Uint8Array, o: number): string {
  const lo = u32(b, o);
  const hi = u32(b, o + 4);
  if (hi === 0) return `0x${lo.toString(16)}`;
  return `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
}

function formatReal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  return String(v);
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

export function renderGuid(b: Uint8Array, o: number): string {
  const h = (i: number): string => HEX2[b[o + i]!]!;
  return `{${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}}`;
}

/** S-R-A-S1-S2...: revision, 48-bit big-endian authority, little-endian sub-authorities. */
export function renderSid(b: Uint8Array, o: number, size: number): string {
  if (size < 8) return hexUpper(b, o, size);
  const count = b[o + 1]!;
  if (8 + 4 * count > size) return hexUpper(b, o, size);
  const authority = b[o + 2]! * 2 ** 40 + b[o + 3]! * 2 ** 32 + ((b[o + 4]! << 24) >>> 0) + (b[o + 5]! << 16) + (b[o + 6]! << 8) + b[o + 7]!;
  let s = `S-${b[o]!}-${authority}`;
  for (let i = 0; i < count; i++) s += `-${u32(b, o + 8 + 4 * i)}`;
  return s;
}

/** Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const EPOCH_DIFF_SECONDS = 11644473600;

/**
 * FILETIME (100 ns ticks since 1601, as two 32-bit halves) to ISO 8601 UTC with
 * 7 fractional digits. The tick count exceeds 2^53, so seconds and the
 * sub-second remainder are split without going through one lossy double.
 */
export function filetimeIso(lo: number, hi: number): string {
  let seconds: number;
  let ticks: number;
  if (hi < 0x40000000) {
    // hi * 2^32 = hi * 429 * 10^7 + hi * 4967296; both parts stay exact here.
    const rest = hi * 4967296 + lo;
    seconds = hi * 429 + Math.floor(rest / 1e7);
    ticks = rest % 1e7;
  } else {
    const total = (BigInt(hi) << 32n) | BigInt(lo);
    seconds = Number(total / 10000000n);
    ticks = Number(total % 10000000n);
  }
  // Events come in bursts within the same second: format each second once.
  if (seconds !== lastSeconds) {
    lastSeconds = seconds;
    lastPrefix = isoSeconds(new Date((seconds - EPOCH_DIFF_SECONDS) * 1000));
  }
  return `${lastPrefix}.${String(ticks).padStart(7, '0')}Z`;
}

let lastSeconds = -1;
let lastPrefix = '';

/** FILETIME to milliseconds since the Unix epoch (for ordering and checks). */
export function filetimeMs(lo: number, hi: number): number {
  return (hi * 0x100000000 + lo) / 10000 - EPOCH_DIFF_SECONDS * 1000;
}

/** SYSTEMTIME: year, month, day-of-week, day, hour, minute, second, milliseconds (2 bytes each). */
export function systemtimeIso(b: Uint8Array, o: number): string {
  const year = u16(b, o);
  const month = u16(b, o + 2);
  const day = u16(b, o + 6);
  const hour = u16(b, o + 8);
  const minute = u16(b, o + 10);
  const second = u16(b, o + 12);
  const ms = u16(b, o + 14);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || ms > 999) return hexUpper(b, o, 16);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DDTHH:MM:SS` of a Date in UTC (toISOString minus its milliseconds). */
function isoSeconds(date: Date): string {
  const iso = date.toISOString();
  return iso.slice(0, iso.length - 5);
}
