import type { DuckDBValue } from '@duckdb/node-api';
import { quoteIdent, type ColumnInfo, type SourceInfo } from './catalog';
import { fold, FALSE, TRUE, type Atom, type Expr } from './ir';
import type { LogsourceVariant } from './logsource-map';

/**
 * Binding a rule to one source and one logsource variant, and turning the
 * bound IR into DuckDB SQL. Every value from a rule becomes a named
 * parameter ($p12); the SQL text holds only identifiers (quoted), our own
 * column aliases and integer rule indices we generated.
 *
 * The SQL runs over a working table built once per (source, variant): rid
 * plus, for each column the group's rules touch, the raw value (c<n>) and
 * its lower-cased text (l<n>). Lower-casing once per row instead of once per
 * atom was measured 3.5x faster on 1,000 rules (the optimizer otherwise
 * inlines the projection into every predicate).
 */

export type Resolved = ColumnInfo | null;

function altSpelling(field: string): string | undefined {
  if (field.includes('.')) return field.replace(/\./g, '_');
  if (field.includes('_')) return field.replace(/_/g, '.');
  return undefined;
}

function lookup(source: SourceInfo, name: string): ColumnInfo | undefined {
  return source.byName.get(name) ?? source.byLower.get(name.toLowerCase());
}

/** The column a Sigma field means in this source under this variant, or null when the source lacks it. */
export function resolveColumn(field: string, variant: LogsourceVariant, source: SourceInfo): Resolved {
  const map = variant.fields;
  if (map) {
    const key = field in map ? field : Object.keys(map).find((k) => k.toLowerCase() === field.toLowerCase());
    if (key !== undefined) {
      for (const cand of map[key] as string[]) {
        const c = lookup(source, cand) ?? (altSpelling(cand) ? lookup(source, altSpelling(cand) as string) : undefined);
        if (c) return c;
      }
      return null;
    }
  }
  const direct = lookup(source, field);
  if (direct) return direct;
  const alt = altSpelling(field);
  return (alt && lookup(source, alt)) || null;
}

export interface KeywordTargets {
  /** Whether keyword atoms can be evaluated (events.message / events.raw joined in). */
  available: boolean;
}

/** Replace atoms on absent fields by constants and fold. Returns the missing field names too. */
export function bindExpr(e: Expr, resolve: (f: string) => Resolved, kw: KeywordTargets, missing: Set<string>): Expr {
  const walk = (x: Expr): Expr => {
    switch (x.t) {
      case 'and':
        return { t: 'and', xs: x.xs.map(walk) };
      case 'or':
        return { t: 'or', xs: x.xs.map(walk) };
      case 'not':
        return { t: 'not', x: walk(x.x) };
      case 'const':
        return x;
      case 'atom': {
        const a = x.a;
        if (a.field === null) {
          if (!kw.available) missing.add('(keywords)');
          return kw.available ? x : FALSE;
        }
        const absent = resolve(a.field) === null || (a.k === 'fieldref' && resolve(a.other) === null);
        if (!absent) return x;
        if (resolve(a.field) === null) missing.add(a.field);
        if (a.k === 'fieldref' && resolve(a.other) === null) missing.add(a.other);
        return a.k === 'null' ? TRUE : FALSE;
      }
    }
  };
  return fold(walk(e));
}

interface ColSlot {
  col: ColumnInfo;
  idx: number;
  raw: boolean;
  low: boolean;
  text: boolean;
}

/** The working table's columns, shared by every statement of a group. */
export class WorkingColumns {
  readonly slots = new Map<string, ColSlot>();
  kwLow = false;
  kwRaw = false;

  get needsKeywords(): boolean {
    return this.kwLow || this.kwRaw;
  }

  /** SELECT list of the working table (after `rid`), from the slots the predicates used. */
  projection(srcAlias: string, eventsAlias: string | null): string[] {
    const out: string[] = [];
    for (const s of this.slots.values()) {
      const ref = `${srcAlias}.${quoteIdent(s.col.name)}`;
      if (s.raw) out.push(`${ref} AS c${s.idx}`);
      if (s.low) out.push(`lower(CAST(${ref} AS VARCHAR)) AS l${s.idx}`);
      if (s.text) out.push(`CAST(${ref} AS VARCHAR) AS t${s.idx}`);
    }
    if (eventsAlias) {
      if (this.kwLow) out.push(`lower(${eventsAlias}.message) AS km`, `lower(${eventsAlias}.raw) AS kr`);
      if (this.kwRaw) out.push(`${eventsAlias}.message AS kmr`, `${eventsAlias}.raw AS krr`);
    }
    return out;
  }
}

/**
 * Predicates of one statement. Parameters belong to one statement, because
 * DuckDB wants exactly the parameters a statement names; equal values share
 * one parameter.
 */
export class GroupSql {
  readonly params: Record<string, DuckDBValue> = {};
  private nextParam = 0;
  private readonly valueParams = new Map<string, string>();

  constructor(
    private readonly resolve: (f: string) => Resolved,
    private readonly work: WorkingColumns,
  ) {}

  private param(v: DuckDBValue, key?: string): string {
    if (key !== undefined) {
      const known = this.valueParams.get(key);
      if (known) return known;
    }
    const name = `p${this.nextParam++}`;
    this.params[name] = v;
    if (key !== undefined) this.valueParams.set(key, `$${name}`);
    return `$${name}`;
  }

  private slot(field: string): ColSlot {
    const col = this.resolve(field);
    if (!col) throw new Error(`internal: field ${field} was not bound`);
    let s = this.work.slots.get(col.name);
    if (!s) {
      s = { col, idx: this.work.slots.size, raw: false, low: false, text: false };
      this.work.slots.set(col.name, s);
    }
    return s;
  }

  private raw(field: string): string {
    const s = this.slot(field);
    s.raw = true;
    return `c${s.idx}`;
  }

  private low(field: string): string {
    const s = this.slot(field);
    s.low = true;
    return `l${s.idx}`;
  }

  private text(field: string): string {
    const s = this.slot(field);
    if (s.col.kind === 'string') {
      s.raw = true;
      return `c${s.idx}`;
    }
    s.text = true;
    return `t${s.idx}`;
  }

  private strParam(v: string): string {
    return this.param(v, `s:${v}`);
  }

  private numParam(v: number): string {
    return this.param(v, `n:${v}`);
  }

  /** SQL boolean expression for a bound, folded expression. */
  predicate(e: Expr): string {
    switch (e.t) {
      case 'const':
        return e.v ? 'TRUE' : 'FALSE';
      case 'and':
        return `(${e.xs.map((x) => this.predicate(x)).join(' AND ')})`;
      case 'or':
        return `(${e.xs.map((x) => this.predicate(x)).join(' OR ')})`;
      case 'not':
        // NULL (a field with no value) must count as "did not match", so NOT of it is true.
        return `((${this.predicate(e.x)}) IS NOT TRUE)`;
      case 'atom':
        return this.atom(e.a);
    }
  }

  private strTest(target: string, op: string, value: string): string {
    const p = this.strParam(value);
    switch (op) {
      case 'eq':
        return `${target} = ${p}`;
      case 'prefix':
        return `starts_with(${target}, ${p})`;
      case 'suffix':
        return `ends_with(${target}, ${p})`;
      case 'contains':
        return `contains(${target}, ${p})`;
      default:
        return `${target} LIKE ${p} ESCAPE '\\'`;
    }
  }

  private atom(a: Atom): string {
    switch (a.k) {
      case 'str': {
        if (a.field === null) {
          const targets = a.cased ? ['kmr', 'krr'] : ['km', 'kr'];
          if (a.cased) this.work.kwRaw = true;
          else this.work.kwLow = true;
          return `(${targets.map((t) => this.strTest(t, a.op, a.value)).join(' OR ')})`;
        }
        return this.strTest(a.cased ? this.text(a.field) : this.low(a.field), a.op, a.value);
      }
      case 're': {
        const on = a.flags;
        const off = ['i', 'm', 's'].filter((f) => !on.includes(f)).join('');
        const pattern = `(?${on}${off ? `-${off}` : ''})${a.pattern}`;
        if (a.field === null) {
          this.work.kwRaw = true;
          const p = this.strParam(pattern);
          return `(regexp_matches(kmr, ${p}) OR regexp_matches(krr, ${p}))`;
        }
        return `regexp_matches(${this.text(a.field)}, ${this.strParam(pattern)})`;
      }
      case 'numeq': {
        const s = this.slot(a.field);
        if (s.col.kind === 'number') return `${this.raw(a.field)} = ${this.numParam(a.value)}`;
        return `${this.low(a.field)} = ${this.strParam(String(a.value).toLowerCase())}`;
      }
      case 'cmp': {
        const s = this.slot(a.field);
        const ops = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '=' } as const;
        let target: string;
        if (a.part) {
          const ts = s.col.kind === 'timestamp' ? this.raw(a.field) : `TRY_CAST(${this.text(a.field)} AS TIMESTAMP)`;
          target = a.part === 'week' ? `week(${ts})` : `date_part('${a.part}', ${ts})`;
        } else {
          target = s.col.kind === 'number' ? this.raw(a.field) : `TRY_CAST(${this.text(a.field)} AS DOUBLE)`;
        }
        return `${target} ${ops[a.op]} ${this.numParam(a.value)}`;
      }
      case 'null':
        return `${this.raw(a.field)} IS NULL`;
      case 'exists':
        return `${this.raw(a.field)} IS NOT NULL`;
      case 'cidr': {
        const t = this.text(a.field);
        if (a.family === 4) return `loupe_ipv4(${t}) BETWEEN ${this.numParam(a.lo)} AND ${this.numParam(a.hi)}`;
        const parts: string[] = [];
        const full = Math.floor(a.prefix / 16);
        const rem = a.prefix % 16;
        const h = `loupe_ipv6(${t})`;
        for (let i = 0; i < full; i++) parts.push(`${h}[${i + 1}] = ${this.numParam(a.hextets[i] as number)}`);
        if (rem > 0) parts.push(`(${h}[${full + 1}] >> ${16 - rem}) = ${this.numParam((a.hextets[full] as number) >> (16 - rem))}`);
        return parts.length === 0 ? `${h} IS NOT NULL` : `(${h} IS NOT NULL AND ${parts.join(' AND ')})`;
      }
      case 'fieldref': {
        const l = a.cased ? this.text(a.field) : this.low(a.field);
        const r = a.cased ? this.text(a.other) : this.low(a.other);
        switch (a.op) {
          case 'eq':
            return `${l} = ${r}`;
          case 'prefix':
            return `starts_with(${l}, ${r})`;
          case 'suffix':
            return `ends_with(${l}, ${r})`;
          case 'contains':
            return `contains(${l}, ${r})`;
        }
      }
    }
  }
}

/** The SQL macros the predicates call; created once per connection (TEMP). */
export const DETECT_MACROS = [
  `CREATE OR REPLACE TEMP MACRO loupe_ipv4(s) AS CASE WHEN regexp_full_match(s, '(::ffff:)?\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}')
     THEN list_reduce(list_transform(string_split(regexp_extract(s, '(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})$', 1), '.'), x -> TRY_CAST(x AS BIGINT)), (a, b) -> a * 256 + b) END`,
  // IPv6 text -> 8 hextets; "::" expanded; NULL for anything that is not IPv6.
  `CREATE OR REPLACE TEMP MACRO loupe_ipv6_groups(h, t) AS
     list_concat(CASE WHEN h = '' THEN []::VARCHAR[] ELSE string_split(h, ':') END,
                 list_transform(range(8 - (CASE WHEN h = '' THEN 0 ELSE len(string_split(h, ':')) END) - (CASE WHEN t = '' THEN 0 ELSE len(string_split(t, ':')) END)), x -> '0'),
                 CASE WHEN t = '' THEN []::VARCHAR[] ELSE string_split(t, ':') END)`,
  `CREATE OR REPLACE TEMP MACRO loupe_ipv6(s) AS CASE
     WHEN s IS NULL OR NOT contains(s, ':') OR contains(s, '.') THEN NULL
     WHEN contains(s, '::') THEN list_transform(loupe_ipv6_groups(split_part(split_part(s, '%', 1), '::', 1), split_part(split_part(s, '%', 1), '::', 2)), g -> TRY_CAST('0x' || g AS INTEGER))
     ELSE list_transform(string_split(split_part(s, '%', 1), ':'), g -> TRY_CAST('0x' || g AS INTEGER)) END`,
];
