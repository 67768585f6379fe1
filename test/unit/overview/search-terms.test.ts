import { describe, expect, it } from 'vitest';
import { addFilter, andTerm, anyOf, termFor } from '../../../src/shared/search-terms';
import { parseQuery } from '../../../src/main/engine/query/parse';

describe('search terms built from values', () => {
  it('quotes what needs quoting and parses back', () => {
    expect(termFor('src_ip', '10.0.0.1')).toBe('src_ip:10.0.0.1');
    expect(termFor('message', 'ET MALWARE "x"')).toBe('message:"ET MALWARE \\"x\\""');
    expect(termFor('id.orig_h', 'or')).toBe('id.orig_h:"or"');
    expect(termFor('Source IP', 'a b')).toBe('"Source IP":"a b"');
    expect(anyOf('action', ['logon', 'ssh-login'])).toBe('action:(logon OR ssh-login)');
    expect(anyOf('"odd" field', ['a b', 'c'])).toBe('"\\"odd\\" field":("a b" OR c)');
    expect(andTerm('a OR b', 'c:d')).toBe('(a OR b) AND c:d');
    expect(addFilter('', 'host', 'x', true)).toBe('NOT host:x');
    for (const q of [anyOf('action', ['logon', 'ssh-login']), anyOf('"odd" field', ['a b', 'c']), termFor('message', 'ET MALWARE "x"'), andTerm('a OR b', anyOf('u', ['x', 'y z']))]) {
      expect(() => parseQuery(q), q).not.toThrow();
    }
  });
});
