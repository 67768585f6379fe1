import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLineParser } from '../../../src/main/engine/ingest/formats';
import { CsvParser, csvFlavorOf, csvRecordComplete, detectCsvHeader, mapCsvRow, splitCsvRecord, uniqueColumns } from '../../../src/main/engine/ingest/formats/csv';
import { leadingTimestamp, TextParser } from '../../../src/main/engine/ingest/formats/text';
import { SyslogClock } from '../../../src/main/engine/ingest/formats/syslog';
import { corpusMissing, corpusPath } from '../../corpus';
import { feed, ok } from './helpers';
import { expectReconciled, freshEngine, importAndWait, sql } from './import-helpers';

describe('CSV records', () => {
  it('splits RFC 4180 records: quotes, doubled quotes, embedded delimiters and newlines', () => {
    expect(splitCsvRecord('a,"b,c","d ""q""",,e', ',')).toEqual(['a', 'b,c', 'd "q"', '', 'e']);
    expect(splitCsvRecord('"multi\nline",x', ',')).toEqual(['multi\nline', 'x']);
    expect(splitCsvRecord('a\tb\t', '\t')).toEqual(['a', 'b', '']);
    expect(splitCsvRecord('"open,x', ',')).toBeNull();
    expect(csvRecordComplete('"a\nb"')).toBe(true);
    expect(csvRecordComplete('"a')).toBe(false);
  });

  it('makes header names usable as columns', () => {
    expect(uniqueColumns(['a', 'a', '', ' b '])).toEqual(['a', 'a_2', 'column3', 'b']);
  });

  it('detects header, delimiter and flavor', () => {
    expect(detectCsvHeader(['Timestamp,RuleTitle,Level,Computer,Channel,EventID,RecordID,Details', '2021-12-12 00:53:53.123 +09:00,Rule,high,PC,Sec,4625,1,x'])).toMatchObject({
      delimiter: ',',
      flavor: 'hayabusa',
    });
    expect(detectCsvHeader(['a;b;c', '1;2;3', '4;5;6'])).toMatchObject({ delimiter: ';', columns: ['a', 'b', 'c'] });
    expect(detectCsvHeader(['1,2,3', '4,5,6'])?.columns).toBeNull();
    expect(detectCsvHeader(['just one column', 'another'])).toBeNull();
    expect(csvFlavorOf(['RecordNumber', 'EventRecordId', 'TimeCreated', 'EventId', 'Level', 'Provider', 'Channel', 'ProcessId', 'Computer', 'MapDescription', 'PayloadData1'])).toBe('evtxecmd');
    expect(csvFlavorOf(['EntryNumber', 'SequenceNumber', 'ParentPath', 'FileName', 'Created0x10', 'LastModified0x10'])).toBe('mftecmd');
    expect(csvFlavorOf(['date', 'time', 'timezone', 'MACB', 'source', 'sourcetype', 'type', 'user', 'host', 'short', 'desc', 'version', 'filename'])).toBe('plaso');
  });

  it('maps timeline rows to core', () => {
    const hay = mapCsvRow({ Timestamp: '2021-12-12 00:53:53.123 +09:00', RuleTitle: 'Logon Failure (Wrong Password)', Level: 'med', Computer: 'DC1', Channel: 'Sec', EventID: '4625', Details: 'User: bob' }, 'hayabusa');
    expect(hay).toMatchObject({ ts: '2021-12-11T15:53:53.123Z', dataset: 'hayabusa', host: 'DC1', event_code: '4625', severity: 'medium', message: 'Logon Failure (Wrong Password): User: bob', action: 'alert' });
    const ez = mapCsvRow(
      { TimeCreated: '2021-03-04 12:34:56.1234567', EventId: '4624', Level: 'Info', Provider: 'Microsoft-Windows-Security-Auditing', Channel: 'Security', Computer: 'WS1', UserName: 'CORP\\bob', RemoteHost: 'WS2 (10.0.0.5)', MapDescription: 'Successful logon', PayloadData1: 'Target: CORP\\bob' },
      'evtxecmd',
    );
    expect(ez).toMatchObject({ ts: '2021-03-04T12:34:56.123456Z', dataset: 'windows.security', event_code: '4624', severity: 'informational', src_ip: '10.0.0.5', user: 'CORP\\bob', action: 'logon', message: 'Successful logon: Target: CORP\\bob' });
    const mft = mapCsvRow({ EntryNumber: '42', ParentPath: '.\\Users\\bob', FileName: 'evil.exe', Created0x10: '2021-03-04 12:34:56.0000000' }, 'mftecmd');
    expect(mft).toMatchObject({ dataset: 'mft', message: '.\\Users\\bob\\evil.exe', ts: '2021-03-04T12:34:56.000Z', action: 'file-record' });
    const plaso = mapCsvRow({ datetime: '2012-03-14T04:17:38.276340+00:00', timestamp_desc: 'Content Modification Time', message: 'x', computer_name: 'WKS' }, 'plaso');
    expect(plaso).toMatchObject({ ts: '2012-03-14T04:17:38.276340Z', dataset: 'plaso', host: 'WKS', action: 'content modification time' });
    expect(mapCsvRow({ message: 'x', timestamp: '1331698658276340', timestamp_desc: 'Time Logged' }, 'plaso').ts).toBe('2012-03-14T04:17:38.276340Z');
    expect(mapCsvRow({ Date: '2016-09-28', Time: '04:30:30', Level: 'Info', Content: 'Loaded Servicing Stack' }, 'generic')).toMatchObject({ ts: '2016-09-28T04:30:30.000Z', dataset: 'csv', message: 'Loaded Servicing Stack', severity: 'informational' });
  });

  it('reads multi-line records with the position of their first line, and rejects bad ones', () => {
    const p = new CsvParser();
    const { records, errors, skips } = feed(p, 'message,datetime\n"line one\nline two",2020-01-01T00:00:00Z\nshort\n"never closed,x\n');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ pos: 2, raw: '"line one\nline two",2020-01-01T00:00:00Z', fields: { message: 'line one\nline two' } });
    expect(errors.map((e) => e.error)).toEqual([expect.stringMatching(/1 cells but the header has 2/), expect.stringMatching(/ends inside a quoted field/)]);
    expect(skips).toBeGreaterThan(0);
  });

  it.skipIf(corpusMissing('csv'))('reads the plaso timeline with its multi-line XML cells', () => {
    const text = readFileSync(corpusPath('csv/timesketch/end_to_end_tests/test_data/evtx_part.csv'), 'utf8');
    const { records, errors } = feed(createLineParser('csv'), text);
    expect(errors).toEqual([]);
    expect(records.length).toBeGreaterThan(5);
    expect(records.every((r) => r.core.dataset === 'plaso' && r.core.ts !== null && r.core.host === 'WKS-WIN764BITB.shieldbase.local')).toBe(true);
    expect(records.some((r) => String(r.fields.xml_string).includes('\n'))).toBe(true);
  });

  it.skipIf(corpusMissing('csv'))('keeps the records with unparseable times of the Timesketch edge cases', () => {
    const text = readFileSync(corpusPath('csv/timesketch/tests/test_events/invalid_datetime.csv'), 'utf8');
    const { records, errors } = feed(createLineParser('csv'), text);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(4);
  });
});

describe('a CSV quote that never closes', () => {
  const rows = (n: number): string[] => Array.from({ length: n }, (_, i) => `2024-03-01T10:00:00Z,host${i},"a, quoted value ${i}",ok`);

  it('costs its own line only: the lines after it are read again, at their own positions', () => {
    const lines = ['time,host,detail,status', ...rows(3000)];
    lines[100] = '2024-03-01T10:00:00Z,host99,"a stray quote,ok';
    const { records, errors } = feed(createLineParser('csv'), `${lines.join('\n')}\n`);
    expect(errors).toEqual([{ line: 101, error: expect.stringMatching(/CSV record starting at line 101 .*this line rejected, the ones after it read again/) }]);
    expect(records).toHaveLength(2999);
    expect(records[99]?.pos).toBe(102);
    expect(records[99]?.fields.host).toBe('host100');
    expect(records[2998]?.fields.host).toBe('host2999');
  });

  it('still reads a quoted value that really spans lines, and gives up after 10,000 lines the same way', () => {
    const multi = feed(createLineParser('csv'), 'a,b\n1,"two\nlines"\n3,four\n');
    expect(multi.records.map((r) => r.fields.b)).toEqual(['two\nlines', 'four']);
    const lines = ['a,b', '1,"never closed', ...Array.from({ length: 10_050 }, (_, i) => `${i},plain`)];
    const { records, errors } = feed(createLineParser('csv'), `${lines.join('\n')}\n`);
    expect(errors.map((e) => e.line)).toEqual([2]);
    expect(records).toHaveLength(10_050);
    expect(records[0]?.pos).toBe(3);
  });

  it('imports that way: one rejected row at its line, every other row stored at its own', async () => {
    const f = await freshEngine();
    try {
      const lines = ['time,host,detail,status', ...rows(3000)];
      lines[100] = '2024-03-01T10:00:00Z,host99,"a stray quote,ok';
      const file = join(f.dir, 'timeline.csv');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const s = await importAndWait(f.engine, { paths: [file] });
      await expectReconciled(f.engine, s);
      expect(s.files[0]).toMatchObject({ format: 'csv', seen: 3000, stored: 2999, rejected: 1 });
      expect(await sql(f.engine, `SELECT pos FROM ingest_errors WHERE kind = 'rejected'`)).toEqual([{ pos: 101 }]);
      expect(await sql(f.engine, `SELECT min(pos)::INTEGER AS lo, max(pos)::INTEGER AS hi, count(*)::INTEGER AS n FROM events WHERE pos > 100`)).toEqual([{ lo: 102, hi: 3001, n: 2900 }]);
    } finally {
      f.cleanup();
    }
  });
});

describe('text fallback', () => {
  it('keeps every non-blank line with a leading timestamp when there is one', () => {
    const { records, skips } = feed(
      new TextParser({ year: 2020 }),
      ['2015-07-29 17:41:44,747 - INFO  [QuorumPeer] - Notification', '', '03-17 16:13:38.811  1702  2395 D WindowManager: x', 'no time here', '[Sun Dec 04 04:47:44 2005] x'].join('\n'),
    );
    expect(skips).toBe(1);
    expect(records.map((r) => r.core.ts)).toEqual(['2015-07-29T17:41:44.747Z', '2020-03-17T16:13:38.811Z', null, '2005-12-04T04:47:44.000Z']);
    expect(records.every((r) => r.core.dataset === 'text' && r.fields.message === r.core.message)).toBe(true);
  });

  it('reads syslog-like and netlogon stamps with the year inference', () => {
    const c = new SyslogClock({ year: 2020 });
    expect(leadingTimestamp('09/14 12:33:00 [MISC] [3448] DbFlag', c)).toBe('2020-09-14T12:33:00.000Z');
    expect(leadingTimestamp('Nov  9 12:01:01 x', c)).toBe('2020-11-09T12:01:01.000Z');
    expect(ok(createLineParser('text').line('anything at all', 1)).core.message).toBe('anything at all');
  });

  it('reads Unix seconds (squid, nsd, Linux audit), Kerio and MySQL stamps, and leaves other leading numbers alone', () => {
    const c = new SyslogClock({ year: 2020, tz: 'Europe/Berlin' });
    // Unix seconds are UTC whatever zone the source was given.
    expect(leadingTimestamp('1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/', c)).toBe('2010-10-08T11:11:48.779Z');
    expect(leadingTimestamp('[1387288694] nsd[7745]: info: ratelimit block example.com.', c)).toBe('2013-12-17T13:58:14.000Z');
    expect(leadingTimestamp('1403884279 - 06/27/2014 17:51:19 Host: 192.168.56.1', c)).toBe('2014-06-27T15:51:19.000Z');
    expect(leadingTimestamp('type=USER_LOGIN msg=audit(1373330716.415:4063): pid=11 uid=0 res=failed', c)).toBe('2013-07-09T00:45:16.415Z');
    expect(leadingTimestamp('node=web1 type=USER_AUTH msg=audit(1668381071.000:373474): pid=173582', c)).toBe('2022-11-13T23:11:11.000Z');
    // Wall times are read in the source's zone (Berlin: UTC+1 in winter, +2 in summer).
    expect(leadingTimestamp('[18/Jan/2014 06:39:44] IP address 91.232.105.66 found in DNS blacklist', c)).toBe('2014-01-18T05:39:44.000Z');
    expect(leadingTimestamp('2015-10-07 8:25:38 139845235329792 [Warning] Access denied', c)).toBe('2015-10-07T06:25:38.000Z');
    // Not times: too few digits, out of range, an unclosed bracket, no space after the number.
    expect(leadingTimestamp('130324 0:04:00 [Warning] Access denied', c)).toBeNull();
    expect(leadingTimestamp('9999999999 bytes', c)).toBeNull();
    expect(leadingTimestamp('0000012345 records', c)).toBeNull();
    expect(leadingTimestamp('[1387288694 nsd', c)).toBeNull();
    expect(leadingTimestamp('1387288694,42,x', c)).toBeNull();
    expect(leadingTimestamp('type=USER_LOGIN msg=hello', c)).toBeNull();
  });
});
