import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/** A row as the rest of Loupe sees it: JSON-safe values only. */
export type Row = Record<string, JsonValue>;
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Params = DuckDBValue[] | Record<string, DuckDBValue>;

/**
 * Quote an identifier for DuckDB. Field names come from hostile input (a JSON
 * key in a log line), so every identifier we put into SQL goes through here;
 * values never do: they are bound parameters.
 */
export function quoteIdent(name: string): string {
  // DuckDB reads a statement as a C string: a NUL would cut it inside the identifier.
  return `"${name.replaceAll('"', '""').replaceAll('\0', '\uFFFD')}"`;
}

/** Run a statement and return JSON-safe row objects. */
export async function queryRows(conn: DuckDBConnection, sql: string, params?: Params): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRowObjectsJS().map(toJsonRow);
}

export async function queryOne(conn: DuckDBConnection, sql: string, params?: Params): Promise<Row | undefined> {
  return (await queryRows(conn, sql, params))[0];
}

export async function queryValue<T extends JsonValue>(conn: DuckDBConnection, sql: string, params?: Params): Promise<T | undefined> {
  const row = await queryOne(conn, sql, params);
  if (!row) return undefined;
  return Object.values(row)[0] as T;
}

/**
 * Run a query and hand its rows to `fn` one DuckDB chunk (about 2,048 rows)
 * at a time, as columns: for results too big to hold as row objects.
 */
export async function forEachChunk(conn: DuckDBConnection, sql: string, fn: (columns: DuckDBValue[][], rows: number) => void, params?: Params): Promise<void> {
  const result = await conn.stream(sql, params);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const columns: DuckDBValue[][] = [];
    for (let c = 0; c < chunk.columnCount; c++) columns.push(chunk.getColumnValues(c));
    fn(columns, chunk.rowCount);
  }
}

export function toJsonRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = toJsonValue(v);
  return out;
}

/**
 * DuckDB hands back bigint for BIGINT/HUGEINT and Date for timestamps. The UI,
 * the HTTP host and --json output all need plain JSON: counts and ids become
 * numbers when they fit (they always do for row counts), timestamps ISO strings.
 */
export function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'object':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
      if (Array.isArray(v)) return v.map(toJsonValue);
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
    default:
      return String(v);
  }
}
