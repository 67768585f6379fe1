import { CORE_COLUMNS, SEVERITIES, type CoreFields } from '@shared/events';
import { quoteIdent } from '../db/sql';
import { COLUMN_CONVERSIONS, looseName, type CoreMapping, type MapExpr } from './format-support';

/**
 * The JSON core mapping (format layer, json-map.ts) compiled to DuckDB SQL,
 * so the events core of a JSON source is one INSERT ... SELECT over its
 * field table instead of a JavaScript loop. Each MapExpr kind has the SQL
 * meaning its definition documents; the JavaScript evaluator of the same
 * data is the reference (a unit test runs both on the same records).
 *
 * A field expression only ever names columns the table has: candidates that
 * do not exist are dropped at compile time, so one mapping serves every
 * shape of the family (EventData flattened or not, Zeek JSON or TSV).
 */

export interface SourceColumn {
  name: string;
  /** How to read it as text: VARCHAR as is, BOOLEAN as true/false, anything else cast. */
  kind: 'text' | 'boolean' | 'other';
}

export interface CompileContext {
  /** Zeek log path when records lack `_path` (file name, #path). */
  path?: string | null;
}

export interface CompiledCore {
  /** Text expression per core column, before conversion (see convertCoreSql). */
  text: Record<keyof CoreFields, string>;
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A source column read as core text: absent when null, '' or '-' (as the JS evaluator's textOf). */
function columnText(c: SourceColumn): string {
  const id = quoteIdent(c.name);
  if (c.kind === 'text') return `NULLIF(NULLIF(${id}, ''), '-')`;
  if (c.kind === 'boolean') return `CASE WHEN ${id} IS NULL THEN NULL WHEN ${id} THEN 'true' ELSE 'false' END`;
  return `NULLIF(NULLIF(CAST(${id} AS VARCHAR), ''), '-')`;
}

export function compileCoreSql(mapping: CoreMapping, columns: readonly SourceColumn[], ctx: CompileContext = {}): CompiledCore {
  const exact = new Map<string, SourceColumn>();
  const loose = new Map<string, SourceColumn>();
  for (const c of columns) {
    if (!exact.has(c.name)) exact.set(c.name, c);
    const l = looseName(c.name);
    if (!loose.has(l)) loose.set(l, c);
  }
  const useLoose = mapping.looseNames === true;
  const text = {} as Record<keyof CoreFields, string>;

  const compile = (e: MapExpr): string => {
    switch (e.kind) {
      case 'field': {
        const found: string[] = [];
        const seen = new Set<string>();
        for (const n of e.names) {
          for (const p of mapping.prefixes) {
            const key = p + n;
            const col = useLoose ? loose.get(looseName(key)) : exact.get(key);
            if (!col || seen.has(col.name)) continue;
            seen.add(col.name);
            found.push(columnText(col));
          }
        }
        if (found.length === 0) return 'NULL::VARCHAR';
        const first = found.length === 1 ? (found[0] as string) : `COALESCE(${found.join(', ')})`;
        if (!e.exclude || e.exclude.length === 0) return first;
        // Excluded values count as absent, so the next candidate is tried.
        const guarded = found.map((f) => `CASE WHEN lower(${f}) IN (${e.exclude?.map((x) => sqlString(x.toLowerCase())).join(', ')}) THEN NULL ELSE ${f} END`);
        return guarded.length === 1 ? (guarded[0] as string) : `COALESCE(${guarded.join(', ')})`;
      }
      case 'const':
        return e.value === null ? 'NULL::VARCHAR' : sqlString(e.value);
      case 'context':
        return ctx.path ? sqlString(ctx.path) : 'NULL::VARCHAR';
      case 'core': {
        const t = text[e.column];
        return t === undefined ? 'NULL::VARCHAR' : `(${t})`;
      }
      case 'first': {
        const parts = e.of.map(compile).filter((p) => p !== 'NULL::VARCHAR');
        if (parts.length === 0) return 'NULL::VARCHAR';
        return parts.length === 1 ? (parts[0] as string) : `COALESCE(${parts.join(', ')})`;
      }
      case 'lookup': {
        const of = compile(e.of);
        const otherwise = e.otherwise ? compile(e.otherwise) : 'NULL::VARCHAR';
        if (of === 'NULL::VARCHAR') return otherwise;
        const whens = Object.entries(e.table).map(([k, v]) => `WHEN ${sqlString(k)} THEN ${v === null ? 'NULL' : sqlString(v)}`);
        // A key present with value null returns null, not `otherwise` (as in JS).
        return whens.length === 0 ? otherwise : `(CASE lower(${of}) ${whens.join(' ')} ELSE ${otherwise} END)`;
      }
      case 'switch': {
        const on = compile(e.on);
        const otherwise = e.otherwise ? compile(e.otherwise) : 'NULL::VARCHAR';
        if (on === 'NULL::VARCHAR') return otherwise;
        const whens = Object.entries(e.cases).map(([k, x]) => `WHEN ${sqlString(k)} THEN ${compile(x)}`);
        return whens.length === 0 ? otherwise : `(CASE lower(${on}) ${whens.join(' ')} ELSE ${otherwise} END)`;
      }
      case 'concat': {
        const parts = e.parts.map((p) => (typeof p === 'string' ? sqlString(p) : compile(p)));
        const exprs = e.parts.map((p, i) => (typeof p === 'string' ? null : parts[i])).filter((p): p is string => p !== null && p !== 'NULL::VARCHAR');
        const anyExpr = e.parts.some((p) => typeof p !== 'string');
        if (anyExpr && exprs.length === 0) return 'NULL::VARCHAR';
        const joined = `concat_ws(${sqlString(e.sep)}, ${parts.join(', ')})`;
        return anyExpr ? `(CASE WHEN COALESCE(${exprs.join(', ')}) IS NULL THEN NULL ELSE ${joined} END)` : joined;
      }
      case 'lower': {
        const of = compile(e.of);
        return of === 'NULL::VARCHAR' ? of : `lower(${of})`;
      }
      case 'replace': {
        const of = compile(e.of);
        if (of === 'NULL::VARCHAR') return of;
        // JS replacement `$1` is RE2's `\1`.
        const repl = e.with.replace(/\$(\d)/g, '\\$1');
        return `NULLIF(regexp_replace(${of}, ${sqlString(e.pattern)}, ${sqlString(repl)}${e.global ? ", 'g'" : ''}), '')`;
      }
      case 'band': {
        const of = compile(e.of);
        if (of === 'NULL::VARCHAR' || e.bands.length === 0) return 'NULL::VARCHAR';
        const n = `TRY_CAST(${of} AS DOUBLE)`;
        return `(CASE ${e.bands.map(([lo, hi, v]) => `WHEN ${n} BETWEEN ${lo} AND ${hi} THEN ${sqlString(v)}`).join(' ')} ELSE NULL END)`;
      }
    }
  };

  for (const col of CORE_COLUMNS) text[col] = compile(mapping.columns[col]);
  return { text };
}

/**
 * The typed value of a core column from its text (`t`, best a column
 * reference: it is repeated). IPs stay text here: the loader canonicalises
 * them through a lookup of the distinct values (net.ts's rules, in JS).
 */
export function convertCoreSql(col: keyof CoreFields, t: string, zone?: TimeZoneSql): string {
  switch (COLUMN_CONVERSIONS[col]) {
    case 'timestamp':
      return timestampSql(t, zone);
    case 'port':
      return `(CASE WHEN regexp_full_match(trim(${t}), '[0-9]{1,5}') AND CAST(trim(${t}) AS INTEGER) <= 65535 THEN CAST(trim(${t}) AS INTEGER) ELSE NULL END)`;
    case 'severity':
      return `(CASE WHEN ${t} IN (${SEVERITIES.map(sqlString).join(', ')}) THEN ${t} ELSE NULL END)`;
    case 'outcome':
      return `(CASE WHEN ${t} IN ('success', 'failure') THEN ${t} ELSE NULL END)`;
    case 'ip':
    case 'text':
      return col === 'dataset' ? `COALESCE(${t}, 'json')` : t;
  }
}

/**
 * How zone-less times are read: an IANA zone goes into the connection's
 * TimeZone setting (DuckDB applies its DST rules); a fixed offset such as
 * +05:30, which DuckDB's TimeZone does not take, is subtracted explicitly.
 */
export interface TimeZoneSql {
  session: string;
  offsetMinutes: number | null;
}

export function timeZoneSql(tz: string | null | undefined): TimeZoneSql {
  if (!tz || /^(utc|z|gmt)$/i.test(tz)) return { session: 'UTC', offsetMinutes: null };
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (m) {
    const minutes = (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1);
    return { session: 'UTC', offsetMinutes: minutes };
  }
  return { session: tz, offsetMinutes: null };
}

/**
 * Text to a UTC TIMESTAMP: epoch numbers by magnitude (s, ms, us, ns), else
 * DuckDB's timestamp parser. Text with its own zone or offset keeps it;
 * zone-less text is read in the analyst's zone (see TimeZoneSql).
 */
export function timestampSql(t: string, zone: TimeZoneSql = { session: 'UTC', offsetMinutes: null }): string {
  const d = `TRY_CAST(${t} AS DOUBLE)`;
  const text =
    zone.offsetMinutes === null
      ? `timezone('UTC', TRY_CAST(${t} AS TIMESTAMPTZ))`
      : `(CASE WHEN regexp_matches(${t}, '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$') THEN timezone('UTC', TRY_CAST(${t} AS TIMESTAMPTZ))
          ELSE TRY_CAST(${t} AS TIMESTAMP) - INTERVAL (${zone.offsetMinutes}) MINUTE END)`;
  return `(CASE WHEN ${t} IS NULL THEN NULL
    WHEN regexp_full_match(${t}, '-?[0-9]+(\\.[0-9]+)?') THEN TRY(CASE
      WHEN abs(${d}) < 1e11 THEN make_timestamp(CAST(${d} * 1e6 AS BIGINT))
      WHEN abs(${d}) < 1e14 THEN make_timestamp(CAST(${d} * 1e3 AS BIGINT))
      WHEN abs(${d}) < 1e17 THEN make_timestamp(CAST(${d} AS BIGINT))
      ELSE make_timestamp(CAST(${d} / 1e3 AS BIGINT)) END)
    ELSE ${text} END)`;
}
