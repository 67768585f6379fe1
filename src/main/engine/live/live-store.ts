import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, quoteIdent, type Row } from '../db/sql';
import { sourceTable } from '../ingest/evidence-store';
import { insertStagedChunk, removeChunkFiles } from '../ingest/stage-loader';
import type { FilePosition } from './journal';
import type { FileReading } from './message-parser';
import type { StagedLiveChunk } from './live-stager';

/**
 * The live sources' rows in the case (docs/live.md). One `live_sources` row
 * per source, beside its evidence row and its field table `src_<evidence>`;
 * `committed_seq` is the journal position up to which the source's messages
 * are in the case, written in the same transaction as their rows.
 */

export async function createLiveTables(conn: DuckDBConnection): Promise<void> {
  // IF NOT EXISTS: a case whose version marker was lost re-runs every step.
  await conn.run(`
    CREATE TABLE IF NOT EXISTS live_sources (
      id INTEGER PRIMARY KEY,
      kind VARCHAR NOT NULL,
      spec VARCHAR NOT NULL,
      evidence_id INTEGER NOT NULL,
      state VARCHAR NOT NULL,
      committed_seq BIGINT NOT NULL DEFAULT 0,
      received BIGINT NOT NULL DEFAULT 0,
      stored BIGINT NOT NULL DEFAULT 0,
      rejected BIGINT NOT NULL DEFAULT 0,
      skipped BIGINT NOT NULL DEFAULT 0,
      warnings BIGINT NOT NULL DEFAULT 0,
      dropped BIGINT NOT NULL DEFAULT 0,
      truncated BIGINT NOT NULL DEFAULT 0,
      readings VARCHAR,
      positions VARCHAR,
      created_at TIMESTAMP NOT NULL,
      started_at TIMESTAMP,
      stopped_at TIMESTAMP,
      message VARCHAR);
  `);
}

export type SourceKind = 'listener' | 'watch';
export type SourceState = 'running' | 'stopped' | 'failed';


export interface SourceRow {
  id: number;
  kind: SourceKind;
  spec: string;
  evidenceId: number;
  state: SourceState;
  committedSeq: number;
  received: number;
  stored: number;
  rejected: number;
  skipped: number;
  warnings: number;
  dropped: number;
  truncated: number;
  readings: Record<string, FileReading>;
  /** Followed files: how far each inode was read, most recent last. */
  positions: FilePosition[];
  startedAt: string | null;
  stoppedAt: string | null;
  message: string | null;
}

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

function json<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string' || v === '') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

function toSourceRow(r: Row): SourceRow {
  return {
    id: num(r.id),
    kind: r.kind === 'watch' ? 'watch' : 'listener',
    spec: String(r.spec),
    evidenceId: num(r.evidence_id),
    state: r.state === 'running' || r.state === 'failed' ? r.state : 'stopped',
    committedSeq: num(r.committed_seq),
    received: num(r.received),
    stored: num(r.stored),
    rejected: num(r.rejected),
    skipped: num(r.skipped),
    warnings: num(r.warnings),
    dropped: num(r.dropped),
    truncated: num(r.truncated),
    readings: json(r.readings, {}),
    positions: json<FilePosition[]>(r.positions, []).filter((p) => typeof p === 'object' && p !== null && typeof p.path === 'string'),
    startedAt: r.started_at === null ? null : String(r.started_at),
    stoppedAt: r.stopped_at === null ? null : String(r.stopped_at),
    message: r.message === null ? null : String(r.message),
  };
}

export async function listSourceRows(conn: DuckDBConnection): Promise<SourceRow[]> {
  return (await queryRows(conn, 'SELECT * FROM live_sources ORDER BY id')).map(toSourceRow);
}

export async function getSourceRow(conn: DuckDBConnection, id: number): Promise<SourceRow | null> {
  const rows = await queryRows(conn, 'SELECT * FROM live_sources WHERE id = $id', { id });
  return rows[0] ? toSourceRow(rows[0]) : null;
}

/**
 * A new source: its evidence row (path = the label; no origin, so it is never
 * re-imported from a file), its empty field table and sources row, and its
 * live_sources row, in one transaction.
 */
export async function insertSource(conn: DuckDBConnection, s: { id: number; evidenceId: number; kind: SourceKind; spec: string; label: string }): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const now = new Date().toISOString();
    await conn.run(
      `INSERT INTO evidence (id, parent_id, import_id, path, origin, member, kind, status, started_at, format, format_reason, message)
       VALUES ($id, NULL, NULL, $path, NULL, NULL, 'file', 'importing', $now::TIMESTAMP, NULL, $reason, $msg)`,
      {
        id: s.evidenceId,
        path: s.label,
        now,
        reason: s.kind === 'listener' ? 'live syslog listener: each message is read by its own shape (syslog, auth.log, CEF, LEEF, JSON, text)' : 'live watched files: each file is read as the format sniffed from its head',
        msg: `live source #${s.id}`,
      },
    );
    await conn.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(sourceTable(s.evidenceId))} (rid BIGINT)`);
    await conn.run(`INSERT INTO sources (id, evidence_id, table_name, format, rows) VALUES ($id, $id, $t, 'live', 0)`, { id: s.evidenceId, t: sourceTable(s.evidenceId) });
    await conn.run(`INSERT INTO live_sources (id, kind, spec, evidence_id, state, created_at) VALUES ($id, $kind, $spec, $ev, 'stopped', $now::TIMESTAMP)`, {
      id: s.id,
      kind: s.kind,
      spec: s.spec,
      ev: s.evidenceId,
      now,
    });
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** The source's state as the analyst sees it; the evidence row follows (importing while running). */
export async function setSourceState(conn: DuckDBConnection, s: { id: number; evidenceId: number; state: SourceState; message: string | null; received?: number; dropped?: number; truncated?: number }): Promise<void> {
  const now = new Date().toISOString();
  const running = s.state === 'running';
  await conn.run(
    `UPDATE live_sources SET state = $state, message = $msg,
       started_at = CASE WHEN $running THEN $now::TIMESTAMP ELSE started_at END,
       stopped_at = CASE WHEN $running THEN NULL ELSE $now::TIMESTAMP END,
       received = coalesce($received, received), dropped = coalesce($dropped, dropped), truncated = coalesce($truncated, truncated)
     WHERE id = $id`,
    { id: s.id, state: s.state, msg: s.message, running, now, received: s.received ?? null, dropped: s.dropped ?? null, truncated: s.truncated ?? null },
  );
  await conn.run(
    `UPDATE evidence SET status = $status, finished_at = CASE WHEN $running THEN NULL ELSE $now::TIMESTAMP END,
       started_at = CASE WHEN $running THEN $now::TIMESTAMP ELSE started_at END WHERE id = $ev`,
    { ev: s.evidenceId, status: running ? 'importing' : s.state === 'failed' ? 'failed' : 'imported', running, now },
  );
}

export interface CommitBatch {
  sourceId: number;
  evidenceId: number;
  /** The journal position of the batch's last message. */
  seq: number;
  chunks: StagedLiveChunk[];
  /** The field table's columns (updated as chunks add some). */
  known: Set<string>;
  /** events.id of the batch's first record (ids.next at the time of the write). */
  idBase: number;
  firstRid: number;
  /** Source totals after this batch (what the rows will say once committed). */
  totals: { received: number; stored: number; rejected: number; skipped: number; warnings: number; dropped: number; truncated: number };
  readings: Record<string, FileReading> | null;
  positions: FilePosition[] | null;
  /** Test hook: fail after the rows are written, before COMMIT (proves the batch never half-applies). */
  failBeforeCommit?: boolean;
}

/**
 * One batch of a live source into the case in ONE transaction: the field
 * table rows, the events, the errors, the evidence and source counters, and
 * the journal position they reach. Either all of it is in the case or none
 * of it; the journal replays from the last position that is.
 */
export async function commitBatch(conn: DuckDBConnection, b: CommitBatch): Promise<void> {
  const table = quoteIdent(sourceTable(b.evidenceId));
  const rows = b.chunks.reduce((n, c) => n + c.rows, 0);
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const c of b.chunks) await insertStagedChunk(conn, { table, evidenceId: b.evidenceId, known: b.known, idBase: b.idBase - b.firstRid }, c);
    const t = b.totals;
    await conn.run(
      `UPDATE evidence SET seen = $seen, stored = $stored, rejected = $rej, warnings = $warn,
         first_ts = CASE WHEN $rows > 0 THEN least(first_ts, (SELECT min(ts) FROM events WHERE id >= $lo AND id < $hi)) ELSE first_ts END,
         last_ts = CASE WHEN $rows > 0 THEN greatest(last_ts, (SELECT max(ts) FROM events WHERE id >= $lo AND id < $hi)) ELSE last_ts END
       WHERE id = $ev`,
      { seen: t.stored + t.rejected, stored: t.stored, rej: t.rejected, warn: t.warnings, rows, lo: b.idBase, hi: b.idBase + rows, ev: b.evidenceId },
    );
    await conn.run(`UPDATE sources SET rows = $rows WHERE id = $ev`, { rows: t.stored, ev: b.evidenceId });
    await conn.run(
      `UPDATE live_sources SET committed_seq = $seq, received = $received, stored = $stored, rejected = $rej, skipped = $skipped, warnings = $warn,
         dropped = $dropped, truncated = $truncated, readings = coalesce($readings, readings), positions = coalesce($positions, positions)
       WHERE id = $id`,
      {
        id: b.sourceId,
        seq: b.seq,
        received: t.received,
        stored: t.stored,
        rej: t.rejected,
        skipped: t.skipped,
        warn: t.warnings,
        dropped: t.dropped,
        truncated: t.truncated,
        readings: b.readings ? JSON.stringify(b.readings) : null,
        positions: b.positions ? JSON.stringify(b.positions) : null,
      },
    );
    if (b.failBeforeCommit) throw new Error('injected failure before COMMIT');
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    for (const c of b.chunks) removeChunkFiles(c);
  }
}

/** The columns a field table has now (after a failed batch, the ALTERs it made were rolled back). */
export async function fieldColumns(conn: DuckDBConnection, evidenceId: number): Promise<string[]> {
  const rows = await queryRows(
    conn,
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $t AND column_name <> 'rid' ORDER BY ordinal_position`,
    { t: sourceTable(evidenceId) },
  );
  return rows.map((r) => String(r.column_name));
}

/** Take a source out of the case: its rows, its field table, its evidence and its live_sources row. */
export async function deleteSource(conn: DuckDBConnection, s: { id: number; evidenceId: number }): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('DELETE FROM events WHERE evidence_id = $ev', { ev: s.evidenceId });
    await conn.run('DELETE FROM ingest_errors WHERE evidence_id = $ev', { ev: s.evidenceId });
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(sourceTable(s.evidenceId))}`);
    await conn.run('DELETE FROM sources WHERE evidence_id = $ev', { ev: s.evidenceId });
    await conn.run('DELETE FROM evidence WHERE id = $ev', { ev: s.evidenceId });
    await conn.run('DELETE FROM live_sources WHERE id = $id', { id: s.id });
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
