import type { Severity } from '@shared/events';
import { analyseAuth, isAuthProgram } from './auth-log';
import { emptyCore, quoteForReason, type Fields, type ParseResult } from './types';
import { isoFromMs, monthFromAbbrev, splitFraction, wallToIso, wallToUtcCandidates, wallToUtcMs, type TimeZoneSpec } from './time';

/**
 * Syslog lines: BSD / RFC 3164 (`Mar  7 10:00:00 host prog[pid]: msg`, also
 * with `<PRI>`, with a year (`Oct 27 2015 09:24:46`, macOS), with an RFC 3339
 * stamp as rsyslog writes it, with the BSD `-v` `<facility.severity>` marker)
 * and RFC 5424 (structured data kept). Hand-written scanning rather than one big
 * regular expression: it is the hottest parser (the pipeline's target is
 * 300,000 syslog lines/s end to end) and it must stay linear on garbage.
 *
 * Fields (names stable for both RFCs; RFC 5424 adds the last four):
 *   timestamp (text as written), priority, facility, severity (numbers or null),
 *   host, program, pid (text), message, repeat_count (from "message repeated N times"),
 *   version, msgid, structured_data, and `sd.<SD-ID>.<PARAM>` per structured-data parameter.
 * The auth analysis (auth-log.ts) adds its own fields on auth lines.
 */

export const SYSLOG_FIELDS = ['timestamp', 'priority', 'facility', 'severity', 'host', 'program', 'pid', 'message', 'repeat_count'] as const;
export const SYSLOG_5424_FIELDS = [...SYSLOG_FIELDS, 'version', 'msgid', 'structured_data'] as const;

export interface SyslogOptions {
  /** Zone of zone-less timestamps (IANA name, UTC, or +hh:mm). Default UTC. */
  tz?: TimeZoneSpec;
  /** The year of the file's first year-less record, when the analyst knows it. */
  year?: number;
  /**
   * An instant the records are not after (the file's mtime, in ms): the first
   * record's year is the latest one that keeps it at or before this instant.
   * Used when `year` is not given; without either, the current time.
   */
  notAfter?: number;
  /**
   * How far (days) a record may go back in time before it is taken as a year
   * rollover rather than out-of-order lines. Default 7.
   */
  rolloverToleranceDays?: number;
}

/**
 * Year inference and zone conversion for year-less syslog timestamps.
 *
 * The first record's year comes from `year`, or from `notAfter` (a record in a
 * later month than the file's mtime must be from the year before). After that
 * the year moves forward whenever the clock goes back by more than the
 * tolerance (Dec 31 -> Jan 1), so a file that spans New Year gets both years;
 * small backward steps (out-of-order lines from buffered writers) do not.
 */
export class SyslogClock {
  readonly tz: TimeZoneSpec;
  private year: number | null;
  private readonly notAfter: number;
  private readonly toleranceMin: number;
  private lastKey = -1;
  private lastUtc = Number.NEGATIVE_INFINITY;
  /** How many times the year moved forward (reported in tests and by the pipeline if it wants). */
  rollovers = 0;
  /** The last timestamp text resolved and its answer (see readTimestamp). */
  lastText = '';
  lastIso: string | null = null;

  constructor(opts: SyslogOptions = {}) {
    this.tz = opts.tz ?? 'UTC';
    this.year = opts.year ?? null;
    this.notAfter = opts.notAfter ?? Date.now();
    this.toleranceMin = (opts.rolloverToleranceDays ?? 7) * 24 * 60;
  }

  /** The year the next year-less record would get (null before the first one). */
  get currentYear(): number | null {
    return this.year;
  }

  /** ISO UTC for a year-less wall time, advancing the inferred year; null if the fields are invalid. */
  resolve(month: number, day: number, hour: number, minute: number, second: number, fraction: string | undefined): string | null {
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
    const key = ((month * 32 + day) * 24 + hour) * 60 + minute;
    if (this.year === null) {
      const ref = new Date(this.notAfter);
      const refYear = ref.getUTCFullYear();
      const refKey = ((ref.getUTCMonth() + 1) * 32 + ref.getUTCDate()) * 24 * 60 + 24 * 60; // one day of slack for zones
      this.year = key > refKey ? refYear - 1 : refYear;
    } else if (this.lastKey >= 0 && key < this.lastKey - this.toleranceMin) {
      this.year++;
      this.rollovers++;
    }
    this.lastKey = key;
    // Feb 29 in a non-leap inferred year: the inference is wrong for this record, keep it null.
    return this.toIso(this.year, month, day, hour, minute, second, fraction);
  }

  /** ISO UTC for a wall time with a known year, read in the clock's zone. */
  toIso(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string | undefined): string | null {
    const { ms, micros } = splitFraction(fraction);
    let t: number;
    if (this.tz === 'UTC') {
      t = wallToUtcMs(year, month, day, hour, minute, second, ms, 'UTC');
    } else {
      const c = wallToUtcCandidates(year, month, day, hour, minute, second, ms, this.tz);
      if (c.length === 0) return null;
      // In the repeated autumn hour, a clock that already passed the first
      // instant is on its second pass: take the later one.
      t = c.length === 2 && this.lastUtc > (c[0] as number) ? (c[1] as number) : (c[0] as number);
    }
    if (Number.isNaN(t)) return null;
    this.lastUtc = t;
    return isoFromMs(t, micros);
  }
}

const FACILITY_NAMES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const SEVERITY_ALIASES: Record<string, number> = { panic: 0, error: 3, warn: 4 };

/** Syslog severity 0..7 to the Sigma scale. */
export function syslogSeverity(sev: number | null): Severity | null {
  if (sev === null) return null;
  if (sev <= 2) return 'critical';
  if (sev === 3) return 'high';
  if (sev === 4) return 'medium';
  if (sev === 5) return 'low';
  return 'informational';
}

interface Header {
  priority: number | null;
  facility: number | null;
  severity: number | null;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Reads `<PRI>` at the start; returns the index after it (0 when absent). */
function readPri(line: string, h: Header): number {
  if (line.charCodeAt(0) !== 60) return 0;
  let v = 0;
  let i = 1;
  for (; i < 5 && i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 62) break;
    if (!isDigit(c)) return 0;
    v = v * 10 + c - 48;
  }
  if (i === 1 || line.charCodeAt(i) !== 62 || v > 191) return 0;
  h.priority = v;
  h.facility = v >> 3;
  h.severity = v & 7;
  return i + 1;
}

interface Ts3164 {
  end: number;
  text: string;
  iso: string | null;
}

const RE_RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A 3164 timestamp at `i`: `Mmm dd hh:mm:ss[.frac]`, `Mmm dd yyyy hh:mm:ss`, or
 * an RFC 3339 stamp. Null when there is none.
 */
function readTimestamp(line: string, i: number, clock: SyslogClock): Ts3164 | null {
  const c = line.charCodeAt(i);
  if (isDigit(c)) {
    let end = line.indexOf(' ', i);
    if (end < 0) end = line.length;
    if (end - i > 40) return null;
    const text = line.slice(i, end);
    const m = RE_RFC3339.exec(text);
    if (!m) return null;
    const iso = wallToIso(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), m[7], m[8], clock.tz);
    return { end, text, iso };
  }
  if (!isLetter(c) || !isLetter(line.charCodeAt(i + 1)) || !isLetter(line.charCodeAt(i + 2)) || line.charCodeAt(i + 3) !== 32) return null;
  const month = monthFromAbbrev(line.slice(i, i + 3));
  if (month === 0) return null;
  let j = i + 4;
  if (line.charCodeAt(j) === 32) j++;
  let day = 0;
  const d0 = j;
  while (j < d0 + 2 && isDigit(line.charCodeAt(j))) day = day * 10 + line.charCodeAt(j++) - 48;
  if (j === d0 || line.charCodeAt(j) !== 32) return null;
  j++;
  let year = -1;
  if (isDigit(line.charCodeAt(j)) && isDigit(line.charCodeAt(j + 3)) && line.charCodeAt(j + 4) === 32) {
    year = Number(line.slice(j, j + 4));
    if (!Number.isInteger(year)) return null;
    j += 5;
  }
  // hh:mm:ss (hour may be one digit in a few writers)
  let hour = 0;
  const h0 = j;
  while (j < h0 + 2 && isDigit(line.charCodeAt(j))) hour = hour * 10 + line.charCodeAt(j++) - 48;
  if (j === h0 || line.charCodeAt(j) !== 58) return null;
  const mi = (line.charCodeAt(j + 1) - 48) * 10 + line.charCodeAt(j + 2) - 48;
  const se = (line.charCodeAt(j + 4) - 48) * 10 + line.charCodeAt(j + 5) - 48;
  if (
    !isDigit(line.charCodeAt(j + 1)) ||
    !isDigit(line.charCodeAt(j + 2)) ||
    line.charCodeAt(j + 3) !== 58 ||
    !isDigit(line.charCodeAt(j + 4)) ||
    !isDigit(line.charCodeAt(j + 5))
  )
    return null;
  j += 6;
  let frac: string | undefined;
  if (line.charCodeAt(j) === 46 && isDigit(line.charCodeAt(j + 1))) {
    const f0 = j + 1;
    j = f0;
    while (j < f0 + 9 && isDigit(line.charCodeAt(j))) j++;
    frac = line.slice(f0, j);
  }
  if (j < line.length && line.charCodeAt(j) !== 32) return null;
  const text = line.slice(i, j);
  // Consecutive lines often share their second: same text, same instant, and
  // the clock's state cannot change (same key, same wall time).
  if (text === clock.lastText) return { end: j, text, iso: clock.lastIso };
  const iso = year >= 0 ? clock.toIso(year, month, day, hour, mi, se, frac) : clock.resolve(month, day, hour, mi, se, frac);
  clock.lastText = text;
  clock.lastIso = iso;
  return { end: j, text, iso };
}

function skipSpaces(line: string, i: number): number {
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

/** `prog[pid]`, `prog[pid]:`, `prog:` -> program and pid; null when the token is not a tag. */
function readTag(tok: string): { program: string; pid: string | null } | null {
  const n = tok.length;
  if (n === 0) return null;
  const colon = tok.charCodeAt(n - 1) === 58;
  const body = colon ? tok.slice(0, -1) : tok;
  const open = body.indexOf('[');
  if (open >= 0 && body.charCodeAt(body.length - 1) === 93) {
    return { program: body.slice(0, open), pid: body.slice(open + 1, -1) };
  }
  if (colon && body.length > 0) return { program: body, pid: null };
  return null;
}

function nextToken(line: string, i: number): { tok: string; end: number } {
  let end = line.indexOf(' ', i);
  if (end < 0) end = line.length;
  return { tok: line.slice(i, end), end };
}

/** Parses the `<facility.severity>` or `<4.3>` marker FreeBSD syslogd -v writes after the time. */
function readBsdMarker(tok: string, h: Header): boolean {
  if (tok.length < 5 || tok.charCodeAt(0) !== 60 || tok.charCodeAt(tok.length - 1) !== 62) return false;
  const dot = tok.indexOf('.');
  if (dot < 0) return false;
  const fac = tok.slice(1, dot);
  const sev = tok.slice(dot + 1, -1);
  const f = /^\d+$/.test(fac) ? Number(fac) : FACILITY_NAMES.indexOf(fac);
  const s = /^\d+$/.test(sev) ? Number(sev) : SEVERITY_NAMES.indexOf(sev) >= 0 ? SEVERITY_NAMES.indexOf(sev) : (SEVERITY_ALIASES[sev] ?? -1);
  if (f < 0 || f > 23 || s < 0 || s > 7) return false;
  h.facility = f;
  h.severity = s;
  h.priority = f * 8 + s;
  return true;
}

/** The program name without a `(pam_unix)` suffix or a path: what `process` and `event_code` hold. */
export function baseProgram(program: string): string {
  let p = program;
  const paren = p.indexOf('(');
  if (paren > 0) p = p.slice(0, paren);
  return p;
}

const REPEATED = /^message repeated (\d{1,9}) times: \[ ?([\s\S]*?)\]$/;

function finish(
  fields: Fields,
  h: Header,
  iso: string | null,
  host: string | null,
  program: string | null,
  message: string,
  tsText: string,
): ParseResult {
  const base = program ? baseProgram(program) : null;
  let msg = message;
  const rep = msg.length < 8192 && msg.startsWith('message repeated ') ? REPEATED.exec(msg) : null;
  if (rep) {
    fields.repeat_count = Number(rep[1]);
    msg = rep[2] as string;
  }
  const facility = h.facility;
  const core = emptyCore('linux.syslog');
  core.ts = iso;
  core.host = host;
  core.event_code = base || null;
  core.process = base || null;
  core.severity = syslogSeverity(h.severity);
  core.message = message;
  const authMeaning = analyseAuth(base ?? '', msg, core, fields);
  if (authMeaning || (base !== null && isAuthProgram(base)) || facility === 4 || facility === 10 || (program !== null && program.includes('(pam_'))) {
    core.dataset = 'linux.auth';
  }
  const out: ParseResult = { fields, core };
  if (iso === null) out.warnings = [`timestamp ${quoteForReason(tsText)} is not a valid date`];
  return out;
}

/**
 * One syslog line (3164, 3164 with RFC 3339 time, or 5424). The clock carries
 * the year inference and zone across the lines of one file.
 */
export function parseSyslogLine(line: string, clock: SyslogClock): ParseResult {
  const h: Header = { priority: null, facility: null, severity: null };
  let i = readPri(line, h);
  // RFC 5424: VERSION SP after PRI.
  if (i > 0 && isDigit(line.charCodeAt(i)) && (line.charCodeAt(i + 1) === 32 || (isDigit(line.charCodeAt(i + 1)) && line.charCodeAt(i + 2) === 32))) {
    return parse5424(line, i, h, clock);
  }
  i = skipSpaces(line, i);
  const ts = readTimestamp(line, i, clock);
  if (!ts) {
    return { error: line.trim().length === 0 ? 'empty line' : `no syslog timestamp at the start of the line (expected "Mmm dd hh:mm:ss" or an RFC 3339 time): ${quoteForReason(line)}` };
  }
  i = skipSpaces(line, ts.end);
  let t = nextToken(line, i);
  if (readBsdMarker(t.tok, h)) {
    i = skipSpaces(line, t.end);
    t = nextToken(line, i);
  }
  let host: string | null = null;
  let tag = readTag(t.tok);
  // A first token that is a tag means the writer left the host out (dropbear,
  // lighttpd, journald re-exports); otherwise it is the host and the tag follows.
  if (tag === null) {
    host = t.tok.length > 0 ? t.tok : null;
    i = skipSpaces(line, t.end);
    t = nextToken(line, i);
    tag = readTag(t.tok);
  }
  let message: string;
  if (tag) {
    message = line.slice(skipSpaces(line, t.end));
  } else {
    message = line.slice(i);
  }
  const fields: Fields = {
    timestamp: ts.text,
    priority: h.priority,
    facility: h.facility,
    severity: h.severity,
    host,
    program: tag ? tag.program || null : null,
    pid: tag ? tag.pid : null,
    message,
  };
  return finish(fields, h, ts.iso, host, tag ? tag.program || null : null, message, ts.text);
}

/**
 * Just the time and host of a syslog header (3164, RFC 3339 or 5424), for
 * formats that travel behind one (CEF, LEEF): cheaper than a full parse.
 */
export function readSyslogPrefix(line: string, clock: SyslogClock): { timestamp: string | null; ts: string | null; host: string | null } | null {
  const h: Header = { priority: null, facility: null, severity: null };
  let i = readPri(line, h);
  if (i > 0 && isDigit(line.charCodeAt(i)) && line.charCodeAt(i + 1) === 32) {
    const parts = line.slice(i).split(' ', 3);
    const tsText = parts[1] ?? '-';
    const m = RE_RFC3339.exec(tsText);
    const ts = m ? wallToIso(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), m[7], m[8], clock.tz) : null;
    return { timestamp: nil(tsText), ts, host: nil(parts[2] ?? '-') };
  }
  i = skipSpaces(line, i);
  const ts = readTimestamp(line, i, clock);
  if (!ts) return null;
  i = skipSpaces(line, ts.end);
  let t = nextToken(line, i);
  if (readBsdMarker(t.tok, h)) t = nextToken(line, skipSpaces(line, t.end));
  const host = t.tok.length > 0 && readTag(t.tok) === null && !t.tok.startsWith('CEF:') && !t.tok.startsWith('LEEF:') ? t.tok : null;
  return { timestamp: ts.text, ts: ts.iso, host };
}

function nil(v: string): string | null {
  return v === '-' ? null : v;
}

/** RFC 5424 from the VERSION field on. */
function parse5424(line: string, start: number, h: Header, clock: SyslogClock): ParseResult {
  const parts: string[] = [];
  let i = start;
  for (let k = 0; k < 6; k++) {
    const sp = line.indexOf(' ', i);
    if (sp < 0) {
      return { error: `RFC 5424 header is incomplete (needs VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID): ${quoteForReason(line)}` };
    }
    parts.push(line.slice(i, sp));
    i = sp + 1;
  }
  const [version, tsText, host, app, procid, msgid] = parts as [string, string, string, string, string, string];
  let iso: string | null = null;
  if (tsText !== '-') {
    const m = RE_RFC3339.exec(tsText);
    if (!m) return { error: `RFC 5424 timestamp ${quoteForReason(tsText)} is not RFC 3339` };
    iso = wallToIso(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), m[7], m[8], clock.tz);
  }
  const fields: Fields = {
    timestamp: nil(tsText),
    priority: h.priority,
    facility: h.facility,
    severity: h.severity,
    host: nil(host),
    program: nil(app),
    pid: nil(procid),
    message: '',
    version: Number(version),
    msgid: nil(msgid),
    structured_data: null,
  };
  // STRUCTURED-DATA: "-" or one or more [SD-ID PARAM="VALUE" ...]; values escape \" \\ \].
  if (line.charCodeAt(i) === 45) {
    i++;
  } else if (line.charCodeAt(i) === 91) {
    const sdStart = i;
    const n = line.length;
    while (i < n && line.charCodeAt(i) === 91) {
      i++;
      let idEnd = i;
      while (idEnd < n && line.charCodeAt(idEnd) !== 32 && line.charCodeAt(idEnd) !== 93) idEnd++;
      const sdId = line.slice(i, idEnd);
      i = idEnd;
      for (;;) {
        if (i >= n) return { error: 'RFC 5424 structured data is not closed with "]"' };
        const c = line.charCodeAt(i);
        if (c === 93) {
          i++;
          break;
        }
        if (c === 32) {
          i++;
          continue;
        }
        const eq = line.indexOf('=', i);
        if (eq < 0 || line.charCodeAt(eq + 1) !== 34) return { error: `RFC 5424 structured data parameter in [${sdId.slice(0, 40)}] is not NAME="VALUE"` };
        const name = line.slice(i, eq);
        let j = eq + 2;
        let value = '';
        let seg = j;
        for (;;) {
          if (j >= n) return { error: `RFC 5424 structured data value of ${name.slice(0, 40)} is not closed with a quote` };
          const d = line.charCodeAt(j);
          if (d === 92 && j + 1 < n) {
            const e = line.charCodeAt(j + 1);
            if (e === 34 || e === 92 || e === 93) {
              value += line.slice(seg, j);
              seg = j + 1;
              j += 2;
              continue;
            }
          }
          if (d === 34) break;
          j++;
        }
        value += line.slice(seg, j);
        fields[`sd.${sdId}.${name}`] = value;
        i = j + 1;
      }
    }
    fields.structured_data = line.slice(sdStart, i);
  } else if (i < line.length) {
    return { error: `RFC 5424 structured data must be "-" or start with "[": ${quoteForReason(line.slice(i))}` };
  }
  if (line.charCodeAt(i) === 32) i++;
  let message = line.slice(i);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  fields.message = message;
  return finish(fields, h, iso, nil(host), nil(app), message, tsText);
}
