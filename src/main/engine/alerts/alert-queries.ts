import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { AlertRuleGroup, AlertStatus, AlertSummary, LevelCounts, OpOutput, OpParsedInput, Suppression } from '@shared/contract';
import { SEVERITIES, type Severity } from '@shared/events';
import { LoupeError } from '@shared/errors';
import { queryRows, queryValue, type Row } from '../db/sql';

/**
 * Reading and triaging the alerts of a case: the list (filtered, sorted,
 * paged, optionally one row per rule), one alert with a page of its events,
 * status and note changes, and the suppression list. Every value the UI
 * sends is a bound parameter; sort keys come from a closed set.
 */

const LEVEL_RANK = `CASE a.level WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'informational' THEN 1 ELSE 0 END`;

const SORTS: Record<OpParsedInput<'listAlerts'>['sort'], string> = {
  level: `${LEVEL_RANK} DESC, a.last_ts DESC NULLS LAST, a.id`,
  lastSeen: 'a.last_ts DESC NULLS LAST, a.id',
  firstSeen: 'a.first_ts ASC NULLS LAST, a.id',
  count: 'a.event_count DESC, a.id',
};

/** ATT&CK technique ids from Sigma tags (`attack.t1110.001` -> `T1110.001`). */
export function attackIds(tags: string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t);
    if (m?.[1]) out.push(m[1].toUpperCase());
  }
  return out;
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function level(v: unknown): Severity | null {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : null;
}

export function toAlertSummary(r: Row): AlertSummary {
  const tags = Array.isArray(r.tags) ? r.tags.map(String) : [];
  let group: Record<string, string | null> | null = null;
  if (typeof r.group_json === 'string') {
    try {
      group = JSON.parse(r.group_json) as Record<string, string | null>;
    } catch {
      group = null;
    }
  }
  return {
    id: Number(r.id),
    ruleId: String(r.rule_id),
    kind: r.kind === 'correlation' ? 'correlation' : 'rule',
    title: String(r.title),
    level: level(r.level),
    tags,
    attack: attackIds(tags),
    groupKey: String(r.group_key),
    group,
    host: str(r.host),
    firstSeen: str(r.first_ts),
    lastSeen: str(r.last_ts),
    count: Number(r.event_count),
    peak: r.peak === null || r.peak === undefined ? null : Number(r.peak),
    status: (r.status as AlertStatus) ?? 'new',
    note: str(r.note),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

const ALERT_COLS = 'a.id, a.rule_id, a.kind, a.title, a.level, a.tags, a.group_key, a.group_json, a.host, a.first_ts, a.last_ts, a.event_count, a.peak, a.status, a.note, a.created_at, a.updated_at';

function filters(input: OpParsedInput<'listAlerts'>): { where: string; params: Record<string, DuckDBValue> } {
  const parts: string[] = [];
  const params: Record<string, DuckDBValue> = {};
  const inList = (name: string, col: string, values: readonly string[] | undefined): void => {
    if (!values || values.length === 0) return;
    const names = values.map((v, i) => {
      params[`${name}${i}`] = v;
      return `$${name}${i}`;
    });
    parts.push(`${col} IN (${names.join(', ')})`);
  };
  inList('lv', 'a.level', input.levels);
  inList('st', 'a.status', input.statuses);
  inList('ru', 'a.rule_id', input.ruleIds);
  if (input.host) {
    params.host = input.host.toLowerCase();
    parts.push('lower(a.host) = $host');
  }
  if (input.text) {
    params.text = input.text.toLowerCase();
    parts.push('(contains(lower(a.title), $text) OR contains(lower(a.rule_id), $text) OR contains(lower(a.group_key), $text))');
  }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export function emptyLevelCounts(): LevelCounts {
  return { informational: 0, low: 0, medium: 0, high: 0, critical: 0 };
}

export async function levelCounts(conn: DuckDBConnection): Promise<{ counts: LevelCounts; total: number }> {
  const rows = await queryRows(conn, 'SELECT level, count(*) AS n FROM alerts GROUP BY level');
  const counts = emptyLevelCounts();
  let total = 0;
  for (const r of rows) {
    const l = level(r.level);
    const n = Number(r.n);
    total += n;
    if (l) counts[l] += n;
  }
  return { counts, total };
}

export async function listAlerts(conn: DuckDBConnection, input: OpParsedInput<'listAlerts'>): Promise<OpOutput<'listAlerts'>> {
  const { where, params } = filters(input);
  const byLevel = emptyLevelCounts();
  const byStatus: Record<string, number> = {};
  for (const r of await queryRows(conn, `SELECT a.level, a.status, count(*) AS n FROM alerts a ${where} GROUP BY ALL`, params)) {
    const l = level(r.level);
    if (l) byLevel[l] += Number(r.n);
    byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + Number(r.n);
  }
  const page = { ...params, off: input.offset, lim: input.limit };
  if (input.groupBy === 'rule') {
    const total = Number((await queryValue<number>(conn, `SELECT count(DISTINCT a.rule_id) FROM alerts a ${where}`, params)) ?? 0);
    const order = input.sort === 'level' ? 'max_rank DESC, last_ts DESC NULLS LAST, rule_id' : input.sort === 'count' ? 'events DESC, rule_id' : input.sort === 'firstSeen' ? 'first_ts ASC NULLS LAST, rule_id' : 'last_ts DESC NULLS LAST, rule_id';
    const rows = await queryRows(
      conn,
      `SELECT a.rule_id, arg_max(a.title, a.updated_at) AS title, arg_max(a.level, ${LEVEL_RANK}) AS level, max(${LEVEL_RANK}) AS max_rank,
              count(*) AS alerts, sum(a.event_count) AS events, min(a.first_ts) AS first_ts, max(a.last_ts) AS last_ts,
              list(a.status) AS statuses
       FROM alerts a ${where} GROUP BY a.rule_id ORDER BY ${order} LIMIT $lim OFFSET $off`,
      page,
    );
    const groups: AlertRuleGroup[] = rows.map((r) => {
      const statuses: Record<string, number> = {};
      for (const s of (r.statuses as string[] | null) ?? []) statuses[s] = (statuses[s] ?? 0) + 1;
      return {
        ruleId: String(r.rule_id),
        title: String(r.title),
        level: level(r.level),
        alerts: Number(r.alerts),
        count: Number(r.events),
        firstSeen: str(r.first_ts),
        lastSeen: str(r.last_ts),
        statuses,
      };
    });
    return { total, alerts: [], groups, counts: { byLevel, byStatus } };
  }
  const total = Number((await queryValue<number>(conn, `SELECT count(*) FROM alerts a ${where}`, params)) ?? 0);
  const rows = await queryRows(conn, `SELECT ${ALERT_COLS} FROM alerts a ${where} ORDER BY ${SORTS[input.sort]} LIMIT $lim OFFSET $off`, page);
  return { total, alerts: rows.map(toAlertSummary), groups: [], counts: { byLevel, byStatus } };
}

export async function getAlertRow(conn: DuckDBConnection, id: number): Promise<AlertSummary> {
  const rows = await queryRows(conn, `SELECT ${ALERT_COLS} FROM alerts a WHERE a.id = $id`, { id });
  const r = rows[0];
  if (!r) throw new LoupeError('NOT_FOUND', `No alert ${id} in this case`);
  return toAlertSummary(r);
}

export async function alertEvents(conn: DuckDBConnection, id: number, offset: number, limit: number): Promise<OpOutput<'getAlert'>['events']> {
  const total = Number((await queryValue<number>(conn, 'SELECT count(*) FROM alert_events WHERE alert_id = $id', { id })) ?? 0);
  const rows = await queryRows(
    conn,
    `SELECT e.id, e.ts, e.dataset, e.host, e.message FROM (SELECT event_id FROM alert_events WHERE alert_id = $id ORDER BY event_id LIMIT $lim OFFSET $off) ae
     JOIN events e ON e.id = ae.event_id ORDER BY e.id`,
    { id, lim: limit, off: offset },
  );
  return {
    total,
    offset,
    items: rows.map((r) => ({ id: Number(r.id), ts: str(r.ts), dataset: String(r.dataset), host: str(r.host), message: str(r.message) })),
  };
}

export async function triage(conn: DuckDBConnection, input: OpParsedInput<'triageAlerts'>): Promise<number> {
  const sets: string[] = ['updated_at = now()'];
  const params: Record<string, DuckDBValue> = {};
  if (input.status !== undefined) {
    sets.push('status = $status', 'triaged_at = now()');
    params.status = input.status;
  }
  if (input.note !== undefined) {
    sets.push('note = $note');
    params.note = input.note === null || input.note.trim() === '' ? null : input.note;
  }
  const ids = [...new Set(input.ids)];
  let updated = 0;
  // Bounded statements: a bulk triage of 100k alerts is 100 statements, not one huge IN list.
  for (let i = 0; i < ids.length; i += 1000) {
    const part = ids.slice(i, i + 1000);
    const r = await conn.run(`UPDATE alerts SET ${sets.join(', ')} WHERE id IN (${part.map((n) => String(Math.trunc(n))).join(', ')})`, params);
    updated += Number(r.rowsChanged);
  }
  return updated;
}

export function toSuppression(r: Row): Suppression {
  return { id: Number(r.id), ruleId: str(r.rule_id), field: str(r.field), value: str(r.value), note: str(r.note), createdAt: String(r.created_at) };
}

export async function listSuppressions(conn: DuckDBConnection): Promise<Suppression[]> {
  return (await queryRows(conn, 'SELECT id, rule_id, field, value, note, created_at FROM suppressions ORDER BY id')).map(toSuppression);
}
