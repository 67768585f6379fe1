import { describe, expect, it } from 'vitest';
import { matchRows, proc } from './helpers';

/**
 * Every value modifier against a real DuckDB table: each case has at least
 * one row that must match and one that must not.
 */

describe('string matching', () => {
  const rows = [
    proc({ Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd.exe /c whoami' }),
    proc({ Image: 'C:\\Windows\\System32\\CMD.EXE', CommandLine: 'CMD /C WHOAMI /all' }),
    proc({ Image: 'C:\\Tools\\notcmd.exe.bak', CommandLine: 'notepad' }),
  ];

  it('plain value is an exact, case-insensitive match', async () => {
    expect(await matchRows(`    sel:\n        Image: 'c:\\windows\\system32\\cmd.exe'\n    condition: sel`, rows)).toEqual([0, 1]);
  });
  it('endswith', async () => {
    expect(await matchRows(`    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel`, rows)).toEqual([0, 1]);
  });
  it('startswith', async () => {
    expect(await matchRows(`    sel:\n        Image|startswith: 'C:\\Tools\\'\n    condition: sel`, rows)).toEqual([2]);
  });
  it('contains', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|contains: 'whoami'\n    condition: sel`, rows)).toEqual([0, 1]);
  });
  it('contains|all needs every value', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|contains|all:\n            - whoami\n            - /all\n    condition: sel`, rows)).toEqual([1]);
  });
  it('a list of values is OR', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|contains:\n            - notepad\n            - /all\n    condition: sel`, rows)).toEqual([1, 2]);
  });
  it('cased makes the match case-sensitive', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|contains|cased: 'WHOAMI'\n    condition: sel`, rows)).toEqual([1]);
  });
});

describe('wildcards and escapes', () => {
  const rows = [
    proc({ CommandLine: 'a*b' }),
    proc({ CommandLine: 'axxb' }),
    proc({ CommandLine: 'a?b' }),
    proc({ CommandLine: 'axb' }),
    proc({ CommandLine: 'a\\b' }),
    proc({ CommandLine: 'a%b_c' }),
  ];
  it('* matches any run, ? one character', async () => {
    expect(await matchRows(`    sel:\n        CommandLine: 'a*b'\n    condition: sel`, rows)).toEqual([0, 1, 2, 3, 4]);
    expect(await matchRows(`    sel:\n        CommandLine: 'a?b'\n    condition: sel`, rows)).toEqual([0, 2, 3, 4]);
  });
  it('\\* and \\? are literal', async () => {
    expect(await matchRows(`    sel:\n        CommandLine: 'a\\*b'\n    condition: sel`, rows)).toEqual([0]);
    expect(await matchRows(`    sel:\n        CommandLine: 'a\\?b'\n    condition: sel`, rows)).toEqual([2]);
  });
  it('\\\\ is one backslash; a lone backslash is literal', async () => {
    expect(await matchRows(`    sel:\n        CommandLine: 'a\\\\b'\n    condition: sel`, rows)).toEqual([4]);
    expect(await matchRows(`    sel:\n        CommandLine: 'a\\b'\n    condition: sel`, rows)).toEqual([4]);
  });
  it('SQL LIKE metacharacters in values are literal', async () => {
    expect(await matchRows(`    sel:\n        CommandLine: 'a%b_*'\n    condition: sel`, rows)).toEqual([5]);
    expect(await matchRows(`    sel:\n        CommandLine|contains: '%'\n    condition: sel`, rows)).toEqual([5]);
  });
});

describe('null, empty, exists', () => {
  const rows = [proc({ CommandLine: 'x', ParentImage: null }), proc({ CommandLine: '', ParentImage: 'p' }), proc({ CommandLine: null, ParentImage: 'p' })];
  it('null matches a missing value', async () => {
    expect(await matchRows(`    sel:\n        CommandLine: null\n    condition: sel`, rows)).toEqual([2]);
  });
  it('empty string matches only the empty value', async () => {
    expect(await matchRows(`    sel:\n        CommandLine: ''\n    condition: sel`, rows)).toEqual([1]);
  });
  it('exists true / false', async () => {
    expect(await matchRows(`    sel:\n        ParentImage|exists: true\n    condition: sel`, rows)).toEqual([1, 2]);
    expect(await matchRows(`    sel:\n        ParentImage|exists: false\n    condition: sel`, rows)).toEqual([0]);
  });
  it('a field no source has: exists false matches, exists true does not', async () => {
    expect(await matchRows(`    sel:\n        NoSuchField|exists: false\n    condition: sel`, rows)).toEqual([0, 1, 2]);
    expect(await matchRows(`    sel:\n        CommandLine: x\n    filter:\n        NoSuchField: y\n    condition: sel and not filter`, rows)).toEqual([0]);
  });
  it('not over a null value is true (missing does not match)', async () => {
    expect(await matchRows(`    sel:\n        EventID: 1\n    filter:\n        ParentImage: p\n    condition: sel and not filter`, rows)).toEqual([0]);
  });
});

describe('regular expressions', () => {
  const rows = [proc({ CommandLine: 'powershell -enc AAAA' }), proc({ CommandLine: 'POWERSHELL -ENC BBBB' }), proc({ CommandLine: 'line1\nline2' })];
  it('re is case-sensitive by default and unanchored', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|re: 'shell -enc [A-Z]+'\n    condition: sel`, rows)).toEqual([0]);
  });
  it('re|i is case-insensitive', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|re|i: 'shell -enc [a-z]+'\n    condition: sel`, rows)).toEqual([0, 1]);
  });
  it('re|m anchors at lines, re|s lets dot match newline', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|re: '^line2'\n    condition: sel`, rows)).toEqual([]);
    expect(await matchRows(`    sel:\n        CommandLine|re|m: '^line2'\n    condition: sel`, rows)).toEqual([2]);
    expect(await matchRows(`    sel:\n        CommandLine|re: 'line1.line2'\n    condition: sel`, rows)).toEqual([]);
    expect(await matchRows(`    sel:\n        CommandLine|re|s: 'line1.line2'\n    condition: sel`, rows)).toEqual([2]);
  });
});

describe('encodings', () => {
  const cmd = 'powershell -nop -w hidden -c IEX (New-Object Net.WebClient).DownloadString';
  const b64 = (s: string, enc: BufferEncoding = 'utf8'): string => Buffer.from(s, enc).toString('base64');
  const rows = [
    proc({ CommandLine: `powershell -enc ${b64(cmd)}` }),
    proc({ CommandLine: `powershell -enc ${b64(`xx${cmd}`)}` }),
    proc({ CommandLine: `powershell -enc ${b64(`y${cmd}`, 'utf16le')}` }),
    proc({ CommandLine: 'powershell -enc SGVsbG8gd29ybGQ=' }),
  ];
  it('base64 (exact encoding of the whole value)', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|base64|contains: '${cmd}'\n    condition: sel`, rows)).toEqual([0]);
  });
  it('base64offset finds the value at any of the three offsets', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|base64offset|contains: 'IEX (New-Object Net.WebClient)'\n    condition: sel`, rows)).toEqual([0, 1]);
  });
  it('wide|base64offset finds UTF-16LE text', async () => {
    expect(await matchRows(`    sel:\n        CommandLine|wide|base64offset|contains: 'IEX (New-Object Net.WebClient)'\n    condition: sel`, rows)).toEqual([2]);
    expect(await matchRows(`    sel:\n        CommandLine|utf16le|base64offset|contains: 'DownloadString'\n    condition: sel`, rows)).toEqual([2]);
  });
  it('utf16be and utf16 (with BOM) encode differently from utf16le', async () => {
    const be = Buffer.from('hi', 'utf16le').swap16().toString('base64');
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hi', 'utf16le')]).toString('base64');
    const r = [proc({ CommandLine: be }), proc({ CommandLine: bom }), proc({ CommandLine: Buffer.from('hi', 'utf16le').toString('base64') })];
    expect(await matchRows(`    sel:\n        CommandLine|utf16be|base64: 'hi'\n    condition: sel`, r)).toEqual([0]);
    expect(await matchRows(`    sel:\n        CommandLine|utf16|base64: 'hi'\n    condition: sel`, r)).toEqual([1]);
    expect(await matchRows(`    sel:\n        CommandLine|utf16le|base64: 'hi'\n    condition: sel`, r)).toEqual([2]);
  });
  it('windash accepts - / and the Unicode dashes', async () => {
    const r = [proc({ CommandLine: 'x -enc y' }), proc({ CommandLine: 'x /enc y' }), proc({ CommandLine: 'x \u2013enc y' }), proc({ CommandLine: 'x \u2015enc y' }), proc({ CommandLine: 'x +enc y' })];
    expect(await matchRows(`    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel`, r)).toEqual([0, 1, 2, 3]);
  });
});

describe('numbers, comparisons and fieldref', () => {
  const rows = [
    proc({ CommandLine: 'a', TargetPort: 445, Size: '10', User: 'bob', ParentUser: 'BOB' }),
    proc({ CommandLine: 'b', TargetPort: 3389, Size: '200', User: 'bob', ParentUser: 'alice' }),
    proc({ CommandLine: 'c', TargetPort: 80, Size: 'n/a', User: 'carol', ParentUser: null }),
  ];
  it('integer value on a numeric column and on a text column', async () => {
    expect(await matchRows(`    sel:\n        TargetPort: 445\n    condition: sel`, rows)).toEqual([0]);
    expect(await matchRows(`    sel:\n        Size: 10\n    condition: sel`, rows)).toEqual([0]);
  });
  it('lt, lte, gt, gte on numbers and numeric text', async () => {
    expect(await matchRows(`    sel:\n        TargetPort|lt: 445\n    condition: sel`, rows)).toEqual([2]);
    expect(await matchRows(`    sel:\n        TargetPort|lte: 445\n    condition: sel`, rows)).toEqual([0, 2]);
    expect(await matchRows(`    sel:\n        TargetPort|gt: 445\n    condition: sel`, rows)).toEqual([1]);
    expect(await matchRows(`    sel:\n        TargetPort|gte: 445\n    condition: sel`, rows)).toEqual([0, 1]);
    expect(await matchRows(`    sel:\n        Size|gt: 50\n    condition: sel`, rows)).toEqual([1]);
  });
  it('neq: present and different from every value', async () => {
    expect(await matchRows(`    sel:\n        User|neq: bob\n    condition: sel`, rows)).toEqual([2]);
    expect(await matchRows(`    sel:\n        TargetPort|neq:\n            - 445\n            - 80\n    condition: sel`, rows)).toEqual([1]);
  });
  it('fieldref compares two fields of the same event (case-insensitive)', async () => {
    expect(await matchRows(`    sel:\n        User|fieldref: ParentUser\n    condition: sel`, rows)).toEqual([0]);
    expect(await matchRows(`    sel:\n        User|neq|fieldref: ParentUser\n    condition: sel`, rows)).toEqual([1, 2]);
  });
});

describe('cidr', () => {
  const rows = [
    proc({ DestinationIp: '10.1.2.3' }),
    proc({ DestinationIp: '172.20.0.1' }),
    proc({ DestinationIp: '172.32.0.1' }),
    proc({ DestinationIp: 'fe80::1' }),
    proc({ DestinationIp: '2001:db8:0:0:0:0:0:1' }),
    proc({ DestinationIp: '2001:db9::1' }),
    proc({ DestinationIp: '::ffff:192.168.1.5' }),
    proc({ DestinationIp: 'not-an-ip' }),
  ];
  it('IPv4 networks on and off octet boundaries', async () => {
    expect(await matchRows(`    sel:\n        DestinationIp|cidr:\n            - 10.0.0.0/8\n            - 172.16.0.0/12\n    condition: sel`, rows)).toEqual([0, 1]);
    expect(await matchRows(`    sel:\n        DestinationIp|cidr: 192.168.0.0/16\n    condition: sel`, rows)).toEqual([6]);
  });
  it('IPv6 networks, compressed or not', async () => {
    expect(await matchRows(`    sel:\n        DestinationIp|cidr: 'fe80::/10'\n    condition: sel`, rows)).toEqual([3]);
    expect(await matchRows(`    sel:\n        DestinationIp|cidr: '2001:db8::/32'\n    condition: sel`, rows)).toEqual([4]);
  });
});

describe('time parts', () => {
  const rows = [proc({ UtcTime: '2024-03-01 02:15:00.000' }), proc({ UtcTime: '2024-07-09 14:45:00.000' })];
  it('hour, minute, day, month, year, week', async () => {
    expect(await matchRows(`    sel:\n        UtcTime|hour: 2\n    condition: sel`, rows)).toEqual([0]);
    expect(await matchRows(`    sel:\n        UtcTime|minute: 45\n    condition: sel`, rows)).toEqual([1]);
    expect(await matchRows(`    sel:\n        UtcTime|day: 9\n    condition: sel`, rows)).toEqual([1]);
    expect(await matchRows(`    sel:\n        UtcTime|month: 3\n    condition: sel`, rows)).toEqual([0]);
    expect(await matchRows(`    sel:\n        UtcTime|year: 2024\n    condition: sel`, rows)).toEqual([0, 1]);
    expect(await matchRows(`    sel:\n        UtcTime|week: 9\n    condition: sel`, rows)).toEqual([0]);
    expect(await matchRows(`    sel:\n        UtcTime|hour|gte: 12\n    condition: sel`, rows)).toEqual([1]);
  });
});

describe('expand', () => {
  const rows = [proc({ Computer: 'dc01.corp' }), proc({ Computer: 'ws17.corp' })];
  it('replaces placeholders with the analyst-configured values', async () => {
    expect(await matchRows(`    sel:\n        Computer|expand: '%dcs%.corp'\n    condition: sel`, rows, undefined, { placeholders: { dcs: ['dc01', 'dc02'] } })).toEqual([0]);
  });
  it('without configured values the rule is unsupported, not silently empty', async () => {
    await expect(matchRows(`    sel:\n        Computer|expand: '%dcs%'\n    condition: sel`, rows)).rejects.toThrow(/unsupported.*%dcs%/);
  });
});
