import { DuckDBTypeId, type DuckDBConnection, type DuckDBListType, type DuckDBMapType, type DuckDBArrayType, type DuckDBStructType, type DuckDBType } from '@duckdb/node-api';
import { queryValue, quoteIdent } from '../db/sql';
import { sqlString, timeZoneSql, type SourceColumn } from './core-sql';
import { JSON_CORE_MAPPINGS, type JsonFamily } from './format-support';
import { insertSourceEvents, loadStagedEvents, stageSourceEvents, type SourceEventsRequest, type StagedEvents } from './source-events';
import { BOOKKEEPING_COLUMNS, DEFAULT_SHARING, SourceTables } from './source-tables';
import { mergeJsonSchemas, type JsonSchema } from './json-schema-merge';
import { claimColumnName, ROW_GROUP_ROWS } from './worker-protocol';

/**
 * JSON-family files (NDJSON, arrays, concatenated objects; Windows events as
 * JSON, Suricata EVE, Zeek JSON) go through DuckDB's own read_json, which
 * parses them several times faster than JavaScript can:
 *
 * 1. detect the schema over the WHOLE file (sample_size=-1: the default
 *    sample missed 27 of the 186 fields of OTRF LSASS_campaign_02), with date
 *    and UUID detection off so every original value keeps its exact text;
 * 2. load it once into its field table (source-tables.ts: a table of its
 *    own for a big file, else a shared table of its family), nested objects
 *    flattened to dotted columns and arrays kept as JSON text; rid is the
 *    event id (the id base plus the record ordinal);
 * 3. fill the events core with one INSERT ... SELECT generated from the
 *    format layer's JSON core mapping (core-sql.ts).
 *
 * A wide file read whole into a table of its own may come with a second
 * connection (`beside`, settings.ts says which): step 3 then runs at the
 * same time as step 2, on that connection, from a second read of the file
 * into a scratch Parquet file, and the events load from it into the field
 * table's own transaction (the load keeps one thread, so the other core was
 * idle; OTRF LSASS 42k events: 1.05-1.16 s against 1.14-1.29 s).
 *
 * A big NDJSON file may come cut in two (`halves`, ndjson-halves.ts) with a
 * second connection: steps 1 and 2 then run on both halves at once, one
 * thread each (read_json keeps record order only on one thread, and one
 * thread of the two cores was idle). The halves' schemas are merged
 * (json-schema-merge.ts); where only the whole file can settle a type, the
 * schema comes from a pass over the whole file and the halves still load
 * side by side with it. 500k EVE events: 4.1-4.7 s against 6.0-7.9 s.
 *
 * A shared table takes a file in one transaction, and so does a table of its
 * own whose events came from beside. Without that, a table of its own is
 * committed first and its events in a second transaction (reading a table
 * in the transaction that made it is slow); until then the evidence is
 * `importing`, so a crash leaves it incomplete, never half-visible as
 * imported. Any read_json error (a malformed line, an object too large) makes the
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
  /** The case's field tables (where this file's rows go); read from the case when not given. */
  tables?: SourceTables;
  /** The file's size: small files share a table (default: a table of its own). */
  bytes?: number;
  /** Runs first inside the transaction (the evidence row, when the file is written in one transaction). */
  prelude?: () => Promise<void>;
  /**
   * Sets DuckDB's threads; called before the field-table load and before the
   * events insert. The load goes best on one thread: keeping file order (rid
   * is the record's ordinal), a parallel read_json holds back the batches
   * that finish early, and under the import's memory_limit they spill to disk
   * (500k Suricata events at 512 MB: 2.9 s on one thread against 5.0 s on
   * two). The events insert scans the field table, which a second thread
   * speeds up once it has more than one row group to share (the same file:
   * 0.48 s against 0.80 s); with one row group it only costs (OTRF LSASS,
   * 42k rows: 0.15 s against 0.11 s). A small file sharing a table is one
   * batch either way, and is left alone: switching costs a statement or two
   * (resetting the thread pool about 10 ms), which a folder of small files
   * would pay per file.
   */
  setThreads?: (n: 1 | 'default') => Promise<void>;
  /**
   * A top-level object whose fields become columns under their own names
   * (`EventData` of EVTX records: Sigma rules name `CommandLine`, not
   * `EventData.CommandLine`).
   */
  hoist?: string;
  /** The file in two halves, to read side by side (ignored unless the halves' schemas merge). */
  halves?: JsonHalves;
  /**
   * A second connection and a scratch file, asked for a file read whole into
   * a table of its own of `columns` columns: the events core is then computed
   * from the file on that connection while this one loads the field table
   * (source-events.ts, stageSourceEvents). Null when the caller gives none
   * (too narrow a table to gain from it, no disk room). The caller owns both
   * (interrupts the connection to cancel, releases it, removes the file).
   */
  beside?: (columns: number) => Promise<{ conn: DuckDBConnection; file: string } | null>;
  /** Runs inside the transaction before COMMIT (the evidence row's final state). */
  finalize: (r: { rows: number; warnings: number }) => Promise<void>;
}

/**
 * A big NDJSON file cut in two (ndjson-halves.ts) and a second connection to
 * the case: the schema pass and the load of a table of its own then run on
 * both halves at once. The caller owns both (and interrupts both to cancel).
 */
export interface JsonHalves {
  files: readonly [string, string];
  conn: DuckDBConnection;
}

export type JsonLoadResult = { ok: true; rows: number; columns: number; warnings: number } | { ok: false; reason: string; interrupted: boolean };

const READ_FORMAT: Record<JsonShape, string> = { ndjson: 'newline_delimited', array: 'array', concat: 'unstructured' };

interface Leaf {
  name: string;
  expr: string;
  kind: SourceColumn['kind'];
  /** The DuckDB type of expr. */
  type: string;
}

export async function loadJsonWithDuckDB(req: JsonLoadRequest): Promise<JsonLoadResult> {
  const { conn } = req;
  const file = sqlString(req.file);
  const fmt = sqlString(READ_FORMAT[req.shape]);
  const zone = timeZoneSql(req.tz);
  let names: readonly string[];
  let types: readonly DuckDBType[];
  const halves = req.halves ?? null;
  try {
    await conn.run(`SET TimeZone = ${sqlString(zone.session)}`);
    let schema: JsonSchema | null = null;
    if (halves && req.shape === 'ndjson') {
      await halves.conn.run(`SET TimeZone = ${sqlString(zone.session)}`);
      // Each half's schema on its own connection, at the same time: the detection pass is one thread each.
      const h = halves;
      const [a, b] = await onBoth([conn, h.conn], (i) => probeSchema(i === 0 ? conn : h.conn, sqlString(h.files[i]), fmt));
      schema = mergeJsonSchemas(a, b);
    }
    if (!schema) {
      // Only the whole file settles this schema; the halves still load side by side
      // with it (a record reads the same with the same columns, in whichever file).
      schema = await probeSchema(conn, file, fmt);
    }
    names = schema.names;
    types = schema.types;
  } catch (e) {
    return failure(e);
  }

  const leaves: Leaf[] = [];
  const taken = new Set<string>(BOOKKEEPING_COLUMNS);
  const unique = (path: string): string => claimColumnName(taken, path);
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
  const family = `json:${req.family}${req.family === 'zeek' && req.zeekPath ? `:${req.zeekPath}` : ''}`;
  let tables: SourceTables;
  try {
    tables = req.tables ?? (await SourceTables.load(conn, DEFAULT_SHARING));
  } catch (e) {
    return failure(e);
  }
  const placement = tables.place(
    family,
    'json',
    leaves.map((l) => ({ name: l.name, type: l.type })),
    req.bytes !== undefined && tables.shares(req.bytes),
    req.evidenceId,
  );
  const table = quoteIdent(placement.table);
  const ev = Math.trunc(req.evidenceId);
  const base = Math.trunc(req.idBase);
  const readOf = (f: string): string => `read_json(${sqlString(f)}, format=${fmt}, records=true, columns={${columnsSpec}})`;
  const read = readOf(req.file);

  /** The own table's rows are committed (first transaction) and the events not yet (second). */
  let split = false;
  /** The events core of a source whose rows `table` gives (a field table, or the file itself). */
  const eventsOf = (from: string, columns: readonly SourceColumn[]): Omit<SourceEventsRequest, 'conn'> => ({
    table: from,
    columns,
    mapping: JSON_CORE_MAPPINGS[req.family],
    ctx: { path: req.zeekPath },
    zone,
    evidenceId: ev,
    sourceId: placement.sourceId,
    posSql: `rid - ${base} + 1`,
    posKind: 'record',
  });
  /** Set when the events came staged from beside (their time warnings' count). */
  let besideWarnings: number | null = null;
  const ownTable = placement.create && !placement.shared;
  try {
    if (ownTable) await req.setThreads?.(1);
    await conn.run('BEGIN TRANSACTION');
  } catch (e) {
    tables.rolledBack(placement);
    return failure(e);
  }
  try {
    await req.prelude?.();
    let rows: number;
    let sourceColumns: SourceColumn[];
    if (ownTable) {
      // A table of its own, only as wide as the file, written in file order on
      // one thread. rid is the record ordinal: WITH ORDINALITY, or the row's
      // rowid copied into it once the table is committed, which costs no more
      // (LSASS: 1.20-1.27 s against 1.20-1.24 s); on two threads ORDINALITY
      // kept the parallel reader from running ahead.
      const select = leaves.map((l) => `${l.expr} AS ${quoteIdent(l.name)}`).join(', ');
      await conn.run(`DROP TABLE IF EXISTS ${table}`);
      sourceColumns = leaves.map((l) => ({ name: l.name, kind: l.kind }));
      const beside = halves ? null : ((await req.beside?.(leaves.length)) ?? null);
      if (halves) {
        // The second connection sees only a committed table: the empty table goes
        // first, with the evidence row, which stays `importing` until the events commit.
        await conn.run(`CREATE TABLE ${table} AS SELECT NULL::BIGINT AS rid, ${ev}::INTEGER AS evidence_id${select ? `, ${select}` : ''} FROM ${readOf(halves.files[0])} LIMIT 0`);
        await tables.insertSourceRow(conn, placement, ev);
        await conn.run('COMMIT');
        tables.committed(placement);
        split = true;
        rows = await loadHalvesSideBySide(conn, halves, table, `NULL, ${ev}${select ? `, ${select}` : ''}`, readOf, base);
      } else if (beside) {
        // The field table here, its events core from a second read of the file on
        // the other connection at the same time (both one thread, each in file
        // order: rid is the record ordinal on both sides). The events then load
        // from that scratch file into this transaction, which thus holds the
        // whole file: nothing reads the new table before it commits.
        const staging = { ...eventsOf(`(SELECT ${base} + ordinality - 1 AS rid${select ? `, ${select}` : ''} FROM ${read} WITH ORDINALITY)`, sourceColumns), conn: beside.conn };
        await beside.conn.run(`SET TimeZone = ${sqlString(zone.session)}`);
        const out: { staged?: StagedEvents } = {};
        const [n] = await onBoth([conn, beside.conn], async (i) => {
          if (i === 1) {
            out.staged = await stageSourceEvents(staging, beside.file);
            return 0;
          }
          await conn.run(`CREATE TABLE ${table} AS SELECT ${base} + ordinality - 1 AS rid, ${ev}::INTEGER AS evidence_id${select ? `, ${select}` : ''} FROM ${read} WITH ORDINALITY`);
          return Number((await queryValue<number>(conn, `SELECT count(*) FROM ${table}`)) ?? 0);
        });
        rows = n;
        await tables.insertSourceRow(conn, placement, ev);
        besideWarnings = await loadStagedEvents(conn, staging, out.staged as StagedEvents);
      } else {
        await conn.run(`CREATE TABLE ${table} AS SELECT NULL::BIGINT AS rid, ${ev}::INTEGER AS evidence_id${select ? `, ${select}` : ''} FROM ${read}`);
        await tables.insertSourceRow(conn, placement, ev);
        rows = Number((await queryValue<number>(conn, `SELECT count(*) FROM ${table}`)) ?? 0);
        // The field table is committed before its events and rid (commitAndNumber says why).
        await tables.commitAndNumber(conn, placement, base, () => (split = true));
      }
    } else {
      // A shared table: widened for the fields it lacks, values cast where its column is text.
      await tables.prepare(conn, placement, placement.add, ev);
      const targets: string[] = [];
      const values: string[] = [];
      sourceColumns = [];
      for (const l of leaves) {
        const col = placement.target.get(l.name.toLowerCase()) ?? { name: l.name, type: l.type };
        targets.push(quoteIdent(col.name));
        values.push(col.type === l.type ? l.expr : `CAST(${l.expr} AS ${col.type})`);
        sourceColumns.push({ name: col.name, kind: col.type === l.type ? l.kind : 'text' });
      }
      const inserted = await conn.runAndReadAll(
        `INSERT INTO ${table} (rid, evidence_id${targets.map((t) => `, ${t}`).join('')})
         SELECT ${base} + ordinality - 1, ${ev}${values.map((v) => `, ${v}`).join('')} FROM ${read} WITH ORDINALITY`,
      );
      rows = Number(inserted.getRows()[0]?.[0] ?? 0);
    }
    await tables.recordRows(conn, placement, ev, rows, true);

    let warnings = besideWarnings;
    if (warnings === null) {
      if (ownTable) await req.setThreads?.(rows > ROW_GROUP_ROWS ? 'default' : 1);
      warnings = await insertSourceEvents({ ...eventsOf(ownTable ? table : `(SELECT * FROM ${table} WHERE evidence_id = ${ev})`, sourceColumns), conn });
    }
    await req.finalize({ rows, warnings });
    await conn.run('COMMIT');
    if (!split) tables.committed(placement);
    return { ok: true, rows, columns: leaves.length, warnings };
  } catch (e) {
    if (!split) tables.rolledBack(placement);
    try {
      await conn.run('ROLLBACK');
    } catch {
      // the connection was interrupted or closed; nothing more was committed either way
    }
    const r = failure(e);
    // Past the first commit read_json has read the whole file: no fallback to the
    // record-by-record reader over a half-written evidence. The caller deletes it.
    if (split && !r.interrupted) throw e;
    return r;
  }
}

/**
 * Both halves into the committed, empty own table at once, each on its own
 * connection in a transaction of its own (one thread each keeps each half in
 * file order). The first half commits first, so the rows take their rowids
 * in file order, as the single-file load's do, and rid is numbered from
 * rowid the same way. It commits as soon as it is in, while the second half
 * is still loading (its COMMIT writes its last row group: 0.3 s of 500k EVE
 * events). Returns the row count inside a new transaction on `conn`.
 */
async function loadHalvesSideBySide(conn: DuckDBConnection, halves: JsonHalves, table: string, values: string, readOf: (f: string) => string, base: number): Promise<number> {
  const conns = [conn, halves.conn] as const;
  await Promise.all(conns.map((c) => c.run('BEGIN TRANSACTION')));
  const open = [true, true];
  let counts: [number, number];
  try {
    counts = await onBoth(conns, async (i, first) => {
      const c = conns[i];
      const r = await c.runAndReadAll(`INSERT INTO ${table} SELECT ${values} FROM ${readOf(halves.files[i])}`);
      if (first) await first;
      await c.run('COMMIT');
      open[i] = false;
      return Number(r.getRows()[0]?.[0] ?? 0);
    });
  } catch (e) {
    for (const [i, c] of conns.entries()) {
      if (!open[i]) continue;
      try {
        await c.run('ROLLBACK');
      } catch {
        // the transaction is gone already; what committed, the caller deletes
      }
    }
    throw e;
  }
  await conn.run('BEGIN TRANSACTION');
  await conn.run(`UPDATE ${table} SET rid = rowid + ${Math.trunc(base)}`);
  return counts[0] + counts[1];
}

/**
 * One task per connection, at once; the second gets the first's promise (to
 * wait on it). The first to fail interrupts the other, and both settle before
 * this returns or throws that first failure (the cause: the other then fails
 * by being interrupted), so nothing of either still runs on its connection
 * afterwards (a half still committing would commit the next transaction there).
 */
async function onBoth<T>(conns: readonly [DuckDBConnection, DuckDBConnection], task: (i: 0 | 1, first?: Promise<T>) => Promise<T>): Promise<[T, T]> {
  let cause: { error: unknown } | null = null;
  const guarded = (i: 0 | 1, p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      cause ??= { error: e };
      conns[1 - i]?.interrupt();
      throw e;
    });
  const first = guarded(0, task(0));
  const second = guarded(1, task(1, first));
  const [a, b] = await Promise.allSettled([first, second]);
  if (cause) throw (cause as { error: unknown }).error;
  return [(a as PromiseFulfilledResult<T>).value, (b as PromiseFulfilledResult<T>).value];
}

/** Schema over a whole file; LIMIT 0 keeps it to the detection pass. */
async function probeSchema(conn: DuckDBConnection, file: string, fmt: string): Promise<JsonSchema> {
  const probe = await conn.run(
    // map_inference_threshold=-1: objects whose keys vary from record to record (EventData
    // across event types) stay STRUCTs, so each key becomes a column, never one MAP blob.
    `SELECT * FROM read_json(${file}, format=${fmt}, records=true, sample_size=-1, map_inference_threshold=-1, dateformat='%not-a-date', timestampformat='%not-a-date') LIMIT 0`,
  );
  return { names: probe.columnNames(), types: probe.columnTypes() };
}

function failure(e: unknown): Extract<JsonLoadResult, { ok: false }> {
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
    return { name, kind: 'text', type: 'VARCHAR', expr: `(CASE json_type(${expr}) WHEN 'VARCHAR' THEN ${expr}->>'$' WHEN 'NULL' THEN NULL ELSE CAST(${expr} AS VARCHAR) END)` };
  }
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
      return { name, kind: 'text', type: 'VARCHAR', expr: type.typeId === DuckDBTypeId.UUID ? `CAST(${expr} AS VARCHAR)` : expr };
    case DuckDBTypeId.BOOLEAN:
      return { name, kind: 'boolean', type: 'BOOLEAN', expr };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.UNION:
      return { name, kind: 'text', type: 'VARCHAR', expr: `CAST(to_json(${expr}) AS VARCHAR)` };
    case DuckDBTypeId.SQLNULL:
      return { name, kind: 'text', type: 'VARCHAR', expr: `CAST(${expr} AS VARCHAR)` };
    default:
      return { name, kind: 'other', type: type.toString(), expr };
  }
}
