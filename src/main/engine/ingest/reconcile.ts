import type { DuckDBConnection } from '@duckdb/node-api';
import type { EvidenceStatus } from '@shared/contract';
import { queryRows, quoteIdent } from '../db/sql';

/**
 * A file's outcome as the case holds it, counted in its tables rather than
 * taken from the loaders' counters. A whole-corpus import once reported
 * every file stored while DuckDB, out of memory, had refused the rows of the
 * late ones: the summary said what the counters said. So once a file is
 * done, its events, its rows in the field tables and its rejections are
 * counted where they are stored, and the file is reported as that.
 */
export interface HeldCounts {
  /** The evidence row exists. */
  exists: boolean;
  status: EvidenceStatus | null;
  /** The evidence row's counters. */
  seen: number;
  stored: number;
  rejected: number;
  /** What the tables hold. */
  events: number;
  fieldRows: number;
  rejectedRows: number;
}

/**
 * What the case holds of each of these files, in a few grouped queries (a
 * run checks its files together: per file, the counting cost more than
 * importing a small file).
 */
export async function heldCounts(conn: DuckDBConnection, ids: readonly number[]): Promise<Map<number, HeldCounts>> {
  const out = new Map<number, HeldCounts>();
  if (ids.length === 0) return out;
  const want = new Set(ids);
  // A run's evidence ids are mostly one range: bound the scans by it, then keep the ids asked for.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const id of ids) {
    lo = Math.min(lo, id);
    hi = Math.max(hi, id);
  }
  const range = { lo, hi };
  for (const id of ids) out.set(id, { exists: false, status: null, seen: 0, stored: 0, rejected: 0, events: 0, fieldRows: 0, rejectedRows: 0 });
  const at = (v: unknown): HeldCounts | undefined => (want.has(Number(v)) ? out.get(Number(v)) : undefined);
  for (const r of await queryRows(conn, 'SELECT id, status, seen, stored, rejected FROM evidence WHERE id BETWEEN $lo AND $hi', range)) {
    const h = at(r.id);
    if (!h) continue;
    Object.assign(h, { exists: true, status: String(r.status) as EvidenceStatus, seen: Number(r.seen ?? 0), stored: Number(r.stored ?? 0), rejected: Number(r.rejected ?? 0) });
  }
  for (const r of await queryRows(conn, 'SELECT evidence_id AS id, count(*) AS n FROM events WHERE evidence_id BETWEEN $lo AND $hi GROUP BY ALL', range)) {
    const h = at(r.id);
    if (h) h.events = Number(r.n);
  }
  for (const r of await queryRows(conn, "SELECT evidence_id AS id, count(*) AS n FROM ingest_errors WHERE evidence_id BETWEEN $lo AND $hi AND kind = 'rejected' GROUP BY ALL", range)) {
    const h = at(r.id);
    if (h) h.rejectedRows = Number(r.n);
  }
  // Each field table these files have rows in, counted by its evidence_id column (not sources.rows).
  // (Tables of cases older than shared tables have no evidence_id; rows of these files never go there.)
  const tables = await queryRows(
    conn,
    `SELECT DISTINCT s.table_name FROM source_evidence se JOIN sources s ON s.id = se.source_id
       JOIN duckdb_columns() c ON c.table_name = s.table_name AND c.schema_name = 'main' AND c.column_name = 'evidence_id'
      WHERE se.evidence_id BETWEEN $lo AND $hi`,
    range,
  );
  for (const t of tables) {
    for (const r of await queryRows(conn, `SELECT evidence_id AS id, count(*) AS n FROM ${quoteIdent(String(t.table_name))} WHERE evidence_id BETWEEN $lo AND $hi GROUP BY ALL`, range)) {
      const h = at(r.id);
      if (h) h.fieldRows += Number(r.n);
    }
  }
  return out;
}

/**
 * Why the case does not hold what the evidence row says, or null when it
 * does. A file with records (imported, incomplete) must hold exactly its
 * counted events, field rows and rejections, and seen = stored + rejected;
 * a file without (failed, cancelled, skipped) must hold nothing.
 */
export function mismatch(h: HeldCounts): string | null {
  if (!h.exists) return 'its evidence row was never written';
  const problems: string[] = [];
  if (h.status === 'imported' || h.status === 'incomplete') {
    if (h.seen !== h.stored + h.rejected) problems.push(`${h.seen} records seen but ${h.stored} stored and ${h.rejected} rejected`);
    if (h.events !== h.stored) problems.push(`${h.stored} counted as stored but ${h.events} events in the case`);
    if (h.fieldRows !== h.stored) problems.push(`${h.stored} counted as stored but ${h.fieldRows} field-table rows in the case`);
    if (h.rejectedRows !== h.rejected) problems.push(`${h.rejected} counted as rejected but ${h.rejectedRows} rejections recorded`);
  } else if (h.status === 'importing' || h.status === 'pending') {
    problems.push(`left ${h.status}`);
  } else if (h.events > 0 || h.fieldRows > 0) {
    problems.push(`${h.status} but ${h.events} events and ${h.fieldRows} field-table rows of it are in the case`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/**
 * The state of a file that failed reconciliation and whose rows could not
 * be deleted either: what the case holds of it, incomplete (so the analyst
 * can reimport or remove it), or failed when nothing of it is there.
 */
export function reconciledState(h: HeldCounts, why: string): { status: EvidenceStatus; seen: number; stored: number; rejected: number; message: string } {
  const some = h.events > 0 || h.fieldRows > 0 || h.rejectedRows > 0;
  return {
    status: some ? 'incomplete' : 'failed',
    seen: h.events + h.rejectedRows,
    stored: h.events,
    rejected: h.rejectedRows,
    message: `not fully stored (${why})${some ? ': reimport or remove it' : ''}`,
  };
}
