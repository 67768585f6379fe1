import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { CORE_COLUMNS } from '@shared/events';
import { queryRows, quoteIdent } from '../db/sql';

/**
 * Which events a value suppression (`field = value`) covers. The field is a
 * core column (`host`, `user`, `src_ip` ..., with or without the `loupe.`
 * prefix rules use) or an original field of any source (`TargetUserName`,
 * `c-ip`): then every field table that has such a column is consulted.
 * Comparison is on text, case-insensitive, like Sigma's.
 */

export interface ValueSuppression {
  id: number;
  ruleId: string | null;
  field: string;
  value: string;
}

export interface EventQuery {
  sql: string;
  params: Record<string, DuckDBValue>;
}

function coreColumn(field: string): string | undefined {
  const f = field.toLowerCase().startsWith('loupe.') ? field.slice(6).toLowerCase() : field.toLowerCase();
  return (CORE_COLUMNS as readonly string[]).find((c) => c === f);
}

/** SELECT statements (one per place the field lives) returning `id` of the matching events. */
export async function eventsMatching(conn: DuckDBConnection, field: string, value: string, prefix: string): Promise<EventQuery[]> {
  const core = coreColumn(field);
  const params = { [`${prefix}v`]: value.toLowerCase() };
  if (core) return [{ sql: `SELECT id FROM events WHERE lower(CAST(${quoteIdent(core)} AS VARCHAR)) = $${prefix}v`, params }];
  const rows = await queryRows(
    conn,
    `SELECT s.id, s.table_name, c.column_name FROM sources s
     JOIN information_schema.columns c ON c.table_name = s.table_name AND c.table_schema = current_schema() AND c.table_catalog = current_database()
     WHERE lower(c.column_name) = lower($f) ORDER BY s.id`,
    { f: field },
  );
  return rows.map((r) => ({
    sql: `SELECT e.id FROM events e JOIN ${quoteIdent(String(r.table_name))} s ON s.rid = e.rid
          WHERE e.source_id = ${Math.trunc(Number(r.id))} AND lower(CAST(s.${quoteIdent(String(r.column_name))} AS VARCHAR)) = $${prefix}v`,
    params,
  }));
}

/**
 * Delete from `table` (columns rule_id, event_id) the rows a suppression
 * covers. Returns the number of rows deleted.
 */
export async function deleteSuppressed(conn: DuckDBConnection, table: string, s: ValueSuppression): Promise<number> {
  const queries = await eventsMatching(conn, s.field, s.value, 's');
  let removed = 0;
  for (const q of queries) {
    const params: Record<string, DuckDBValue> = { ...q.params };
    let rule = '';
    if (s.ruleId !== null) {
      params.rule = s.ruleId;
      rule = ' AND rule_id = $rule';
    }
    const r = await conn.run(`DELETE FROM ${table} WHERE event_id IN (${q.sql})${rule}`, params);
    removed += Number(r.rowsChanged);
  }
  return removed;
}
