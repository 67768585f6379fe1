import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/sql';
import { CASE_FIELDS } from './case-fields';

/**
 * Which fields a query may name: the core columns of `events`, a few friendly
 * aliases, and every original field of every `src_<n>` table (with the
 * sources that carry it; a shared table's bookkeeping rid and evidence_id
 * are not fields). Built from DuckDB's catalog and cached until the
 * catalog changes (a new source, or a source that grew a column).
 */
export type FieldKind = 'string' | 'number' | 'time' | 'boolean' | 'other';

export interface CoreField {
  name: string;
  column: string;
  kind: FieldKind;
  /** IP text columns (CIDR applies; equality is exact). */
  ip?: boolean;
  /** Stored lower-case by the data model: compare with `=` on a lower-cased value. */
  lower?: boolean;
}

export interface SourceColumn {
  sourceId: number;
  table: string;
  column: string;
  kind: FieldKind;
  dataset: string | null;
}

export interface OriginalField {
  name: string;
  kind: FieldKind;
  sources: SourceColumn[];
}

export const CORE_FIELDS: CoreField[] = [
  { name: 'ts', column: 'ts', kind: 'time' },
  { name: 'dataset', column: 'dataset', kind: 'string', lower: true },
  { name: 'host', column: 'host', kind: 'string' },
  { name: 'event_code', column: 'event_code', kind: 'string' },
  { name: 'severity', column: 'severity', kind: 'string', lower: true },
  { name: 'message', column: 'message', kind: 'string' },
  { name: 'src_ip', column: 'src_ip', kind: 'string', ip: true },
  { name: 'src_port', column: 'src_port', kind: 'number' },
  { name: 'dst_ip', column: 'dst_ip', kind: 'string', ip: true },
  { name: 'dst_port', column: 'dst_port', kind: 'number' },
  { name: 'protocol', column: 'protocol', kind: 'string', lower: true },
  { name: 'user', column: 'user', kind: 'string' },
  { name: 'process', column: 'process', kind: 'string' },
  { name: 'action', column: 'action', kind: 'string', lower: true },
  { name: 'outcome', column: 'outcome', kind: 'string', lower: true },
  { name: 'raw', column: 'raw', kind: 'string' },
  { name: 'id', column: 'id', kind: 'number' },
  { name: 'evidence_id', column: 'evidence_id', kind: 'number' },
  { name: 'source_id', column: 'source_id', kind: 'number' },
  { name: 'pos', column: 'pos', kind: 'number' },
];

/** Friendly names: one alias may stand for several core columns (any of them matches). */
export const ALIASES: Record<string, string[]> = {
  ip: ['src_ip', 'dst_ip'],
  port: ['src_port', 'dst_port'],
  src: ['src_ip'],
  dst: ['dst_ip'],
  code: ['event_code'],
  msg: ['message'],
  sev: ['severity'],
  '@timestamp': ['ts'],
};

/** Fields that live in the case's own tables rather than in events (case-fields.ts: intel and alerts). */
export const VIRTUAL_FIELDS = ['tag', 'starred', ...CASE_FIELDS] as const;
export type VirtualField = (typeof VIRTUAL_FIELDS)[number];

export interface FieldCatalog {
  core: Map<string, CoreField>;
  original: Map<string, OriginalField>;
  sourceCount: number;
}

export type ResolvedField =
  | { type: 'core'; fields: CoreField[]; name: string }
  | { type: 'original'; field: OriginalField; name: string }
  | { type: 'virtual'; name: (typeof VIRTUAL_FIELDS)[number] };

const coreByName = new Map(CORE_FIELDS.map((f) => [f.name, f]));

export function kindOf(duckType: string): FieldKind {
  const t = duckType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'number';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'time';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR')) return 'string';
  return 'other';
}

const cache = new WeakMap<object, { key: string; catalog: FieldCatalog }>();

/** `owner` keys the cache (the open case), so per-query connections share one catalog. */
export async function loadCatalog(conn: DuckDBConnection, owner: object): Promise<FieldCatalog> {
  // A cheap fingerprint of the src tables' schemas; rebuild only when it moves.
  const fp = await queryRows(
    conn,
    `SELECT count(*) AS n, coalesce(sum(hash(table_name || '.' || column_name)), 0)::VARCHAR AS h
       FROM duckdb_columns() WHERE schema_name = 'main' AND table_name LIKE 'src\\_%' ESCAPE '\\'`,
  );
  const key = `${String(fp[0]?.n)}:${String(fp[0]?.h)}`;
  const hit = cache.get(owner);
  if (hit && hit.key === key) return hit.catalog;

  const rows = await queryRows(
    conn,
    `SELECT s.id AS source_id, s.table_name, c.column_name, c.data_type,
            d.dataset
       FROM sources s JOIN duckdb_columns() c ON c.table_name = s.table_name AND c.schema_name = 'main'
       LEFT JOIN (SELECT source_id, min(dataset) AS dataset FROM events GROUP BY source_id) d ON d.source_id = s.id
      WHERE c.column_name NOT IN ('rid', 'evidence_id')
      ORDER BY s.id, c.column_index`,
  );
  const original = new Map<string, OriginalField>();
  const sourceIds = new Set<number>();
  for (const r of rows) {
    const name = String(r.column_name);
    const sc: SourceColumn = { sourceId: Number(r.source_id), table: String(r.table_name), column: name, kind: kindOf(String(r.data_type)), dataset: r.dataset === null ? null : String(r.dataset) };
    sourceIds.add(sc.sourceId);
    const f = original.get(name) ?? { name, kind: sc.kind, sources: [] };
    if (f.kind !== sc.kind) f.kind = f.kind === 'number' && sc.kind === 'number' ? 'number' : 'string';
    f.sources.push(sc);
    original.set(name, f);
  }
  const catalog: FieldCatalog = { core: coreByName, original, sourceCount: sourceIds.size };
  cache.set(owner, { key, catalog });
  return catalog;
}

/**
 * Resolve a field as typed. Exact spelling first (core, alias, original), then
 * case-insensitively, so `user` is the core column while `User` is Sysmon's
 * own field, and `commandline` still finds `CommandLine`.
 */
export function resolveField(catalog: FieldCatalog, name: string): ResolvedField | undefined {
  const exact = resolveExact(catalog, name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const f of CORE_FIELDS) if (f.name === lower) return { type: 'core', fields: [f], name: f.name };
  if (ALIASES[lower]) return resolveExact(catalog, lower);
  if ((VIRTUAL_FIELDS as readonly string[]).includes(lower)) return { type: 'virtual', name: lower as (typeof VIRTUAL_FIELDS)[number] };
  const matches = [...catalog.original.values()].filter((f) => f.name.toLowerCase() === lower);
  if (matches.length === 1) return { type: 'original', field: matches[0] as OriginalField, name: (matches[0] as OriginalField).name };
  if (matches.length > 1) {
    // Same name in several spellings across sources: one field for the analyst.
    const merged: OriginalField = { name, kind: matches.every((m) => m.kind === 'number') ? 'number' : 'string', sources: matches.flatMap((m) => m.sources) };
    return { type: 'original', field: merged, name };
  }
  return undefined;
}

function resolveExact(catalog: FieldCatalog, name: string): ResolvedField | undefined {
  const core = catalog.core.get(name);
  if (core) return { type: 'core', fields: [core], name };
  const alias = ALIASES[name];
  if (alias) return { type: 'core', fields: alias.map((a) => coreByName.get(a) as CoreField), name };
  if ((VIRTUAL_FIELDS as readonly string[]).includes(name)) return { type: 'virtual', name: name as (typeof VIRTUAL_FIELDS)[number] };
  const original = catalog.original.get(name);
  if (original) return { type: 'original', field: original, name };
  return undefined;
}

export function allFieldNames(catalog: FieldCatalog): string[] {
  return [...CORE_FIELDS.map((f) => f.name), ...Object.keys(ALIASES), ...VIRTUAL_FIELDS, ...catalog.original.keys()];
}

/** The closest known field to a misspelt one (edit distance, case-insensitive), or undefined. */
export function closestField(catalog: FieldCatalog, name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const candidate of allFieldNames(catalog)) {
    const c = candidate.toLowerCase();
    const d = c.startsWith(lower) || lower.startsWith(c) ? Math.abs(c.length - lower.length) * 0.5 : editDistance(lower, c, 4);
    if (d < bestD) {
      bestD = d;
      best = candidate;
    }
  }
  const limit = Math.max(2, Math.floor(lower.length / 3));
  return bestD <= limit ? best : undefined;
}

/** Levenshtein distance, giving up (returning cap + 1) once it exceeds cap. */
export function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    prev = cur;
  }
  return prev[b.length] as number;
}
