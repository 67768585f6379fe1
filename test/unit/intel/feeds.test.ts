import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IocIndex, classifyIndicator, parseCidr, parseIocList, parseIp, parseIpsum } from '../../../src/main/engine/intel';
import { corpusMissing, corpusPath } from '../../corpus';

describe.skipIf(corpusMissing('intel', 'ipsum', 'ipsum.txt'))('IPsum corpus list', () => {
  const parsed = parseIpsum(readFileSync(corpusPath('intel', 'ipsum', 'ipsum.txt'), 'utf8'));

  it('reads every entry and the feed date from the header', () => {
    expect(parsed.rejected).toBe(0);
    expect(parsed.scores.size).toBe(120_430);
    expect(parsed.feedDate?.toISOString()).toBe('2026-08-22T01:00:29.000Z');
    expect(parsed.scores.get('77.90.185.20')).toBe(10);
    expect(parsed.scores.get('2.57.122.53')).toBe(9);
  });

  it('agrees with the feed’s own levels/3.txt (IPs on 3 or more lists)', () => {
    const level3 = readFileSync(corpusPath('intel', 'ipsum', 'levels', '3.txt'), 'utf8').split('\n').filter(Boolean);
    const atLeast3 = [...parsed.scores.entries()].filter(([, n]) => n >= 3).map(([ip]) => ip);
    expect(new Set(atLeast3)).toEqual(new Set(level3));
  });
});

describe('parseIpsum', () => {
  it('counts every bad line with its number and reason', () => {
    const text = ['# IPsum Threat Intelligence Feed', '# Last update: Mon, 03 Jun 2024 03:00:01 +0200', '#', '1.2.3.4\t5', '5.6.7.8\t1', 'not-an-ip\t3', '9.9.9.9\tmany', '010.1.1.1\t2', '', '2001:db8::1\t2', '1.2.3.4\t7', '8.8.4.4'].join('\r\n');
    const p = parseIpsum(text);
    expect(p.feedDate?.toISOString()).toBe('2024-06-03T01:00:01.000Z');
    expect([...p.scores.entries()]).toEqual([
      ['1.2.3.4', 7],
      ['5.6.7.8', 1],
      ['2001:db8::1', 2],
      ['8.8.4.4', 1],
    ]);
    expect(p.duplicates).toBe(1);
    expect(p.rejected).toBe(3);
    expect(p.rejectedSamples.map((r) => [r.line, r.reason])).toEqual([
      [6, 'not an IP address'],
      [7, 'list count "many" is not a number from 1 to 1000'],
      [8, 'not an IP address'],
    ]);
  });

  it('has no date when the header has none', () => {
    expect(parseIpsum('1.1.1.1\t3\n').feedDate).toBeNull();
  });
});

describe('IOC list parsing', () => {
  it('classifies IPs, CIDRs, domains and hashes, refanging defanged ones', () => {
    const cases: Array<[string, string, string]> = [
      ['203.0.113.9', 'ip', '203.0.113.9'],
      ['203.0.113[.]10', 'ip', '203.0.113.10'],
      ['10.1.2.3/8', 'cidr', '10.0.0.0/8'],
      ['198.51.100.7/32', 'ip', '198.51.100.7'],
      ['2001:DB8::/32', 'cidr', '2001:db8::/32'],
      ['Evil.Example.COM.', 'domain', 'evil.example.com'],
      ['evil[.]example[.]org', 'domain', 'evil.example.org'],
      ['hxxps://login.evil[.]net/path?q=1', 'domain', 'login.evil.net'],
      ['http://[2001:db8::7]:8080/x', 'ip', '2001:db8::7'],
      ['*.tracker.example', 'domain', 'tracker.example'],
      ['bücher.example', 'domain', 'xn--bcher-kva.example'],
      ['D41D8CD98F00B204E9800998ECF8427E', 'md5', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
      ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ];
    for (const [input, kind, value] of cases) expect(classifyIndicator(input), input).toEqual({ kind, value });
    for (const bad of ['localhost', 'abc123', '1.2.3.999', 'deadbeef', 'has space.com', 'x..y.com', '-bad.com', '1.2.3.4.5']) {
      expect('why' in classifyIndicator(bad), bad).toBe(true);
    }
  });

  it('reads a plain list with comments and reports rejected lines', () => {
    const text = ['# campaign X', '203.0.113.9  # scanner', 'evil.example.com', '// another comment', 'bogus entry here', '203.0.113.9', '', 'cafebabe', '198.51.100.1,later note'].join('\n');
    const p = parseIocList(text);
    expect(p.indicators).toEqual([
      { kind: 'ip', value: '203.0.113.9' },
      { kind: 'domain', value: 'evil.example.com' },
      { kind: 'ip', value: '198.51.100.1' },
    ]);
    expect(p.duplicates).toBe(1);
    expect(p.rejected).toBe(2);
    expect(p.rejectedSamples.map((r) => r.line)).toEqual([5, 8]);
    expect(p.rejectedSamples[1]?.reason).toContain('hex of length 8');
  });

  it('reads the indicator column a CSV header names', () => {
    const text = ['type,indicator,comment', 'ip,198.51.100.4,"seen, twice"', 'domain,"bad.example",x', 'md5,d41d8cd98f00b204e9800998ecf8427e,', 'url,hxxp://c2[.]example/a,'].join('\n');
    const p = parseIocList(text);
    expect(p.rejected).toBe(0);
    expect(p.indicators.map((i) => `${i.kind}:${i.value}`)).toEqual(['ip:198.51.100.4', 'domain:bad.example', 'md5:d41d8cd98f00b204e9800998ecf8427e', 'domain:c2.example']);
    expect(p.counts).toEqual({ ip: 1, cidr: 0, domain: 2, md5: 1, sha1: 0, sha256: 0 });
  });

  it('reads the first column of a headerless CSV', () => {
    const p = parseIocList('10.0.0.0/8,internal\n8.8.8.8,dns\n');
    expect(p.indicators.map((i) => i.value)).toEqual(['10.0.0.0/8', '8.8.8.8']);
  });

  it('indexes a list for IP, CIDR, parent-domain and hash lookups', () => {
    const idx = new IocIndex('L', parseIocList(['192.0.2.1', '10.0.0.0/8', '10.10.0.0/16', '2001:db8:1::/48', 'evil.com', 'D41D8CD98F00B204E9800998ECF8427E'].join('\n')).indicators);
    expect(idx.hasIp(parseIp('192.0.2.1')!)).toBe(true);
    expect(idx.hasIp(parseIp('192.0.2.2')!)).toBe(false);
    expect(idx.hasIp(parseIp('10.200.3.4')!)).toBe(true);
    expect(idx.hasIp(parseIp('::ffff:10.0.0.1')!)).toBe(true);
    expect(idx.hasIp(parseIp('11.0.0.0')!)).toBe(false);
    expect(idx.hasIp(parseIp('2001:db8:1:ffff::1')!)).toBe(true);
    expect(idx.hasIp(parseIp('2001:db8:2::1')!)).toBe(false);
    expect(idx.hasDomain('a.b.EVIL.com.')).toBe(true);
    expect(idx.hasDomain('notevil.com')).toBe(false);
    expect(idx.hasDomain('evil.com.org')).toBe(false);
    expect(idx.hasHash('d41d8cd98f00b204e9800998ecf8427e')).toBe(true);
    expect(parseCidr('10.0.0.0/8')).not.toBeNull();
  });
});
