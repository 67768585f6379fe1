import type { DuckDBValue } from '@duckdb/node-api';
import { quoteIdent, squash, type ColumnInfo, type SourceInfo } from './catalog';
import { fold, FALSE, TRUE, type Atom, type Expr } from './ir';
import type { LogsourceVariant } from './logsource-map';
import { isLoupeField, loupeColumn } from './loupe-fields';

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
  if (isLoupeField(field)) return loupeColumn(field, source.intel);
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
  return (alt && lookup(source, alt)) || source.bySquashed.get(squash(field)) || null;
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

/** A rough evaluation cost, to order AND children. */
function cost(e: Expr): number {
  switch (e.t) {
    case 'const':
      return 0;
    case 'atom':
      if (e.a.k === 'numeq' || e.a.k === 'null' || e.a.k === 'exists' || e.a.k === 'cmp') return 1;
      if (e.a.k === 'str') return e.a.op === 'contains' || e.a.op === 'like' ? 3 : 2;
      return 4;
    case 'not':
      // Filters (`not 1 of filter_*`) hold for almost every row: run them last, on the few rows the selections kept.
      return cost(e.x) + 1000;
    case 'and':
    case 'or':
      return e.xs.reduce((a, x) => a + cost(x), 0);
  }
}

const MIN_IN_LIST = 3;
const MIN_ALTERNATION = 16;
/** The alternation threshold for working tables of LARGE_GROUP_ROWS rows or more. */
export const MIN_ALTERNATION_LARGE = 4;
export const LARGE_GROUP_ROWS = 50_000;

function reEscape(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`);
}

/** A string atom as an RE2 fragment (over text that is already lower-cased when the atom is not cased). */
export function atomToRegex(a: { op: string; value: string }): string {
  switch (a.op) {
    case 'contains':
      return reEscape(a.value);
    case 'prefix':
      return `^${reEscape(a.value)}`;
    case 'suffix':
      return `${reEscape(a.value)}$`;
    case 'eq':
      return `^${reEscape(a.value)}$`;
    default: {
      // LIKE pattern with backslash escapes -> anchored regex.
      let out = '^';
      for (let i = 0; i < a.value.length; i++) {
        const ch = a.value[i] as string;
        if (ch === '\\' && i + 1 < a.value.length) out += reEscape(a.value[++i] as string);
        else if (ch === '%') out += '.*';
        else if (ch === '_') out += '.';
        else out += reEscape(ch);
      }
      return `${out}$`;
    }
  }
}

export interface ColSlot {
  key: string;
  idx: number;
  kind: ColumnInfo['kind'];
  /** SQL type of the c<n> column in the working table. */
  type: string;
  /** Each member source's column for this field, or null (NULL in its rows). */
  cols: Map<number, ColumnInfo | null>;
  raw: boolean;
  low: boolean;
  text: boolean;
  /** The value parsed as IPv4 (BIGINT) / IPv6 (8 hextets), once per row, for cidr tests. */
  ip4: boolean;
  ip6: boolean;
}

export interface WorkMember {
  source: SourceInfo;
  variant: LogsourceVariant;
}

/**
 * The working table of one logsource variant, shared by every source that
 * carries it: one column per Sigma field the rules test, filled from each
 * source's own column for that field (names differ: id.orig_h / id_orig_h,
 * Image / NewProcessName) or NULL where a source lacks it. A NULL column
 * behaves exactly like the constant folding of an absent field, so one set
 * of statements serves all sources: the cost of binding a large rule set
 * is paid once per variant, not once per file of the case.
 */
export class WorkingColumns {
  readonly slots = new Map<string, ColSlot>();
  kwLow = false;
  kwRaw = false;

  constructor(readonly members: WorkMember[]) {}

  get needsKeywords(): boolean {
    return this.kwLow || this.kwRaw;
  }

  /** Resolve a field in every member; undefined when none has it. */
  has(field: string): boolean {
    return this.members.some((m) => resolveColumn(field, m.variant, m.source) !== null);
  }

  slot(field: string): ColSlot {
    const key = field.toLowerCase();
    let s = this.slots.get(key);
    if (s) return s;
    const cols = new Map<number, ColumnInfo | null>();
    const present: ColumnInfo[] = [];
    for (const m of this.members) {
      const c = resolveColumn(field, m.variant, m.source);
      cols.set(m.source.id, c);
      if (c) present.push(c);
    }
    if (present.length === 0) throw new Error(`internal: field ${field} was not bound`);
    const kinds = new Set(present.map((c) => c.kind));
    const types = new Set(present.map((c) => c.type));
    let kind = present[0]?.kind ?? 'string';
    let type = present[0]?.type ?? 'VARCHAR';
    if (kinds.size > 1) {
      kind = 'string';
      type = 'VARCHAR';
    } else if (types.size > 1) {
      type = kind === 'number' ? 'DOUBLE' : kind === 'timestamp' ? 'TIMESTAMP' : 'VARCHAR';
      if (kind !== 'number' && kind !== 'timestamp') kind = 'string';
    }
    if (kind === 'other') {
      kind = 'string';
      type = 'VARCHAR';
    }
    s = { key, idx: this.slots.size, kind, type, cols, raw: false, low: false, text: false, ip4: false, ip6: false };
    this.slots.set(key, s);
    return s;
  }

  /** Column definitions of the working table (after sid and the row key). */
  columns(): string[] {
    const out: string[] = [];
    for (const s of this.slots.values()) {
      if (s.raw) out.push(`c${s.idx} ${s.type}`);
      if (s.low) out.push(`l${s.idx} VARCHAR`);
      if (s.text) out.push(`t${s.idx} VARCHAR`);
      if (s.ip4) out.push(`v4_${s.idx} BIGINT`);
      if (s.ip6) out.push(`v6_${s.idx} INTEGER[]`);
    }
    if (this.kwLow) out.push('km VARCHAR', 'kr VARCHAR');
    if (this.kwRaw) out.push('kmr VARCHAR', 'krr VARCHAR');
    return out;
  }

  /** Working-table columns of one slot (all that its flags ask for). */
  slotColumns(s: ColSlot): string[] {
    const out: string[] = [];
    if (s.raw) out.push(`c${s.idx}`);
    if (s.low) out.push(`l${s.idx}`);
    if (s.text) out.push(`t${s.idx}`);
    if (s.ip4) out.push(`v4_${s.idx}`);
    if (s.ip6) out.push(`v6_${s.idx}`);
    return out;
  }

  /** Whether filling the table needs events joined (a `loupe.` field) and the IP enrichment too. */
  needs(): { events: boolean; intel: boolean } {
    let events = this.needsKeywords;
    let intel = false;
    for (const s of this.slots.values()) {
      for (const c of s.cols.values()) {
        if (c?.needs === 'events') events = true;
        if (c?.needs === 'intel') events = intel = true;
      }
    }
    return { events, intel };
  }

  /** Names of the working table's value columns. */
  columnNames(): string[] {
    return this.columns().map((c) => c.split(' ')[0] as string);
  }

  /** SELECT list filling the working table from one member (source alias s, events alias e). */
  projection(sourceId: number, srcAlias: string, eventsAlias: string | null): string[] {
    const out: string[] = [];
    for (const s of this.slots.values()) {
      const col = s.cols.get(sourceId) ?? null;
      // Loupe's own fields are expressions over the joined events (alias e); a member filled
      // without that join has no rule that tests them, so NULL is what they would read.
      const ref = col ? (col.expr !== undefined ? (eventsAlias === 'e' ? col.expr : null) : `${srcAlias}.${quoteIdent(col.name)}`) : null;
      if (s.raw) out.push(ref === null ? `NULL::${s.type} AS c${s.idx}` : col?.type === s.type ? `${ref} AS c${s.idx}` : `TRY_CAST(${ref} AS ${s.type}) AS c${s.idx}`);
      if (s.low) out.push(ref === null ? `NULL::VARCHAR AS l${s.idx}` : `lower(CAST(${ref} AS VARCHAR)) AS l${s.idx}`);
      if (s.text) out.push(ref === null ? `NULL::VARCHAR AS t${s.idx}` : `CAST(${ref} AS VARCHAR) AS t${s.idx}`);
      if (s.ip4) out.push(ref === null ? `NULL::BIGINT AS v4_${s.idx}` : `loupe_ipv4(CAST(${ref} AS VARCHAR)) AS v4_${s.idx}`);
      if (s.ip6) out.push(ref === null ? `NULL::INTEGER[] AS v6_${s.idx}` : `loupe_ipv6(CAST(${ref} AS VARCHAR)) AS v6_${s.idx}`);
    }
    if (this.kwLow) out.push(eventsAlias ? `lower(${eventsAlias}.message) AS km` : 'NULL::VARCHAR AS km', eventsAlias ? `lower(${eventsAlias}.raw) AS kr` : 'NULL::VARCHAR AS kr');
    if (this.kwRaw) out.push(eventsAlias ? `${eventsAlias}.message AS kmr` : 'NULL::VARCHAR AS kmr', eventsAlias ? `${eventsAlias}.raw AS krr` : 'NULL::VARCHAR AS krr');
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

  /**
   * @param minAlternation value lists at least this long on one field become one RE2 alternation.
   * Compiling a regex costs at bind time, scanning with it saves at run time: big tables want a
   * low threshold, small ones a high one (the runner picks by row count).
   */
  constructor(
    private readonly work: WorkingColumns,
    private readonly minAlternation = MIN_ALTERNATION,
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
    return this.work.slot(field);
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
    if (s.kind === 'string') {
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
        // Cheapest tests first: DuckDB evaluates AND children left to right on the rows still in play.
        return `(${[...e.xs].sort((a, b) => cost(a) - cost(b)).map((x) => this.predicate(x)).join(' AND ')})`;

      case 'or':
        return this.orPredicate(e.xs);
      case 'not':
        // NULL (a field with no value) must count as "did not match", so NOT of it is true.
        return `((${this.predicate(e.x)}) IS NOT TRUE)`;
      case 'atom':
        return this.atom(e.a);
    }
  }

  /**
   * A value list on one field (`Image|endswith: [20 names]`) is one test,
   * not twenty: equality becomes IN, the others one RE2 alternation. RE2
   * runs a DFA over the text once whatever the number of alternatives, and
   * DuckDB binds one expression instead of twenty (binding, not scanning,
   * dominated the cost of big rule sets on small sources).
   */
  private orPredicate(xs: Expr[]): string {
    const buckets = new Map<string, Extract<Atom, { k: 'str' }>[]>();
    const rest: Expr[] = [];
    for (const x of xs) {
      if (x.t === 'atom' && x.a.k === 'str') {
        const key = `${x.a.field ?? ''}\u0000${x.a.cased}\u0000${x.a.op === 'eq' ? 'eq' : 're'}`;
        buckets.set(key, [...(buckets.get(key) ?? []), x.a]);
      } else rest.push(x);
    }
    const parts: string[] = [];
    for (const atoms of buckets.values()) {
      const first = atoms[0] as Extract<Atom, { k: 'str' }>;
      // Measured: DuckDB compiles each regex when it binds the statement, so
      // short lists stay as contains()/ends_with() (cheap to bind); long ones
      // (1,000 emoji, windash permutations) go to one RE2 alternation, which
      // scans each value once instead of once per alternative (5 s -> ms on 15k rows).
      if (atoms.length < (first.op === 'eq' ? MIN_IN_LIST : this.minAlternation)) {
        for (const a of atoms) parts.push(this.atom(a));
        continue;
      }
      const targets = this.strTargets(first.field, first.cased);
      if (first.op === 'eq') {
        const list = [...new Set(atoms.map((a) => a.value))].map((v) => this.strParam(v)).join(', ');
        parts.push(targets.length === 1 ? `${targets[0]} IN (${list})` : `(${targets.map((t) => `${t} IN (${list})`).join(' OR ')})`);
        continue;
      }
      const re = `(?s)(?:${[...new Set(atoms.map(atomToRegex))].join('|')})`;
      const p = this.strParam(re);
      parts.push(targets.length === 1 ? `regexp_matches(${targets[0]}, ${p})` : `(${targets.map((t) => `regexp_matches(${t}, ${p})`).join(' OR ')})`);
    }
    for (const x of rest) parts.push(this.predicate(x));
    return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
  }

  private strTargets(field: string | null, cased: boolean): string[] {
    if (field === null) {
      if (cased) this.work.kwRaw = true;
      else this.work.kwLow = true;
      return cased ? ['kmr', 'krr'] : ['km', 'kr'];
    }
    return [cased ? this.text(field) : this.low(field)];
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
        const targets = this.strTargets(a.field, a.cased);
        return targets.length === 1 ? this.strTest(targets[0] as string, a.op, a.value) : `(${targets.map((t) => this.strTest(t, a.op, a.value)).join(' OR ')})`;
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
        if (s.kind === 'number') return `${this.raw(a.field)} = ${this.numParam(a.value)}`;
        return `${this.low(a.field)} = ${this.strParam(String(a.value).toLowerCase())}`;
      }
      case 'cmp': {
        const s = this.slot(a.field);
        const ops = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '=' } as const;
        let target: string;
        if (a.part) {
          const ts = s.kind === 'timestamp' ? this.raw(a.field) : `TRY_CAST(${this.text(a.field)} AS TIMESTAMP)`;
          target = a.part === 'week' ? `week(${ts})` : `date_part('${a.part}', ${ts})`;
        } else {
          target = s.kind === 'number' ? this.raw(a.field) : `TRY_CAST(${this.text(a.field)} AS DOUBLE)`;
        }
        return `${target} ${ops[a.op]} ${this.numParam(a.value)}`;
      }
      case 'null':
        return `${this.raw(a.field)} IS NULL`;
      case 'exists':
        return `${this.raw(a.field)} IS NOT NULL`;
      case 'cidr': {
        // The IP is parsed once per row in the working table; a cidr test is then integer compares.
        const s = this.slot(a.field);
        if (a.family === 4) {
          s.ip4 = true;
          return `v4_${s.idx} BETWEEN ${this.numParam(a.lo)} AND ${this.numParam(a.hi)}`;
        }
        s.ip6 = true;
        const h = `v6_${s.idx}`;
        const parts: string[] = [];
        const full = Math.floor(a.prefix / 16);
        const rem = a.prefix % 16;
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
