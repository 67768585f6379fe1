import type { DuckDBConnection } from '@duckdb/node-api';
import type { FieldStats, FieldSuggestion } from '@shared/query-contract';
import { LoupeError } from '@shared/errors';
import { quoteIdent, queryRows } from '../db/sql';
import { caseFieldPredicate, caseFieldSuggestSql, caseFieldValuesSql, derivedTables, isCaseField } from './case-fields';
import type { Compiled } from './compile';
import { ALIASES, CORE_FIELDS, closestField, resolveField, VIRTUAL_FIELDS, type FieldCatalog } from './fields';
import { QuerySyntaxError } from './parse';

/**
 * Discover's field sidebar: for one field over the current result, the top
 * values, the number of distinct values and how often it is missing. One
 * GROUP BY over the matching events; the summary comes from window
 * aggregates over the (small) grouped result, so there is a single scan.
 */
export async function fieldStats(conn: DuckDBConnection, catalog: FieldCatalog, q: Compiled, field: string, limit: number): Promise<Omit<FieldStats, 'tookMs'>> {
  const resolved = resolveField(catalog, field);
  if (!resolved) {
    const guess = closestField(catalog, field);
    throw new LoupeError('QUERY_ERROR', `Unknown field "${field}"${guess ? `; did you mean "${guess}"?` : ''}`);
  }
  let grouped: string;
  let origin: FieldStats['origin'];
  if (resolved.type === 'core') {
    origin = 'core';
    const cols = resolved.fields.map((f) => (f.kind === 'time' ? `strftime(e.ts, '%Y-%m-%dT%H:%M:%S.%fZ')` : `e.${quoteIdent(f.column)}`));
    const v = cols.length === 1 ? (cols[0] as string) : `unnest([${cols.join(', ')}])`;
    grouped = `SELECT v, count(*) AS n FROM (SELECT ${v} AS v FROM ${q.from} WHERE ${q.where}) GROUP BY v`;
  } else if (resolved.type === 'virtual' && isCaseField(resolved.name)) {
    origin = 'virtual';
    const tables = await derivedTables(conn);
    const values = caseFieldValuesSql(resolved.name, tables);
    if (values === null) {
      // A yes/no field (or no table to read): count the predicate itself.
      const at = { start: 0, end: 0, field: resolved.name };
      const bad = caseFieldPredicate(resolved.name, { kind: 'eq', value: 'true', wild: [], phrase: false }, at, tables, { param: () => 'NULL', textMatch: () => 'FALSE' });
      grouped = `SELECT ${bad} AS v, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY v`;
    } else {
      grouped = `SELECT m.v AS v, count(DISTINCT e.id) AS n FROM ${q.from} JOIN (${values}) m ON m.event_id = e.id WHERE ${q.where} GROUP BY v
                 UNION ALL SELECT NULL, count(*) FROM ${q.from} WHERE ${q.where} AND e.id NOT IN (SELECT event_id FROM (${values}))`;
    }
  } else if (resolved.type === 'virtual') {
    origin = 'virtual';
    grouped =
      resolved.name === 'starred'
        ? `SELECT e.id IN (SELECT event_id FROM bookmarks) AS v, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY v`
        : `SELECT t.tag AS v, count(*) AS n FROM ${q.from} JOIN event_tags t ON t.event_id = e.id WHERE ${q.where} GROUP BY v
           UNION ALL SELECT NULL, count(*) FROM ${q.from} WHERE ${q.where} AND e.id NOT IN (SELECT event_id FROM event_tags)`;
  } else {
    origin = 'original';
    const f = resolved.field;
    const mixed = new Set(f.sources.map((s) => s.kind)).size > 1;
    const parts = f.sources.map((s) => {
      const col = `s.${quoteIdent(s.column)}`;
      return `SELECT ${mixed ? `CAST(${col} AS VARCHAR)` : col} AS v FROM ${q.from} JOIN ${quoteIdent(s.table)} s ON s.rid = e.rid WHERE e.source_id = ${s.sourceId} AND (${q.where})`;
    });
    const ids = [...new Set(f.sources.map((s) => s.sourceId))].join(', ');
    if (q.where === 'TRUE' && q.from === 'events e') {
      // No filter: every row of each field table is in the result; skip the join to events.
      const direct = f.sources.map((s) => `SELECT ${mixed ? `CAST(s.${quoteIdent(s.column)} AS VARCHAR)` : `s.${quoteIdent(s.column)}`} AS v FROM ${quoteIdent(s.table)} s`);
      // Events of other sources lack the field: all events minus the field tables' rows
      // (row counts DuckDB answers from table statistics, without a scan).
      const inSources = [...new Set(f.sources.map((s) => s.table))].map((t) => `(SELECT count(*) FROM ${quoteIdent(t)})`).join(' - ');
      grouped = `SELECT v, count(*) AS n FROM (${direct.join(' UNION ALL ')}) GROUP BY v
                 UNION ALL SELECT NULL, (SELECT count(*) FROM events) - ${inSources}`;
    } else {
    // Events of sources without the field count as missing it.
    grouped = `SELECT v, count(*) AS n FROM (${parts.join(' UNION ALL ')}) GROUP BY v
               UNION ALL SELECT NULL, count(*) FROM ${q.from} WHERE (${q.where}) AND e.source_id NOT IN (${ids || 'NULL'})`;
    }
  }
  const rows = await queryRows(
    conn,
    `WITH g AS (SELECT v, sum(n)::BIGINT AS n FROM (${grouped}) GROUP BY v)
     SELECT v, n, sum(n) OVER () AS total, coalesce(sum(n) FILTER (WHERE v IS NOT NULL) OVER (), 0) AS present, count(v) OVER () AS distinct_n
       FROM g ORDER BY (v IS NULL), n DESC, v LIMIT ${limit + 1}`,
    q.params,
  );
  const first = rows[0];
  const total = Number(first?.total ?? 0);
  const present = Number(first?.present ?? 0);
  return {
    field: resolved.type === 'original' ? resolved.field.name : resolved.name,
    origin,
    total,
    present,
    nullRatio: total === 0 ? 0 : (total - present) / total,
    distinct: Number(first?.distinct_n ?? 0),
    top: rows.filter((r) => r.v !== null).slice(0, limit).map((r) => ({ value: r.v ?? null, count: Number(r.n) })),
  };
}

/** Field names for autocomplete: core, aliases, virtual, then original fields by how many sources carry them. */
export function suggestFields(catalog: FieldCatalog, prefix: string, limit: number): FieldSuggestion[] {
  const p = prefix.toLowerCase();
  const out: FieldSuggestion[] = [];
  for (const f of CORE_FIELDS) out.push({ name: f.name, kind: f.kind, origin: 'core', sources: 0, datasets: [] });
  for (const [name, cols] of Object.entries(ALIASES)) out.push({ name, kind: CORE_FIELDS.find((f) => f.name === cols[0])?.kind ?? 'string', origin: 'alias', sources: 0, datasets: [] });
  for (const name of VIRTUAL_FIELDS) out.push({ name, kind: name === 'starred' || name === 'malicious' ? 'boolean' : name === 'alert' ? 'number' : 'string', origin: 'virtual', sources: 0, datasets: [] });
  const originals = [...catalog.original.values()].sort((a, b) => b.sources.length - a.sources.length || a.name.localeCompare(b.name));
  for (const f of originals) {
    const datasets = [...new Set(f.sources.map((s) => s.dataset).filter((d): d is string => d !== null))].sort();
    out.push({ name: f.name, kind: f.kind, origin: 'original', sources: f.sources.length, datasets });
  }
  if (!p) return out.slice(0, limit);
  const starts = out.filter((f) => f.name.toLowerCase().startsWith(p));
  const inside = out.filter((f) => !f.name.toLowerCase().startsWith(p) && f.name.toLowerCase().includes(p));
  return [...starts, ...inside].slice(0, limit);
}

/** Values for autocomplete after `field:`: the most common ones starting with what was typed. */
export async function suggestValues(conn: DuckDBConnection, catalog: FieldCatalog, field: string, prefix: string, limit: number): Promise<{ value: string; count: number }[]> {
  const resolved = resolveField(catalog, field);
  if (!resolved) throw new QuerySyntaxError(`Unknown field "${field}"`, 0, field.length, closestField(catalog, field));
  let source: string;
  if (resolved.type === 'core') {
    if (resolved.fields.some((f) => f.column === 'message' || f.column === 'raw' || f.kind === 'time')) return [];
    source = resolved.fields.map((f) => `SELECT CAST(${quoteIdent(f.column)} AS VARCHAR) AS v FROM events`).join(' UNION ALL ');
  } else if (resolved.type === 'virtual' && isCaseField(resolved.name)) {
    source = caseFieldSuggestSql(resolved.name, await derivedTables(conn));
  } else if (resolved.type === 'virtual') {
    source = resolved.name === 'tag' ? 'SELECT tag AS v FROM event_tags' : "SELECT unnest(['true', 'false']) AS v";
  } else {
    source = resolved.field.sources.map((s) => `SELECT CAST(${quoteIdent(s.column)} AS VARCHAR) AS v FROM ${quoteIdent(s.table)}`).join(' UNION ALL ');
  }
  const rows = await queryRows(
    conn,
    `SELECT v, count(*) AS n FROM (${source}) WHERE v IS NOT NULL AND v <> '' AND starts_with(lower(v), lower($p)) GROUP BY v ORDER BY n DESC, v LIMIT ${limit}`,
    { p: prefix },
  );
  return rows.map((r) => ({ value: String(r.v), count: Number(r.n) }));
}
