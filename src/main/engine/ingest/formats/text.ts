import { SyslogClock, type SyslogOptions } from './syslog';
import { monthFromAbbrev, parseTimestamp, type TimeZoneSpec } from './time';
import { emptyCore, type LineParser, type LineResult } from './types';

/**
 * The fallback for text nobody recognised: one event per non-blank line, the
 * line as its message, so nothing an analyst hands over is lost. A timestamp at
 * the start of the line (ISO, `[ISO]`, syslog, Apache, nginx, Android's
 * `MM-DD hh:mm:ss.mmm`, netlogon's `MM/DD hh:mm:ss`) becomes ts, so the lines
 * still land on the timeline; year-less stamps use the syslog year inference.
 * Fields: message.
 */
export const TEXT_FIELDS = ['message'] as const;

const HEAD_ISO = /^\[?(\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)\]?(?=$|[\s,\]|:-])/;
const HEAD_SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?=\s|$)/;
const HEAD_APACHE = /^\[?(\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?)\]?/;
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
    if (m) return parseTimestamp(m[1], { tz });
    m = HEAD_MD.exec(head);
    if (m) return clock.resolve(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]);
    return null;
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
