import { INTEGER, LIST, listValue, VARCHAR, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { forEachChunk } from '../db/sql';
import { readCatalog, quoteIdent, type Catalog } from './catalog';
import { runCorrelations, type CorrelationHit } from './correlation';
import type { ColumnInfo } from './catalog';
import type { Expr } from './ir';
import { INTEL_JOINS } from './loupe-fields';
import { planRun, type NotApplicable, type Plan, type PlanGroup, type PlanMember } from './planner';
import type { RuleSet } from './rule-loader';
import { bindExpr, DETECT_MACROS, GroupSql, LARGE_GROUP_ROWS, MIN_ALTERNATION_LARGE, WorkingColumns, type ColSlot } from './sql-compiler';

/**
 * Running a rule set over a case. Base rules run group by group (one
 * working table per logsource variant, filled by one scan of each source
 * that has such rows; a candidate index for the rules it can serve; then
 * one statement per chunk of rules that returns rid plus the matching
 * rules); their hits land in a TEMP table, are joined once to events for
 * event ids, and feed the correlation rules. docs/sigma.md has the why.
 */

export interface RunOptions {
  /** Only events with id above this are examined (incremental runs after an import). */
  watermark?: bigint | number;
  /** Restrict to these sources. */
  sourceIds?: number[];
  /**
   * grouped (default): one scan per source x logsource, many rules per statement.
   * per-rule: one query per rule straight on the source table; slower, but
   * gives exact per-rule timings (the Rules view's "cost" column, the bench's reference).
   */
  mode?: 'grouped' | 'per-rule';
  /** Rules per statement in grouped mode. Default 400. */
  chunkSize?: number;
  /**
   * Candidate index over low-cardinality fields (grouped mode): auto (default: used on groups of
   * 5,000 rows or more, for rules whose condition is rare), always (every rule it can serve;
   * tests use it to prove it changes no hit), never.
   */
  index?: 'auto' | 'always' | 'never';
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; label: string }) => void;
  /**
   * Leave the hits in this TEMP table (rule_id VARCHAR, event_id BIGINT,
   * each pair once) instead of reading them into JavaScript; `hits` then
   * lists each matching rule with its count only (`eventIds` empty). A rule
   * over a big import can match millions of events: as numbers they cost
   * about 60 bytes each of heap, and as bound values again on the way back.
   */
  hitsInto?: string;
}

export interface RuleHits {
  ruleId: string;
  /** events.id of every matching event, ascending (empty when the run left them in a table: RunOptions.hitsInto). */
  eventIds: number[];
  /** How many events matched. */
  count: number;
}

export interface RuleFailure {
  ruleId: string;
  /** The logsource variant whose statement failed. */
  target: string;
  reason: string;
}

export interface GroupTiming {
  target: string;
  /** Sources whose rows fed this group's working table. */
  sources: number;
  rules: number;
  rows: number;
  /** Building the working table (the one scan of the source). */
  scanMs: number;
  /** Evaluating the group's rules. */
  matchMs: number;
}

export interface RuleTiming {
  ruleId: string;
  ms: number;
}

export interface RunResult {
  hits: RuleHits[];
  correlations: CorrelationHit[];
  notApplicable: NotApplicable[];
  failures: RuleFailure[];
  timing: {
    totalMs: number;
    catalogMs: number;
    planMs: number;
    matchMs: number;
    correlationMs: number;
    groups: GroupTiming[];
    /** Exact per-rule times in per-rule mode; empty in grouped mode (rules share a statement). */
    rules: RuleTiming[];
  };
  stats: { sources: number; groups: number; ruleRuns: number; rowsExamined: number };
}

const HITS = 'loupe_detect_hits';
const WORK = 'loupe_detect_work';
const PAIRS = 'loupe_detect_pairs';
const BIT_RULES = 'loupe_detect_bit_rules';
const DICT_PREFIX = 'loupe_detect_dict_';
const DICT_MIN_ROWS = 5000;
const DICT_MAX_DISTINCT_ABS = 5000;
const DICT_MAX_DISTINCT_SHARE = 0.05;
/** Fields with at most this share of distinct values still pay to evaluate per value, for rules with nothing better. */
const DICT_REPEAT_SHARE = 0.6;
const DICT_CHUNK = 400;
/** Dictionaries this large scan enough text to repay compiling value lists into one regex. */
const LARGE_DICT_VALUES = 10_000;
/** A rule is indexed when its rarest necessary condition holds on at most this share of the rows. */
const INDEX_MAX_SHARE = 0.05;
/** Upper bound on (row, rule) pairs, as a multiple of the working table's rows. */
const PAIRS_BUDGET = 3;

class Cancelled extends Error {}

function checkCancel(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Cancelled('detection run cancelled');
}

/** Filter of a member's rows: the WHERE clause over the source (alias s) and events (alias e). */
export function rowFilter(g: PlanGroup, m: PlanMember, catalog: Catalog, params: Record<string, DuckDBValue>, intel = false): { join: string; where: string[] } {
  const where: string[] = [];
  let join = '';
  const v = g.variant;
  if (v.channels !== undefined && !m.allRows) {
    const ch = m.source.byLower.get('channel');
    if (v.channels.length > 0 && ch) {
      const names = v.channels.map((c, i) => {
        params[`ch${i}`] = c.toLowerCase();
        return `$ch${i}`;
      });
      where.push(`lower(CAST(s.${quoteIdent(ch.name)} AS VARCHAR)) IN (${names.join(', ')})`);
    }
    const eid = m.source.byLower.get('eventid');
    if (v.eventIds && eid) {
      const ids = v.eventIds.map((id, i) => {
        params[`id${i}`] = id;
        return `$id${i}`;
      });
      where.push(`TRY_CAST(s.${quoteIdent(eid.name)} AS BIGINT) IN (${ids.join(', ')})`);
    }
  }
  if (m.joinEvents) {
    params.sid = m.source.id;
    join = ` JOIN events e ON e.source_id = $sid AND e.rid = s.rid${intel ? INTEL_JOINS : ''}`;
    if (v.datasets && !m.allDatasets) {
      const ds = v.datasets.map((d, i) => {
        params[`ds${i}`] = d;
        return `$ds${i}`;
      });
      where.push(`e.dataset IN (${ds.join(', ')})`);
    }
    if (v.eventCodes && v.eventCodes.length > 0) {
      const codes = v.eventCodes.map((c, i) => {
        params[`ec${i}`] = c.toLowerCase();
        return `$ec${i}`;
      });
      where.push(`lower(e.event_code) IN (${codes.join(', ')})`);
    }
    if (catalog.watermark !== undefined && m.source.newEvents < m.source.events) {
      params.wm = catalog.watermark;
      where.push('e.id > $wm');
    }
  }
  return { join, where };
}

export async function ensureDetectTables(conn: DuckDBConnection): Promise<void> {
  for (const m of DETECT_MACROS) await conn.run(m);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${HITS} (source_id INTEGER, rid BIGINT, rule_idx INTEGER, group_idx INTEGER)`);
}

export async function runRules(conn: DuckDBConnection, ruleSet: RuleSet, opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const catOpts: Parameters<typeof readCatalog>[1] = {};
  if (opts.watermark !== undefined) catOpts.watermark = opts.watermark;
  if (opts.sourceIds) catOpts.sourceIds = opts.sourceIds;
  const catalog = await readCatalog(conn, catOpts);
  const tCat = performance.now();
  const plan = planRun(catalog, ruleSet);
  const tPlan = performance.now();
  await ensureDetectTables(conn);
  const failures: RuleFailure[] = [];
  const groupTimings: GroupTiming[] = [];
  const ruleTimings = new Map<string, number>();
  const mode = opts.mode ?? 'grouped';
  const chunkSize = Math.max(1, opts.chunkSize ?? 400);
  let ruleRuns = 0;
  let rowsExamined = 0;
  try {
    for (let gi = 0; gi < plan.groups.length; gi++) {
      checkCancel(opts.signal);
      const g = plan.groups[gi] as PlanGroup;
      opts.onProgress?.({ done: gi, total: plan.groups.length, label: g.variant.label });
      const timing = mode === 'grouped' ? await runGroup(conn, catalog, g, chunkSize, failures, opts.index ?? 'auto') : await runGroupPerRule(conn, catalog, g, failures, ruleTimings, opts.signal);
      groupTimings.push(timing);
      ruleRuns += g.rules.length;
      rowsExamined += g.rows;
    }
  } finally {
    await dropWork(conn);
  }
  const hits = opts.hitsInto ? await tableHits(conn, ruleSet, catalog, opts.hitsInto) : await collectHits(conn, ruleSet, catalog);
  const tCollect = performance.now();
  const correlations = ruleSet.correlations.length > 0 ? await runCorrelations(conn, ruleSet, plan, catalog) : [];
  const tEnd = performance.now();
  return {
    hits,
    correlations,
    notApplicable: plan.notApplicable,
    failures,
    timing: {
      totalMs: tEnd - t0,
      catalogMs: tCat - t0,
      planMs: tPlan - tCat,
      matchMs: tCollect - tPlan,
      correlationMs: tEnd - tCollect,
      groups: groupTimings,
      rules: [...ruleTimings].map(([ruleId, ms]) => ({ ruleId, ms })),
    },
    stats: { sources: catalog.sources.length, groups: plan.groups.length, ruleRuns, rowsExamined },
  };
}

interface Stmt {
  rules: { index: number; ruleId: string; expr: Expr; sources: number[] | null }[];
  sql: GroupSql;
  preds: string[];
  /** Evaluate over (row, candidate rule) pairs instead of rows (rules with an indexed necessary condition). */
  pairs: boolean;
}

function buildStatements(rules: Stmt['rules'], chunkSize: number, work: WorkingColumns, pairs = false, rows = 0): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < rules.length; i += chunkSize) {
    const chunk = rules.slice(i, i + chunkSize);
    const sql = rows >= LARGE_GROUP_ROWS && !pairs ? new GroupSql(work, MIN_ALTERNATION_LARGE) : new GroupSql(work);
    out.push({
      rules: chunk,
      sql,
      pairs,
      // A rule that applies to only some sources of the group (fields-based logsources) is kept to them.
      preds: chunk.map((r) => (r.sources ? `(sid IN (${r.sources.map((n) => String(Math.trunc(n))).join(', ')}) AND ${sql.predicate(r.expr)})` : sql.predicate(r.expr))),
    });
  }
  return out;
}

function hitStatement(st: Stmt, from: string, groupIdx: number): string {
  if (st.pairs) {
    // Each pair row names one candidate rule; only that rule's predicate is tested on it.
    const where = st.rules.map((r, i) => `(cand = ${r.index} AND ${st.preds[i]})`).join(' OR ');
    return `INSERT INTO ${HITS} SELECT sid, rid, cand, ${groupIdx} FROM ${PAIRS} WHERE ${where}`;
  }
  if (st.rules.length === 1) return `INSERT INTO ${HITS} SELECT sid, rid, ${st.rules[0]?.index ?? 0}, ${groupIdx} FROM ${from} WHERE ${st.preds[0]}`;
  // Each predicate appears once (binding a large statement costs more than running it on
  // small tables); unnest of an empty list yields no row, so non-matching rows vanish.
  const cases = st.rules.map((r, i) => `CASE WHEN ${st.preds[i]} THEN ${r.index} END`);
  return `INSERT INTO ${HITS} SELECT sid, rid, unnest(list_filter([${cases.join(', ')}], x -> x IS NOT NULL)), ${groupIdx} FROM ${from}`;
}

async function fillWorkTable(conn: DuckDBConnection, catalog: Catalog, g: PlanGroup, work: WorkingColumns, table: string, members: PlanMember[]): Promise<void> {
  const cols = work.columns();
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (sid INTEGER, rid BIGINT${cols.map((c) => `, ${c}`).join('')})`);
  for (const m of members) {
    const params: Record<string, DuckDBValue> = {};
    const { join, where } = rowFilter(g, m, catalog, params, work.needs().intel);
    const proj = [`${Math.trunc(m.source.id)} AS sid`, 's.rid AS rid', ...work.projection(m.source.id, 's', m.joinEvents ? 'e' : null)];
    const inner = `SELECT ${proj.join(', ')} FROM ${quoteIdent(m.source.table)} s${join}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    await conn.run(`INSERT INTO ${table} ${inner}`, params);
  }
}

async function runGroup(conn: DuckDBConnection, catalog: Catalog, g: PlanGroup, chunkSize: number, failures: RuleFailure[], index: 'auto' | 'always' | 'never'): Promise<GroupTiming> {
  const work = new WorkingColumns(g.members.map((m) => ({ source: m.source, variant: g.variant })));
  const allSources = g.members.length;
  const rules: Stmt['rules'] = [];
  for (const r of g.rules) {
    // Bound against the union of the group's sources: a field no source has folds away here.
    const expr = bindExpr(r.det.expr, (f) => (work.has(f) ? DUMMY_COLUMN : null), { available: true }, new Set());
    if (expr.t === 'const' && !expr.v) continue;
    rules.push({ index: r.index, ruleId: r.det.record.id, expr, sources: r.sources.length === allSources ? null : r.sources });
  }
  let statements = buildStatements(rules, chunkSize, work, false, g.rows);
  const t0 = performance.now();
  await fillWorkTable(conn, catalog, g, work, WORK, g.members);
  const from = WORK;
  if (index !== 'never') {
    const indexed = await buildCandidateIndex(conn, work, rules, index === 'always');
    if (indexed && indexed.size > 0) {
      statements = [
        ...buildStatements(rules.filter((r) => indexed.has(r.index)), chunkSize, work, true),
        ...buildStatements(rules.filter((r) => !indexed.has(r.index)), chunkSize, work, false, g.rows),
      ];
    }
  }
  const t1 = performance.now();
  for (const st of statements) {
    const s0 = performance.now();
    await runIsolated(conn, st, g, from, failures, work);
    if (process.env.LOUPE_DETECT_DEBUG) process.stderr.write(`  ${g.variant.label}: ${st.pairs ? 'pairs' : 'rows'} statement, ${st.rules.length} rules, ${(performance.now() - s0).toFixed(0)} ms\n`);
  }
  const t2 = performance.now();
  await dropWork(conn);
  return { target: g.variant.label, sources: g.members.length, rules: rules.length, rows: g.rows, scanMs: t1 - t0, matchMs: t2 - t1 };
}

async function dropWork(conn: DuckDBConnection): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${PAIRS}`);
  await conn.run(`DROP TABLE IF EXISTS ${WORK}`);
  await conn.run(`DROP TABLE IF EXISTS ${BIT_RULES}`);
  const dicts = (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, '${DICT_PREFIX}')`)).getRows();
  for (const [t] of dicts) await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(String(t))}`);
}

/**
 * A candidate index over low-cardinality fields (Image, ParentImage,
 * OriginalFileName, User ...). Most rules can only match when one field
 * takes one of a few values (`Image|endswith: \\certutil.exe`). Every
 * single-field sub-expression is evaluated once per distinct value of its
 * field; a rule whose necessary condition is such a sub-expression (or an
 * OR of them) and is rare in this data (at most INDEX_MAX_SHARE of the rows)
 * is "indexed": it is only evaluated on the rows its condition selects,
 * as (row, candidate rule) pairs. The others run over every row as before.
 * Returns the indexed rule indices, the pairs table being filled.
 */
async function buildCandidateIndex(conn: DuckDBConnection, work: WorkingColumns, rules: Stmt['rules'], always: boolean): Promise<Set<number> | null> {
  const slots = [...work.slots.values()].filter((sl) => work.slotColumns(sl).length > 0);
  if (slots.length === 0) return null;
  const stats = (
    await conn.runAndReadAll(`SELECT count(*) AS n${slots.map((sl) => `, approx_count_distinct(${work.slotColumns(sl)[0]}) AS d${sl.idx}`).join('')} FROM ${WORK}`)
  ).getRowObjects()[0];
  const n = Number(stats?.n ?? 0);
  if (n === 0 || (!always && n < DICT_MIN_ROWS)) return null;
  const distinct = (sl: ColSlot): number => Number(stats?.[`d${sl.idx}`] ?? n);
  const dictSlots = new Set(slots.filter((sl) => always || distinct(sl) <= Math.max(DICT_MAX_DISTINCT_ABS, n * DICT_MAX_DISTINCT_SHARE)).map((sl) => sl.idx));
  // Fields that repeat less (CommandLine) serve only rules no low-cardinality field can index:
  // their conditions are then evaluated once per distinct value rather than once per row.
  const repeatSlots = new Set(slots.filter((sl) => !dictSlots.has(sl.idx) && distinct(sl) <= n * DICT_REPEAT_SHARE).map((sl) => sl.idx));
  if (dictSlots.size === 0 && repeatSlots.size === 0) return null;
  let usable = dictSlots;
  // The single dictionary slot a sub-expression tests, if it tests exactly one and needs nothing else.
  const slotOf = (e: Expr): number | undefined | 'many' => {
    switch (e.t) {
      case 'const':
        return undefined;
      case 'not':
        return slotOf(e.x);
      case 'and':
      case 'or': {
        let found: number | undefined;
        for (const x of e.xs) {
          const s2 = slotOf(x);
          if (s2 === 'many') return 'many';
          if (s2 === undefined) continue;
          if (found !== undefined && found !== s2) return 'many';
          found = s2;
        }
        return found;
      }
      case 'atom':
        if (e.a.field === null || e.a.k === 'fieldref') return 'many';
        return work.slot(e.a.field).idx;
    }
  };
  // Necessary conditions, as single-slot sub-expressions: a rule needs one of them to hold.
  const subs = new Map<string, { id: number; slot: number; expr: Expr }>();
  const subId = (slot: number, e: Expr): number => {
    const key = JSON.stringify(e);
    let sub = subs.get(key);
    if (!sub) {
      sub = { id: subs.size, slot, expr: e };
      subs.set(key, sub);
    }
    return sub.id;
  };
  type Cond = { slot: number; expr: Expr };
  // Alternatives: each inner list is one OR of single-field conditions, one of which must hold.
  const need = (e: Expr): Cond[][] | null => {
    const sl = slotOf(e);
    if (typeof sl === 'number' && usable.has(sl) && e.t !== 'const') return [[{ slot: sl, expr: e }]];
    if (e.t === 'or') {
      let acc: Cond[] = [];
      for (const x of e.xs) {
        const alts = need(x);
        if (!alts || alts.length === 0) return null;
        acc = acc.concat(alts[0] as Cond[]);
      }
      return [acc];
    }
    if (e.t === 'and') {
      const alts: Cond[][] = [];
      for (const x of e.xs) alts.push(...(need(x) ?? []));
      return alts.length ? alts : null;
    }
    return null;
  };
  const register = (alt: Cond[]): number[] => alt.map((c) => subId(c.slot, c.expr));
  const ruleAlts = new Map<number, number[][]>();
  for (const r of rules) {
    const alts = need(r.expr);
    if (alts) ruleAlts.set(r.index, alts.map(register));
  }
  usable = repeatSlots;
  const rarity = (alt: Cond[]): number => Math.min(...alt.map((c) => literalScore(c.expr)));
  for (const r of rules) {
    if (ruleAlts.has(r.index)) continue;
    const alts = need(r.expr);
    // A repetitive field has many values: evaluate only the alternative most likely to be rare
    // (the longest shortest literal), not all of them.
    if (alts) ruleAlts.set(r.index, [register(alts.reduce((x, y) => (rarity(y) > rarity(x) ? y : x)))]);
  }
  if (subs.size === 0) return null;
  // Evaluate every sub-expression once per distinct value; count the rows each holds for.
  const bySlot = new Map<number, { id: number; expr: Expr }[]>();
  for (const sub of subs.values()) bySlot.set(sub.slot, [...(bySlot.get(sub.slot) ?? []), sub]);
  const rowsOf = new Map<number, number>();
  const dbg = (label: string, t: number): void => {
    if (process.env.LOUPE_DETECT_DEBUG) process.stderr.write(`    index ${label}: ${(performance.now() - t).toFixed(0)} ms\n`);
  };
  for (const [idx, list] of bySlot) {
    const ts = performance.now();
    const sl = slots.find((x) => x.idx === idx) as ColSlot;
    const names = work.slotColumns(sl);
    const table = `${DICT_PREFIX}${idx}`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} AS SELECT row_number() OVER () AS k, * FROM (SELECT ${names.join(', ')}, count(*) AS n FROM ${WORK} GROUP BY ALL)`);
    const parts: string[] = [];
    const values = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]?.[0] ?? 0);
    for (let i = 0; i < list.length; i += DICT_CHUNK) {
      const chunk = list.slice(i, i + DICT_CHUNK);
      const sql = values >= LARGE_DICT_VALUES ? new GroupSql(work, MIN_ALTERNATION_LARGE) : new GroupSql(work);
      const cases = chunk.map((p) => `CASE WHEN ${sql.predicate(p.expr)} THEN ${p.id} END`);
      const col = `b${i / DICT_CHUNK}`;
      await conn.run(`ALTER TABLE ${table} ADD COLUMN ${col} INTEGER[]`);
      await conn.run(`UPDATE ${table} SET ${col} = list_filter([${cases.join(', ')}], x -> x IS NOT NULL)`, sql.params);
      parts.push(col);
    }
    await conn.run(`ALTER TABLE ${table} ADD COLUMN m INTEGER[]`);
    await conn.run(`UPDATE ${table} SET m = ${parts.length === 1 ? parts[0] : `list_concat(${parts.join(', ')})`}`);
    const freq = (await conn.runAndReadAll(`SELECT bit, sum(n) AS rows FROM (SELECT unnest(m) AS bit, n FROM ${table}) GROUP BY bit`)).getRows();
    for (const [bit, rows] of freq) rowsOf.set(Number(bit), Number(rows));
    dbg(`field ${idx} (${list.length} conditions, ${repeatSlots.has(idx) ? 'repeat' : 'low'})`, ts);
  }
  // Per rule, the rarest alternative; index it when rare enough, rarest rules first, while the
  // pairs (each a copy of its row) stay within PAIRS_BUDGET times the rows.
  const choices: { rule: number; alt: number[]; rows: number }[] = [];
  let frequent = 0;
  for (const [rule, alts] of ruleAlts) {
    let best: number[] | undefined;
    let bestRows = Number.POSITIVE_INFINITY;
    for (const alt of alts) {
      const rows = alt.reduce((a, b) => a + (rowsOf.get(b) ?? 0), 0);
      if (rows < bestRows) {
        best = alt;
        bestRows = rows;
      }
    }
    if (!best) continue;
    if (!always && bestRows > n * INDEX_MAX_SHARE) {
      frequent++;
      continue;
    }
    choices.push({ rule, alt: best, rows: bestRows });
  }
  choices.sort((a, b) => a.rows - b.rows);
  const bitRules: [number, number][] = [];
  const indexed = new Set<number>();
  let budget = always ? Number.POSITIVE_INFINITY : n * PAIRS_BUDGET;
  for (const c of choices) {
    if (c.rows > budget) {
      frequent++;
      continue;
    }
    budget -= c.rows;
    indexed.add(c.rule);
    for (const b of new Set(c.alt)) bitRules.push([b, c.rule]);
  }
  if (indexed.size === 0) return indexed;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${BIT_RULES} AS SELECT unnest($bits::INTEGER[]) AS bit, unnest($owners::INTEGER[]) AS rule`, {
    bits: listValue(bitRules.map((x) => x[0])),
    owners: listValue(bitRules.map((x) => x[1])),
  });
  const tp = performance.now();
  // Pairs: (row, candidate) from each field's dictionary, then the row's columns joined once.
  const usedBits = new Set(bitRules.map((x) => x[0]));
  const selects: string[] = [];
  for (const [idx, list] of bySlot) {
    if (!list.some((sub) => usedBits.has(sub.id))) continue;
    const sl = slots.find((x) => x.idx === idx) as ColSlot;
    const names = work.slotColumns(sl);
    const table = `${DICT_PREFIX}${idx}`;
    const ct = `${DICT_PREFIX}c${idx}`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${ct} AS SELECT DISTINCT ${names.map((c) => `d.${c}`).join(', ')}, br.rule FROM (SELECT ${names.join(', ')}, unnest(m) AS bit FROM ${table}) d JOIN ${BIT_RULES} br ON br.bit = d.bit`);
    selects.push(`SELECT w.sid, w.rid, c.rule AS cand FROM ${WORK} w JOIN ${ct} c ON ${names.map((c) => `w.${c} IS NOT DISTINCT FROM c.${c}`).join(' AND ')}`);
  }
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${PAIRS} AS SELECT w.*, p.cand FROM (SELECT DISTINCT sid, rid, cand FROM (${selects.join(' UNION ALL ')})) p JOIN ${WORK} w ON w.sid = p.sid AND w.rid = p.rid`);
  dbg('pairs', tp);
  if (process.env.LOUPE_DETECT_DEBUG) {
    const np = (await conn.runAndReadAll(`SELECT count(*) FROM ${PAIRS}`)).getRows()[0]?.[0];
    process.stderr.write(`index: ${indexed.size}/${rules.length} rules indexed (${frequent} more have only frequent conditions, ${rules.length - ruleAlts.size} none), ${dictSlots.size}+${repeatSlots.size} dictionary fields, ${String(np)} pairs over ${n} rows\n`);
  }
  return indexed;
}

/** How rare a single-field condition is likely to be: the length of the shortest literal it needs. */
function literalScore(e: Expr | undefined): number {
  if (!e) return 0;
  switch (e.t) {
    case 'atom':
      return e.a.k === 'str' ? e.a.value.replace(/[%_]/g, '').length : e.a.k === 're' ? 4 : 1;
    case 'or':
      return Math.min(...e.xs.map(literalScore));
    case 'and':
      return Math.max(...e.xs.map(literalScore));
    case 'not':
      return 0;
    case 'const':
      return 0;
  }
}

const DUMMY_COLUMN: ColumnInfo = { name: '', type: 'VARCHAR', kind: 'string' };

/**
 * Run a statement; if DuckDB rejects it (a regex RE2 will not compile, a
 * cast it refuses), split it to find the rules at fault, record them as
 * failures and still run the others.
 */
async function runIsolated(conn: DuckDBConnection, st: Stmt, g: PlanGroup, from: string, failures: RuleFailure[], work: WorkingColumns): Promise<void> {
  try {
    await conn.run(hitStatement(st, from, g.index), st.sql.params);
  } catch (e) {
    if (st.rules.length === 1) {
      const r = st.rules[0] as Stmt['rules'][number];
      failures.push({ ruleId: r.ruleId, target: g.variant.label, reason: (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'query failed' });
      return;
    }
    const half = Math.ceil(st.rules.length / 2);
    for (const part of [st.rules.slice(0, half), st.rules.slice(half)]) {
      const [sub] = buildStatements(part, part.length, work);
      if (sub) await runIsolated(conn, { ...sub, pairs: st.pairs }, g, from, failures, work);
    }
  }
}

/**
 * One query per rule and source, straight on the source table: the
 * reference the grouped mode is measured against, and exact per-rule times.
 */
async function runGroupPerRule(
  conn: DuckDBConnection,
  catalog: Catalog,
  g: PlanGroup,
  failures: RuleFailure[],
  ruleTimings: Map<string, number>,
  signal: AbortSignal | undefined,
): Promise<GroupTiming> {
  const t0 = performance.now();
  for (const m of g.members) {
    for (const [index, expr] of m.bound) {
      checkCancel(signal);
      const det = g.rules.find((r) => r.index === index)?.det;
      if (!det) continue;
      const work = new WorkingColumns([{ source: m.source, variant: g.variant }]);
      const [st] = buildStatements([{ index, ruleId: det.record.id, expr, sources: null }], 1, work);
      if (!st) continue;
      const { join, where } = rowFilter(g, m, catalog, st.sql.params, work.needs().intel);
      const proj = [`${Math.trunc(m.source.id)} AS sid`, 's.rid AS rid', ...work.projection(m.source.id, 's', m.joinEvents ? 'e' : null)];
      const from = `(SELECT ${proj.join(', ')} FROM ${quoteIdent(m.source.table)} s${join}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
      const r0 = performance.now();
      await runIsolated(conn, st, g, from, failures, work);
      ruleTimings.set(det.record.id, (ruleTimings.get(det.record.id) ?? 0) + performance.now() - r0);
    }
  }
  return { target: g.variant.label, sources: g.members.length, rules: g.rules.length, rows: g.rows, scanMs: 0, matchMs: performance.now() - t0 };
}

/** The hits as (rule index, events.id), each once; the rows the watermark leaves out are not hits. */
function hitsSelect(catalog: Catalog, params: Record<string, DuckDBValue>, id: string): string {
  let wm = '';
  if (catalog.watermark !== undefined) {
    params.wm = catalog.watermark;
    wm = ' WHERE e.id > $wm';
  }
  return `SELECT DISTINCT h.rule_idx, ${id} AS id FROM ${HITS} h JOIN events e ON e.source_id = h.source_id AND e.rid = h.rid${wm}`;
}

async function tableHits(conn: DuckDBConnection, ruleSet: RuleSet, catalog: Catalog, table: string): Promise<RuleHits[]> {
  const params: Record<string, DuckDBValue> = {};
  const detections = ruleSet.detections.map((d, i) => ({ idx: i, ruleId: d.record.id }));
  params.idx = listValue(detections.map((d) => d.idx));
  params.rule = listValue(detections.map((d) => d.ruleId));
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} AS
     SELECT r.rule_id, x.id AS event_id FROM (${hitsSelect(catalog, params, 'e.id')}) x
     JOIN (SELECT unnest($idx) AS idx, unnest($rule) AS rule_id) r ON r.idx = x.rule_idx`,
    params,
    // Typed: a set without detection rules binds empty lists, which have no item type of their own.
    { idx: LIST(INTEGER), rule: LIST(VARCHAR) },
  );
  const rows = (await conn.runAndReadAll(`SELECT rule_id, count(*) FROM ${quoteIdent(table)} GROUP BY 1 ORDER BY 1`)).getRows();
  return rows.map(([ruleId, n]) => ({ ruleId: String(ruleId), eventIds: [], count: Number(n) }));
}

async function collectHits(conn: DuckDBConnection, ruleSet: RuleSet, catalog: Catalog): Promise<RuleHits[]> {
  const params: Record<string, DuckDBValue> = {};
  // Streamed, ids as DOUBLE (exact below 2^53): read as one LIST of BIGINT per
  // rule, a rule matching millions of events made millions of BigInt objects
  // (about 1 GB of heap after importing a generated 4M-line auth log).
  const byRule = new Map<number, number[]>();
  await forEachChunk(
    conn,
    `${hitsSelect(catalog, params, 'CAST(e.id AS DOUBLE)')} ORDER BY 1, 2`,
    (cols, rows) => {
      const [idx, id] = cols as [DuckDBValue[], DuckDBValue[]];
      for (let r = 0; r < rows; r++) {
        const k = Number(idx[r]);
        let list = byRule.get(k);
        if (!list) byRule.set(k, (list = []));
        list.push(id[r] as number);
      }
    },
    params,
  );
  const out: RuleHits[] = [];
  for (const [idx, list] of byRule) {
    const det = ruleSet.detections[idx];
    if (det) out.push({ ruleId: det.record.id, eventIds: list, count: list.length });
  }
  return out;
}

export type { Plan };
