import { DuckDBTypeId, type DuckDBConnection, type DuckDBListType, type DuckDBMapType, type DuckDBArrayType, type DuckDBStructType, type DuckDBType } from '@duckdb/node-api';
import { queryValue, quoteIdent } from '../db/sql';
import { sqlString, timeZoneSql, type SourceColumn } from './core-sql';
import { sourceTable } from './evidence-store';
import { JSON_CORE_MAPPINGS, type JsonFamily } from './format-support';
import { insertSourceEvents } from './source-events';

/**
 * JSON-family files (NDJSON, arrays, concatenated objects; Windows events as
 * JSON, Suricata EVE, Zeek JSON) go through DuckDB's own read_json, which
 * parses them several times faster than JavaScript can:
 *
 * 1. detect the schema over the WHOLE file (sample_size=-1: the default
 *    sample missed 27 of the 186 fields of OTRF LSASS_campaign_02), with date
 *    and UUID detection off so every original value keeps its exact text;
 * 2. load it once into the source's field table, nested objects flattened to
 *    dotted columns and arrays kept as JSON text; rid is the record ordinal
 *    (the rowid of a table written in file order: no window function);
 * 3. fill the events core with one INSERT ... SELECT generated from the
 *    format layer's JSON core mapping (core-sql.ts).
 *
 * All of it is one transaction: a file is in the case whole or not at all.
 * Any read_json error (a malformed line, an object too large) makes the
 * caller fall back to the JavaScript reader, which reports each bad record
 * with its line instead of refusing the file.
 */

export type JsonShape = 'ndjson' | 'array' | 'concat';

export interface JsonLoadRequest {
  conn: DuckDBConnection;
  /** A UTF-8 file without BOM (the pipeline transcodes others first). */
  file: string;
  shape: JsonShape;
  family: JsonFamily;
  zeekPath: string | null;
  /** Zone of zone-less timestamps (IANA name, UTC or a fixed +hh:mm offset). */
  tz: string | null;
  evidenceId: number;
  idBase: number;
  maxColumns: number;
  /**
   * A top-level object whose fields become columns under their own names
   * (`EventData` of EVTX records: Sigma rules name `CommandLine`, not
   * `EventData.CommandLine`).
   */
  hoist?: string;
  /** Runs inside the transaction before COMMIT (the evidence row's final state). */
  finalize: (r: { rows: number; warnings: number }) => Promise<void>;
}

export type JsonLoadResult = { ok: true; rows: number; columns: number; warnings: number } | { ok: false; reason: string; interrupted: boolean };

const READ_FORMAT: Record<JsonShape, string> = { ndjson: 'newline_delimited', array: 'array', concat: 'unstructured' };

interface Leaf {
  name: string;
  expr: string;
  kind: SourceColumn['kind'];
}

export async function loadJsonWithDuckDB(req: JsonLoadRequest): Promise<JsonLoadResult> {
  const { conn } = req;
  const file = sqlString(req.file);
  const fmt = sqlString(READ_FORMAT[req.shape]);
  const zone = timeZoneSql(req.tz);
  let names: readonly string[];
  let types: readonly DuckDBType[];
  try {
    await conn.run(`SET TimeZone = ${sqlString(zone.session)}`);
    // Schema over the whole file; LIMIT 0 keeps it to the detection pass.
    const probe = await conn.run(
      // map_inference_threshold=-1: objects whose keys vary from record to record (EventData
      // across event types) stay STRUCTs, so each key becomes a column, never one MAP blob.
      `SELECT * FROM read_json(${file}, format=${fmt}, records=true, sample_size=-1, map_inference_threshold=-1, dateformat='%not-a-date', timestampformat='%not-a-date') LIMIT 0`,
    );
    names = probe.columnNames();
    types = probe.columnTypes();
  } catch (e) {
    return failure(e);
  }

  const leaves: Leaf[] = [];
  const taken = new Set<string>(['rid']);
  const unique = (path: string): string => {
    let name = path.length === 0 ? '(empty)' : path;
    if (taken.has(name.toLowerCase())) {
      let n = 2;
      while (taken.has(`${name.toLowerCase()}#${n}`)) n++;
      name = `${name}#${n}`;
    }
    taken.add(name.toLowerCase());
    return name;
  };
  const walk = (type: DuckDBType, expr: string, path: string, hoisted: string | null): void => {
    if (type.typeId === DuckDBTypeId.STRUCT && (type as DuckDBStructType).entryNames.length > 0) {
      const st = type as DuckDBStructType;
      st.entryNames.forEach((n, i) => walk(st.entryTypes[i] as DuckDBType, `struct_extract(${expr}, ${sqlString(n)})`, `${path}.${n}`, hoisted === null ? null : `${hoisted}.${n}`));
      return;
    }
    // A hoisted field keeps its bare name unless that is taken (then its dotted one).
    const name = hoisted !== null && !taken.has(hoisted.toLowerCase()) ? unique(hoisted) : unique(path);
    leaves.push(leafFor(type, expr, name));
  };
  const isStruct = (t: DuckDBType): boolean => t.typeId === DuckDBTypeId.STRUCT && (t as DuckDBStructType).entryNames.length > 0;
  // Top-level names first, so a hoisted field never takes a name a record has at the top.
  names.forEach((n, i) => {
    const t = types[i] as DuckDBType;
    if (!isStruct(t)) walk(t, quoteIdent(n), n, null);
  });
  names.forEach((n, i) => {
    const t = types[i] as DuckDBType;
    if (!isStruct(t)) return;
    const st = t as DuckDBStructType;
    const hoist = req.hoist === n;
    st.entryNames.forEach((m, j) => walk(st.entryTypes[j] as DuckDBType, `struct_extract(${quoteIdent(n)}, ${sqlString(m)})`, `${n}.${m}`, hoist ? m : null));
  });
  if (leaves.length > req.maxColumns) {
    return { ok: false, reason: `${leaves.length} distinct fields, more than the ${req.maxColumns} a source table takes`, interrupted: false };
  }

  const columnsSpec = names.map((n, i) => `${sqlString(n)}: ${sqlString(typeSql(types[i] as DuckDBType))}`).join(', ');
  const table = quoteIdent(sourceTable(req.evidenceId));
  const select = leaves.map((l) => `${l.expr} AS ${quoteIdent(l.name)}`).join(', ');
  const sourceColumns: SourceColumn[] = leaves.map((l) => ({ name: l.name, kind: l.kind }));

  try {
    await conn.run('BEGIN TRANSACTION');
  } catch (e) {
    return failure(e);
  }
  try {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
    // The record ordinal is the row's position in a table written in file
    // order: its rowid from the first (rowids of a table created in an open
    // transaction start at a large offset). Copying it into rid afterwards
    // costs less than WITH ORDINALITY, which keeps the parallel reader from
    // running ahead.
    await conn.run(`CREATE TABLE ${table} AS SELECT ${select || 'NULL AS "(empty)"'} FROM read_json(${file}, format=${fmt}, records=true, columns={${columnsSpec}})`);
    await conn.run(`ALTER TABLE ${table} ADD COLUMN rid BIGINT`);
    await conn.run(`UPDATE ${table} SET rid = rowid - (SELECT min(rowid) FROM ${table})`);
    const rows = Number((await queryValue<number>(conn, `SELECT count(*) FROM ${table}`)) ?? 0);
    await conn.run(`INSERT INTO sources (id, evidence_id, table_name, format, rows) VALUES ($id, $id, $t, 'json', $rows)`, {
      id: req.evidenceId,
      t: sourceTable(req.evidenceId),
      rows,
    });

    const warnings = await insertSourceEvents({
      conn,
      table,
      columns: sourceColumns,
      mapping: JSON_CORE_MAPPINGS[req.family],
      ctx: { path: req.zeekPath },
      zone,
      evidenceId: req.evidenceId,
      idBase: req.idBase,
      posSql: 'rid + 1',
      posKind: 'record',
    });
    await req.finalize({ rows, warnings });
    await conn.run('COMMIT');
    return { ok: true, rows, columns: leaves.length, warnings };
  } catch (e) {
    try {
      await conn.run('ROLLBACK');
    } catch {
      // the connection was interrupted or closed; nothing was committed either way
    }
    return failure(e);
  }
}

function failure(e: unknown): JsonLoadResult {
  const message = e instanceof Error ? e.message : String(e);
  return { ok: false, reason: message.split('\n')[0] ?? message, interrupted: /interrupt/i.test(message) };
}

/** SQL for a column type as read_json should produce it: UUIDs and nested UUIDs stay text. */
export function typeSql(t: DuckDBType): string {
  if (t.alias === 'JSON') return 'JSON';
  switch (t.typeId) {
    case DuckDBTypeId.UUID:
      return 'VARCHAR';
    case DuckDBTypeId.STRUCT: {
      const st = t as DuckDBStructType;
      if (st.entryNames.length === 0) return 'JSON';
      return `STRUCT(${st.entryNames.map((n, i) => `${quoteIdent(n)} ${typeSql(st.entryTypes[i] as DuckDBType)}`).join(', ')})`;
    }
    case DuckDBTypeId.LIST:
      return `${typeSql((t as DuckDBListType).valueType)}[]`;
    case DuckDBTypeId.ARRAY:
      return `${typeSql((t as DuckDBArrayType).valueType)}[${(t as DuckDBArrayType).length}]`;
    case DuckDBTypeId.MAP:
      return `MAP(${typeSql((t as DuckDBMapType).keyType)}, ${typeSql((t as DuckDBMapType).valueType)})`;
    default:
      return t.toString();
  }
}

/** How one leaf of the record becomes a field-table column. */
function leafFor(type: DuckDBType, expr: string, name: string): Leaf {
  if (type.alias === 'JSON') {
    // Mixed-type fields come back as JSON: a string stays its text, anything else its JSON text.
    return { name, kind: 'text', expr: `(CASE json_type(${expr}) WHEN 'VARCHAR' THEN ${expr}->>'$' WHEN 'NULL' THEN NULL ELSE CAST(${expr} AS VARCHAR) END)` };
  }
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
      return { name, kind: 'text', expr: type.typeId === DuckDBTypeId.UUID ? `CAST(${expr} AS VARCHAR)` : expr };
    case DuckDBTypeId.BOOLEAN:
      return { name, kind: 'boolean', expr };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.UNION:
      return { name, kind: 'text', expr: `CAST(to_json(${expr}) AS VARCHAR)` };
    case DuckDBTypeId.SQLNULL:
      return { name, kind: 'text', expr: `CAST(${expr} AS VARCHAR)` };
    default:
      return { name, kind: 'other', expr };
  }
}
