import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import type { SqlResult } from '@shared/query-contract';
import { LoupeError } from '@shared/errors';
import { queryRows, toJsonValue } from '../db/sql';

/**
 * The SQL console: one read-only SELECT over the case's own tables.
 *
 * DuckDB's `enable_external_access` and `lock_configuration` are instance-wide
 * (imports need file access), and a second read-only instance on the same
 * file in the same process would read pages the writer is rewriting; so the
 * console is confined on the shared instance, in layers, each enforced before
 * anything is bound or run (binding read_csv would already read the file):
 *
 * 1. the text parses (json_serialize_sql: parse only, nothing bound or
 *    expanded; it refuses anything but SELECT) to exactly one statement;
 * 2. its syntax tree may name only tables and views of the case or its own
 *    CTEs, only an allowlist of table functions, and no function that reads
 *    files, environment or runs SQL text;
 * 3. the prepared statement's type must be SELECT;
 * 4. it runs inside a READ ONLY transaction, so DuckDB itself refuses writes.
 */
const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest', 'json_each', 'json_tree', 'duckdb_tables', 'duckdb_columns', 'duckdb_views', 'duckdb_types']);
const ALLOWED_SCHEMAS = new Set(['', 'main', 'information_schema', 'pg_catalog']);
const BLOCKED_FUNCTION = /^(getenv|query|query_table|json_execute_serialized_sql|json_deserialize_sql|sql_auto_complete|read_.*|glob|sniff_csv|parquet_.*|.*_scan|.*secret.*|set_.*|current_setting|duckdb_settings|duckdb_extensions|duckdb_secrets|load_.*|install_.*)$/i;
const MAX_NODES = 200_000;

export async function runConsoleSql(conn: DuckDBConnection, sql: string, limit: number): Promise<Omit<SqlResult, 'tookMs'>> {
  // Parse-only first: json_serialize_sql never binds or expands anything,
  // whereas extractStatements expands IMPORT DATABASE by reading files.
  const serialized = await queryRows(conn, 'SELECT json_serialize_sql($sql::VARCHAR) AS j', { sql });
  const tree = JSON.parse(String(serialized[0]?.j ?? '{}')) as { error?: boolean; error_message?: string; statements?: unknown[] };
  if (tree.error) {
    const msg = tree.error_message ?? 'not a query';
    if (/only select/i.test(msg)) throw new LoupeError('REFUSED', 'The SQL console is read-only: only SELECT queries are allowed (no COPY, ATTACH, INSTALL/LOAD, SET/PRAGMA, CREATE, INSERT, UPDATE, DELETE, DROP, EXPORT)');
    throw new LoupeError('QUERY_ERROR', msg);
  }
  const statements = tree.statements ?? [];
  if (statements.length === 0) throw new LoupeError('QUERY_ERROR', 'No statement to run');
  if (statements.length > 1) throw new LoupeError('REFUSED', 'The SQL console runs one statement at a time');
  await checkTree(conn, statements);

  let extracted;
  try {
    extracted = await conn.extractStatements(sql);
  } catch (e) {
    throw new LoupeError('QUERY_ERROR', firstLine(e));
  }
  if (extracted.count !== 1) throw new LoupeError('REFUSED', 'The SQL console runs one statement at a time');

  const prepared = await extracted.prepare(0);
  if (prepared.statementType !== StatementType.SELECT) throw new LoupeError('REFUSED', 'The SQL console is read-only: only SELECT queries are allowed');

  await conn.run('BEGIN TRANSACTION READ ONLY');
  try {
    const reader = await prepared.streamAndReadUntil(limit + 1);
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    const columns = uniqueNames(names);
    const all = reader.getRowsJS();
    const truncated = all.length > limit || !reader.done;
    const rows = all.slice(0, limit).map((r) => Object.fromEntries(columns.map((c, i) => [c, toJsonValue(r[i])])));
    return { total: rows.length, columns, types, rows, truncated };
  } finally {
    await conn.run('ROLLBACK').catch(() => undefined);
  }
}

async function checkTree(conn: DuckDBConnection, statements: unknown[]): Promise<void> {
  const tables = await queryRows(conn, "SELECT lower(table_name) AS t FROM duckdb_tables() WHERE schema_name = 'main' UNION SELECT lower(view_name) FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'");
  const allowed = new Set(tables.map((r) => String(r.t)));
  const catalogRow = await queryRows(conn, 'SELECT current_database() AS d');
  const dbName = String(catalogRow[0]?.d ?? '').toLowerCase();
  // CTE names anywhere in the query may be referenced as tables.
  const ctes = new Set<string>();
  const stack: unknown[] = [...statements];
  const nodes: Record<string, unknown>[] = [];
  while (stack.length > 0) {
    const v = stack.pop();
    if (nodes.length > MAX_NODES) throw new LoupeError('REFUSED', 'The query is too large');
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      nodes.push(o);
      const cteMap = o.cte_map as { map?: { key?: string }[] } | undefined;
      for (const entry of cteMap?.map ?? []) if (entry.key) ctes.add(entry.key.toLowerCase());
      for (const x of Object.values(o)) if (x && typeof x === 'object') stack.push(x);
    }
  }
  for (const o of nodes) {
    if (o.type === 'BASE_TABLE') {
      const name = String(o.table_name ?? '').toLowerCase();
      const schema = String(o.schema_name ?? '').toLowerCase();
      const catalog = String(o.catalog_name ?? '').toLowerCase();
      if (catalog !== '' && catalog !== dbName && catalog !== 'system') throw new LoupeError('REFUSED', `The SQL console reads only this case's tables (not "${String(o.catalog_name)}")`);
      if (!ALLOWED_SCHEMAS.has(schema)) throw new LoupeError('REFUSED', `The SQL console reads only this case's tables (not schema "${String(o.schema_name)}")`);
      const known = schema === 'information_schema' || schema === 'pg_catalog' || allowed.has(name) || (schema === '' && ctes.has(name));
      if (!known) throw new LoupeError('REFUSED', `"${String(o.table_name)}" is not a table of this case; the SQL console cannot read files`);
    } else if (o.type === 'TABLE_FUNCTION') {
      const fn = o.function as { function_name?: string } | undefined;
      const name = String(fn?.function_name ?? '').toLowerCase();
      if (!ALLOWED_TABLE_FUNCTIONS.has(name)) throw new LoupeError('REFUSED', `The table function ${name}() is not allowed in the SQL console (it can read files or run other SQL)`);
    } else if (o.class === 'FUNCTION' || o.type === 'FUNCTION') {
      const name = String(o.function_name ?? '');
      if (BLOCKED_FUNCTION.test(name)) throw new LoupeError('REFUSED', `The function ${name}() is not allowed in the SQL console`);
    }
  }
}

/** Duplicate column names (`SELECT a.x, b.x`) would collide as object keys: suffix them. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}_${k + 1}`;
  });
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? m).slice(0, 300);
}
