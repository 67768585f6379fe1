import type { DuckDBConnection } from '@duckdb/node-api';
import type { Destination as DestinationInfo, DestinationInput, ForwardLogEntry, ForwardRun } from '@shared/findings-contract';
import { LoupeError } from '@shared/errors';
import { queryOne, queryRows, type Row } from '../../db/sql';
import { nowUtc, num, str } from '../case-tables';
import { ElasticBulk } from './elastic-bulk';
import { getToken, setToken } from './secrets';
import { SplunkHec } from './splunk-hec';
import type { Destination } from './types';

/**
 * Hand-off destinations of a case: configuration in forward_destinations,
 * the token in the case's secrets file. Nothing here ever returns a token.
 */

export async function saveDestination(conn: DuckDBConnection, caseDir: string, d: DestinationInput): Promise<DestinationInfo> {
  if (d.kind === 'elastic-bulk' && !d.index) {
    const existing = await queryOne(conn, 'SELECT index_name FROM forward_destinations WHERE name = $n', { n: d.name });
    if (!existing?.index_name) throw new LoupeError('BAD_INPUT', 'An Elasticsearch/OpenSearch destination needs an index');
  }
  const now = nowUtc();
  await conn.run(
    `INSERT INTO forward_destinations VALUES ($name, $kind, $url, $index, $sourcetype, $ack, $scheme, $now::TIMESTAMP, $now::TIMESTAMP)
     ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url,
       index_name = coalesce(excluded.index_name, forward_destinations.index_name),
       sourcetype = excluded.sourcetype, ack_channel = excluded.ack_channel, auth_scheme = excluded.auth_scheme, updated_at = excluded.updated_at`,
    {
      name: d.name,
      kind: d.kind,
      url: d.url.replace(/\/+$/, ''),
      index: d.index ?? null,
      sourcetype: d.sourcetype ?? null,
      ack: d.ackChannel ?? null,
      scheme: d.kind === 'elastic-bulk' ? (d.authScheme ?? 'ApiKey') : null,
      now,
    },
  );
  if (d.token !== undefined) setToken(caseDir, d.name, d.token);
  const saved = (await listDestinations(conn, caseDir)).find((x) => x.name === d.name);
  if (!saved) throw new LoupeError('INTERNAL', 'The destination vanished');
  return saved;
}

export async function deleteDestination(conn: DuckDBConnection, caseDir: string, name: string): Promise<boolean> {
  const before = await queryOne(conn, 'SELECT count(*) AS n FROM forward_destinations WHERE name = $n', { n: name });
  await conn.run('DELETE FROM forward_destinations WHERE name = $n', { n: name });
  setToken(caseDir, name, null);
  // The log stays: it records what was handed off, which matters after the destination is gone.
  return Number(before?.n ?? 0) > 0;
}

export async function listDestinations(conn: DuckDBConnection, caseDir: string): Promise<DestinationInfo[]> {
  const rows = await queryRows(
    conn,
    `SELECT d.*, coalesce(l.acked, 0) AS acked, coalesce(l.failed, 0) AS failed
       FROM forward_destinations d
       LEFT JOIN (SELECT destination, count(*) FILTER (WHERE status = 'acked') AS acked, count(*) FILTER (WHERE status = 'failed') AS failed
                    FROM forward_log GROUP BY destination) l ON l.destination = d.name
      ORDER BY d.name`,
  );
  const runs = await queryRows(conn, `SELECT * FROM forward_runs QUALIFY row_number() OVER (PARTITION BY destination ORDER BY id DESC) = 1`);
  return rows.map((r) => {
    const run = runs.find((x) => x.destination === r.name);
    return {
      name: String(r.name),
      kind: r.kind === 'elastic-bulk' ? 'elastic-bulk' : 'splunk-hec',
      url: String(r.url),
      index: str(r.index_name),
      sourcetype: str(r.sourcetype),
      ackChannel: str(r.ack_channel),
      authScheme: str(r.auth_scheme),
      hasToken: getToken(caseDir, String(r.name)) !== null,
      createdAt: String(r.created_at),
      updatedAt: String(r.updated_at),
      acked: Number(r.acked),
      failed: Number(r.failed),
      lastRun: run ? toRun(run) : null,
    };
  });
}

export function toRun(r: Row): ForwardRun {
  const statuses = ['running', 'done', 'partial', 'failed', 'cancelled'] as const;
  return {
    id: Number(r.id),
    destination: String(r.destination),
    what: String(r.what),
    startedAt: String(r.started_at),
    finishedAt: str(r.finished_at),
    status: statuses.find((s) => s === r.status) ?? 'failed',
    selected: Number(r.selected),
    skipped: Number(r.skipped),
    sent: Number(r.sent),
    failed: Number(r.failed),
    retried: Number(r.retried),
    batches: Number(r.batches),
    latencyMs: { last: num(r.last_ms), p50: num(r.p50_ms), p95: num(r.p95_ms) },
    lastError: str(r.last_error),
  };
}

/** A live destination for the forwarder, with its token from the secrets file. */
export async function openDestination(conn: DuckDBConnection, caseDir: string, name: string, fetchImpl?: typeof fetch): Promise<Destination> {
  const r = await queryOne(conn, 'SELECT * FROM forward_destinations WHERE name = $n', { n: name });
  if (!r) throw new LoupeError('NOT_FOUND', `No destination named "${name}" in this case (add one first)`);
  const token = getToken(caseDir, name);
  const fetchOpt = fetchImpl ? { fetch: fetchImpl } : {};
  if (r.kind === 'splunk-hec') {
    if (!token) throw new LoupeError('BAD_INPUT', `The Splunk destination "${name}" has no HEC token`);
    return new SplunkHec({
      name,
      url: String(r.url),
      token,
      ...(r.index_name ? { index: String(r.index_name) } : {}),
      ...(r.sourcetype ? { sourcetype: String(r.sourcetype) } : {}),
      ...(r.ack_channel ? { ackChannel: String(r.ack_channel) } : {}),
      ...fetchOpt,
    });
  }
  if (!r.index_name) throw new LoupeError('BAD_INPUT', `The destination "${name}" has no index`);
  return new ElasticBulk({
    name,
    url: String(r.url),
    index: String(r.index_name),
    ...(token ? { authorization: `${str(r.auth_scheme) ?? 'ApiKey'} ${token}` } : {}),
    ...fetchOpt,
  });
}

export async function listForwardLog(conn: DuckDBConnection, destination: string, status: 'acked' | 'failed' | undefined, limit: number): Promise<ForwardLogEntry[]> {
  const rows = await queryRows(
    conn,
    `SELECT * FROM forward_log WHERE destination = $d ${status ? 'AND status = $s' : ''} ORDER BY updated_at DESC, ref LIMIT ${Math.floor(limit)}`,
    status ? { d: destination, s: status } : { d: destination },
  );
  return rows.map((r) => ({
    key: String(r.item_key),
    kind: r.kind === 'alert' ? 'alert' : 'event',
    ref: Number(r.ref),
    status: r.status === 'acked' ? 'acked' : 'failed',
    attempts: Number(r.attempts),
    reason: str(r.reason),
    at: String(r.updated_at),
  }));
}
