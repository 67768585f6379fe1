import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/main/engine/case/migrations';
import { queryRows } from '../../../src/main/engine/db/sql';
import { deleteSourceRows, SourceTables } from '../../../src/main/engine/ingest/source-tables';

let inst: DuckDBInstance;
let conn: DuckDBConnection;
beforeEach(async () => {
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
});
afterEach(() => {
  conn.closeSync();
  inst.closeSync();
});

async function migrateTo(version: number): Promise<void> {
  for (const m of MIGRATIONS) if (m.version <= version) await m.up(conn);
}

const cols = (...names: string[]) => names.map((name) => ({ name, type: 'VARCHAR' }));

describe('field tables: which table a source goes into', () => {
  it('small sources of one family share a table widened for their fields; big ones and other families get their own', async () => {
    await migrateTo(Number.MAX_SAFE_INTEGER);
    const t = await SourceTables.load(conn, { shareMaxBytes: 1000, sharedMaxColumns: 4 });
    const a = t.place('stage:syslog', 'syslog', cols('host', 'message'), t.shares(10), 1);
    expect(a).toMatchObject({ create: true, shared: true });
    await t.prepare(conn, a, a.add, 1);
    t.committed(a);
    const b = t.place('stage:syslog', 'syslog', cols('Host', 'pid'), t.shares(20), 2);
    // Same table; only pid is new; Host lands in host (DuckDB names ignore case).
    expect(b).toMatchObject({ sourceId: a.sourceId, create: false, add: [{ name: 'pid', type: 'VARCHAR' }] });
    expect(b.target.get('host')?.name).toBe('host');
    await t.prepare(conn, b, b.add, 2);
    t.committed(b);
    // Past the width cap the family starts another table.
    const c = t.place('stage:syslog', 'syslog', cols('x1', 'x2'), true, 3);
    expect(c.create).toBe(true);
    expect(c.sourceId).not.toBe(a.sourceId);
    // Too big to share, or another family: a table of its own.
    expect(t.place('stage:syslog', 'syslog', cols('host'), t.shares(5000), 4)).toMatchObject({ create: true, shared: false });
    expect(t.place('stage:web', 'web-access', cols('host'), true, 5).sourceId).not.toBe(a.sourceId);
    const shape = await queryRows(conn, `SELECT column_name FROM duckdb_columns() WHERE table_name = '${a.table}' ORDER BY column_index`);
    expect(shape.map((r) => r.column_name)).toEqual(['rid', 'evidence_id', 'host', 'message', 'pid']);
  });

  it('a value type the shared column cannot hold sends the source to another table; text columns take anything', async () => {
    await migrateTo(Number.MAX_SAFE_INTEGER);
    const t = await SourceTables.load(conn, { shareMaxBytes: 1000, sharedMaxColumns: 50 });
    const a = t.place('json:generic', 'json', [{ name: 'n', type: 'BIGINT' }, { name: 's', type: 'VARCHAR' }], true, 1);
    await t.prepare(conn, a, a.add, 1);
    t.committed(a);
    expect(t.place('json:generic', 'json', [{ name: 's', type: 'BIGINT' }], true, 2).sourceId).toBe(a.sourceId);
    expect(t.place('json:generic', 'json', [{ name: 'n', type: 'VARCHAR' }], true, 3).sourceId).not.toBe(a.sourceId);
  });

  it('a rolled-back placement leaves no trace in the cache', async () => {
    await migrateTo(Number.MAX_SAFE_INTEGER);
    const t = await SourceTables.load(conn, { shareMaxBytes: 1000, sharedMaxColumns: 50 });
    await conn.run('BEGIN TRANSACTION');
    const a = t.place('stage:text', 'text', cols('message'), true, 1);
    await t.prepare(conn, a, a.add, 1);
    await conn.run('ROLLBACK');
    t.rolledBack(a);
    const b = t.place('stage:text', 'text', cols('message'), true, 1);
    // The id freed by the rollback is the evidence's own again.
    expect(b.sourceId).toBe(1);
    expect(b.create).toBe(true);
    await t.prepare(conn, b, b.add, 1);
    t.committed(b);
    expect(await queryRows(conn, "SELECT count(*) AS n FROM duckdb_tables() WHERE starts_with(table_name, 'src_')")).toEqual([{ n: 1 }]);
  });
});

describe('migration 7 on a case made with a table per file', () => {
  it('keeps the old tables, lists them in source_evidence, and removing an evidence drops its table', async () => {
    await migrateTo(6);
    await conn.run("INSERT INTO sources VALUES (1, 1, 'src_1', 'json', 2), (2, 2, 'src_2', 'syslog', 1)");
    await conn.run("CREATE TABLE src_1 AS SELECT range AS rid, 'x' AS a FROM range(2)");
    await conn.run("CREATE TABLE src_2 AS SELECT 0::BIGINT AS rid, 'y' AS b");
    await MIGRATIONS.find((m) => m.version === 7)?.up(conn);
    expect(await queryRows(conn, 'SELECT source_id, evidence_id, rows FROM source_evidence ORDER BY 1')).toEqual([
      { source_id: 1, evidence_id: 1, rows: 2 },
      { source_id: 2, evidence_id: 2, rows: 1 },
    ]);
    expect(await queryRows(conn, 'SELECT id, shared FROM sources ORDER BY id')).toEqual([
      { id: 1, shared: false },
      { id: 2, shared: false },
    ]);
    // New sources take ids after the old ones; old tables are never shared into.
    const t = await SourceTables.load(conn, { shareMaxBytes: 1000, sharedMaxColumns: 50 });
    expect(t.place('json:generic', 'json', cols('a'), true, 3)).toMatchObject({ sourceId: 3, table: 'src_3', create: true });
    // An evidence read again whose id names a table still in use gets an id beyond any evidence id.
    expect(t.place('json:generic', 'json', cols('zz'), false, 2)).toMatchObject({ sourceId: 1_000_000_002, create: true });
    expect(await deleteSourceRows(conn, 1)).toEqual(['src_1']);
    expect(await queryRows(conn, "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'src_') ORDER BY 1")).toEqual([{ table_name: 'src_2' }]);
  });
});
