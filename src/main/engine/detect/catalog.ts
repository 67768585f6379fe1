import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * What the engine needs to know about a case before compiling: its field
 * tables, their columns and types (information_schema), which datasets each
 * source feeds, and for Windows tables which Channel/EventID pairs occur.
 * The census queries are GROUP BYs over narrow columns: milliseconds per
 * million rows, and they let the planner skip logsources a source lacks
 * without scanning for them.
 */

export type ColumnKind = 'string' | 'number' | 'boolean' | 'timestamp' | 'other';

export interface ColumnInfo {
  name: string;
  type: string;
  kind: ColumnKind;
  /** Not a column of the field table but an expression over events (`e`) and the IP enrichment (`ies`, `ied`): Loupe's own fields (loupe-fields.ts). */
  expr?: string;
  needs?: 'events' | 'intel';
}

export interface SourceInfo {
  id: number;
  table: string;
  format: string | null;
  columns: ColumnInfo[];
  byName: Map<string, ColumnInfo>;
  byLower: Map<string, ColumnInfo>;
  /** Lower-case with spaces removed: Defender's EventData says "Threat Name" where Sigma says ThreatName. */
  bySquashed: Map<string, ColumnInfo>;
  /** events.dataset -> rows, for this source's events (all, not only new ones). */
  datasets: Map<string, number>;
  events: number;
  /** Events with id > watermark (equal to `events` without a watermark). */
  newEvents: number;
  /** Windows field tables (a Channel column): lower(Channel) -> EventID (null when not numeric) -> rows. */
  windows?: Map<string, Map<number | null, number>>;
  /** Whether the case has an IP enrichment table (the `loupe.*ipsum*` fields resolve). */
  intel: boolean;
}

export interface Catalog {
  sources: SourceInfo[];
  watermark?: bigint;
  /** The case has ip_enrichment (docs/intel.md). */
  intel: boolean;
}

export function squash(name: string): string {
  return name.toLowerCase().replace(/ /g, '');
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function kindOf(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(') || t === 'TEXT' || t === 'JSON') return 'string';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'number';
  if (t === 'BOOLEAN') return 'boolean';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'timestamp';
  return 'other';
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0;
}

export interface CatalogOptions {
  /** Only events with id above this count as new; sources without new events are skipped. */
  watermark?: bigint | number;
  /** Restrict to these source ids. */
  sourceIds?: number[];
}

export async function readCatalog(conn: DuckDBConnection, opts: CatalogOptions = {}): Promise<Catalog> {
  const srcRows = (await conn.runAndReadAll('SELECT id, table_name, format FROM sources ORDER BY id')).getRowObjects();
  const wanted = opts.sourceIds ? new Set(opts.sourceIds) : undefined;
  const sources: SourceInfo[] = [];
  const cols = (
    await conn.runAndReadAll(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_catalog = current_database() ORDER BY table_name, ordinal_position`,
    )
  ).getRowObjects();
  const colsByTable = new Map<string, ColumnInfo[]>();
  const intel = cols.some((c) => String(c.table_name) === 'ip_enrichment');
  for (const c of cols) {
    const t = String(c.table_name);
    const info: ColumnInfo = { name: String(c.column_name), type: String(c.data_type), kind: kindOf(String(c.data_type)) };
    colsByTable.set(t, [...(colsByTable.get(t) ?? []), info]);
  }
  const wm = opts.watermark === undefined ? undefined : BigInt(opts.watermark);
  const dsRows = (
    await conn.runAndReadAll(
      `SELECT source_id, dataset, count(*) AS n, count(*) FILTER (WHERE id > $wm) AS fresh FROM events GROUP BY ALL`,
      { wm: wm ?? -1n },
    )
  ).getRowObjects();
  for (const r of srcRows) {
    const id = num(r.id);
    if (wanted && !wanted.has(id)) continue;
    const table = String(r.table_name);
    const columns = colsByTable.get(table);
    if (!columns) continue; // listed but missing: nothing to scan
    const info: SourceInfo = {
      id,
      table,
      format: r.format === null || r.format === undefined ? null : String(r.format),
      columns,
      byName: new Map(columns.map((c) => [c.name, c])),
      byLower: new Map(),
      bySquashed: new Map(),
      datasets: new Map(),
      events: 0,
      newEvents: 0,
      intel,
    };
    for (const c of columns) {
      if (!info.byLower.has(c.name.toLowerCase())) info.byLower.set(c.name.toLowerCase(), c);
      const sq = squash(c.name);
      if (!info.bySquashed.has(sq)) info.bySquashed.set(sq, c);
    }
    for (const d of dsRows) {
      if (num(d.source_id) !== id) continue;
      info.datasets.set(String(d.dataset), num(d.n));
      info.events += num(d.n);
      info.newEvents += num(d.fresh);
    }
    const channel = info.byLower.get('channel');
    if (channel) {
      const eventId = info.byLower.get('eventid');
      const idExpr = eventId ? `TRY_CAST(${quoteIdent(eventId.name)} AS BIGINT)` : 'NULL::BIGINT';
      const census = (
        await conn.runAndReadAll(`SELECT lower(CAST(${quoteIdent(channel.name)} AS VARCHAR)) AS ch, ${idExpr} AS eid, count(*) AS n FROM ${quoteIdent(table)} GROUP BY ALL`)
      ).getRowObjects();
      const w = new Map<string, Map<number | null, number>>();
      for (const c of census) {
        const ch = c.ch === null ? '' : String(c.ch);
        const m = w.get(ch) ?? new Map<number | null, number>();
        m.set(c.eid === null ? null : num(c.eid), num(c.n));
        w.set(ch, m);
      }
      info.windows = w;
    }
    sources.push(info);
  }
  const cat: Catalog = { sources, intel };
  if (wm !== undefined) cat.watermark = wm;
  return cat;
}
