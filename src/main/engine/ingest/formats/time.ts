/**
 * Timestamps of every form the corpus shows, to ISO 8601 UTC
 * (`2024-03-01T12:00:00.123Z`, or six fraction digits when the source has
 * microseconds) or null. Never "now": a time that does not parse stays null and
 * the pipeline reports a warning.
 *
 * Zone-less times are read in a zone the analyst states (IANA name such as
 * `Europe/Berlin`, `UTC`, or a fixed offset `+05:30`); the conversion uses Intl
 * only (no dependency) and is DST-correct: a wall time inside a spring-forward
 * gap moves forward by the gap, a wall time in the repeated autumn hour takes
 * the earlier instant unless the caller asks for the later one (syslog does when
 * its clock runs backwards inside that hour).
 */

export type TimeZoneSpec = string;

// Date.UTC maps years 0..99 to 1900+, so year 1 is set explicitly.
const MIN_MS = new Date(0).setUTCFullYear(1, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const FIFTEEN_MIN = 15 * 60 * 1000;
const DAY_MS = 86_400_000;

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const MONTH_EXACT: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

/** 1..12 for a three-letter English month abbreviation (any case), else 0. */
export function monthFromAbbrev(s: string): number {
  if (s.length !== 3) return 0;
  return MONTH_EXACT[s] ?? MONTHS[s.toLowerCase()] ?? 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

const P2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const P3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** Civil date of a day count since 1970-01-01 (Howard Hinnant's days_from_civil inverse). */
function civilDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${P2[m]}-${P2[d]}`;
}

// Log lines come in time order: the date part of the last day formatted is reused.
let lastDay = Number.NaN;
let lastDayText = '';

/**
 * ISO text for an instant, or null outside years 1..9999. `micros` (0..999)
 * adds three more fraction digits. Formatted by hand: Date#toISOString was the
 * single largest cost of the syslog parser.
 */
export function isoFromMs(ms: number, micros = 0): string | null {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  const t = Math.floor(ms);
  const days = Math.floor(t / DAY_MS);
  if (days !== lastDay) {
    lastDay = days;
    lastDayText = civilDate(days);
  }
  let rem = t - days * DAY_MS;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const sec = Math.floor(rem / 1000);
  const frac = rem - sec * 1000;
  const us = micros > 0 ? P3[micros | 0] : '';
  return `${lastDayText}T${P2[h]}:${P2[mi]}:${P2[sec]}.${P3[frac]}${us}Z`;
}

// ---------------------------------------------------------------- zones

interface Zone {
  /** Wall time (as if it were UTC) -> candidate instants: one, or two in an overlap. */
  candidates(wallMs: number): [number] | [number, number];
}

const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/;

class FixedZone implements Zone {
  constructor(private readonly offsetMs: number) {}
  candidates(wallMs: number): [number] {
    return [wallMs - this.offsetMs];
  }
}

/**
 * An IANA zone through Intl. formatToParts costs microseconds, so offsets are
 * cached per 15-minute bucket of UTC time (every transition since 1970 falls on
 * a quarter hour) and whole wall-time buckets that sit far from any transition
 * are cached too, making the common case one Map lookup per timestamp.
 */
class IanaZone implements Zone {
  private readonly dtf: Intl.DateTimeFormat;
  private readonly offsetCache = new Map<number, number>();
  private readonly wallCache = new Map<number, number>();

  constructor(name: string) {
    this.dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  }

  /** Offset (wall - UTC) in ms at a UTC instant. */
  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / FIFTEEN_MIN);
    const hit = this.offsetCache.get(bucket);
    if (hit !== undefined) return hit;
    const off = this.computeOffset(bucket * FIFTEEN_MIN);
    if (this.offsetCache.size > 200_000) this.offsetCache.clear();
    this.offsetCache.set(bucket, off);
    return off;
  }

  private computeOffset(utcMs: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    let bc = false;
    for (const p of this.dtf.formatToParts(new Date(utcMs))) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value) % 24;
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
        case 'era':
          bc = p.value.startsWith('B');
          break;
        default:
          break;
      }
    }
    if (bc) y = 1 - y;
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    // Date.UTC maps years 0..99 to 1900+; the corpus never needs them but keep it exact.
    const fixedWall = y >= 0 && y < 100 ? new Date(wall).setUTCFullYear(y) : wall;
    return fixedWall - utcMs;
  }

  candidates(wallMs: number): [number] | [number, number] {
    const wb = Math.floor(wallMs / FIFTEEN_MIN);
    const cached = this.wallCache.get(wb);
    if (cached !== undefined) return [wallMs - cached];
    const before = this.offsetAt(wallMs - DAY_MS);
    const after = this.offsetAt(wallMs + DAY_MS);
    if (before === after) {
      const t = wallMs - before;
      if (this.offsetAt(t) === before) {
        if (this.wallCache.size > 200_000) this.wallCache.clear();
        this.wallCache.set(wb, before);
        return [t];
      }
    }
    const t1 = wallMs - before;
    const t2 = wallMs - after;
    const ok1 = this.offsetAt(t1) === before;
    const ok2 = this.offsetAt(t2) === after;
    if (ok1 && ok2 && t1 !== t2) return t1 < t2 ? [t1, t2] : [t2, t1];
    if (ok1) return [t1];
    if (ok2) return [t2];
    // In a gap (spring forward): the offset before the transition, which lands
    // after the gap on the wall clock (Temporal's "compatible" choice).
    return [wallMs - before];
  }
}

const zones = new Map<string, Zone>();

function zoneFor(spec: TimeZoneSpec): Zone {
  const hit = zones.get(spec);
  if (hit) return hit;
  let z: Zone;
  const m = FIXED_OFFSET.exec(spec);
  if (m) {
    const sign = m[1] === '-' ? -1 : 1;
    z = new FixedZone(sign * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000);
  } else if (spec === 'UTC' || spec === 'Z' || spec === 'GMT' || spec === 'Etc/UTC') {
    z = new FixedZone(0);
  } else {
    z = new IanaZone(spec);
  }
  zones.set(spec, z);
  return z;
}

/**
 * Null when the zone is usable, else a reason for the analyst. Accepts IANA
 * names, `UTC`, and fixed offsets (`+02:00`, `-0530`, `UTC+1`).
 */
export function checkTimeZone(spec: string): string | null {
  const m = FIXED_OFFSET.exec(spec);
  if (m) return Number(m[2]) <= 14 && Number(m[3] ?? 0) < 60 ? null : `time zone offset ${spec} is out of range`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: spec });
    return null;
  } catch {
    return `unknown time zone ${JSON.stringify(spec)} (use an IANA name such as Europe/Berlin, or UTC, or an offset such as +02:00)`;
  }
}

/**
 * Wall-clock fields in a zone -> UTC ms, or NaN when a field is out of range.
 * `prefer` picks the instant inside a repeated (autumn) hour.
 */
export function wallToUtcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  zone: TimeZoneSpec = 'UTC',
  prefer: 'earlier' | 'later' = 'earlier',
): number {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60 || year < 1 || year > 9999) return NaN;
  if (day > 28 && day > daysInMonth(year, month)) return NaN;
  // A leap second is kept on the last representable instant of its minute.
  const sec = second === 60 ? 59 : second;
  const msPart = second === 60 ? 999 : ms;
  let wall = Date.UTC(year, month - 1, day, hour, minute, sec, msPart);
  if (year < 100) wall = new Date(wall).setUTCFullYear(year);
  if (zone === 'UTC') return wall;
  const c = zoneFor(zone).candidates(wall);
  return prefer === 'later' && c.length === 2 ? c[1] : c[0];
}

/** Both instants of an ambiguous wall time (one when unambiguous); for callers that decide by context. */
export function wallToUtcCandidates(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  zone: TimeZoneSpec,
): number[] {
  const first = wallToUtcMs(year, month, day, hour, minute, second, ms, 'UTC');
  if (Number.isNaN(first)) return [];
  if (zone === 'UTC') return [first];
  return zoneFor(zone).candidates(first);
}

// ---------------------------------------------------------------- fractions

/** "123456789" -> { ms: 123, micros: 456 } (digits beyond microseconds are dropped). */
export function splitFraction(digits: string | undefined): { ms: number; micros: number } {
  if (!digits) return { ms: 0, micros: 0 };
  const d = (digits.length >= 6 ? digits.slice(0, 6) : digits.padEnd(6, '0')) as string;
  return { ms: Number(d.slice(0, 3)), micros: Number(d.slice(3, 6)) };
}

function zoneOffsetMs(z: string): number | null {
  if (z === 'Z' || z === 'z' || z === 'UTC' || z === 'GMT') return 0;
  const sign = z.charCodeAt(0) === 45 ? -1 : 1;
  const body = z.slice(1).replace(':', '');
  if (!/^\d{2}(\d{2})?$/.test(body)) return null;
  const h = Number(body.slice(0, 2));
  const m = body.length === 4 ? Number(body.slice(2)) : 0;
  if (h > 14 || m > 59) return null;
  return sign * (h * 60 + m) * 60_000;
}

/**
 * Builds the ISO text from wall fields; `zoneText` is an explicit offset from the
 * timestamp itself (wins over `tz`), else the wall time is read in `tz`.
 */
export function wallToIso(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string | undefined,
  zoneText: string | undefined,
  tz: TimeZoneSpec = 'UTC',
): string | null {
  const { ms, micros } = splitFraction(fraction);
  let t: number;
  if (zoneText) {
    const off = zoneOffsetMs(zoneText);
    if (off === null) return null;
    t = wallToUtcMs(year, month, day, hour, minute, second, ms, 'UTC') - off;
  } else {
    t = wallToUtcMs(year, month, day, hour, minute, second, ms, tz);
  }
  return Number.isNaN(t) ? null : isoFromMs(t, micros);
}

// ---------------------------------------------------------------- epochs

export type EpochUnit = 's' | 'ms' | 'us' | 'ns' | 'auto';

/**
 * Epoch time to ISO. Text keeps its exact fraction digits (Zeek writes
 * `1517336042.090842`; a float would round the microseconds). `auto` picks the
 * unit from the magnitude of the integer part: 10 digits seconds, 13 ms,
 * 16 microseconds (plaso / Timesketch), 19 ns.
 */
export function epochToIso(value: number | string, unit: EpochUnit = 's'): string | null {
  let text = typeof value === 'number' ? (Number.isFinite(value) ? numberText(value) : '') : value.trim();
  if (text.length === 0 || text.length > 32) return null;
  let negative = false;
  if (text.charCodeAt(0) === 45) {
    negative = true;
    text = text.slice(1);
  }
  const dot = text.indexOf('.');
  const intPart = dot >= 0 ? text.slice(0, dot) : text;
  const fracPart = dot >= 0 ? text.slice(dot + 1) : '';
  if (!/^\d{1,20}$/.test(intPart) || !/^\d{0,12}$/.test(fracPart)) return null;
  let u = unit;
  // Fast path for the common case (Zeek's seconds with up to 6 decimals): exact in doubles.
  if (u === 's' && !negative && intPart.length <= 11 && fracPart.length <= 6) {
    const f6 = fracPart.padEnd(6, '0');
    return isoFromMs(Number(intPart) * 1000 + Number(f6.slice(0, 3)), Number(f6.slice(3)));
  }
  if (u === 'auto') {
    const n = intPart.replace(/^0+/, '').length;
    u = n <= 11 ? 's' : n <= 14 ? 'ms' : n <= 17 ? 'us' : 'ns';
  }
  // Work in integer microseconds as a BigInt so 19-digit ns values stay exact.
  const scale = { s: 6, ms: 3, us: 0, ns: -3 }[u];
  const digits = intPart + fracPart;
  const shift = scale - fracPart.length;
  let micros: bigint;
  if (shift >= 0) micros = BigInt(digits) * 10n ** BigInt(shift);
  else {
    const cut = digits.length + shift;
    micros = cut > 0 ? BigInt(digits.slice(0, cut)) : 0n;
  }
  if (negative) micros = -micros;
  const msBig = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const rest = Number(micros - msBig * 1000n);
  return isoFromMs(Number(msBig), rest);
}

function numberText(n: number): string {
  // Avoid exponent notation for large/small numbers.
  if (Number.isInteger(n)) return BigInt(n).toString();
  return n.toFixed(6);
}

// ---------------------------------------------------------------- generic parser

export interface TimeParseOptions {
  /** Zone of zone-less wall times (default UTC). */
  tz?: TimeZoneSpec;
  /** Year for forms without one (syslog `Mar  7 10:00:00`); without it they do not parse. */
  year?: number;
  /** Read a bare number as epoch time (unit chosen by magnitude). Off by default: a number may be anything. */
  allowEpoch?: boolean;
}

// Each pattern is anchored, has bounded repetition and runs on at most 64 characters.
const RE_ISO =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s?(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
const RE_APACHE = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: ?([+-]\d{4}|Z))?$/;
const RE_SYSLOG = /^([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const RE_CTIME = /^(?:[A-Za-z]{3} )?([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (\d{4})$/;
const RE_US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ ,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)? ?([AaPp][Mm])?$/;
const RE_EPOCH = /^-?\d{9,19}(?:\.\d{1,9})?$/;

/**
 * Parses one timestamp text. Forms: ISO 8601 / RFC 3339 with or without zone,
 * `T` or space, `.` or `,` fractions (Python logging), up to 9 fraction digits
 * (Windows writes 7), `2021-12-12 00:53:53.123 +09:00` (Hayabusa),
 * `yyyy/mm/dd hh:mm:ss` (nginx); Apache `10/Oct/2000:13:55:36 -0700`; syslog
 * `Oct 11 22:14:15` (needs `year`) and `Oct 27 2015 09:24:46`; ctime
 * `Sun Dec 04 04:47:44 2005`; Windows/US `10/19/2020 10:46:42 AM`; epoch
 * numbers when `allowEpoch`.
 */
export function parseTimestamp(text: string | null | undefined, opts: TimeParseOptions = {}): string | null {
  if (text === null || text === undefined) return null;
  const s = text.length > 64 ? '' : text.trim();
  if (s.length < 6) return null;
  const tz = opts.tz ?? 'UTC';
  const c0 = s.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    let m = RE_ISO.exec(s);
    if (m) {
      return wallToIso(Number(m[1]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0), Number(m[7] ?? 0), m[8], m[9], tz);
    }
    m = RE_APACHE.exec(s);
    if (m) {
      const mo = monthFromAbbrev(m[2] as string);
      if (mo === 0) return null;
      return wallToIso(Number(m[3]), mo, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), m[7], m[8], tz);
    }
    m = RE_US.exec(s);
    if (m) {
      let h = Number(m[4]);
      const ampm = m[8]?.toLowerCase();
      if (ampm) {
        if (h < 1 || h > 12) return null;
        if (ampm === 'pm' && h < 12) h += 12;
        if (ampm === 'am' && h === 12) h = 0;
      }
      return wallToIso(Number(m[3]), Number(m[1]), Number(m[2]), h, Number(m[5]), Number(m[6] ?? 0), m[7], undefined, tz);
    }
    if (opts.allowEpoch && RE_EPOCH.test(s)) return epochToIso(s, 'auto');
    return null;
  }
  if (c0 === 45 && opts.allowEpoch && RE_EPOCH.test(s)) return epochToIso(s, 'auto');
  let m = RE_SYSLOG.exec(s);
  if (m) {
    const mo = monthFromAbbrev(m[1] as string);
    const year = m[3] ? Number(m[3]) : opts.year;
    if (mo === 0 || year === undefined) return null;
    return wallToIso(year, mo, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]), m[7], undefined, tz);
  }
  m = RE_CTIME.exec(s);
  if (m) {
    const mo = monthFromAbbrev(m[1] as string);
    if (mo === 0) return null;
    return wallToIso(Number(m[7]), mo, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6], undefined, tz);
  }
  return null;
}

/** Two-digit decimal at s[i..i+1], or -1. */
export function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Four-digit decimal at s[i..i+3], or -1. */
export function fourDigits(s: string, i: number): number {
  const a = twoDigits(s, i);
  const b = twoDigits(s, i + 2);
  return a < 0 || b < 0 ? -1 : a * 100 + b;
}
