import { describe, expect, it } from 'vitest';
import { LINE_FORMATS, type LineFormatName } from '../../../src/shared/formats';
import { createLineParser, MAX_LINE_CHARS } from '../../../src/main/engine/ingest/formats';
import { parseCefExtension } from '../../../src/main/engine/ingest/formats/cef-leef';
import { flattenRecord, mapJsonRecord } from '../../../src/main/engine/ingest/formats/json-map';
import { parseTimestamp } from '../../../src/main/engine/ingest/formats/time';
import { sniffFormat } from '../../../src/main/engine/ingest/sniff';

/**
 * Every parser must stay linear on garbage: a 1 MB line of repeated tokens is
 * what makes a backtracking regular expression take minutes. Each case runs
 * under the test timeout (no wall-clock assertion): a catastrophic pattern
 * would blow through it by orders of magnitude.
 */
const N = 1_000_000;
const fill = (unit: string, prefix = ''): string => prefix + unit.repeat(Math.ceil((N - prefix.length) / unit.length)).slice(0, N - prefix.length);

const SYSLOG = 'Mar  7 10:00:00 host sshd[1]: ';
const HOSTILE: Array<[string, string]> = [
  ['letters', fill('a')],
  ['spaces', fill(' ')],
  ['quotes', fill('"')],
  ['backslashes', fill('\\')],
  ['equals', fill('=')],
  ['key=value', fill('k=v ')],
  ['pipes', fill('|')],
  ['brackets', fill('[')],
  ['tabs', fill('\t')],
  ['digits', fill('1')],
  ['colons', fill(':')],
  ['sshd Failed password', fill('x', `${SYSLOG}Failed password for `)],
  ['sshd from from', fill('from ', SYSLOG)],
  ['sshd invalid user', fill('a ', `${SYSLOG}Invalid user `)],
  ['sudo separators', fill(' ; K=V', 'Mar  7 10:00:00 host sudo: bob : ')],
  ['pam pairs', fill('x=y ', `${SYSLOG}pam_unix(sshd:auth): authentication failure; `)],
  ['message repeated', fill('[ ', `${SYSLOG}message repeated 5 times: [ `)],
  ['5424 structured data', fill('[a b="c" ', '<13>1 2003-10-11T22:14:15Z h a p m ')],
  ['access log quotes', fill('\\"', '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "')],
  ['access log brackets', fill(' [', '1.2.3.4')],
  ['apache error groups', fill('[error] ', '[Sun Dec 04 04:47:44 2005] ')],
  ['nginx pairs', fill(', client: x', '2012/04/09 11:53:29 [error] 2865#0: ')],
  ['IDS separators', fill(' - ', '2023-01-01 12:00:00,123')],
  ['IDS arrows', fill(' --> ', '2023-01-01 12:00:00,123 - l - low_severity - TCP - ')],
  ['CEF escapes', fill('\\=', 'CEF:0|a|b|c|d|e|5|k=')],
  ['CEF keys', fill('a=', 'CEF:0|a|b|c|d|e|5|')],
  ['LEEF attrs', fill('a=b\t', 'LEEF:1.0|a|b|c|d|')],
  ['endpoint key', fill('a', 'Event Type: ')],
  ['zeek escapes', fill('\\x4', '1.0\t')],
];

function headerFor(format: LineFormatName): string[] {
  switch (format) {
    case 'zeek-tsv':
      return ['#separator \\x09', '#fields\tts\tmsg', '#types\ttime\tstring'];
    case 'iis-w3c':
      return ['#Fields: date time c-ip cs-uri-stem'];
    case 'csv':
    case 'tsv':
      return ['a,b,c'];
    case 'slg-endpoint':
      return ['Date: 2023-01-01 00:00:00,000'];
    default:
      return [];
  }
}

describe('hostile 1 MB lines', () => {
  it.each(LINE_FORMATS.map((f) => [f]))('%s parser stays linear on every hostile line', (format) => {
    for (const [name, line] of HOSTILE) {
      const p = createLineParser(format, { year: 2024 });
      headerFor(format).forEach((h, i) => p.line(h, i + 1));
      const r = p.line(line, 10);
      expect(r, name).toBeTypeOf('object');
      p.end();
    }
  }, 60_000);

  it('rejects lines over the cap before any format sees them', () => {
    const r = createLineParser('syslog-3164').line('a'.repeat(MAX_LINE_CHARS + 1), 1);
    expect(r).toMatchObject({ error: expect.stringMatching(/longer than/) });
  });

  it('time, CEF extension, JSON mapping and sniffing stay linear too', () => {
    for (const [, line] of HOSTILE) {
      expect(parseTimestamp(line)).toBeNull();
      parseCefExtension(line);
      mapJsonRecord({ message: line, EventID: line, Channel: line, event_type: line });
      sniffFormat(Buffer.from(line.slice(0, 64 * 1024)));
    }
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 10_000; i++) cur = (cur.a = {}) as Record<string, unknown>;
    expect(Object.keys(flattenRecord(deep)).length).toBeLessThan(10);
  }, 60_000);
});
