import { describe, expect, it } from 'vitest';
import { ColumnSet, csvField, OVERFLOW_COLUMN } from '../../../src/main/engine/ingest/staging-writer';

describe('staging CSV', () => {
  it('quotes only when needed; empty string and NULL stay distinct; NUL becomes U+FFFD', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('""');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"\nnext')).toBe('"say ""hi""\nnext"');
    expect(csvField('a\0b')).toBe('a\uFFFDb');
  });

  it('column names: case-insensitive duplicates and our rid get suffixes; past the cap fields overflow', () => {
    const c = new ColumnSet(4);
    expect(c.indexOf('Message')).toBe(0);
    expect(c.indexOf('message')).toBe(1);
    expect(c.indexOf('rid')).toBe(2);
    expect(c.indexOf('Message')).toBe(0);
    expect(c.names).toEqual(['Message', 'message#2', 'rid#2']);
    expect(c.indexOf('x')).toBe(3);
    expect(c.indexOf('y')).toBe(-1);
    expect(c.overflowed).toBe(true);
    expect(c.names[c.overflow()]).toBe(OVERFLOW_COLUMN);
  });
});
