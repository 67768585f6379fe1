import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { queryRows } from '../db/sql';
import { QuerySyntaxError, type Match } from './parse';

/**
 * Search fields answered by the case's derived tables rather than by the
 * events themselves: IP intel (`malicious`, `country`, `src_country`,
 * `dst_country` from ip_enrichment) and detection (`alert`, `rule` from
 * alerts / alert_events). They exist so every dashboard panel and alert can
 * drill into Search with an exact filter ("events of this alert", "events
 * from Russia", "events touching a bad IP") that the analyst can still refine.
 *
 * The tables may be missing (intel never computed, detection never run):
 * the fields then match nothing, rather than failing the whole query.
 */
export const CASE_FIELDS = ['malicious', 'country', 'src_country', 'dst_country', 'alert', 'rule'] as const;
export type CaseField = (typeof CASE_FIELDS)[number];

export function isCaseField(name: string): name is CaseField {
  return (CASE_FIELDS as readonly string[]).includes(name);
}

export interface CaseFieldTools {
  param(v: DuckDBValue): string;
  /** Case-insensitive equality or wildcard match of a column against a typed value. */
  textMatch(col: string, value: string, wild: number[], substring: boolean): string;
}

interface Where {
  start: number;
  end: number;
  field: string;
}

/** Which of the derived tables exist; asked once per query that uses a case field. */
export async function derivedTables(conn: DuckDBConnection): Promise<Set<string>> {
  const rows = await queryRows(conn, `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN ('ip_enrichment', 'alerts', 'alert_events')`);
  return new Set(rows.map((r) => String(r.table_name)));
}

const TRUTHY = ['true', 'yes', '1'];
const FALSY = ['false', 'no', '0'];

export function caseFieldPredicate(name: CaseField, m: Match, at: Where, tables: Set<string>, t: CaseFieldTools): string {
  switch (name) {
    case 'malicious': {
      const v = m.kind === 'eq' ? m.value.toLowerCase() : m.kind === 'exists' ? 'true' : '';
      if (!TRUTHY.includes(v) && !FALSY.includes(v)) throw new QuerySyntaxError('malicious takes true or false', at.start, at.end, 'malicious:true');
      const bad = tables.has('ip_enrichment')
        ? `(coalesce(e.src_ip IN (SELECT ip FROM ip_enrichment WHERE malicious), false) OR coalesce(e.dst_ip IN (SELECT ip FROM ip_enrichment WHERE malicious), false))`
        : 'FALSE';
      return TRUTHY.includes(v) ? bad : `(NOT ${bad})`;
    }
    case 'country':
    case 'src_country':
    case 'dst_country': {
      if (m.kind !== 'eq' && m.kind !== 'exists') throw new QuerySyntaxError(`${at.field} takes a two-letter country code`, at.start, at.end, `${at.field}:DE`);
      if (!tables.has('ip_enrichment')) return 'FALSE';
      const cond = m.kind === 'exists' ? 'country IS NOT NULL' : t.textMatch('country', m.value, m.wild, false);
      const set = `(SELECT ip FROM ip_enrichment WHERE ${cond})`;
      const src = `coalesce(e.src_ip IN ${set}, false)`;
      const dst = `coalesce(e.dst_ip IN ${set}, false)`;
      return name === 'src_country' ? `(${src})` : name === 'dst_country' ? `(${dst})` : `(${src} OR ${dst})`;
    }
    case 'alert': {
      if (!tables.has('alert_events')) return 'FALSE';
      if (m.kind === 'exists') return '(e.id IN (SELECT event_id FROM alert_events))';
      const id = m.kind === 'eq' && m.wild.length === 0 && /^\d{1,15}$/.test(m.value) ? Number(m.value) : null;
      if (id === null) throw new QuerySyntaxError('alert takes an alert number', at.start, at.end, 'alert:12');
      return `(e.id IN (SELECT event_id FROM alert_events WHERE alert_id = ${t.param(id)}::BIGINT))`;
    }
    case 'rule': {
      if (!tables.has('alert_events') || !tables.has('alerts')) return 'FALSE';
      if (m.kind === 'exists') return '(e.id IN (SELECT event_id FROM alert_events))';
      if (m.kind !== 'eq') throw new QuerySyntaxError('rule takes a rule id', at.start, at.end, 'rule:5af54681-df95-4c26-854f-2565e13cfab0');
      return `(e.id IN (SELECT ae.event_id FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id WHERE ${t.textMatch('a.rule_id', m.value, m.wild, false)}))`;
    }
  }
}

/**
 * `SELECT event_id, v` over the events a case field applies to, for field
 * statistics: the caller counts v over the events of a result.
 */
export function caseFieldValuesSql(name: CaseField, tables: Set<string>): string | null {
  switch (name) {
    case 'malicious':
      return null;
    case 'country':
      return tables.has('ip_enrichment')
        ? `SELECT ev.id AS event_id, en.country AS v FROM events ev JOIN ip_enrichment en ON en.ip = ev.src_ip WHERE en.country IS NOT NULL
           UNION SELECT ev.id, en.country FROM events ev JOIN ip_enrichment en ON en.ip = ev.dst_ip WHERE en.country IS NOT NULL`
        : null;
    case 'src_country':
    case 'dst_country': {
      const col = name === 'src_country' ? 'src_ip' : 'dst_ip';
      return tables.has('ip_enrichment') ? `SELECT ev.id AS event_id, en.country AS v FROM events ev JOIN ip_enrichment en ON en.ip = ev.${col} WHERE en.country IS NOT NULL` : null;
    }
    case 'alert':
      return tables.has('alert_events') ? `SELECT event_id, CAST(alert_id AS VARCHAR) AS v FROM alert_events` : null;
    case 'rule':
      return tables.has('alert_events') && tables.has('alerts') ? `SELECT DISTINCT ae.event_id, a.rule_id AS v FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id` : null;
  }
}

/** The values a case field can take, for completion. */
export function caseFieldSuggestSql(name: CaseField, tables: Set<string>): string {
  switch (name) {
    case 'malicious':
      return "SELECT unnest(['true', 'false']) AS v";
    case 'country':
    case 'src_country':
    case 'dst_country':
      return tables.has('ip_enrichment') ? 'SELECT country AS v FROM ip_enrichment' : 'SELECT NULL::VARCHAR AS v WHERE FALSE';
    case 'alert':
      return tables.has('alerts') ? 'SELECT CAST(id AS VARCHAR) AS v FROM alerts' : 'SELECT NULL::VARCHAR AS v WHERE FALSE';
    case 'rule':
      return tables.has('alerts') ? 'SELECT rule_id AS v FROM alerts' : 'SELECT NULL::VARCHAR AS v WHERE FALSE';
  }
}
