import type { DuckDBConnection } from '@duckdb/node-api';
import { createAlertTables } from '../alerts/alerts-schema';
import { createFindingsTables } from '../report/findings-schema';
import { createLiveTables } from '../live/live-store';

/**
 * Schema migrations, oldest first. A case records the version it is at; opening
 * it runs the missing steps in one transaction each. Never edit a released
 * step: add a new one, so every case on disk upgrades the same way.
 */
export interface Migration {
  version: number;
  why: string;
  up: (conn: DuckDBConnection) => Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    why: 'evidence manifest, import runs, per-source field tables, the events core, ingest errors',
    up: async (conn) => {
      await conn.run(`
        CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
        CREATE TABLE imports (
          id INTEGER PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
          options VARCHAR, status VARCHAR NOT NULL);
        CREATE TABLE evidence (
          id INTEGER PRIMARY KEY, parent_id INTEGER, import_id INTEGER, path VARCHAR NOT NULL,
          sha256 VARCHAR, size BIGINT, mtime TIMESTAMP, format VARCHAR, format_confidence DOUBLE,
          tz VARCHAR, status VARCHAR NOT NULL, seen BIGINT DEFAULT 0, stored BIGINT DEFAULT 0,
          rejected BIGINT DEFAULT 0, warnings BIGINT DEFAULT 0, first_ts TIMESTAMP, last_ts TIMESTAMP,
          started_at TIMESTAMP, finished_at TIMESTAMP, seconds DOUBLE, message VARCHAR);
        CREATE TABLE sources (
          id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL, table_name VARCHAR NOT NULL,
          format VARCHAR NOT NULL, rows BIGINT DEFAULT 0);
        CREATE TABLE events (
          id BIGINT NOT NULL, evidence_id INTEGER NOT NULL, source_id INTEGER NOT NULL,
          rid BIGINT NOT NULL, pos BIGINT,
          ts TIMESTAMP, dataset VARCHAR NOT NULL, host VARCHAR, event_code VARCHAR, severity VARCHAR,
          message VARCHAR, src_ip VARCHAR, src_port INTEGER, dst_ip VARCHAR, dst_port INTEGER,
          protocol VARCHAR, "user" VARCHAR, process VARCHAR, action VARCHAR, outcome VARCHAR,
          raw VARCHAR);
        CREATE TABLE ingest_errors (
          evidence_id INTEGER NOT NULL, pos BIGINT, pos_kind VARCHAR, kind VARCHAR NOT NULL,
          reason VARCHAR NOT NULL, excerpt VARCHAR);
      `);
    },
  },
  {
    version: 2,
    why: 'the hunt: bookmarked (starred) events, tags on events, saved searches',
    // IF NOT EXISTS: a case whose version marker was lost re-runs every step; this one must not fail on its own tables.
    up: async (conn) => {
      await conn.run(`
        CREATE TABLE IF NOT EXISTS bookmarks (event_id BIGINT PRIMARY KEY, created_at TIMESTAMP NOT NULL, note VARCHAR);
        CREATE TABLE IF NOT EXISTS event_tags (event_id BIGINT NOT NULL, tag VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (event_id, tag));
        CREATE TABLE IF NOT EXISTS saved_searches (
          id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, query VARCHAR NOT NULL,
          time_from VARCHAR, time_to VARCHAR, created_at TIMESTAMP NOT NULL);
      `);
    },
  },
  {
    version: 3,
    why: 'import pipeline: where each evidence came from (origin file, archive member chain), how its format was chosen, and its encoding',
    up: async (conn) => {
      // origin: the file on disk the analyst named (the outermost archive for a member);
      // member: the chain of names inside archives, joined with "!" (NULL for a plain file).
      // kind: 'file' (records were read from it) or 'container' (an archive opened for its members).
      await conn.run(`
        ALTER TABLE evidence ADD COLUMN origin VARCHAR;
        ALTER TABLE evidence ADD COLUMN member VARCHAR;
        ALTER TABLE evidence ADD COLUMN kind VARCHAR DEFAULT 'file';
        ALTER TABLE evidence ADD COLUMN format_reason VARCHAR;
        ALTER TABLE evidence ADD COLUMN format_forced BOOLEAN DEFAULT false;
        ALTER TABLE evidence ADD COLUMN encoding VARCHAR;
        ALTER TABLE evidence ADD COLUMN bytes_read BIGINT DEFAULT 0;
      `);
    },
  },
  {
    version: 4,
    why: 'detections: rule packs, rule statuses and settings, alerts and their events, suppressions, runs',
    up: createAlertTables,
  },
  {
    version: 5,
    why: 'findings: case notes and what they are attached to, the log of exports and reports, SIEM destinations and the forward log',
    up: createFindingsTables,
  },
  {
    version: 6,
    why: 'live sources: syslog listeners and watched files, with the journal position committed with their events',
    up: createLiveTables,
  },
  {
    version: 7,
    why: 'small sources share field tables: sources lists tables, source_evidence says which evidence has rows in which',
    // A table per file cost every case a block per column and catalog memory per table:
    // 4,800 small files made a 1.6 GB case that ran out of memory (docs/data-model.md).
    // sources.evidence_id stays for a table of one evidence only; a shared table has NULL.
    up: async (conn) => {
      await conn.run(`
        ALTER TABLE sources ALTER COLUMN evidence_id DROP NOT NULL;
        ALTER TABLE sources ADD COLUMN shared BOOLEAN DEFAULT false;
        ALTER TABLE sources ADD COLUMN family VARCHAR;
        CREATE TABLE IF NOT EXISTS source_evidence (source_id INTEGER NOT NULL, evidence_id INTEGER NOT NULL, rows BIGINT NOT NULL DEFAULT 0);
        INSERT INTO source_evidence SELECT id, evidence_id, rows FROM sources WHERE evidence_id IS NOT NULL;
      `);
    },
  },
  {
    version: 8,
    why: 'the raw text of events is compressed with zstd, where the case file can hold it',
    // DuckDB's default string compression (dictionary, FSST) spent a second of
    // every million auth.log lines at COMMIT and left raw at 3x the size zstd
    // does (docs/data-model.md). A case file written before v1.2 storage cannot
    // hold zstd (DuckDB would store the column uncompressed), so it keeps its
    // table; new case files are written at CASE_STORAGE_VERSION (case.ts).
    up: async (conn) => {
      if (!(await storageHasZstd(conn))) return;
      // The table as of step 1, restated rather than shared: a released step never changes.
      await conn.run(`
        CREATE TABLE events_zstd (
          id BIGINT NOT NULL, evidence_id INTEGER NOT NULL, source_id INTEGER NOT NULL,
          rid BIGINT NOT NULL, pos BIGINT,
          ts TIMESTAMP, dataset VARCHAR NOT NULL, host VARCHAR, event_code VARCHAR, severity VARCHAR,
          message VARCHAR, src_ip VARCHAR, src_port INTEGER, dst_ip VARCHAR, dst_port INTEGER,
          protocol VARCHAR, "user" VARCHAR, process VARCHAR, action VARCHAR, outcome VARCHAR,
          raw VARCHAR USING COMPRESSION zstd);
        INSERT INTO events_zstd SELECT * FROM events;
        DROP TABLE events;
        ALTER TABLE events_zstd RENAME TO events;
      `);
    },
  },
];

/** The case file's storage format is v1.2 or later, the first with zstd for text. */
async function storageHasZstd(conn: DuckDBConnection): Promise<boolean> {
  const r = await conn.runAndReadAll(`SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()`);
  const m = /^v(\d+)\.(\d+)/.exec(String(r.getRows()[0]?.[0] ?? ''));
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 2);
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export async function currentVersion(conn: DuckDBConnection): Promise<number> {
  const hasMeta = await conn.runAndReadAll(
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'meta'",
  );
  if (Number(hasMeta.getRows()[0]?.[0] ?? 0) === 0) return 0;
  const r = await conn.runAndReadAll("SELECT value FROM meta WHERE key = 'schema_version'");
  const v = r.getRows()[0]?.[0];
  return v === undefined || v === null ? 0 : Number(v);
}

export async function migrate(conn: DuckDBConnection, from: number): Promise<number> {
  let version = from;
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    await conn.run('BEGIN TRANSACTION');
    try {
      await m.up(conn);
      await conn.run("INSERT OR REPLACE INTO meta VALUES ('schema_version', $v)", { v: String(m.version) });
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK');
      throw e;
    }
    version = m.version;
  }
  return version;
}
