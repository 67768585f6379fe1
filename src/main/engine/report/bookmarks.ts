import type { DuckDBConnection } from '@duckdb/node-api';
import type { BookmarkRow } from '@shared/findings-contract';
import { queryOne, queryRows } from '../db/sql';
import { num, str } from './case-tables';

/**
 * The bookmarked (starred) events with their comment and tags, oldest first:
 * the evidence the report's timeline is made of.
 */
export async function listBookmarks(conn: DuckDBConnection, opts: { limit: number; offset: number; tag?: string | undefined }): Promise<{ total: number; rows: BookmarkRow[] }> {
  const tagFilter = opts.tag ? 'AND b.event_id IN (SELECT event_id FROM event_tags WHERE tag = $tag)' : '';
  const params: Record<string, string> = opts.tag ? { tag: opts.tag } : {};
  const total = Number((await queryOne(conn, `SELECT count(*) AS n FROM bookmarks b JOIN events e ON e.id = b.event_id WHERE TRUE ${tagFilter}`, params))?.n ?? 0);
  const rows = await queryRows(
    conn,
    `SELECT e.id, strftime(e.ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, e.dataset, e.host, e.event_code, e."user", e.src_ip, e.dst_ip,
            left(e.message, 4000) AS message, e.pos, b.note, b.created_at AS starred_at, ev.path AS evidence,
            (SELECT list(t.tag ORDER BY t.tag) FROM event_tags t WHERE t.event_id = e.id) AS tags
       FROM bookmarks b JOIN events e ON e.id = b.event_id LEFT JOIN evidence ev ON ev.id = e.evidence_id
      WHERE TRUE ${tagFilter}
      ORDER BY e.ts ASC NULLS LAST, e.id ASC
      LIMIT ${Math.floor(opts.limit)} OFFSET ${Math.floor(opts.offset)}`,
    params,
  );
  return {
    total,
    rows: rows.map((r) => ({
      id: Number(r.id),
      ts: str(r.ts),
      dataset: String(r.dataset),
      host: str(r.host),
      eventCode: str(r.event_code),
      user: str(r.user),
      srcIp: str(r.src_ip),
      dstIp: str(r.dst_ip),
      message: str(r.message),
      note: r.note === '' ? null : str(r.note),
      tags: Array.isArray(r.tags) ? r.tags.map(String) : [],
      starredAt: String(r.starred_at),
      evidence: str(r.evidence),
      pos: num(r.pos),
    })),
  };
}
