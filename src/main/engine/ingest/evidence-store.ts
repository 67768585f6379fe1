import { listValue as duckList, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { INTERRUPTED_MESSAGE, type EvidenceInfo, type EvidenceStatus, type IngestErrorRow } from '@shared/contract';
import { queryRows, queryValue, type Row } from '../db/sql';
import { deleteSourceRows } from './source-tables';

/**
 * The evidence manifest and its companions (sources, imports, ingest_errors)
 * as the pipeline reads and writes them. Every statement is here so the
 * table layout (docs/data-model.md) has one owner on the Node side.
 */

/** The name of the field table with this id (sources.id; several evidence may share it). */
export function sourceTable(sourceId: number): string {
  return `src_${sourceId}`;
}

export interface NewEvidence {
  id: number;
  parentId: number | null;
  importId: number;
  path: string;
  origin: string;
  member: string | null;
  kind: 'file' | 'container';
  sha256: string | null;
  size: number | null;
  mtime: string | null;
  tz: string | null;
  status: EvidenceStatus;
  message?: string | null;
  format?: string | null;
  formatConfidence?: number | null;
  formatReason?: string | null;
  formatForced?: boolean;
  encoding?: string | null;
  /** When the import of it began (default: now). */
  startedAt?: string;
}

export interface EvidencePatch {
  sha256?: string | null;
  size?: number | null;
  format?: string | null;
  formatConfidence?: number | null;
  formatReason?: string | null;
  formatForced?: boolean;
  encoding?: string | null;
  status?: EvidenceStatus;
  seen?: number;
  stored?: number;
  rejected?: number;
  warnings?: number;
  bytesRead?: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  seconds?: number | null;
  message?: string | null;
  importId?: number;
  tz?: string | null;
  kind?: 'file' | 'container';
  /** Set first_ts / last_ts from the evidence's events in the same statement. */
  timeRange?: boolean;
}

const PATCH_COLUMNS: Record<Exclude<keyof EvidencePatch, 'timeRange'>, string> = {
  sha256: 'sha256',
  size: 'size',
  format: 'format',
  formatConfidence: 'format_confidence',
  formatReason: 'format_reason',
  formatForced: 'format_forced',
  encoding: 'encoding',
  status: 'status',
  seen: 'seen',
  stored: 'stored',
  rejected: 'rejected',
  warnings: 'warnings',
  bytesRead: 'bytes_read',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  seconds: 'seconds',
  message: 'message',
  importId: 'import_id',
  tz: 'tz',
  kind: 'kind',
};

const TIMESTAMP_PATCHES = new Set(['startedAt', 'finishedAt']);

export async function nextEvidenceId(conn: DuckDBConnection): Promise<number> {
  return Number((await queryValue<number>(conn, 'SELECT coalesce(max(id), 0) + 1 FROM evidence')) ?? 1);
}

export async function nextEventId(conn: DuckDBConnection): Promise<number> {
  return Number((await queryValue<number>(conn, 'SELECT coalesce(max(id), 0) + 1 FROM events')) ?? 1);
}

export async function nextImportId(conn: DuckDBConnection): Promise<number> {
  return Number((await queryValue<number>(conn, 'SELECT coalesce(max(id), 0) + 1 FROM imports')) ?? 1);
}

export async function insertImport(conn: DuckDBConnection, id: number, options: unknown): Promise<void> {
  await conn.run(`INSERT INTO imports (id, started_at, options, status) VALUES ($id, $t::TIMESTAMP, $o, 'running')`, {
    id,
    t: new Date().toISOString(),
    o: JSON.stringify(options),
  });
}

export async function finishImport(conn: DuckDBConnection, id: number, status: string): Promise<void> {
  await conn.run(`UPDATE imports SET finished_at = $t::TIMESTAMP, status = $s WHERE id = $id`, { id, s: status, t: new Date().toISOString() });
}

export async function insertEvidence(conn: DuckDBConnection, e: NewEvidence): Promise<void> {
  await conn.run(
    `INSERT INTO evidence (id, parent_id, import_id, path, origin, member, kind, sha256, size, mtime, tz, status, message, started_at,
       format, format_confidence, format_reason, format_forced, encoding)
     VALUES ($id, $parent, $imp, $path, $origin, $member, $kind, $sha, $size, $mtime::TIMESTAMP, $tz, $status, $message, $started::TIMESTAMP,
       $format, $conf, $reason, $forced, $enc)`,
    {
      id: e.id,
      parent: e.parentId,
      imp: e.importId,
      path: e.path,
      origin: e.origin,
      member: e.member,
      kind: e.kind,
      sha: e.sha256,
      size: e.size,
      mtime: e.mtime,
      tz: e.tz,
      status: e.status,
      message: e.message ?? null,
      started: e.startedAt ?? new Date().toISOString(),
      format: e.format ?? null,
      conf: e.formatConfidence ?? null,
      reason: e.formatReason ?? null,
      forced: e.formatForced ?? false,
      enc: e.encoding ?? null,
    },
  );
}

export async function updateEvidence(conn: DuckDBConnection, id: number, patch: EvidencePatch): Promise<void> {
  const sets: string[] = [];
  const params: Record<string, DuckDBValue> = { id };
  let i = 0;
  for (const [key, value] of Object.entries(patch) as [keyof EvidencePatch, EvidencePatch[keyof EvidencePatch]][]) {
    if (value === undefined || key === 'timeRange') continue;
    const p = `p${i++}`;
    sets.push(`${PATCH_COLUMNS[key]} = $${p}${TIMESTAMP_PATCHES.has(key) ? '::TIMESTAMP' : ''}`);
    params[p] = value;
  }
  if (patch.timeRange) {
    sets.push('first_ts = (SELECT min(ts) FROM events WHERE evidence_id = $id)', 'last_ts = (SELECT max(ts) FROM events WHERE evidence_id = $id)');
  }
  if (sets.length === 0) return;
  await conn.run(`UPDATE evidence SET ${sets.join(', ')} WHERE id = $id`, params);
}

export async function evidenceExists(conn: DuckDBConnection, id: number): Promise<boolean> {
  return Number((await queryValue<number>(conn, 'SELECT count(*) FROM evidence WHERE id = $id', { id })) ?? 0) > 0;
}

/**
 * `kind:size` and `kind:sha256` of every imported evidence: a new file is
 * hashed before loading only when its size is among them, and looked up as a
 * duplicate only when its hash is (a query per small file cost more than
 * loading it).
 */
export async function importedKeys(conn: DuckDBConnection): Promise<{ sizes: Set<string>; hashes: Set<string> }> {
  const rows = await queryRows(conn, `SELECT DISTINCT kind, size, sha256 FROM evidence WHERE status = 'imported'`);
  const sizes = new Set<string>();
  const hashes = new Set<string>();
  for (const r of rows) {
    if (r.size !== null && r.size !== undefined) sizes.add(`${String(r.kind)}:${String(r.size)}`);
    if (typeof r.sha256 === 'string') hashes.add(`${String(r.kind)}:${r.sha256}`);
  }
  return { sizes, hashes };
}

/** Time range of an evidence's events, written once it is complete. */
export async function setEvidenceTimeRange(conn: DuckDBConnection, id: number): Promise<void> {
  await conn.run(
    `UPDATE evidence SET first_ts = r.lo, last_ts = r.hi FROM (SELECT min(ts) AS lo, max(ts) AS hi FROM events WHERE evidence_id = $id) r WHERE evidence.id = $id`,
    { id },
  );
}

/** An earlier evidence with the same content that is fully imported, if any. */
export async function findDuplicate(conn: DuckDBConnection, sha256: string, kind: 'file' | 'container'): Promise<{ id: number; path: string } | null> {
  const row = await queryRows(conn, `SELECT id, path FROM evidence WHERE sha256 = $sha AND kind = $kind AND status = 'imported' ORDER BY id LIMIT 1`, { sha: sha256, kind });
  const r = row[0];
  return r ? { id: Number(r.id), path: String(r.path) } : null;
}

/** Evidence ids of these rows and everything below them (archive members, nested members). */
export async function withDescendants(conn: DuckDBConnection, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows(
    conn,
    `WITH RECURSIVE tree(id) AS (
       SELECT id FROM evidence WHERE list_contains($ids, id)
       UNION SELECT e.id FROM evidence e JOIN tree t ON e.parent_id = t.id)
     SELECT id FROM tree ORDER BY id`,
    { ids: listValue(ids) },
  );
  return rows.map((r) => Number(r.id));
}

/**
 * Delete what an evidence put in the case (events, its rows in field tables,
 * its errors), keeping the manifest row. A field table left without rows of
 * any evidence is dropped; the names of dropped tables are returned.
 */
export async function deleteEvidenceData(conn: DuckDBConnection, id: number): Promise<string[]> {
  await conn.run('DELETE FROM events WHERE evidence_id = $id', { id });
  await conn.run('DELETE FROM ingest_errors WHERE evidence_id = $id', { id });
  return deleteSourceRows(conn, id);
}

export async function deleteEvidenceRows(conn: DuckDBConnection, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await conn.run('DELETE FROM evidence WHERE list_contains($ids, id)', { ids: listValue(ids) });
}

/**
 * A case opened after its process died mid-import: whatever was `importing`
 * is now `incomplete` (its partial rows stay until the analyst resumes or
 * removes it), and the run that was going is marked interrupted.
 */
export async function markInterrupted(conn: DuckDBConnection): Promise<number> {
  const n = Number((await queryValue<number>(conn, `SELECT count(*) FROM evidence WHERE status IN ('importing', 'pending')`)) ?? 0);
  if (n > 0) {
    await conn.run(
      `UPDATE evidence SET status = 'incomplete', message = $m WHERE status IN ('importing', 'pending')`,
      { m: INTERRUPTED_MESSAGE },
    );
  }
  await conn.run(`UPDATE imports SET status = 'interrupted' WHERE status = 'running'`);
  return n;
}

const EVIDENCE_SELECT = `SELECT id, parent_id, import_id, path, origin, member, kind, sha256, size, mtime, format, format_confidence, format_reason,
  format_forced, encoding, tz, status, seen, stored, rejected, warnings, bytes_read, first_ts, last_ts, started_at, finished_at, seconds, message FROM evidence`;

export function toEvidenceInfo(r: Row): EvidenceInfo {
  const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: num(r.id),
    parentId: r.parent_id === null ? null : num(r.parent_id),
    importId: r.import_id === null ? null : num(r.import_id),
    path: String(r.path),
    origin: str(r.origin),
    member: str(r.member),
    kind: r.kind === 'container' ? 'container' : 'file',
    sha256: str(r.sha256),
    size: r.size === null ? null : num(r.size),
    mtime: str(r.mtime),
    format: str(r.format),
    formatConfidence: r.format_confidence === null ? null : num(r.format_confidence),
    formatReason: str(r.format_reason),
    formatForced: r.format_forced === true,
    encoding: str(r.encoding),
    tz: str(r.tz),
    status: String(r.status) as EvidenceStatus,
    seen: num(r.seen),
    stored: num(r.stored),
    rejected: num(r.rejected),
    warnings: num(r.warnings),
    bytesRead: num(r.bytes_read),
    firstTs: str(r.first_ts),
    lastTs: str(r.last_ts),
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
    seconds: r.seconds === null ? null : num(r.seconds),
    message: str(r.message),
  };
}

export async function listEvidence(conn: DuckDBConnection, filter: { importId?: number; ids?: number[] } = {}): Promise<EvidenceInfo[]> {
  const where: string[] = [];
  const params: Record<string, DuckDBValue> = {};
  if (filter.importId !== undefined) {
    where.push('import_id = $imp');
    params.imp = filter.importId;
  }
  if (filter.ids) {
    where.push('list_contains($ids, id)');
    params.ids = listValue(filter.ids);
  }
  const rows = await queryRows(conn, `${EVIDENCE_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, params);
  return rows.map(toEvidenceInfo);
}

export async function getEvidence(conn: DuckDBConnection, id: number): Promise<EvidenceInfo | null> {
  const rows = await queryRows(conn, `${EVIDENCE_SELECT} WHERE id = $id`, { id });
  return rows[0] ? toEvidenceInfo(rows[0]) : null;
}

export async function getIngestErrors(
  conn: DuckDBConnection,
  evidenceId: number,
  offset: number,
  limit: number,
  kind?: 'rejected' | 'warning',
): Promise<{ total: number; rows: IngestErrorRow[] }> {
  const kindSql = kind ? ' AND kind = $kind' : '';
  const params: Record<string, DuckDBValue> = { id: evidenceId };
  if (kind) params.kind = kind;
  const total = Number((await queryValue<number>(conn, `SELECT count(*) FROM ingest_errors WHERE evidence_id = $id${kindSql}`, params)) ?? 0);
  const rows = await queryRows(
    conn,
    `SELECT pos, pos_kind, kind, reason, excerpt FROM ingest_errors WHERE evidence_id = $id${kindSql} ORDER BY pos NULLS FIRST, rowid LIMIT $limit OFFSET $offset`,
    { ...params, limit, offset },
  );
  return {
    total,
    rows: rows.map((r) => ({
      pos: r.pos === null ? null : Number(r.pos),
      posKind: (r.pos_kind === null ? null : String(r.pos_kind)) as IngestErrorRow['posKind'],
      kind: r.kind === 'warning' ? 'warning' : 'rejected',
      reason: String(r.reason),
      excerpt: r.excerpt === null ? null : String(r.excerpt),
    })),
  };
}

/** One error row written directly (file-level problems: unreadable, refused archive entry...). */
export async function insertIngestError(
  conn: DuckDBConnection,
  e: { evidenceId: number; pos: number | null; posKind: 'line' | 'record' | 'byte' | null; kind: 'rejected' | 'warning'; reason: string; excerpt: string | null },
): Promise<void> {
  await conn.run(`INSERT INTO ingest_errors (evidence_id, pos, pos_kind, kind, reason, excerpt) VALUES ($ev, $pos, $pk, $kind, $reason, $ex)`, {
    ev: e.evidenceId,
    pos: e.pos,
    pk: e.posKind,
    kind: e.kind,
    reason: e.reason,
    ex: e.excerpt === null ? null : e.excerpt.slice(0, 1024),
  });
}

function listValue(ids: number[]): DuckDBValue {
  return duckList(ids.map((i) => Math.trunc(i)));
}
