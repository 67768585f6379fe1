import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/main/engine/ingest/line-splitter';
import type { TextEncodingName } from '../../../src/main/engine/ingest/format-support';

interface Out {
  lines: Array<[number, string, boolean]>;
  long: Array<[number, number, string]>;
}

function split(input: Buffer, encoding: TextEncodingName, bom: number, max: number, pieceSize = input.length): Out {
  const out: Out = { lines: [], long: [] };
  const s = new LineSplitter(encoding, bom, max, {
    line: (t, n, l1) => out.lines.push([n, t, l1]),
    tooLong: (n, len, head) => out.long.push([n, len, head]),
  });
  for (let i = 0; i < input.length; i += Math.max(1, pieceSize)) s.push(input.subarray(i, i + Math.max(1, pieceSize)));
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it('splits LF and CRLF, keeps empty lines, and ends without a trailing newline', () => {
    const out = split(Buffer.from('a\r\nb\n\nc'), 'utf8', 0, 100);
    expect(out.lines.map((l) => l[1])).toEqual(['a', 'b', '', 'c']);
    expect(out.lines.map((l) => l[0])).toEqual([1, 2, 3, 4]);
  });

  it('never cuts a multi-byte character, whatever the read boundaries', () => {
    const text = 'é€😀 line one\nsecond ü line\n';
    for (const piece of [1, 2, 3, 5, 7]) {
      const out = split(Buffer.from(text), 'utf8', 0, 100, piece);
      expect(out.lines.map((l) => l[1])).toEqual(['é€😀 line one', 'second ü line']);
    }
  });

  it('skips a UTF-8 BOM and reads a Latin-1 line inside a UTF-8 file as Latin-1, flagged', () => {
    const buf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ok\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), Buffer.from('après\n')]);
    const out = split(buf, 'utf8', 3, 100, 4);
    expect(out.lines).toEqual([
      [1, 'ok', false],
      [2, 'café', true],
      [3, 'après', false],
    ]);
  });

  it('decodes Latin-1 files byte for byte', () => {
    const out = split(Buffer.from([0x41, 0xe9, 0x0a, 0xff]), 'latin1', 0, 100);
    expect(out.lines.map((l) => l[1])).toEqual(['Aé', 'ÿ']);
  });

  it('decodes UTF-16 LE and BE with BOM, including a pair cut across reads', () => {
    const text = 'first 😀\r\nsecond\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const piece of [1, 3, 1000]) {
      expect(split(le, 'utf16le', 2, 100, piece).lines.map((l) => l[1])).toEqual(['first 😀', 'second']);
      expect(split(be, 'utf16be', 2, 100, piece).lines.map((l) => l[1])).toEqual(['first 😀', 'second']);
    }
  });

  it('reports an over-long line with its head and keeps counting lines after it, in bounded memory', () => {
    const huge = 'x'.repeat(5000);
    const out = split(Buffer.from(`short\n${huge}\nafter\n`), 'utf8', 0, 1000, 64);
    expect(out.lines.map((l) => [l[0], l[1]])).toEqual([
      [1, 'short'],
      [3, 'after'],
    ]);
    expect(out.long).toHaveLength(1);
    expect(out.long[0]?.[0]).toBe(2);
    expect(out.long[0]?.[1]).toBeGreaterThan(1000);
    expect(out.long[0]?.[2].startsWith('xxx')).toBe(true);
  });

  it('handles a file that is one endless line without holding it', () => {
    const out = split(Buffer.alloc(3_000_000, 0x41), 'utf8', 0, 1000, 65536);
    expect(out.lines).toHaveLength(0);
    expect(out.long).toEqual([[1, 3_000_000, expect.stringMatching(/^A+$/)]]);
  });
});
