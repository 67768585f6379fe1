import type { DuckDBConnection } from '@duckdb/node-api';
import { listValue } from '@duckdb/node-api';
import type { Note } from '@shared/findings-contract';
import { LoupeError } from '@shared/errors';
import { queryOne, queryRows } from '../db/sql';
import { nowUtc, str, tableExists } from './case-tables';

/**
 * Case notes: Markdown written by the analyst, on the case as a whole or
 * attached to events and alerts. The text is stored as typed; it is only
 * ever rendered through the safe Markdown subset (src/shared/markdown.ts).
 */

export interface NoteInput {
  id?: number | undefined;
  title: string;
  body: string;
  events: number[];
  alerts: number[];
}

export async function saveNote(conn: DuckDBConnection, input: NoteInput): Promise<Note> {
  const events = [...new Set(input.events)].sort((a, b) => a - b);
  const alerts = [...new Set(input.alerts)].sort((a, b) => a - b);
  if (events.length > 0) {
    const found = await queryOne(conn, 'SELECT count(DISTINCT id) AS n FROM events WHERE list_contains($ids::BIGINT[], id)', { ids: listValue(events.map(BigInt)) });
    if (Number(found?.n ?? 0) !== events.length) {
      const present = new Set((await queryRows(conn, 'SELECT id FROM events WHERE list_contains($ids::BIGINT[], id)', { ids: listValue(events.map(BigInt)) })).map((r) => Number(r.id)));
      const missing = events.filter((e) => !present.has(e));
      throw new LoupeError('NOT_FOUND', `No event with id ${missing.slice(0, 5).join(', ')} in this case`);
    }
  }
  if (alerts.length > 0 && (await tableExists(conn, 'alerts'))) {
    const present = new Set((await queryRows(conn, 'SELECT DISTINCT id FROM alerts WHERE list_contains($ids::BIGINT[], id)', { ids: listValue(alerts.map(BigInt)) })).map((r) => Number(r.id)));
    const missing = alerts.filter((a) => !present.has(a));
    if (missing.length > 0) throw new LoupeError('NOT_FOUND', `No alert with id ${missing.slice(0, 5).join(', ')} in this case`);
  } else if (alerts.length > 0) {
    throw new LoupeError('NOT_FOUND', 'This case has no alerts to attach a note to');
  }
  const now = nowUtc();
  await conn.run('BEGIN TRANSACTION');
  let id: number;
  try {
    if (input.id !== undefined) {
      const existing = await queryOne(conn, 'SELECT id FROM notes WHERE id = $id', { id: input.id });
      if (!existing) throw new LoupeError('NOT_FOUND', `No note with id ${input.id}`);
      id = input.id;
      await conn.run('UPDATE notes SET title = $title, body = $body, updated_at = $now::TIMESTAMP WHERE id = $id', { id, title: input.title, body: input.body, now });
      await conn.run('DELETE FROM note_links WHERE note_id = $id', { id });
    } else {
      id = Number((await queryOne(conn, 'SELECT coalesce(max(id), 0) + 1 AS id FROM notes'))?.id ?? 1);
      await conn.run('INSERT INTO notes VALUES ($id, $title, $body, $now::TIMESTAMP, $now::TIMESTAMP)', { id, title: input.title, body: input.body, now });
    }
    for (const e of events) await conn.run(`INSERT INTO note_links VALUES ($id, 'event', $ref)`, { id, ref: e });
    for (const a of alerts) await conn.run(`INSERT INTO note_links VALUES ($id, 'alert', $ref)`, { id, ref: a });
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK');
    throw e;
  }
  const note = (await listNotes(conn, { id }))[0];
  if (!note) throw new LoupeError('INTERNAL', 'The note vanished');
  return note;
}

export async function deleteNote(conn: DuckDBConnection, id: number): Promise<boolean> {
  const before = await queryOne(conn, 'SELECT count(*) AS n FROM notes WHERE id = $id', { id });
  await conn.run('DELETE FROM note_links WHERE note_id = $id', { id });
  await conn.run('DELETE FROM notes WHERE id = $id', { id });
  return Number(before?.n ?? 0) > 0;
}

/** Notes newest first; filtered to those attached to one event or alert, or one note by id. */
export async function listNotes(conn: DuckDBConnection, filter: { id?: number | undefined; eventId?: number | undefined; alertId?: number | undefined } = {}): Promise<Note[]> {
  const where: string[] = [];
  const params: Record<string, number> = {};
  if (filter.id !== undefined) {
    where.push('n.id = $id');
    params.id = filter.id;
  }
  if (filter.eventId !== undefined) {
    where.push(`n.id IN (SELECT note_id FROM note_links WHERE kind = 'event' AND ref = $eid)`);
    params.eid = filter.eventId;
  }
  if (filter.alertId !== undefined) {
    where.push(`n.id IN (SELECT note_id FROM note_links WHERE kind = 'alert' AND ref = $aid)`);
    params.aid = filter.alertId;
  }
  const notes = await queryRows(conn, `SELECT n.* FROM notes n ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY n.updated_at DESC, n.id DESC`, params);
  if (notes.length === 0) return [];
  const ids = listValue(notes.map((n) => Number(n.id)));
  const eventLinks = await queryRows(
    conn,
    `SELECT l.note_id, l.ref, e.id IS NOT NULL AS present, strftime(e.ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, e.host, e.dataset
       FROM note_links l LEFT JOIN events e ON e.id = l.ref
      WHERE l.kind = 'event' AND list_contains($ids::INTEGER[], l.note_id) ORDER BY l.ref`,
    { ids },
  );
  const hasAlerts = await tableExists(conn, 'alerts');
  const alertLinks = await queryRows(
    conn,
    hasAlerts
      ? `SELECT l.note_id, l.ref, a.id IS NOT NULL AS present, a.title, a.level
           FROM note_links l LEFT JOIN (SELECT id, any_value(title) AS title, any_value(level) AS level FROM alerts GROUP BY id) a ON a.id = l.ref
          WHERE l.kind = 'alert' AND list_contains($ids::INTEGER[], l.note_id) ORDER BY l.ref`
      : `SELECT l.note_id, l.ref, false AS present, NULL AS title, NULL AS level FROM note_links l WHERE l.kind = 'alert' AND list_contains($ids::INTEGER[], l.note_id) ORDER BY l.ref`,
    { ids },
  );
  return notes.map((n) => {
    const id = Number(n.id);
    return {
      id,
      title: String(n.title),
      body: String(n.body),
      createdAt: String(n.created_at),
      updatedAt: String(n.updated_at),
      events: eventLinks
        .filter((l) => Number(l.note_id) === id)
        .map((l) => ({ id: Number(l.ref), ts: str(l.ts), host: str(l.host), dataset: str(l.dataset), exists: l.present === true })),
      alerts: alertLinks
        .filter((l) => Number(l.note_id) === id)
        .map((l) => ({ id: Number(l.ref), title: str(l.title), level: str(l.level), exists: l.present === true })),
    };
  });
}
