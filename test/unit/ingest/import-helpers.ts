import { join } from 'node:path';
import { expect } from 'vitest';
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
    const [src] = await sql(engine, `SELECT count(*) AS n FROM "src_${f.evidenceId}"`);
    expect(Number(src?.n), `field rows of ${f.path}`).toBe(f.stored);
  }
  // No event without its field-table row.
  const orphans = await sql(engine, 'SELECT table_name FROM sources');
  for (const s of orphans) {
    const [o] = await sql(engine, `SELECT count(*) AS n FROM events e WHERE e.source_id = (SELECT id FROM sources WHERE table_name = '${String(s.table_name)}') AND NOT EXISTS (SELECT 1 FROM "${String(s.table_name)}" x WHERE x.rid = e.rid)`);
    expect(Number(o?.n), `orphan events of ${String(s.table_name)}`).toBe(0);
  }
}
