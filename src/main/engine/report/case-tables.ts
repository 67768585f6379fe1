import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne } from '../db/sql';

/**
 * Small helpers the findings modules share. Tables of other branches (alerts,
 * rules, intel) may be missing in a case: every reader asks first and shows
 * "none" rather than failing.
 */

export async function tableExists(conn: DuckDBConnection, name: string): Promise<boolean> {
  const r = await queryOne(conn, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $t", { t: name });
  if (Number(r?.n ?? 0) > 0) return true;
  const v = await queryOne(conn, "SELECT count(*) AS n FROM duckdb_views() WHERE schema_name = 'main' AND view_name = $t", { t: name });
  return Number(v?.n ?? 0) > 0;
}

/**
 * Whether detection has ever produced something to report: the alert tables
 * exist from migration 4 on, so their presence alone says nothing; a recorded
 * rule run or an alert does.
 */
export async function detectionsRan(conn: DuckDBConnection): Promise<boolean> {
  if (!(await tableExists(conn, 'alerts'))) return false;
  if (Number((await queryOne(conn, 'SELECT count(*) AS n FROM (SELECT 1 FROM alerts LIMIT 1)'))?.n ?? 0) > 0) return true;
  if (!(await tableExists(conn, 'detect_runs'))) return false;
  return Number((await queryOne(conn, 'SELECT count(*) AS n FROM detect_runs'))?.n ?? 0) > 0;
}

export async function columnsOf(conn: DuckDBConnection, table: string): Promise<Set<string>> {
  const r = await conn.runAndReadAll("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $t", { t: table });
  return new Set(r.getRows().map((x) => String(x[0])));
}

/** UTC wall time for TIMESTAMP columns (now() would follow the session's time zone). */
export function nowUtc(): string {
  return new Date().toISOString().replace('Z', '');
}

/** A TIMESTAMP column as ISO text with Z (microseconds kept). */
export function tsText(col: string): string {
  return `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
}

export function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** DuckDB TIMESTAMP values come back as ISO text without a zone from toJsonValue; make the zone explicit. */
export function isoZ(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  return /Z$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`;
}
