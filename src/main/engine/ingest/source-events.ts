import { LIST, listValue, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { CORE_COLUMNS } from '@shared/events';
import { queryRows, queryValue, quoteIdent } from '../db/sql';
import { compileCoreSql, convertCoreSql, sqlString, type CompileContext, type SourceColumn, type TimeZoneSql } from './core-sql';
import { canonicalIp, type CoreMapping } from './format-support';

export interface SourceEventsRequest {
  conn: DuckDBConnection;
  /** The source's rows (a quoted table, or a parenthesised query over a shared one), rid filled with the event ids. */
  table: string;
  columns: readonly SourceColumn[];
  mapping: CoreMapping;
  ctx: CompileContext;
  zone: TimeZoneSql;
  evidenceId: number;
  /** The field table's id (events.source_id). */
  sourceId: number;
  /** SQL for events.pos from the table's rid column (the event id): `rid - <id base> + 1` for a record index. */
  posSql: string;
  /** What ingest_errors.pos of a time warning is: a record index or a line. */
  posKind: 'record' | 'line';
}

/**
 * Fill the events core of a source whose field table DuckDB loaded itself
 * (read_json, read_csv): one INSERT ... SELECT with the core expressions
 * compiled from the format layer's mapping, addresses canonicalised through a
 * lookup of their distinct values, and a warning for every time that is
 * there but does not parse. Returns the number of those warnings.
 */
export async function insertSourceEvents(req: SourceEventsRequest): Promise<number> {
  const { conn } = req;
  const core = compileCoreSql(req.mapping, req.columns, req.ctx);
  const layered = core.from(req.table);
  const ipMap = await distinctIps(conn, `(${layered})`, core.text.src_ip, core.text.dst_ip);
  await insertEvents(conn, req, `(${layered})`, (c) => convertCoreSql(c, `b.${core.text[c]}`, req.zone), `b.${core.text.src_ip}`, `b.${core.text.dst_ip}`, 'b.rid', req.posSql.replaceAll('rid', 'b.rid'), ipMap);
  // A time that is there but does not parse is kept as NULL and reported.
  // Only a row left without a time can have one: most files have none, and
  // the check re-evaluates the whole mapping (4 ms a file of a few records).
  const untimed = await queryValue<number>(conn, 'SELECT count(*) FROM events WHERE evidence_id = $ev AND source_id = $sid AND ts IS NULL', { ev: req.evidenceId, sid: req.sourceId });
  if (Number(untimed ?? 0) === 0) return 0;
  const warned = await conn.runAndReadAll(
    `INSERT INTO ingest_errors (evidence_id, pos, pos_kind, kind, reason, excerpt)
     SELECT $ev, ${req.posSql}, $pk, 'warning', 'time not understood: ' || left(${core.text.ts}, 200), NULL
     FROM (${layered}) WHERE ${core.text.ts} IS NOT NULL AND ${convertCoreSql('ts', core.text.ts, req.zone)} IS NULL`,
    { ev: req.evidenceId, pk: req.posKind },
  );
  // The loaders write no other warning before this: the rows inserted are the file's warnings.
  return Number(warned.getRows()[0]?.[0] ?? 0);
}

/** A source's events core written to a Parquet file by stageSourceEvents, to be loaded by loadStagedEvents. */
export interface StagedEvents {
  file: string;
  ipMap: IpMap | null;
}

/**
 * Rows per row group of the staged events. The Parquet writer holds a whole
 * row group in memory: at the default 122,880 rows a JSON array of 150k
 * records with 4 KB messages ran out of the import's 512 MB beside the field
 * table's load (and was read record by record instead). 8,192 rows of 4 KB
 * messages are 32 MB; 2,048 cost OTRF LSASS most of the gain.
 */
const STAGED_ROW_GROUP_ROWS = 8192;

/**
 * The events core of a source computed on a connection of its own into a
 * Parquet file (uncompressed: it lives for one import), while another
 * connection loads the field table from the same file: the JSON loader's
 * table of its own (json-loader.ts) reads the file a second time for it,
 * on the core the one-thread load leaves idle. Addresses stay raw text
 * there; their distinct values are read back from the file (a few
 * thousand, not a pass over the source) and canonicalised here. A time
 * present but not understood is kept beside its row (`bad_ts`), so the
 * warnings need no second pass either.
 */
export async function stageSourceEvents(req: SourceEventsRequest, file: string): Promise<StagedEvents> {
  const { conn } = req;
  const core = compileCoreSql(req.mapping, req.columns, req.ctx);
  const values = CORE_COLUMNS.map((c) => `${c === 'src_ip' || c === 'dst_ip' ? `b.${core.text[c]}` : convertCoreSql(c, `b.${core.text[c]}`, req.zone)} AS ${quoteIdent(c)}`);
  const rows = `SELECT b.rid, ${req.posSql.replaceAll('rid', 'b.rid')} AS pos, ${values.join(', ')}, b.${core.text.ts} AS ts_text FROM (${core.from(req.table)}) b`;
  await conn.run(
    `COPY (SELECT * EXCLUDE (ts_text), CASE WHEN ts IS NULL THEN left(ts_text, 200) END AS bad_ts FROM (${rows})) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE ${STAGED_ROW_GROUP_ROWS})`,
  );
  return { file, ipMap: await distinctIps(conn, `read_parquet(${sqlString(file)})`, 'src_ip', 'dst_ip') };
}

/** Staged events (stageSourceEvents) into the events table, and their time warnings; returns the warnings' count. */
export async function loadStagedEvents(conn: DuckDBConnection, req: Omit<SourceEventsRequest, 'conn'>, staged: StagedEvents): Promise<number> {
  const from = `read_parquet(${sqlString(staged.file)})`;
  await insertEvents(conn, req, from, (c) => `b.${quoteIdent(c)}`, 'b.src_ip', 'b.dst_ip', 'b.rid', 'b.pos', staged.ipMap);
  const warned = await conn.runAndReadAll(
    `INSERT INTO ingest_errors (evidence_id, pos, pos_kind, kind, reason, excerpt)
     SELECT $ev, pos, $pk, 'warning', 'time not understood: ' || bad_ts, NULL FROM ${from} WHERE bad_ts IS NOT NULL`,
    { ev: req.evidenceId, pk: req.posKind },
  );
  return Number(warned.getRows()[0]?.[0] ?? 0);
}

type IpMap = { raws: string[]; canons: (string | null)[] };

/**
 * INSERT INTO events from rows `b` of `from`: `value` gives a core column's
 * typed value, `src`/`dst` the raw addresses, mapped to their canonical form
 * through the lookup (a list parameter joined in place: a temporary table
 * cost three statements per file).
 */
async function insertEvents(conn: DuckDBConnection, req: Omit<SourceEventsRequest, 'conn'>, from: string, value: (c: (typeof CORE_COLUMNS)[number]) => string, src: string, dst: string, rid: string, pos: string, ipMap: IpMap | null): Promise<void> {
  const typed = CORE_COLUMNS.map((c) => {
    if (c === 'src_ip') return ipMap ? 'm1.canon' : 'NULL';
    if (c === 'dst_ip') return ipMap ? 'm2.canon' : 'NULL';
    return value(c);
  });
  const map = '(SELECT unnest($ipr) AS raw, unnest($ipc) AS canon)';
  const joins = ipMap ? ` LEFT JOIN ${map} m1 ON m1.raw = ${src} LEFT JOIN ${map} m2 ON m2.raw = ${dst}` : '';
  await conn.run(
    `INSERT INTO events (id, evidence_id, source_id, rid, pos, ${CORE_COLUMNS.map((c) => quoteIdent(c)).join(', ')}, raw)
     SELECT ${rid}, $ev, $sid, ${rid}, ${pos}, ${typed.join(', ')}, NULL
     FROM ${from} b${joins}`,
    { ev: req.evidenceId, sid: req.sourceId, ...(ipMap ? { ipr: listValue(ipMap.raws), ipc: listValue(ipMap.canons) } : {}) },
    // Typed: inferred from its first element, a list that starts with null (a value that is
    // no address, `ec2.amazonaws.com`) became a list of NULLs and every address of the file was lost.
    ipMap ? { ipr: LIST(VARCHAR), ipc: LIST(VARCHAR) } : undefined,
  );
}

/**
 * Addresses are canonicalised by the format layer's rules (net.ts) in JS,
 * over the DISTINCT values only: a case of millions of events holds a few
 * thousand addresses. The map goes to the events INSERT as two lists.
 */
async function distinctIps(conn: DuckDBConnection, from: string, src: string, dst: string): Promise<IpMap | null> {
  const rows = await queryRows(conn, `SELECT DISTINCT v FROM (SELECT unnest([${src}, ${dst}]) AS v FROM ${from}) WHERE v IS NOT NULL`);
  if (rows.length === 0) return null;
  const raws: string[] = [];
  const canons: (string | null)[] = [];
  for (const r of rows) {
    const raw = String(r.v);
    raws.push(raw);
    canons.push(canonicalIp(raw));
  }
  return { raws, canons };
}
