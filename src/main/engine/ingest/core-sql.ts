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
  /** The column holding each core column's text, before conversion (see convertCoreSql), in `from`'s output. */
  text: Record<keyof CoreFields, string>;
  /** A query over `table` giving its rid, the columns the mapping reads, and the core texts (with the intermediate values they need). */
  from: (table: string) => string;
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

/** SQL of one expression and the highest layer of intermediate values it reads (0: source columns only). */
interface Sql {
  sql: string;
  level: number;
}

const NULL_TEXT: Sql = { sql: 'NULL::VARCHAR', level: 0 };

/**
 * DuckDB evaluates `CASE x WHEN a ... WHEN b ...` as `x = a`, `x = b` ...,
 * computing x again for every WHEN, and has no LET; a Windows action lookup
 * of 126 entries over an inlined dataset expression cost 0.6 s for 42k rows.
 * So every value that is read more than once (a lookup's subject, a core
 * column another column refers to) is bound to a column of an inner
 * subquery layer and read by name: each is computed once per row.
 */
export function compileCoreSql(mapping: CoreMapping, columns: readonly SourceColumn[], ctx: CompileContext = {}): CompiledCore {
  const exact = new Map<string, SourceColumn>();
  const loose = new Map<string, SourceColumn>();
  for (const c of columns) {
    if (!exact.has(c.name)) exact.set(c.name, c);
    const l = looseName(c.name);
    if (!loose.has(l)) loose.set(l, c);
  }
  const useLoose = mapping.looseNames === true;
  const lets: Array<{ name: string; sql: string; level: number }> = [];
  const coreRef = {} as Record<keyof CoreFields, Sql>;
  // Only the source columns the mapping reads are carried into the layers (a Windows table has 186).
  const used = new Set<string>();

  /** Bind a value to a named column of the next layer (unless it is already cheap to repeat). */
  const bind = (x: Sql): Sql => {
    if (x === NULL_TEXT || /^("([^"]|"")*"|'([^']|'')*')$/.test(x.sql)) return x;
    const name = quoteIdent(`__loupe_v${lets.length}`);
    const level = x.level + 1;
    lets.push({ name, sql: x.sql, level });
    return { sql: name, level };
  };
  const lvl = (...xs: Sql[]): number => Math.max(0, ...xs.map((x) => x.level));

  const compile = (e: MapExpr): Sql => {
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
            used.add(col.name);
            found.push(columnText(col));
          }
        }
        if (found.length === 0) return NULL_TEXT;
        const first = found.length === 1 ? (found[0] as string) : `COALESCE(${found.join(', ')})`;
        if (!e.exclude || e.exclude.length === 0) return { sql: first, level: 0 };
        // Excluded values count as absent, so the next candidate is tried.
        const guarded = found.map((f) => `CASE WHEN lower(${f}) IN (${e.exclude?.map((x) => sqlString(x.toLowerCase())).join(', ')}) THEN NULL ELSE ${f} END`);
        return { sql: guarded.length === 1 ? (guarded[0] as string) : `COALESCE(${guarded.join(', ')})`, level: 0 };
      }
      case 'const':
        return e.value === null ? NULL_TEXT : { sql: sqlString(e.value), level: 0 };
      case 'context':
        return ctx.path ? { sql: sqlString(ctx.path), level: 0 } : NULL_TEXT;
      case 'core':
        return coreRef[e.column] ?? NULL_TEXT;
      case 'first': {
        const parts = e.of.map(compile).filter((p) => p !== NULL_TEXT);
        if (parts.length === 0) return NULL_TEXT;
        return parts.length === 1 ? (parts[0] as Sql) : { sql: `COALESCE(${parts.map((p) => p.sql).join(', ')})`, level: lvl(...parts) };
      }
      case 'lookup': {
        const of = compile(e.of);
        const otherwise = e.otherwise ? compile(e.otherwise) : NULL_TEXT;
        if (of === NULL_TEXT) return otherwise;
        const entries = Object.entries(e.table);
        if (entries.length === 0) return otherwise;
        const key = bind({ sql: `lower(${of.sql})`, level: of.level });
        const whens = entries.map(([k, v]) => `WHEN ${sqlString(k)} THEN ${v === null ? 'NULL' : sqlString(v)}`);
        // A key present with value null gives null, not `otherwise` (as in JS).
        return { sql: `(CASE ${key.sql} ${whens.join(' ')} ELSE ${otherwise.sql} END)`, level: lvl(key, otherwise) };
      }
      case 'switch': {
        const on = compile(e.on);
        const otherwise = e.otherwise ? compile(e.otherwise) : NULL_TEXT;
        if (on === NULL_TEXT) return otherwise;
        const cases = Object.entries(e.cases).map(([k, x]) => [k, compile(x)] as const);
        if (cases.length === 0) return otherwise;
        const key = bind({ sql: `lower(${on.sql})`, level: on.level });
        return {
          sql: `(CASE ${key.sql} ${cases.map(([k, x]) => `WHEN ${sqlString(k)} THEN ${x.sql}`).join(' ')} ELSE ${otherwise.sql} END)`,
          level: lvl(key, otherwise, ...cases.map(([, x]) => x)),
        };
      }
      case 'concat': {
        const parts = e.parts.map((p) => (typeof p === 'string' ? { sql: sqlString(p), level: 0 } : compile(p)));
        const exprs = e.parts.map((p, i) => (typeof p === 'string' ? null : parts[i])).filter((p): p is Sql => p !== null && p !== undefined && p !== NULL_TEXT);
        const anyExpr = e.parts.some((p) => typeof p !== 'string');
        if (anyExpr && exprs.length === 0) return NULL_TEXT;
        const joined = `concat_ws(${sqlString(e.sep)}, ${parts.map((p) => (p as Sql).sql).join(', ')})`;
        const level = lvl(...parts.map((p) => p as Sql));
        return anyExpr ? { sql: `(CASE WHEN COALESCE(${exprs.map((x) => x.sql).join(', ')}) IS NULL THEN NULL ELSE ${joined} END)`, level } : { sql: joined, level };
      }
      case 'lower': {
        const of = compile(e.of);
        return of === NULL_TEXT ? of : { sql: `lower(${of.sql})`, level: of.level };
      }
      case 'replace': {
        const of = compile(e.of);
        if (of === NULL_TEXT) return of;
        // JS replacement `$1` is RE2's `\1`.
        const repl = e.with.replace(/\$(\d)/g, '\\$1');
        return { sql: `NULLIF(regexp_replace(${of.sql}, ${sqlString(e.pattern)}, ${sqlString(repl)}${e.global ? ", 'g'" : ''}), '')`, level: of.level };
      }
      case 'band': {
        const of = compile(e.of);
        if (of === NULL_TEXT || e.bands.length === 0) return NULL_TEXT;
        const n = bind({ sql: `TRY_CAST(${of.sql} AS DOUBLE)`, level: of.level });
        return { sql: `(CASE ${e.bands.map(([lo, hi, v]) => `WHEN ${n.sql} BETWEEN ${lo} AND ${hi} THEN ${sqlString(v)}`).join(' ')} ELSE NULL END)`, level: n.level };
      }
    }
  };

  const text = {} as Record<keyof CoreFields, string>;
  for (const col of CORE_COLUMNS) {
    // Each core column is a named value: later columns (`core` references) and the conversions read it by name.
    const x = compile(mapping.columns[col]);
    const name = quoteIdent(`__loupe_t_${col}`);
    const level = x.level + 1;
    lets.push({ name, sql: x.sql, level });
    coreRef[col] = { sql: name, level };
    text[col] = name;
  }
  const depth = Math.max(...lets.map((l) => l.level));
  const carried = ['rid', ...used].map((n) => quoteIdent(n)).join(', ');
  const from = (table: string): string => {
    let q = `SELECT ${carried} FROM ${table}`;
    for (let level = 1; level <= depth; level++) {
      const defs = lets.filter((l) => l.level === level).map((l) => `${l.sql} AS ${l.name}`);
      q = `SELECT *${defs.length ? `, ${defs.join(', ')}` : ''} FROM (${q})`;
    }
    return q;
  };
  return { text, from };
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
