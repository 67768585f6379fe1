import { describe, expect, it } from 'vitest';
import { quoteFieldName, tokenize } from '../../../src/shared/query-lexer';
import { likePattern } from '../../../src/main/engine/query/compile';
import { parseIp } from '../../../src/main/engine/net/ip-address';
import { cidrHolds, parseCidrFilter } from '../../../src/main/engine/query/ip';
import { parseQuery, QuerySyntaxError } from '../../../src/main/engine/query/parse';
import { parseTimeValue } from '../../../src/main/engine/query/time';
import { editDistance } from '../../../src/main/engine/query/fields';

function syntaxError(q: string): QuerySyntaxError {
  try {
    parseQuery(q);
  } catch (e) {
    if (e instanceof QuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`expected a syntax error for ${q}`);
}

describe('lexer', () => {
  it('splits fields, values, phrases, operators and keeps positions', () => {
    const t = tokenize('host:DC01 AND NOT "failed logon" OR port:>=1024');
    expect(t.map((x) => x.kind)).toEqual(['field', 'colon', 'word', 'and', 'not', 'phrase', 'or', 'field', 'colon', 'op', 'word']);
    expect(t[5]).toMatchObject({ text: 'failed logon', start: 18, end: 32 });
  });

  it('reads IPv6 values and CIDR after a field colon as one word', () => {
    const t = tokenize('src_ip:2001:db8::/32 id.orig_h:fe80::1');
    expect(t.filter((x) => x.kind === 'word').map((x) => x.text)).toEqual(['2001:db8::/32', 'fe80::1']);
    expect(t.filter((x) => x.kind === 'field').map((x) => x.text)).toEqual(['src_ip', 'id.orig_h']);
  });

  it('reads a quoted field name (spaces in CSV headers and JSON keys)', () => {
    const t = tokenize('"Source IP":10.0.0.0/8 "just a phrase" x');
    expect(t.map((x) => [x.kind, x.text])).toEqual([
      ['field', 'Source IP'],
      ['colon', ':'],
      ['word', '10.0.0.0/8'],
      ['phrase', 'just a phrase'],
      ['word', 'x'],
    ]);
    expect(quoteFieldName('Source IP')).toBe('"Source IP"');
    expect(quoteFieldName('id.orig_h')).toBe('id.orig_h');
  });

  it('marks unescaped wildcards only', () => {
    const [w] = tokenize('a\\*b*c?');
    expect(w).toMatchObject({ kind: 'word', text: 'a*b*c?', wild: [3, 5] });
  });

  it('treats lowercase and/or/not as operators and a leading minus as NOT', () => {
    expect(tokenize('a and b or not c -d').map((x) => x.kind)).toEqual(['word', 'and', 'word', 'or', 'not', 'word', 'minus', 'word']);
    expect(tokenize('x-y').map((x) => x.kind)).toEqual(['word']);
  });
});

describe('parser', () => {
  it('gives AND precedence over OR and reads implicit AND', () => {
    expect(parseQuery('a b OR c')).toMatchObject({ type: 'or', items: [{ type: 'and' }, { type: 'text', value: 'c' }] });
  });

  it('parses ranges, comparisons, exists and field groups', () => {
    expect(parseQuery('port:[1 TO 1024}')).toMatchObject({ type: 'term', match: { kind: 'range', lo: '1', hi: '1024', loIncl: true, hiIncl: false } });
    expect(parseQuery('port:[1024 TO *]')).toMatchObject({ match: { kind: 'range', lo: '1024', hi: null } });
    expect(parseQuery('bytes:>100')).toMatchObject({ match: { kind: 'cmp', op: '>', value: '100' } });
    expect(parseQuery('CommandLine:*')).toMatchObject({ match: { kind: 'exists' } });
    expect(parseQuery('event_code:(4624 OR 4625)')).toMatchObject({ type: 'or', items: [{ type: 'term', field: 'event_code' }, { type: 'term', field: 'event_code' }] });
    expect(parseQuery('ts:[2024-03-01T10:00:00Z TO 2024-03-02]')).toMatchObject({ match: { kind: 'range', lo: '2024-03-01T10:00:00Z', hi: '2024-03-02' } });
  });

  it('points at the mistake', () => {
    expect(syntaxError('host:DC01 AND')).toMatchObject({ start: 10, end: 13 });
    expect(syntaxError('(a OR b')).toMatchObject({ start: 0, message: expect.stringContaining('Missing ")"') });
    expect(syntaxError('a OR b)')).toMatchObject({ start: 6, message: expect.stringContaining('Unbalanced') });
    expect(syntaxError('"open phrase')).toMatchObject({ start: 0, suggestion: expect.stringContaining('closing') });
    expect(syntaxError('port:[1 1024]').message).toContain('TO');
    expect(syntaxError('host:').start).toBe(0);
  });

  it('bounds nesting', () => {
    expect(syntaxError(`${'('.repeat(200)}a${')'.repeat(200)}`).message).toMatch(/nests too deeply/);
  });
});

describe('values', () => {
  it('escapes LIKE specials and maps wildcards', () => {
    expect(likePattern('50%_off*', [7], false)).toBe('50\\%\\_off%');
    expect(likePattern('a?c', [1], true)).toBe('%a_c%');
  });

  it('parses CIDR filters over IPv4 and IPv6', () => {
    expect(parseCidrFilter('10.1.2.3')).toBeNull(); // a bare address is an equality, not a block
    const c = parseCidrFilter('172.16.0.0/12');
    expect(c).toMatchObject({ family: 4, prefix: 12 });
    expect(cidrHolds(c as NonNullable<typeof c>, '172.31.255.1')).toBe(true);
    expect(cidrHolds(c as NonNullable<typeof c>, '172.32.0.1')).toBe(false);
    expect(cidrHolds(c as NonNullable<typeof c>, 'not an ip')).toBe(false);
    const v6 = parseCidrFilter('2001:db8:bad::/48');
    expect(cidrHolds(v6 as NonNullable<typeof v6>, '2001:0db8:0bad:0000::7')).toBe(true);
    expect(cidrHolds(v6 as NonNullable<typeof v6>, '2001:db8:bae::7')).toBe(false);
    expect(parseCidrFilter('10.0.0.0/33')).toBeNull();
    expect(parseCidrFilter('1:2:3:4:5:6:7:8:9/64')).toBeNull();
  });

  it('writes IPv6 in its RFC 5952 canonical form, and mapped IPv4 as the IPv4 host', () => {
    const c = (s: string) => parseIp(s)?.canonical;
    expect(c('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(c('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(c('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(c('2001:db8::ffff:1.2.3.4')).toBe(c('2001:db8::ffff:102:304'));
    expect(c('::')).toBe('::');
    expect(c('::1')).toBe('::1');
    expect(c('fe80::')).toBe('fe80::');
    expect(c('::ffff:0a01:0203')).toBe('10.1.2.3');
  });

  it('reads times at the precision typed', () => {
    const d = parseTimeValue('2024-03-01');
    expect(d?.start.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(d?.end.toISOString()).toBe('2024-03-02T00:00:00.000Z');
    expect(parseTimeValue('2024-03-01T12:30+02:00')?.start.toISOString()).toBe('2024-03-01T10:30:00.000Z');
    const now = new Date('2024-05-05T00:00:00Z');
    expect(parseTimeValue('now-15m', now)?.start.toISOString()).toBe('2024-05-04T23:45:00.000Z');
    expect(parseTimeValue('1700000000')?.start.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(parseTimeValue('yesterday')).toBeUndefined();
    expect(parseTimeValue('2024-13-01')).toBeUndefined();
  });

  it('measures edit distance with a cap', () => {
    expect(editDistance('comandline', 'commandline', 3)).toBe(1);
    expect(editDistance('abc', 'xyzxyzxyz', 2)).toBe(3);
  });
});
