import type { DuckDBConnection } from '@duckdb/node-api';
import type { Case } from '../case/case';
import { queryOne, queryRows } from '../db/sql';
import { SCHEMA, serial } from './rollup';

/**
 * Whole-case figures that depend on the IP intel, cached until the intel or
 * the case's IPs change: the number of events that touched a malicious IP
 * (an exact count needs a scan of src_ip and dst_ip: 0.4 s at 10M events)
 * and the source countries (a join of every distinct IP with its enrichment:
 * 0.25 s at 1.3M IPs). The key is the intel's own watermark and stamp, so an
 * IPsum update or a new import recomputes them once.
 */

export async function tableNames(conn: DuckDBConnection): Promise<Set<string>> {
  const rows = await queryRows(conn, `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'`);
  return new Set(rows.map((r) => String(r.table_name)));
}

/** The intel's version of the case: changes with a new import (ips watermark) or new intel (enrich stamp). */
export async function intelKey(conn: DuckDBConnection): Promise<string | null> {
  const r = await queryRows(conn, `SELECT key, value FROM intel_state WHERE key IN ('ips_watermark', 'enrich_stamp') ORDER BY key`).catch(() => []);
  if (r.length === 0) return null;
  return r.map((x) => `${String(x.key)}=${String(x.value)}`).join('|');
}

export function refreshIntelAggregates(c: Case): Promise<{ recomputed: boolean; ms: number }> {
  return serial(c, async () => {
    const t0 = performance.now();
    const conn = await c.connect();
    try {
      const tables = await tableNames(conn);
      if (!tables.has('ip_enrichment') || !tables.has('intel_state')) return { recomputed: false, ms: 0 };
      for (const s of SCHEMA) await conn.run(s);
      await conn.run(`CREATE TABLE IF NOT EXISTS overview_countries (country VARCHAR NOT NULL, events BIGINT NOT NULL, ips BIGINT NOT NULL)`);
      const key = await intelKey(conn);
      const stored = await queryOne(conn, `SELECT value FROM overview_state WHERE key = 'intel_key'`);
      if (key === null || stored?.value === key) return { recomputed: false, ms: 0 };
      await conn.run('BEGIN TRANSACTION');
      try {
        const mal = await queryOne(conn, `SELECT count(*) AS n FROM malicious_events`);
        await conn.run(`DELETE FROM overview_countries`);
        await conn.run(`INSERT INTO overview_countries
          SELECT en.country, sum(i.src_events)::BIGINT, count(*) FROM ips i JOIN ip_enrichment en ON en.ip = i.ip
          WHERE i.src_events > 0 AND en.country IS NOT NULL GROUP BY en.country`);
        await conn.run(`INSERT OR REPLACE INTO overview_state VALUES ('malicious_events', $v)`, { v: String(Number(mal?.n ?? 0)) });
        await conn.run(`INSERT OR REPLACE INTO overview_state VALUES ('intel_key', $v)`, { v: key });
        await conn.run('COMMIT');
      } catch (e) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
      return { recomputed: true, ms: Math.round(performance.now() - t0) };
    } finally {
      if (!c.isClosed) c.release(conn);
    }
  });
}

/**
 * Alert hits per minute and level, for the whole-case "alerts over time"
 * panel: the events' times live in `events`, and joining every alert link to
 * 10M events took 0.45 s per load. Recomputed when the alerts change (their
 * count, links, or last update, which triage touches).
 */
export function refreshAlertAggregates(c: Case): Promise<{ recomputed: boolean; ms: number }> {
  return serial(c, async () => {
    const t0 = performance.now();
    const conn = await c.connect();
    try {
      const tables = await tableNames(conn);
      if (!tables.has('alerts') || !tables.has('alert_events')) return { recomputed: false, ms: 0 };
      for (const s of SCHEMA) await conn.run(s);
      await conn.run(`CREATE TABLE IF NOT EXISTS overview_alert_minutes (minute TIMESTAMP NOT NULL, level VARCHAR NOT NULL, n BIGINT NOT NULL)`);
      const k = await queryOne(
        conn,
        `SELECT (SELECT count(*) FROM alerts) || ':' || (SELECT count(*) FROM alert_events) || ':' || coalesce((SELECT CAST(max(updated_at) AS VARCHAR) FROM alerts), '') || ':' || coalesce((SELECT CAST(sum(hash(id, level)) AS VARCHAR) FROM alerts), '') || ':' || (SELECT max(id) FROM events) AS k`,
      );
      const key = String(k?.k ?? '');
      const stored = await queryOne(conn, `SELECT value FROM overview_state WHERE key = 'alerts_key'`);
      if (stored?.value === key) return { recomputed: false, ms: 0 };
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run(`DELETE FROM overview_alert_minutes`);
        await conn.run(`INSERT INTO overview_alert_minutes
          SELECT date_trunc('minute', e.ts), coalesce(a.level, 'none'), count(DISTINCT e.id)
            FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id JOIN events e ON e.id = ae.event_id
           WHERE e.ts IS NOT NULL GROUP BY ALL`);
        await conn.run(`INSERT OR REPLACE INTO overview_state VALUES ('alerts_key', $v)`, { v: key });
        await conn.run('COMMIT');
      } catch (e) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
      return { recomputed: true, ms: Math.round(performance.now() - t0) };
    } finally {
      if (!c.isClosed) c.release(conn);
    }
  });
}
