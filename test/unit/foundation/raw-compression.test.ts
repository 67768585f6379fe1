import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Case } from '../../../src/main/engine/case/case';
import { DB_FILE, writeCaseManifest } from '../../../src/main/engine/case/case-file';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/main/engine/case/migrations';
import { tempDir } from '../../helpers';

/**
 * The raw text of events is stored with zstd (migration 8) in case files
 * whose storage format can hold it, and an older case file keeps its table
 * as it is: zstd asked of a v1.0 file would store the column uncompressed.
 */
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const LINE = (i: number) => `Mar 27 13:06:${String(i % 60).padStart(2, '0')} ip-10-77-20-248 sshd[${1000 + (i % 97)}]: Failed password for invalid user admin${i % 13} from 10.0.${i % 250}.${i % 7} port ${40000 + i} ssh2`;

async function insertEvents(conn: DuckDBConnection, n: number): Promise<void> {
  await conn.run(`INSERT INTO events (id, evidence_id, source_id, rid, dataset, raw) SELECT i, 1, 1, i, 'linux.auth', $pre || i || ' port ' || (i * 7919 % 65536) FROM range($n) r(i)`, {
    pre: LINE(1),
    n,
  });
  await conn.run('CHECKPOINT');
}

async function rawCompression(conn: DuckDBConnection): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT DISTINCT compression FROM pragma_storage_info('events') WHERE column_name = 'raw' AND segment_type = 'VARCHAR' ORDER BY 1`);
  return r.getRows().map((row) => String(row[0]));
}

async function storageVersion(conn: DuckDBConnection): Promise<string> {
  const r = await conn.runAndReadAll(`SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()`);
  return String(r.getRows()[0]?.[0]);
}

describe('raw text compression', () => {
  it('writes a new case at v1.5 storage and keeps raw in zstd', async () => {
    const c = await Case.create(join(tmp.dir, 'new'));
    try {
      expect(await storageVersion(c.conn)).toMatch(/^v1\.5\./);
      await insertEvents(c.conn, 200_000);
      expect(await rawCompression(c.conn)).toEqual(['ZSTD']);
    } finally {
      c.close();
    }
  });

  it('upgrades a schema-7 case at v1.5 storage by rebuilding events, keeping every row', async () => {
    const dir = join(tmp.dir, 'v15');
    await writeSchema7Case(dir, { storage_compatibility_version: 'v1.5.0' }, 50_000);
    const c = await Case.open(dir);
    try {
      expect((await c.info()).schemaVersion).toBe(SCHEMA_VERSION);
      const r = await c.conn.runAndReadAll(`SELECT count(*), sum(hash(raw)) = (SELECT sum(hash($pre || i || ' port ' || (i * 7919 % 65536))) FROM range(50000) r(i)) FROM events`, { pre: LINE(1) });
      expect(r.getRows()[0]).toEqual([50_000n, true]);
      await c.conn.run('CHECKPOINT');
      expect(await rawCompression(c.conn)).toEqual(['ZSTD']);
    } finally {
      c.close();
    }
  });

  it('leaves the events table of a case file at v1.0 storage as it was', async () => {
    const dir = join(tmp.dir, 'v10');
    await writeSchema7Case(dir, {}, 50_000);
    const c = await Case.open(dir);
    try {
      expect(await storageVersion(c.conn)).toMatch(/^v1\.0\./);
      expect((await c.info()).schemaVersion).toBe(SCHEMA_VERSION);
      expect(Number((await c.conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]?.[0])).toBe(50_000);
      await insertEvents(c.conn, 0);
      // Not 'Uncompressed', which zstd asked of this storage would have given.
      expect(await rawCompression(c.conn)).not.toContain('Uncompressed');
      expect(await rawCompression(c.conn)).not.toContain('ZSTD');
    } finally {
      c.close();
    }
  });
});

/** A case as Loupe wrote it before migration 8: the steps up to 7, in a file of the given storage format. */
async function writeSchema7Case(dir: string, options: Record<string, string>, events: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(join(dir, DB_FILE), options);
  const conn = await db.connect();
  for (const m of MIGRATIONS.filter((x) => x.version <= 7)) await m.up(conn);
  await conn.run(`INSERT INTO meta VALUES ('schema_version', '7')`);
  await insertEvents(conn, events);
  conn.closeSync();
  db.closeSync();
  writeCaseManifest(dir, { format: 'loupe-case', schemaVersion: 7, id: 'c0ffee00-0000-4000-8000-000000000000', name: 'old', createdAt: '2026-01-01T00:00:00.000Z', appVersion: '0.0.0' });
}
