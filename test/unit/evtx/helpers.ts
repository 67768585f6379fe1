import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { readEvtx, type EvtxEvent, type EvtxIssue, type EvtxReadOptions, type EvtxSummary } from '../../../src/main/engine/evtx';

export interface ReadOutcome {
  events: EvtxEvent[];
  issues: EvtxIssue[];
  summary: EvtxSummary;
  batches: number;
}

/** Read a whole file through the public API (inline unless told otherwise). */
export async function readAll(path: string, opts: EvtxReadOptions = {}): Promise<ReadOutcome> {
  const issues: EvtxIssue[] = [];
  const reader = readEvtx(path, { workers: 0, ...opts, onIssue: (i) => issues.push(i) });
  const events: EvtxEvent[] = [];
  let batches = 0;
  for await (const batch of reader) {
    batches++;
    events.push(...batch);
  }
  return { events, issues, summary: reader.summary, batches };
}

/** A temp folder removed after the test file; files written into it by name. */
export function tempFiles(): (name: string, data: Buffer) => string {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-evtx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name, data) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
}

/** The accounting every read must satisfy, whatever the damage. */
export function balanced(s: EvtxSummary): boolean {
  return s.recordsSeen === s.recordsReturned + s.recordsRejected;
}
