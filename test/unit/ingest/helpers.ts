import { expect } from 'vitest';
import type { LineParser, LineResult, ParsedRecord, ParseResult } from '../../../src/main/engine/ingest/formats/types';

/** The record, failing the test with the parser's reason when there is none. */
export function ok(r: ParseResult | LineResult): ParsedRecord {
  if ('error' in r) throw new Error(`expected a record, got rejection: ${r.error}`);
  if ('skip' in r) throw new Error(`expected a record, got skip: ${r.skip}`);
  return r;
}

export function rejected(r: ParseResult | LineResult): string {
  expect(r).toHaveProperty('error');
  return (r as { error: string }).error;
}

/** Feeds a whole text to a line parser; returns records, rejections and skips in order. */
export function feed(p: LineParser, text: string): { records: ParsedRecord[]; errors: Array<{ line: number; error: string }>; skips: number } {
  const records: ParsedRecord[] = [];
  const errors: Array<{ line: number; error: string }> = [];
  let skips = 0;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let n = 0;
  const take = (r: LineResult, line: number): void => {
    if ('core' in r) records.push(r);
    else if ('error' in r) errors.push({ line: r.pos ?? line, error: r.error });
    else skips++;
  };
  for (const raw of lines) {
    n++;
    take(p.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw, n), n);
    for (const r of p.drain?.() ?? []) take(r, n);
  }
  for (const r of p.end()) take(r, n + 1);
  return { records, errors, skips };
}
