import { describe, expect, it } from 'vitest';
import { checkTimeZone, epochToIso, parseTimestamp, wallToUtcCandidates, isoFromMs } from '../../../src/main/engine/ingest/formats/time';

describe('parseTimestamp', () => {
  it.each([
    ['2023-07-23 21:36:36,227', '2023-07-23T21:36:36.227Z'], // Python logging
    ['2021-12-12 00:53:53.123 +09:00', '2021-12-11T15:53:53.123Z'], // Hayabusa
    ['2015-07-24T19:01:01+00:00', '2015-07-24T19:01:01.000Z'],
    ['2022-07-24T19:01:01+0000', '2022-07-24T19:01:01.000Z'],
    ['2024-04-17T19:36:47.231055+0000', '2024-04-17T19:36:47.231055Z'], // Suricata
    ['2019-03-12T10:22:33.1234567Z', '2019-03-12T10:22:33.123456Z'], // Windows 7 digits
    ['2020-10-19 10:46:42.027', '2020-10-19T10:46:42.027Z'], // zone-less: UTC
    ['2018/09/14 19:03:05', '2018-09-14T19:03:05.000Z'], // nginx
    ['10/Oct/2000:13:55:36 -0700', '2000-10-10T20:55:36.000Z'], // Apache
    ['27/Jun/2013:11:55:44', '2013-06-27T11:55:44.000Z'],
    ['Sun Dec 04 04:47:44 2005', '2005-12-04T04:47:44.000Z'], // Apache error
    ['Thu Jun 27 11:55:44.569531 2013', '2013-06-27T11:55:44.569531Z'],
    ['Oct 27 2015 09:24:46', '2015-10-27T09:24:46.000Z'],
    ['10/19/2020 10:46:42 PM', '2020-10-19T22:46:42.000Z'], // Windows US
    ['12/01/2020 12:00:00 AM', '2020-12-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('%s -> %s', (text, iso) => {
    expect(parseTimestamp(text)).toBe(iso);
  });

  it('needs a year for year-less syslog stamps and never invents one', () => {
    expect(parseTimestamp('Oct 11 22:14:15')).toBeNull();
    expect(parseTimestamp('Oct 11 22:14:15', { year: 2020 })).toBe('2020-10-11T22:14:15.000Z');
  });

  it('returns null for garbage and impossible dates, never the current time', () => {
    for (const bad of ['', 'garbage', '2024-02-30 12:00:00', '2023-02-29', '2024-13-01', '25:00:00', '2024-01-01T24:00:00', '99/Foo/2020:00:00:00', 'x'.repeat(1_000_000)]) {
      expect(parseTimestamp(bad)).toBeNull();
    }
    expect(parseTimestamp(null)).toBeNull();
  });

  it('reads epoch numbers only when allowed, with the unit from the magnitude', () => {
    expect(parseTimestamp('1517336042.090842')).toBeNull();
    expect(parseTimestamp('1517336042.090842', { allowEpoch: true })).toBe('2018-01-30T18:14:02.090842Z');
    expect(parseTimestamp('1437764461000000', { allowEpoch: true })).toBe('2015-07-24T19:01:01.000Z');
  });
});

describe('epochToIso', () => {
  it('keeps Zeek microseconds exactly from text', () => {
    expect(epochToIso('1588205198.89971')).toBe('2020-04-30T00:06:38.899710Z');
    expect(epochToIso('1517336042.000001')).toBe('2018-01-30T18:14:02.000001Z');
  });
  it('handles ms, us, ns and numbers', () => {
    expect(epochToIso('1331698658276', 'ms')).toBe('2012-03-14T04:17:38.276Z');
    expect(epochToIso('1331698658276340', 'auto')).toBe('2012-03-14T04:17:38.276340Z');
    expect(epochToIso('1704738946055436123', 'auto')).toBe('2024-01-08T18:35:46.055436Z');
    expect(epochToIso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(epochToIso(-1.5)).toBe('1969-12-31T23:59:58.500Z');
  });
  it('rejects non-numbers and out-of-range values', () => {
    expect(epochToIso('12abc')).toBeNull();
    expect(epochToIso('1e10')).toBeNull();
    expect(epochToIso(Number.NaN)).toBeNull();
    expect(epochToIso('99999999999999999', 's')).toBeNull();
  });
});

describe('time zones', () => {
  it('converts zone-less wall time in the analyst zone, DST-correct', () => {
    expect(parseTimestamp('2024-07-01 12:00:00', { tz: 'Europe/Berlin' })).toBe('2024-07-01T10:00:00.000Z'); // CEST +2
    expect(parseTimestamp('2024-01-15 12:00:00', { tz: 'Europe/Berlin' })).toBe('2024-01-15T11:00:00.000Z'); // CET +1
    expect(parseTimestamp('2024-07-01 12:00:00', { tz: 'America/New_York' })).toBe('2024-07-01T16:00:00.000Z');
    expect(parseTimestamp('2024-07-01 12:00:00', { tz: '+05:30' })).toBe('2024-07-01T06:30:00.000Z');
    expect(parseTimestamp('2024-07-01 12:00:00', { tz: 'Asia/Kolkata' })).toBe('2024-07-01T06:30:00.000Z');
  });

  it('lets an explicit offset in the text win over the zone', () => {
    expect(parseTimestamp('2024-07-01T12:00:00Z', { tz: 'Europe/Berlin' })).toBe('2024-07-01T12:00:00.000Z');
  });

  it('moves a wall time in the spring-forward gap forward by the gap', () => {
    // 2024-03-31 02:30 does not exist in Berlin; it is read as 03:30 CEST = 01:30Z.
    expect(parseTimestamp('2024-03-31 02:30:00', { tz: 'Europe/Berlin' })).toBe('2024-03-31T01:30:00.000Z');
    expect(parseTimestamp('2024-03-31 01:59:59', { tz: 'Europe/Berlin' })).toBe('2024-03-31T00:59:59.000Z');
    expect(parseTimestamp('2024-03-31 03:00:00', { tz: 'Europe/Berlin' })).toBe('2024-03-31T01:00:00.000Z');
  });

  it('gives both instants of a repeated autumn hour, the earlier by default', () => {
    const c = wallToUtcCandidates(2024, 10, 27, 2, 30, 0, 0, 'Europe/Berlin').map((t) => isoFromMs(t));
    expect(c).toEqual(['2024-10-27T00:30:00.000Z', '2024-10-27T01:30:00.000Z']);
    expect(parseTimestamp('2024-10-27 02:30:00', { tz: 'Europe/Berlin' })).toBe('2024-10-27T00:30:00.000Z');
    expect(wallToUtcCandidates(2024, 11, 3, 1, 30, 0, 0, 'America/New_York').map((t) => isoFromMs(t))).toEqual([
      '2024-11-03T05:30:00.000Z',
      '2024-11-03T06:30:00.000Z',
    ]);
  });

  it('validates zone names with a message for the analyst', () => {
    expect(checkTimeZone('Europe/Berlin')).toBeNull();
    expect(checkTimeZone('UTC')).toBeNull();
    expect(checkTimeZone('+02:00')).toBeNull();
    expect(checkTimeZone('Mars/Olympus')).toMatch(/unknown time zone/);
    expect(checkTimeZone('+25:00')).toMatch(/out of range/);
  });
});
