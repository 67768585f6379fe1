import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, expect } from 'vitest';
import type { ImportSummary } from '../../../src/shared/contract';
import { queryRows, type Row } from '../../../src/main/engine/db/sql';
import type { ImportStartRequest } from '../../../src/main/engine/ingest/import-service';
import type { IngestSettings } from '../../../src/main/engine/ingest/settings';
import { Engine } from '../../../src/main/engine/service/engine';
import { tempDir } from '../../helpers';

/** A fresh engine with a fresh case in a temp folder; closed and removed by the returned cleanup. */
export async function freshEngine(ingest: Partial<IngestSettings> = {}): Promise<{ engine: Engine; dir: string; cleanup: () => void }> {
  const tmp = tempDir('loupe-ingest-');
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  const engine = new Engine({ host: 'test', ingest });
  await engine.useCase(join(tmp.dir, 'case'), { mode: 'create' });
  return {
    engine,
    dir: tmp.dir,
    cleanup: () => {
      engine.close();
      tmp.cleanup();
    },
  };
}

/** For a describe block: engines made by the returned function are closed and removed after each test. */
export function enginesPerTest(): (ingest?: Partial<IngestSettings>) => ReturnType<typeof freshEngine> {
  const made: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of made.splice(0)) cleanup();
  });
  return async (ingest = {}) => {
    const f = await freshEngine(ingest);
    made.push(f.cleanup);
    return f;
  };
}

export async function importAndWait(engine: Engine, req: ImportStartRequest): Promise<ImportSummary> {
  const id = await engine.imports.start(req);
  return engine.imports.wait(id);
}

export function sql(engine: Engine, text: string, params?: Record<string, string | number>): Promise<Row[]> {
  return queryRows(engine.case.conn, text, params);
}

/** Every file of a summary reconciles, and the case agrees with the summary. */
export async function expectReconciled(engine: Engine, summary: ImportSummary): Promise<void> {
  for (const f of summary.files) expect(f.seen, f.path).toBe(f.stored + f.rejected);
  const t = summary.totals;
  expect(t.seen).toBe(t.stored + t.rejected);
  for (const f of summary.files) {
    if (f.kind !== 'file' || f.status === 'failed' || f.status === 'skipped-duplicate' || f.status === 'cancelled') continue;
    const [ev] = await sql(engine, 'SELECT count(*) AS n FROM events WHERE evidence_id = $id', { id: f.evidenceId });
    expect(Number(ev?.n), `events of ${f.path}`).toBe(f.stored);
    const [rj] = await sql(engine, "SELECT count(*) AS n FROM ingest_errors WHERE evidence_id = $id AND kind = 'rejected'", { id: f.evidenceId });
    expect(Number(rj?.n), `rejections of ${f.path}`).toBe(f.rejected);
    expect(await fieldRows(engine, f.evidenceId), `field rows of ${f.path}`).toBe(f.stored);
    const [se] = await sql(engine, 'SELECT coalesce(sum(rows), 0) AS n FROM source_evidence WHERE evidence_id = $id', { id: f.evidenceId });
    expect(Number(se?.n), `source_evidence rows of ${f.path}`).toBe(f.stored);
  }
  // No event without its field-table row, no field-table row without its event, and each table's count is right.
  const tables = await sql(engine, 'SELECT id, table_name, rows FROM sources');
  for (const s of tables) {
    const t = String(s.table_name);
    const [o] = await sql(engine, `SELECT count(*) AS n FROM events e WHERE e.source_id = ${Number(s.id)} AND NOT EXISTS (SELECT 1 FROM "${t}" x WHERE x.rid = e.rid)`);
    expect(Number(o?.n), `orphan events of ${t}`).toBe(0);
    const [r] = await sql(engine, `SELECT count(*) AS n FROM "${t}" x WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.source_id = ${Number(s.id)} AND e.rid = x.rid AND e.evidence_id = x.evidence_id)`);
    expect(Number(r?.n), `field rows of ${t} without their event`).toBe(0);
    const [n] = await sql(engine, `SELECT count(*) AS n FROM "${t}"`);
    expect(Number(n?.n), `sources.rows of ${t}`).toBe(Number(s.rows));
  }
}

/** Rows an evidence has in the field tables (shared or its own). */
export async function fieldRows(engine: Engine, evidenceId: number): Promise<number> {
  const tables = await sql(engine, 'SELECT s.table_name FROM source_evidence se JOIN sources s ON s.id = se.source_id WHERE se.evidence_id = $id', { id: evidenceId });
  let total = 0;
  for (const t of tables) {
    const [n] = await sql(engine, `SELECT count(*) AS n FROM "${String(t.table_name)}" WHERE evidence_id = $id`, { id: evidenceId });
    total += Number(n?.n ?? 0);
  }
  return total;
}

/** The field table holding an evidence's rows (the only one: a file's rows go to one table). */
export async function fieldTable(engine: Engine, evidenceId: number): Promise<string> {
  const rows = await sql(engine, 'SELECT s.table_name FROM source_evidence se JOIN sources s ON s.id = se.source_id WHERE se.evidence_id = $id', { id: evidenceId });
  expect(rows, `field tables of evidence ${evidenceId}`).toHaveLength(1);
  return String(rows[0]?.table_name);
}

/**
 * Every statement an import runs on the connections it opens (runAndReadAll
 * goes through run) passes through `hook`, which may run it (`run`) or not.
 */
export function onImportRun(
  engine: Engine,
  hook: (text: string, params: Record<string, unknown> | undefined, run: DuckDBConnection['run']) => ReturnType<DuckDBConnection['run']>,
): void {
  const kase = engine.case;
  const connect = kase.connect.bind(kase);
  kase.connect = async (): Promise<DuckDBConnection> => {
    const c = await connect();
    const run = c.run.bind(c);
    c.run = ((text: string, params?: Record<string, unknown>) => hook(text, params, run)) as typeof c.run;
    return c;
  };
}

/** No event and no field-table row in the case. */
export async function expectNoRows(engine: Engine): Promise<void> {
  expect(await sql(engine, 'SELECT count(*) AS n FROM events')).toEqual([{ n: 0 }]);
  const tables = await sql(engine, `SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, 'src_')`);
  for (const t of tables) expect(await sql(engine, `SELECT count(*) AS n FROM "${String(t.table_name)}"`)).toEqual([{ n: 0 }]);
}

/** The connections the import opens from now on, and which of them it gave back. */
export function followConnections(engine: Engine): { opened: unknown[]; released: Set<unknown> } {
  const kase = engine.case;
  const opened: unknown[] = [];
  const released = new Set<unknown>();
  const connect = kase.connect.bind(kase);
  kase.connect = async () => {
    const c = await connect();
    opened.push(c);
    return c;
  };
  const release = kase.release.bind(kase);
  kase.release = (c) => {
    released.add(c);
    release(c);
  };
  return { opened, released };
}
