import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The findings tables of a case (a migration step of case/migrations.ts).
 *
 * - notes / note_links: Markdown notes on the case, each optionally attached
 *   to events and alerts (kind 'event' | 'alert', ref = the id). Links are
 *   kept even when the target goes away (an alert re-run), and shown as such.
 * - outputs: every export and report written, with its path, size and
 *   SHA-256, so the case records what left it (chain of custody).
 * - forward_destinations: where hand-off goes (URL, index). The token is
 *   NOT here: it lives in the case's secrets file (forward/secrets.ts), out
 *   of reach of the SQL console, exports and the report.
 * - forward_log: the latest outcome per (destination, item): 'acked' only
 *   once the receiver acknowledged it, 'failed' when it gave up. A re-run
 *   skips what is acked.
 * - forward_runs: one row per hand-off run with its metrics.
 */
export async function createFindingsTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`
    CREATE TABLE IF NOT EXISTS notes (
      id INTEGER PRIMARY KEY, title VARCHAR NOT NULL, body VARCHAR NOT NULL,
      created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
    CREATE TABLE IF NOT EXISTS note_links (
      note_id INTEGER NOT NULL, kind VARCHAR NOT NULL, ref BIGINT NOT NULL, PRIMARY KEY (note_id, kind, ref));
    CREATE TABLE IF NOT EXISTS outputs (
      id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, what VARCHAR NOT NULL, format VARCHAR NOT NULL, path VARCHAR NOT NULL,
      rows BIGINT, bytes BIGINT, sha256 VARCHAR, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
      status VARCHAR NOT NULL, message VARCHAR);
    CREATE TABLE IF NOT EXISTS forward_destinations (
      name VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, url VARCHAR NOT NULL, index_name VARCHAR, sourcetype VARCHAR,
      ack_channel VARCHAR, auth_scheme VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
    CREATE TABLE IF NOT EXISTS forward_log (
      destination VARCHAR NOT NULL, kind VARCHAR NOT NULL, ref BIGINT NOT NULL, item_key VARCHAR NOT NULL,
      status VARCHAR NOT NULL, attempts INTEGER NOT NULL, reason VARCHAR, updated_at TIMESTAMP NOT NULL,
      PRIMARY KEY (destination, kind, ref));
    CREATE TABLE IF NOT EXISTS forward_runs (
      id INTEGER PRIMARY KEY, destination VARCHAR NOT NULL, what VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
      finished_at TIMESTAMP, status VARCHAR NOT NULL, selected BIGINT NOT NULL DEFAULT 0, skipped BIGINT NOT NULL DEFAULT 0,
      sent BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0, retried BIGINT NOT NULL DEFAULT 0,
      batches BIGINT NOT NULL DEFAULT 0, last_ms DOUBLE, p50_ms DOUBLE, p95_ms DOUBLE, last_error VARCHAR);
  `);
}
