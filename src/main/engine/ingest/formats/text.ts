import { SyslogClock, type SyslogOptions } from './syslog';
import { epochToIso, monthFromAbbrev, parseTimestamp, type TimeZoneSpec } from './time';
import { emptyCore, type LineParser, type LineResult } from './types';

/**
 * The fallback for text nobody recognised: one event per non-blank line, the
 * line as its message, so nothing an analyst hands over is lost. A timestamp at
 * the start of the line (ISO, `[ISO]`, syslog, Apache, nginx, Android's
 * `MM-DD hh:mm:ss.mmm`, netlogon's `MM/DD hh:mm:ss`, Unix seconds as squid
 * and nsd write them, Linux audit's `msg=audit(seconds:serial)`) becomes ts,
 * so the lines still land on the timeline; year-less stamps use the syslog
 * year inference. Fields: message.
 */
export const TEXT_FIELDS = ['message'] as const;

const HEAD_ISO = /^\[?(\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)\]?(?=$|[\s,\]|:-])/;
const HEAD_SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?=\s|$)/;
// Apache's stamp, also with a space before the time (Kerio Connect: `[18/Jan/2014 06:39:44]`).
const HEAD_APACHE = /^\[?(\d{2}\/[A-Za-z]{3}\/\d{4})[: ](\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?)\]?/;
// MySQL's error log writes a one-digit hour: `2015-10-07 8:25:38`.
const HEAD_ISO_SHORT_HOUR = /^(\d{4}-\d{2}-\d{2}) (\d):(\d{2}:\d{2})(?=\s|$)/;
/**
 * Unix seconds leading the line: squid's access.log (`1286536308.779 ...`),
 * nsd's `[1387288694]`. A bare ten-digit number counts only when it is followed
 * by a space and falls in 2001-2099, so a line that starts with some other
 * number (an id, a count) keeps no time rather than a wrong one.
 */
const HEAD_EPOCH = /^(\[)?(\d{10})(\.\d{1,6})?(\])?(?=\s)/;
const EPOCH_MIN = 978307200; // 2001-01-01
const EPOCH_MAX = 4102444800; // 2100-01-01
/** Linux audit (auditd, audit.log): `[node=host ]type=USER_LOGIN msg=audit(1373330716.415:4063): ...`. */
const AUDIT = /^(?:node=\S+ )?type=\S+ msg=audit\((\d{9,11}(?:\.\d{1,6})?):\d+\)/;
const HEAD_MD = /^(\d{2})[-/](\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?=\s|$)/;
const HEAD_CTIME = /^\[?((?:[A-Z][a-z]{2} ){1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})? \d{4})\]?/;

/** A leading timestamp in ISO UTC, or null. Looks at the first 48 characters only. */
export function leadingTimestamp(line: string, clock: SyslogClock): string | null {
  const head = line.length > 48 ? line.slice(0, 48) : line;
  const c = head.charCodeAt(head.charCodeAt(0) === 91 ? 1 : 0);
  const tz = clock.tz;
  if (c >= 48 && c <= 57) {
    let m = HEAD_ISO.exec(head);
    if (m) return parseTimestamp(m[1], { tz });
    m = HEAD_APACHE.exec(head);
    if (m) return parseTimestamp(`${m[1]}:${m[2]}`, { tz });
    m = HEAD_MD.exec(head);
    if (m) return clock.resolve(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]);
    m = HEAD_ISO_SHORT_HOUR.exec(head);
    if (m) return parseTimestamp(`${m[1]} 0${m[2]}:${m[3]}`, { tz });
    m = HEAD_EPOCH.exec(head);
    // A bracket opened is closed; Unix seconds are UTC whatever the source's zone.
    if (m && (m[1] === undefined) === (m[4] === undefined) && Number(m[2]) >= EPOCH_MIN && Number(m[2]) < EPOCH_MAX) return epochToIso(`${m[2]}${m[3] ?? ''}`, 's');
    return null;
  }
  if (c === 116 || c === 110) {
    // `type=` or `node=`: Linux audit records carry Unix seconds in msg=audit(...).
    const m = AUDIT.exec(line.length > 160 ? line.slice(0, 160) : line);
    if (m) return epochToIso(m[1] as string, 's');
  }
  let m = HEAD_SYSLOG.exec(head);
  if (m) {
    const month = monthFromAbbrev(m[1] as string);
    return month ? clock.resolve(month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]) : null;
  }
  m = HEAD_CTIME.exec(head);
  if (m) return parseTimestamp(m[1], { tz });
  return null;
}

export interface TextOptions extends SyslogOptions {
  tz?: TimeZoneSpec;
}

export class TextParser implements LineParser {
  readonly format = 'text' as const;
  private readonly clock: SyslogClock;

  constructor(opts: TextOptions = {}) {
    this.clock = new SyslogClock(opts);
  }

  line(text: string): LineResult {
    if (text.trim().length === 0) return { skip: 'blank line' };
    const core = emptyCore('text');
    core.ts = leadingTimestamp(text, this.clock);
    core.message = text;
    return { fields: { message: text }, core };
  }

  end(): LineResult[] {
    return [];
  }
}
