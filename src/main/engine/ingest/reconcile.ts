import type { DuckDBConnection } from '@duckdb/node-api';
import type { EvidenceStatus } from '@shared/contract';
import { queryOne, queryRows, quoteIdent } from '../db/sql';

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

export async function heldCounts(conn: DuckDBConnection, evidenceId: number): Promise<HeldCounts> {
  const ev = await queryOne(
    conn,
    `SELECT status, seen, stored, rejected,
            (SELECT count(*) FROM events WHERE evidence_id = $id) AS events,
            (SELECT count(*) FROM ingest_errors WHERE evidence_id = $id AND kind = 'rejected') AS rejected_rows
       FROM (SELECT 1) LEFT JOIN evidence ON id = $id`,
    { id: evidenceId },
  );
  // Each field table the file has rows in, counted by its evidence_id column (not sources.rows).
  const tables = await queryRows(conn, 'SELECT DISTINCT s.table_name FROM source_evidence se JOIN sources s ON s.id = se.source_id WHERE se.evidence_id = $id', { id: evidenceId });
  let fieldRows = 0;
  for (const t of tables) {
    const r = await queryOne(conn, `SELECT count(*) AS n FROM ${quoteIdent(String(t.table_name))} WHERE evidence_id = $id`, { id: evidenceId });
    fieldRows += Number(r?.n ?? 0);
  }
  const exists = ev?.status !== null && ev?.status !== undefined;
  return {
    exists,
    status: exists ? (String(ev?.status) as EvidenceStatus) : null,
    seen: Number(ev?.seen ?? 0),
    stored: Number(ev?.stored ?? 0),
    rejected: Number(ev?.rejected ?? 0),
    events: Number(ev?.events ?? 0),
    fieldRows,
    rejectedRows: Number(ev?.rejected_rows ?? 0),
  };
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
