import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The detection tables of a case (a migration step of case/migrations.ts).
 *
 * - rule_packs: rule folders and zips imported into the case (copied under
 *   <case>/rules/, so a case carries its rules with it). The built-in pack
 *   is not listed: it ships with Loupe and is always loaded.
 * - rules: every rule document the case's rule set holds, with its status
 *   (active / unsupported / error) and why; rewritten whenever the set is
 *   loaded. rule_settings keeps what the analyst chose (enabled) apart, so
 *   a reload never forgets it.
 * - alerts: one row per (rule, group key). A detection rule's hits are
 *   grouped by host (`host:<name>`); a correlation's by its group-by values
 *   (`{"field":"value"}`). Counts and first/last seen are recomputed from
 *   alert_events after each merge, so a re-run never counts an event twice.
 * - alert_events: the matching events of each alert (events.id).
 * - suppressions: a rule (rule_id, no field), or a field value (field +
 *   value, optionally for one rule), that later runs do not alert on.
 * - detect_runs: every run, what it covered and what it found.
 * The watermark (the last events.id the automatic runs have examined) is
 * meta('detect_watermark').
 *
 * No primary keys on alerts/alert_events: rows are appended by anti joins
 * and DuckDB's ART indexes would cost more than they save at these sizes.
 * IF NOT EXISTS so that replaying the step over a case whose core tables
 * were rebuilt (the migration test does exactly that) keeps its alerts.
 */
export async function createAlertTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`
    CREATE TABLE IF NOT EXISTS rule_packs (
      id INTEGER NOT NULL, name VARCHAR NOT NULL, kind VARCHAR NOT NULL, origin VARCHAR NOT NULL,
      stored VARCHAR NOT NULL, files INTEGER NOT NULL DEFAULT 0, bytes BIGINT NOT NULL DEFAULT 0,
      imported_at TIMESTAMP NOT NULL);
    CREATE TABLE IF NOT EXISTS rules (
      id VARCHAR NOT NULL, pack_id INTEGER NOT NULL, title VARCHAR NOT NULL, path VARCHAR NOT NULL,
      doc INTEGER NOT NULL, line INTEGER, status VARCHAR NOT NULL, reason VARCHAR NOT NULL, kind VARCHAR NOT NULL,
      level VARCHAR, sigma_status VARCHAR, description VARCHAR, author VARCHAR, tags VARCHAR[], targets VARCHAR[],
      logsource VARCHAR, correlation_only BOOLEAN NOT NULL DEFAULT false);
    CREATE TABLE IF NOT EXISTS rule_settings (rule_id VARCHAR PRIMARY KEY, enabled BOOLEAN NOT NULL, changed_at TIMESTAMP NOT NULL);
    CREATE TABLE IF NOT EXISTS alerts (
      id BIGINT NOT NULL, rule_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, title VARCHAR NOT NULL, level VARCHAR,
      tags VARCHAR[], group_key VARCHAR NOT NULL, group_json VARCHAR, host VARCHAR,
      first_ts TIMESTAMP, last_ts TIMESTAMP, event_count BIGINT NOT NULL DEFAULT 0, peak BIGINT,
      status VARCHAR NOT NULL DEFAULT 'new', note VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
      triaged_at TIMESTAMP, first_run INTEGER, last_run INTEGER);
    CREATE TABLE IF NOT EXISTS alert_events (alert_id BIGINT NOT NULL, event_id BIGINT NOT NULL);
    CREATE TABLE IF NOT EXISTS suppressions (
      id INTEGER NOT NULL, rule_id VARCHAR, field VARCHAR, value VARCHAR, note VARCHAR, created_at TIMESTAMP NOT NULL);
    CREATE TABLE IF NOT EXISTS detect_runs (
      id INTEGER NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, trigger VARCHAR NOT NULL,
      scope VARCHAR NOT NULL, rule_id VARCHAR, after_event BIGINT, through_event BIGINT, rules INTEGER,
      hits BIGINT, alerts_new INTEGER, alerts_updated INTEGER, suppressed BIGINT, failures VARCHAR,
      ms DOUBLE, status VARCHAR NOT NULL, message VARCHAR);
  `);
}
