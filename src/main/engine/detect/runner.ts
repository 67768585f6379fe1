import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { readCatalog, quoteIdent, type Catalog } from './catalog';
import { runCorrelations, type CorrelationHit } from './correlation';
import { planRun, type NotApplicable, type Plan, type PlanGroup, type PlannedRule } from './planner';
import type { RuleSet } from './rule-loader';
import { DETECT_MACROS, GroupSql, WorkingColumns, resolveColumn } from './sql-compiler';

/**
 * Running a rule set over a case. Base rules run group by group (one
 * working table per source x logsource variant, then one statement per
 * chunk of rules that returns rid plus the list of matching rules); their
 * hits land in a TEMP table, are joined once to events for event ids, and
 * feed the correlation rules.
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
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; label: string }) => void;
}

export interface RuleHits {
  ruleId: string;
  /** events.id of every matching event, ascending. */
  eventIds: number[];
}

export interface RuleFailure {
  ruleId: string;
  sourceId: number;
  reason: string;
}

export interface GroupTiming {
  sourceId: number;
  table: string;
  target: string;
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

class Cancelled extends Error {}

function checkCancel(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Cancelled('detection run cancelled');
}

/** Filter of a group's rows: the WHERE clause over the source (alias s) and events (alias e). */
function rowFilter(g: PlanGroup, catalog: Catalog, params: Record<string, DuckDBValue>): { join: string; where: string[] } {
  const where: string[] = [];
  let join = '';
  const v = g.variant;
  if (v.channels !== undefined && !g.allRows) {
    const ch = g.source.byLower.get('channel');
    if (v.channels.length > 0 && ch) {
      const names = v.channels.map((c, i) => {
        params[`ch${i}`] = c.toLowerCase();
        return `$ch${i}`;
      });
      where.push(`lower(CAST(s.${quoteIdent(ch.name)} AS VARCHAR)) IN (${names.join(', ')})`);
    }
    const eid = g.source.byLower.get('eventid');
    if (v.eventIds && eid) {
      const ids = v.eventIds.map((id, i) => {
        params[`id${i}`] = id;
        return `$id${i}`;
      });
      where.push(`TRY_CAST(s.${quoteIdent(eid.name)} AS BIGINT) IN (${ids.join(', ')})`);
    }
  }
  if (g.joinEvents) {
    params.sid = g.source.id;
    join = ` JOIN events e ON e.source_id = $sid AND e.rid = s.rid`;
    if (v.datasets && !g.allDatasets) {
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
    if (catalog.watermark !== undefined && g.source.newEvents < g.source.events) {
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

interface Statement {
  rules: PlannedRule[];
  sql: GroupSql;
  preds: string[];
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
  const ruleTimings: RuleTiming[] = [];
  const mode = opts.mode ?? 'grouped';
  const chunkSize = Math.max(1, opts.chunkSize ?? 400);
  let ruleRuns = 0;
  let rowsExamined = 0;
  try {
    for (let gi = 0; gi < plan.groups.length; gi++) {
      checkCancel(opts.signal);
      const g = plan.groups[gi] as PlanGroup;
      opts.onProgress?.({ done: gi, total: plan.groups.length, label: `${g.source.table}: ${g.variant.label}` });
      const timing = mode === 'grouped' ? await runGroup(conn, catalog, g, chunkSize, failures) : await runGroupPerRule(conn, catalog, g, failures, ruleTimings, opts.signal);
      groupTimings.push(timing);
      ruleRuns += g.rules.length;
      rowsExamined += g.rows;
    }
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${WORK}`);
  }
  const hits = await collectHits(conn, ruleSet, catalog);
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
      rules: ruleTimings,
    },
    stats: { sources: catalog.sources.length, groups: plan.groups.length, ruleRuns, rowsExamined },
  };
}

function buildStatements(g: PlanGroup, rules: PlannedRule[], chunkSize: number, work: WorkingColumns): Statement[] {
  const resolve = (f: string): ReturnType<typeof resolveColumn> => resolveColumn(f, g.variant, g.source);
  const out: Statement[] = [];
  for (let i = 0; i < rules.length; i += chunkSize) {
    const chunk = rules.slice(i, i + chunkSize);
    const sql = new GroupSql(resolve, work);
    out.push({ rules: chunk, sql, preds: chunk.map((r) => sql.predicate(r.expr)) });
  }
  return out;
}

function hitStatement(st: Statement, from: string, sourceId: number, groupIdx: number): string {
  const cases = st.rules.map((r, i) => `CASE WHEN ${st.preds[i]} THEN ${r.index} END`);
  const list = st.rules.length === 1 ? `[${st.rules[0]?.index ?? 0}]` : `list_filter([${cases.join(', ')}], x -> x IS NOT NULL)`;
  return `INSERT INTO ${HITS} SELECT ${sourceId}, rid, unnest(${list}), ${groupIdx} FROM ${from} WHERE ${st.preds.map((p) => `(${p})`).join(' OR ')}`;
}

async function runGroup(conn: DuckDBConnection, catalog: Catalog, g: PlanGroup, chunkSize: number, failures: RuleFailure[]): Promise<GroupTiming> {
  const work = new WorkingColumns();
  const statements = buildStatements(g, g.rules, chunkSize, work);
  const fparams: Record<string, DuckDBValue> = {};
  const { join, where } = rowFilter(g, catalog, fparams);
  const proj = ['s.rid AS rid', ...work.projection('s', g.joinEvents ? 'e' : null)];
  const t0 = performance.now();
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${WORK} AS SELECT ${proj.join(', ')} FROM ${quoteIdent(g.source.table)} s${join}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    fparams,
  );
  const t1 = performance.now();
  for (const st of statements) await runIsolated(conn, st, g, WORK, failures);
  const t2 = performance.now();
  await conn.run(`DROP TABLE IF EXISTS ${WORK}`);
  return { sourceId: g.source.id, table: g.source.table, target: g.variant.label, rules: g.rules.length, rows: g.rows, scanMs: t1 - t0, matchMs: t2 - t1 };
}

/**
 * Run a statement; if DuckDB rejects it (a regex RE2 will not compile, a
 * cast it refuses), split it to find the rules at fault, record them as
 * failures and still run the others.
 */
async function runIsolated(conn: DuckDBConnection, st: Statement, g: PlanGroup, from: string, failures: RuleFailure[]): Promise<void> {
  try {
    await conn.run(hitStatement(st, from, g.source.id, g.index), st.sql.params);
  } catch (e) {
    if (st.rules.length === 1) {
      const r = st.rules[0] as PlannedRule;
      failures.push({ ruleId: r.det.record.id, sourceId: g.source.id, reason: (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'query failed' });
      return;
    }
    const half = Math.ceil(st.rules.length / 2);
    const work = new WorkingColumns();
    for (const part of [st.rules.slice(0, half), st.rules.slice(half)]) {
      const [sub] = buildStatements(g, part, part.length, work);
      if (sub) await runIsolated(conn, sub, g, from, failures);
    }
  }
}

/** One query per rule, each scanning the source itself: the reference the grouped mode is measured against. */
async function runGroupPerRule(
  conn: DuckDBConnection,
  catalog: Catalog,
  g: PlanGroup,
  failures: RuleFailure[],
  ruleTimings: RuleTiming[],
  signal: AbortSignal | undefined,
): Promise<GroupTiming> {
  const t0 = performance.now();
  for (const rule of g.rules) {
    checkCancel(signal);
    const work = new WorkingColumns();
    const [st] = buildStatements(g, [rule], 1, work);
    if (!st) continue;
    const { join, where } = rowFilter(g, catalog, st.sql.params);
    const proj = ['s.rid AS rid', ...work.projection('s', g.joinEvents ? 'e' : null)];
    const from = `(SELECT ${proj.join(', ')} FROM ${quoteIdent(g.source.table)} s${join}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
    const r0 = performance.now();
    await runIsolated(conn, st, g, from, failures);
    ruleTimings.push({ ruleId: rule.det.record.id, ms: performance.now() - r0 });
  }
  return { sourceId: g.source.id, table: g.source.table, target: g.variant.label, rules: g.rules.length, rows: g.rows, scanMs: 0, matchMs: performance.now() - t0 };
}

async function collectHits(conn: DuckDBConnection, ruleSet: RuleSet, catalog: Catalog): Promise<RuleHits[]> {
  const params: Record<string, DuckDBValue> = {};
  let wm = '';
  if (catalog.watermark !== undefined) {
    params.wm = catalog.watermark;
    wm = ' WHERE e.id > $wm';
  }
  const rows = (
    await conn.runAndReadAll(
      `SELECT h.rule_idx, list(DISTINCT e.id ORDER BY e.id) AS ids FROM ${HITS} h JOIN events e ON e.source_id = h.source_id AND e.rid = h.rid${wm} GROUP BY h.rule_idx ORDER BY h.rule_idx`,
      params,
    )
  ).getRows();
  const out: RuleHits[] = [];
  for (const [idx, ids] of rows) {
    const det = ruleSet.detections[Number(idx)];
    if (!det) continue;
    const list = (ids as { items: unknown[] }).items.map((x) => Number(x));
    out.push({ ruleId: det.record.id, eventIds: list });
  }
  return out;
}

export type { Plan };
