import { describe, expect, it } from 'vitest';
import { JsonRecordSplitter } from '../../../src/main/engine/ingest/json-records';

function run(shape: 'ndjson' | 'array' | 'concat', text: string, max = 10_000): { records: Array<[unknown, number]>; rejects: Array<[string, number]> } {
  const records: Array<[unknown, number]> = [];
  const rejects: Array<[string, number]> = [];
  const s = new JsonRecordSplitter(shape, max, { record: (v, l) => records.push([v, l]), reject: (r, l) => rejects.push([r, l]) });
  const lines = text.split('\n');
  lines.forEach((l, i) => s.line(l, i + 1));
  s.end(lines.length);
  return { records, rejects };
}

describe('JsonRecordSplitter', () => {
  it('NDJSON: each line is a record; a bad line costs only itself, with its line number', () => {
    const r = run('ndjson', '{"a":1}\n{"a":2\n\n{"a":3}\nnot json\n');
    expect(r.records).toEqual([
      [{ a: 1 }, 1],
      [{ a: 3 }, 4],
    ]);
    expect(r.rejects.map((x) => x[1])).toEqual([2, 5]);
    expect(r.rejects[0]?.[0]).toMatch(/not valid JSON/);
  });

  it('concatenated pretty-printed objects, with braces and quotes inside strings', () => {
    const r = run('concat', '{\n  "a": "x}{\\"",\n  "b": {"c": [1, {"d": 2}]}\n}\n{"e": 1}{"f": 2}\n');
    expect(r.records).toEqual([
      [{ a: 'x}{"', b: { c: [1, { d: 2 }] } }, 1],
      [{ e: 1 }, 5],
      [{ f: 2 }, 5],
    ]);
    expect(r.rejects).toEqual([]);
  });

  it('a truncated object does not swallow the records after it', () => {
    const r = run('concat', '{\n  "a": 1,\n{\n  "b": 2\n}\n{"c": "cut\n{"d": 4}\n');
    expect(r.records.map((x) => x[0])).toEqual([{ b: 2 }, { d: 4 }]);
    expect(r.rejects.map((x) => x[1])).toEqual([1, 6]);
  });

  it('array: the elements are the records, across lines', () => {
    const r = run('array', '[\n {"a": 1},\n {"a":\n  2}\n]\n');
    expect(r.records.map((x) => x[0])).toEqual([{ a: 1 }, { a: 2 }]);
    expect(r.rejects).toEqual([]);
    const cut = run('array', '[{"a": 1},\n{"a": 2}');
    expect(cut.records.map((x) => x[0])).toEqual([{ a: 1 }, { a: 2 }]);
    expect(cut.rejects[0]?.[0]).toMatch(/closing "]"/);
  });

  it('rejects records over the size limit without keeping them', () => {
    const r = run('concat', `{"big": "${'x'.repeat(500)}"}\n{"ok": 1}`, 100);
    expect(r.records.map((x) => x[0])).toEqual([{ ok: 1 }]);
    expect(r.rejects[0]?.[0]).toMatch(/longer than 100/);
  });
});

describe('JsonRecordSplitter scalars', () => {
  it('a JSON array of strings or numbers gives one record per element', () => {
    const r = run('array', '["a", "b,c", 3, true, null, "esc\\"aped"]');
    expect(r.records.map((x) => x[0])).toEqual(['a', 'b,c', 3, true, null, 'esc"aped']);
    expect(r.rejects).toEqual([]);
  });
});
