import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { join } from 'node:path';
import { queryRows, type Row } from '../../../src/main/engine/db/sql';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine, type EngineOptions } from '../../../src/main/engine/service/engine';
import type { OpInput, OpName, OpOutput } from '../../../src/shared/contract';
import { tempDir } from '../../helpers';

/** Short intervals so tests wait milliseconds, not seconds. */
export const FAST_LIVE: EngineOptions['live'] = { hookIntervalMs: 200, statsIntervalMs: 200, pump: { intervalMs: 100, coalesceMs: 10 }, followIntervalMs: 50 };

export interface LiveFixture {
  engine: Engine;
  dir: string;
  caseDir: string;
  op<K extends OpName>(name: K, input: OpInput<K>): Promise<OpOutput<K>>;
  sql(text: string, params?: Record<string, string | number>): Promise<Row[]>;
  cleanup(): Promise<void>;
}

/** A fresh engine and case in a temp folder, driven through the contract (as every host does). */
export async function liveFixture(options: Partial<EngineOptions> = {}): Promise<LiveFixture> {
  const tmp = tempDir('loupe-live-');
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  const engine = new Engine({ host: 'test', live: FAST_LIVE, ...options });
  const caseDir = join(tmp.dir, 'case');
  await engine.useCase(caseDir, { mode: 'create' });
  return {
    engine,
    dir: tmp.dir,
    caseDir,
    op: (name, input) => call(engine.handlers, name, input),
    sql: (text, params) => queryRows(engine.case.conn, text, params),
    cleanup: async () => {
      await engine.close();
      tmp.cleanup();
    },
  };
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<number> {
  const t0 = Date.now();
  // Bounded by the deadline.
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

export function sendTcp(port: number, text: string | Buffer): Promise<void> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => s.end(text));
    s.on('error', fail);
    s.on('close', () => ok());
  });
}

export async function sendUdp(port: number, messages: string[]): Promise<void> {
  const s = createSocket('udp4');
  for (const m of messages) await new Promise<void>((ok, fail) => s.send(m, port, '127.0.0.1', (e) => (e ? fail(e) : ok())));
  s.close();
}

/** How many events match a query, through the search API (what the analyst sees). */
export async function searchTotal(f: LiveFixture, query: string): Promise<number> {
  const r = await f.op('search', { query, count: true, limit: 1 });
  return r.total ?? 0;
}
