import type { DuckDBConnection } from '@duckdb/node-api';
import type { OutputRecord } from '@shared/findings-contract';
import { queryOne, queryRows } from '../db/sql';
import { nowUtc, num, str } from './case-tables';

/**
 * The case's record of what left it: every export and report with its path,
 * size and SHA-256 (a copy handed to someone else can be checked against it).
 */

/** Ids are handed out under a lock: two exports may start at the same moment. */
let chain: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = chain.then(fn, fn);
  chain = next.catch(() => undefined);
  return next;
}

export function startOutput(conn: DuckDBConnection, o: { kind: 'export' | 'report'; what: string; format: string; path: string }): Promise<number> {
  return serial(async () => {
    const id = Number((await queryOne(conn, 'SELECT coalesce(max(id), 0) + 1 AS id FROM outputs'))?.id ?? 1);
    await conn.run(`INSERT INTO outputs (id, kind, what, format, path, started_at, status) VALUES ($id, $kind, $what, $format, $path, $now::TIMESTAMP, 'running')`, {
      id,
      kind: o.kind,
      what: o.what.slice(0, 2000),
      format: o.format,
      path: o.path,
      now: nowUtc(),
    });
    return id;
  });
}

export function finishOutput(
  conn: DuckDBConnection,
  id: number,
  r: { status: 'done' | 'failed' | 'cancelled'; rows: number | null; bytes: number | null; sha256: string | null; message: string | null },
): Promise<void> {
  return serial(async () => {
    await conn.run('UPDATE outputs SET status = $status, rows = $rows, bytes = $bytes, sha256 = $sha, message = $msg, finished_at = $now::TIMESTAMP WHERE id = $id', {
      id,
      status: r.status,
      rows: r.rows,
      bytes: r.bytes,
      sha: r.sha256,
      msg: r.message === null ? null : r.message.slice(0, 1000),
      now: nowUtc(),
    });
  });
}

export async function listOutputs(conn: DuckDBConnection, limit: number): Promise<OutputRecord[]> {
  const rows = await queryRows(conn, `SELECT * FROM outputs ORDER BY id DESC LIMIT ${Math.floor(limit)}`);
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind === 'report' ? 'report' : 'export',
    what: String(r.what),
    format: String(r.format),
    path: String(r.path),
    rows: num(r.rows),
    bytes: num(r.bytes),
    sha256: str(r.sha256),
    startedAt: String(r.started_at),
    finishedAt: str(r.finished_at),
    status: (['running', 'done', 'failed', 'cancelled'] as const).find((s) => s === r.status) ?? 'failed',
    message: str(r.message),
  }));
}
