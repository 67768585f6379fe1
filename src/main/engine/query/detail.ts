import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventDetail, SavedSearch } from '@shared/query-contract';
import { LoupeError } from '@shared/errors';
import { quoteIdent, queryOne, queryRows, type Row } from '../db/sql';

/**
 * One event in full: its core columns, every non-null original field of its
 * source row, the raw record, and where it came from (file and position), so
 * the analyst can go back to the evidence.
 */
export async function eventDetail(conn: DuckDBConnection, id: number): Promise<EventDetail> {
  const core = await queryOne(conn, `SELECT * REPLACE (strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts) FROM events WHERE id = $id`, { id });
  if (!core) throw new LoupeError('NOT_FOUND', `No event with id ${id} in this case`);
  // The file is the event's evidence: a shared field table holds rows of many files.
  const source = await queryOne(conn, `SELECT s.id AS source_id, s.table_name, s.format AS source_format FROM sources s WHERE s.id = $sid`, { sid: Number(core.source_id) });
  const evidence = await queryOne(conn, 'SELECT path, format FROM evidence WHERE id = $eid', { eid: Number(core.evidence_id) });
  let original: Row = {};
  const table = source?.table_name;
  if (typeof table === 'string' && (await tableExists(conn, table))) {
    original = (await queryOne(conn, `SELECT * FROM ${quoteIdent(table)} WHERE rid = $rid`, { rid: Number(core.rid) })) ?? {};
    // Bookkeeping of the field table (docs/data-model.md), not fields of the record.
    delete original.rid;
    delete original.evidence_id;
  }
  // What the analyst reads first: the normalised core, then the source's own
  // fields, then the bookkeeping ids (useful, but rarely what one looks for).
  const fields: EventDetail['fields'] = [];
  const bookkeeping = new Set(['id', 'evidence_id', 'source_id', 'rid', 'pos']);
  for (const [name, value] of Object.entries(core)) {
    if (name === 'raw' || bookkeeping.has(name) || value === null || value === '') continue;
    fields.push({ name, value, origin: 'core' });
  }
  for (const [name, value] of Object.entries(original)) {
    if (value === null || value === '') continue;
    fields.push({ name, value, origin: 'source' });
  }
  for (const name of bookkeeping) if (core[name] !== null && core[name] !== undefined) fields.push({ name, value: core[name] as EventDetail['fields'][number]['value'], origin: 'core' });
  const mark = await queryOne(conn, 'SELECT note FROM bookmarks WHERE event_id = $id', { id });
  const tags = await queryRows(conn, 'SELECT tag FROM event_tags WHERE event_id = $id ORDER BY tag', { id });
  return {
    id,
    core,
    fields,
    raw: typeof core.raw === 'string' ? core.raw : null,
    source: {
      evidenceId: Number(core.evidence_id),
      sourceId: Number(core.source_id),
      path: str(evidence?.path),
      pos: core.pos === null || core.pos === undefined ? null : Number(core.pos),
      format: str(evidence?.format ?? source?.source_format),
      table: str(table),
    },
    starred: mark !== undefined,
    note: mark ? str(mark.note) : null,
    tags: tags.map((t) => String(t.tag)),
  };
}

/** UTC wall time for TIMESTAMP columns (now() would follow the session's time zone). */
function nowUtc(): string {
  return new Date().toISOString().replace('Z', '');
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

async function tableExists(conn: DuckDBConnection, name: string): Promise<boolean> {
  const r = await queryOne(conn, "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $t", { t: name });
  return Number(r?.n ?? 0) > 0;
}

async function assertEvent(conn: DuckDBConnection, id: number): Promise<void> {
  const r = await queryOne(conn, 'SELECT count(*) AS n FROM events WHERE id = $id', { id });
  if (Number(r?.n ?? 0) === 0) throw new LoupeError('NOT_FOUND', `No event with id ${id} in this case`);
}

export async function setStar(conn: DuckDBConnection, id: number, starred: boolean, note: string | null | undefined): Promise<{ id: number; starred: boolean }> {
  await assertEvent(conn, id);
  if (starred) {
    await conn.run(
      `INSERT INTO bookmarks VALUES ($id, $now::TIMESTAMP, $note)
       ON CONFLICT (event_id) DO UPDATE SET note = coalesce(excluded.note, bookmarks.note)`,
      { id, note: note ?? null, now: nowUtc() },
    );
  } else {
    await conn.run('DELETE FROM bookmarks WHERE event_id = $id', { id });
  }
  return { id, starred };
}

export async function setTags(conn: DuckDBConnection, id: number, tags: string[]): Promise<{ id: number; tags: string[] }> {
  await assertEvent(conn, id);
  const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))].sort();
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run('DELETE FROM event_tags WHERE event_id = $id', { id });
    for (const tag of unique) await conn.run('INSERT INTO event_tags VALUES ($id, $tag, $now::TIMESTAMP)', { id, tag, now: nowUtc() });
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK');
    throw e;
  }
  return { id, tags: unique };
}

export async function listTags(conn: DuckDBConnection): Promise<{ tag: string; count: number }[]> {
  const rows = await queryRows(conn, 'SELECT tag, count(*) AS n FROM event_tags GROUP BY tag ORDER BY n DESC, tag');
  return rows.map((r) => ({ tag: String(r.tag), count: Number(r.n) }));
}

function toSaved(r: Row): SavedSearch {
  return { id: Number(r.id), name: String(r.name), query: String(r.query), from: str(r.time_from), to: str(r.time_to), createdAt: String(r.created_at) };
}

export async function listSavedSearches(conn: DuckDBConnection): Promise<SavedSearch[]> {
  return (await queryRows(conn, 'SELECT * FROM saved_searches ORDER BY name')).map(toSaved);
}

/** Saving under an existing name replaces that search (the analyst refines it). */
export async function saveSearch(conn: DuckDBConnection, s: { name: string; query: string; from?: string | null | undefined; to?: string | null | undefined }): Promise<SavedSearch> {
  const existing = await queryOne(conn, 'SELECT id FROM saved_searches WHERE name = $name', { name: s.name });
  const id = existing ? Number(existing.id) : Number((await queryOne(conn, 'SELECT coalesce(max(id), 0) + 1 AS id FROM saved_searches'))?.id ?? 1);
  await conn.run(
    `INSERT INTO saved_searches VALUES ($id, $name, $query, $from, $to, $now::TIMESTAMP)
     ON CONFLICT (id) DO UPDATE SET query = excluded.query, time_from = excluded.time_from, time_to = excluded.time_to`,
    { id, name: s.name, query: s.query, from: s.from ?? null, to: s.to ?? null, now: nowUtc() },
  );
  const row = await queryOne(conn, 'SELECT * FROM saved_searches WHERE id = $id', { id });
  if (!row) throw new LoupeError('INTERNAL', 'The saved search vanished');
  return toSaved(row);
}

export async function deleteSavedSearch(conn: DuckDBConnection, id: number): Promise<boolean> {
  const before = await queryOne(conn, 'SELECT count(*) AS n FROM saved_searches WHERE id = $id', { id });
  await conn.run('DELETE FROM saved_searches WHERE id = $id', { id });
  return Number(before?.n ?? 0) > 0;
}
