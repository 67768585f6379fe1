import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { CORE_COLUMNS } from '@shared/events';
import { NumberColumn } from '../util/number-column';
import { forEachChunk } from '../db/sql';
import { quoteIdent, type Catalog } from './catalog';
import { INTEL_JOINS } from './loupe-fields';
import type { Plan } from './planner';
import type { CompiledCorrelation, RuleSet } from './rule-loader';
import type { CountCondition } from './sigma-schema';
import { resolveColumn } from './sql-compiler';

/**
 * Sigma correlation rules, evaluated over the base rules' hits.
 *
 * The events of the referenced rules (with ts and the group-by values,
 * resolved per source and logsource variant like any field) go to a TEMP
 * table; event_count, value_count and temporal are then sliding windows in
 * SQL (`RANGE BETWEEN <timespan> PRECEDING AND CURRENT ROW`, partitioned by
 * the group-by values): every event whose trailing window meets the
 * condition closes a window, and overlapping windows of one group merge
 * into one hit. temporal_ordered needs "A, then B, then C" inside the span,
 * which a window aggregate cannot say; it is a linear pass in JS over the
 * same rows, which are the base hits and so few.
 */

export interface CorrelationHit {
  ruleId: string;
  type: CompiledCorrelation['section']['type'];
  /** group-by field -> value (text; null when the events have none). */
  group: Record<string, string | null>;
  /** Epoch milliseconds (UTC) of the first and last event of the hit. */
  firstTs: number;
  lastTs: number;
  /** The figure the condition tested: events, distinct values, or distinct rules. */
  count: number;
  eventIds: number[];
}

const EV = 'loupe_corr_events';
const TRIG = 'loupe_corr_triggers';

/** Hits of a referenced correlation per INSERT statement. */
const PSEUDO_BATCH = 500;

export function timespanSeconds(span: string): number {
  const m = /^(\d+)([smhdwMy])$/.exec(span);
  if (!m) throw new Error(`bad timespan ${span}`);
  const n = Number(m[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, M: 2592000, y: 31536000 }[m[2] as 's'];
  return n * unit;
}

function condSql(c: CountCondition, expr: string): string {
  const parts: string[] = [];
  const lit = (n: number): string => {
    if (!Number.isFinite(n)) throw new Error('condition value is not a number');
    return String(n);
  };
  if (c.gt !== undefined) parts.push(`${expr} > ${lit(c.gt)}`);
  if (c.gte !== undefined) parts.push(`${expr} >= ${lit(c.gte)}`);
  if (c.lt !== undefined) parts.push(`${expr} < ${lit(c.lt)}`);
  if (c.lte !== undefined) parts.push(`${expr} <= ${lit(c.lte)}`);
  if (c.eq !== undefined) parts.push(`${expr} = ${lit(c.eq)}`);
  if (c.neq !== undefined) parts.push(`${expr} <> ${lit(c.neq)}`);
  return parts.join(' AND ');
}

function condHolds(c: CountCondition, n: number): boolean {
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq) &&
    (c.neq === undefined || n !== c.neq)
  );
}

export async function runCorrelations(conn: DuckDBConnection, ruleSet: RuleSet, plan: Plan, catalog: Catalog): Promise<CorrelationHit[]> {
  void catalog;
  const detIndex = new Map(ruleSet.detections.map((d, i) => [d.record.id, i]));
  const results = new Map<string, CorrelationHit[]>();
  const out: CorrelationHit[] = [];
  for (const corr of ruleSet.correlations) {
    const hits = await runOne(conn, corr, detIndex, plan, results, ruleSet);
    results.set(corr.record.id, hits);
    out.push(...hits);
  }
  return out;
}

async function runOne(
  conn: DuckDBConnection,
  corr: CompiledCorrelation,
  detIndex: Map<string, number>,
  plan: Plan,
  prior: Map<string, CorrelationHit[]>,
  ruleSet: RuleSet,
): Promise<CorrelationHit[]> {
  const s = corr.section;
  const groupBy = s['group-by'] ?? [];
  const valueField = s.type === 'value_count' ? s.condition?.field : undefined;
  const gcols = groupBy.map((_, i) => `g${i}`);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${EV} (ref INTEGER, event_id BIGINT, ts TIMESTAMP${gcols.map((g) => `, ${g} VARCHAR`).join('')}, val VARCHAR)`,
  );
  const pseudo = new Map<number, number[]>();
  let nextPseudo = -1;
  for (let ri = 0; ri < corr.refs.length; ri++) {
    const ref = corr.refs[ri] as CompiledCorrelation['refs'][number];
    // The name aliases use is the referenced rule's name, or the reference as written.
    const aliasKey = ref.name ?? ref.ref;
    const fieldFor = (f: string): string => s.aliases?.[f]?.[aliasKey] ?? s.aliases?.[f]?.[ref.ref] ?? f;
    if (ref.kind === 'correlation') {
      // One row per hit of the referenced correlation, inserted in batches: a
      // statement per hit cost seconds when a correlation had thousands of hits.
      const hitsOf = prior.get(ref.id) ?? [];
      for (let at = 0; at < hitsOf.length; at += PSEUDO_BATCH) {
        const params: Record<string, DuckDBValue> = { ref: ri };
        const tuples: string[] = [];
        hitsOf.slice(at, at + PSEUDO_BATCH).forEach((h, j) => {
          const id = nextPseudo--;
          pseudo.set(id, h.eventIds);
          params[`i${j}`] = id;
          params[`m${j}`] = h.lastTs;
          const gs = groupBy.map((f, i) => {
            const v = h.group[fieldFor(f)];
            params[`g${i}_${j}`] = v === undefined ? null : v;
            return `, $g${i}_${j}`;
          });
          tuples.push(`($ref, $i${j}, make_timestamp($m${j} * 1000)${gs.join('')}, NULL)`);
        });
        await conn.run(`INSERT INTO ${EV} VALUES ${tuples.join(', ')}`, params);
      }
      continue;
    }
    const ruleIdx = detIndex.get(ref.id);
    if (ruleIdx === undefined) continue;
    for (const g of plan.groups) {
      if (!g.rules.some((r) => r.index === ruleIdx)) continue;
      for (const m of g.members) {
        if (!m.bound.has(ruleIdx)) continue;
        let intel = false;
        const colExpr = (field: string | undefined): string => {
          if (field === undefined) return 'NULL';
          const c = resolveColumn(field, g.variant, m.source);
          if (c?.expr !== undefined) {
            if (c.needs === 'intel') intel = true;
            return `CAST(${c.expr} AS VARCHAR)`;
          }
          if (c) return `CAST(s.${quoteIdent(c.name)} AS VARCHAR)`;
          const core = (CORE_COLUMNS as readonly string[]).find((k) => k === field.toLowerCase());
          return core ? `CAST(e.${quoteIdent(core)} AS VARCHAR)` : 'NULL';
        };
        const cols = groupBy.map((f) => colExpr(fieldFor(f)));
        const val = colExpr(valueField ? fieldFor(valueField) : undefined);
        await conn.run(
          `INSERT INTO ${EV} SELECT $ref, e.id, e.ts${cols.map((c) => `, ${c}`).join('')}, ${val}
           FROM loupe_detect_hits h JOIN events e ON e.source_id = h.source_id AND e.rid = h.rid
           JOIN ${quoteIdent(m.source.table)} s ON s.rid = h.rid${intel ? INTEL_JOINS : ''}
           WHERE h.rule_idx = $rule AND h.group_idx = $grp AND h.source_id = $sid AND e.ts IS NOT NULL`,
          { ref: ri, rule: ruleIdx, grp: g.index, sid: m.source.id },
        );
      }
    }
  }
  const span = timespanSeconds(s.timespan);
  const part = gcols.length ? `PARTITION BY ${gcols.join(', ')}` : '';
  const win = `(${part} ORDER BY ts RANGE BETWEEN INTERVAL ${span} SECOND PRECEDING AND CURRENT ROW)`;

  /** An event of EV (alias e) in a group of TRIG (alias t). */
  const groupMatch = gcols.map((g) => `t.${g} IS NOT DISTINCT FROM e.${g}`).join(' AND ') || 'true';
  // Read a chunk at a time into columns, each group interned as a number:
  // read as row objects, the 3.3M failed logins of a generated 2 GB auth log
  // were gigabytes of heap.
  const groups = new GroupKeys(gcols.length);
  const read = { id: new NumberColumn(), ref: new NumberColumn(), ms: new NumberColumn(), key: new NumberColumn() };
  /** The events read, once readEvents is done (views of the columns). */
  let ev = { id: read.id.view(), ref: read.ref.view(), ms: read.ms.view(), key: read.key.view() };
  const readEvents = async (where: string): Promise<void> => {
    await forEachChunk(conn, `SELECT DISTINCT ref, event_id, epoch_ms(ts) AS ms${gcols.map((g) => `, ${g}`).join('')}, val FROM ${EV} e${where} ORDER BY ms, ref`, (cols, rows) => {
      const [ref, id, ms] = cols as [DuckDBValue[], DuckDBValue[], DuckDBValue[]];
      for (let r = 0; r < rows; r++) {
        read.ref.push(Number(ref[r]));
        read.id.push(Number(id[r]));
        read.ms.push(Number(ms[r]));
        read.key.push(groups.of(cols, 3, r));
      }
    });
    ev = { id: read.id.view(), ref: read.ref.view(), ms: read.ms.view(), key: read.key.view() };
  };

  // Window ends that meet the condition, merged per group as they come (in
  // time order): overlapping windows of one group are one hit.
  const byKey = new Map<number, { start: number; end: number; n: number }[]>();
  const trigger = (key: number, start: number, end: number, n: number): void => {
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    const last = list[list.length - 1];
    if (last && start <= last.end) {
      last.end = Math.max(last.end, end);
      last.n = Math.max(last.n, n);
    } else list.push({ start, end, n });
  };
  try {
    if (s.type === 'temporal_ordered') {
      // Ordered chains are found in JS, over the events of the groups that
      // have every referenced rule (a chain needs all of them): reading every
      // event was 3.3M accepted logins of a generated auth log, with no brute force to follow.
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${TRIG} AS SELECT ${gcols.join(', ') || '1 AS one'} FROM ${EV} ${gcols.length ? `GROUP BY ${gcols.join(', ')} ` : ''}HAVING count(DISTINCT ref) >= $n`,
        { n: corr.refs.length },
      );
      await readEvents(` WHERE EXISTS (SELECT 1 FROM ${TRIG} t WHERE ${groupMatch})`);
      orderedTriggers(ev, corr.refs.length, span * 1000, s.condition, trigger);
    } else {
      let agg: string;
      let cond: CountCondition;
      if (s.type === 'event_count') {
        agg = 'count(*)';
        cond = s.condition as CountCondition;
      } else if (s.type === 'value_count') {
        agg = 'count(DISTINCT val)';
        cond = s.condition as CountCondition;
      } else {
        agg = 'count(DISTINCT ref)';
        cond = s.condition ?? { gte: corr.refs.length };
      }
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${TRIG} AS SELECT * FROM (SELECT epoch_ms(ts) AS ms, epoch_ms(min(ts) OVER w) AS start, ${agg} OVER w AS n${gcols.map((g) => `, ${g}`).join('')}
         FROM ${EV} WINDOW w AS ${win}) WHERE ${condSql(cond, 'n')}`,
      );
      await forEachChunk(conn, `SELECT * FROM ${TRIG} ORDER BY ms`, (cols, rows) => {
        const [ms, start, n] = cols as [DuckDBValue[], DuckDBValue[], DuckDBValue[]];
        for (let r = 0; r < rows; r++) trigger(groups.of(cols, 3, r), Number(start[r]), Number(ms[r]), Number(n[r]));
      });
      // Only the events of groups that met the condition: most groups of a busy log never do.
      if (byKey.size > 0) await readEvents(` WHERE EXISTS (SELECT 1 FROM ${TRIG} t WHERE ${groupMatch})`);
    }
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${EV}; DROP TABLE IF EXISTS ${TRIG}`);
  }
  if (byKey.size === 0) return [];

  // Events per group in time order (the query sorted them), so each window's
  // events are one contiguous run found by binary search: filtering every event
  // per window was quadratic (7.6 s for 2,810 windows over 1M auth.log lines).
  // Event indices grouped by key (a counting sort, so each group keeps time order).
  const nKeys = groups.size;
  const start = new Int32Array(nKeys + 1);
  for (let i = 0; i < ev.key.length; i++) {
    const at = (ev.key[i] as number) + 1;
    start[at] = (start[at] as number) + 1;
  }
  for (let k = 0; k < nKeys; k++) start[k + 1] = (start[k + 1] as number) + (start[k] as number);
  const order = new Int32Array(ev.key.length);
  const fill = start.slice(0, nKeys);
  for (let i = 0; i < ev.key.length; i++) {
    const k = ev.key[i] as number;
    order[fill[k] as number] = i;
    fill[k] = (fill[k] as number) + 1;
  }
  const hits: CorrelationHit[] = [];
  for (const [key, windows] of byKey) {
    const groupVals = groups.values(key);
    const mine = order.subarray(start[key] as number, start[key + 1] as number);
    for (const w of windows) {
      const ids: number[] = [];
      for (let j = firstAtOrAfter(mine, ev.ms, w.start); j < mine.length; j++) {
        const i = mine[j] as number;
        if ((ev.ms[i] as number) > w.end) break;
        const id = ev.id[i] as number;
        if (id < 0) for (const x of pseudo.get(id) ?? []) ids.push(x);
        else ids.push(id);
      }
      const group: Record<string, string | null> = {};
      groupBy.forEach((f, gi) => {
        group[f] = groupVals[gi] ?? null;
      });
      hits.push({ ruleId: corr.record.id, type: s.type, group, firstTs: w.start, lastTs: w.end, count: w.n, eventIds: sortedUnique(ids) });
    }
  }
  void ruleSet;
  return hits;
}

/** Group-by values interned as numbers (the same values, the same number). */
class GroupKeys {
  private readonly index = new Map<string, number>();
  private readonly list: (string | null)[][] = [];

  constructor(private readonly width: number) {}

  /** The number of row `r`'s group, whose values are columns `from` .. `from + width - 1`. */
  of(cols: readonly DuckDBValue[][], from: number, r: number): number {
    const vals: (string | null)[] = [];
    for (let g = 0; g < this.width; g++) {
      const v = (cols[from + g] as DuckDBValue[])[r];
      vals.push(v === null || v === undefined ? null : String(v));
    }
    const text = JSON.stringify(vals);
    let k = this.index.get(text);
    if (k === undefined) {
      k = this.list.length;
      this.index.set(text, k);
      this.list.push(vals);
    }
    return k;
  }

  values(k: number): (string | null)[] {
    return this.list[k] ?? [];
  }

  /** How many groups were seen. */
  get size(): number {
    return this.list.length;
  }
}

/** Ascending, each once (an event two referenced rules matched is read twice). */
function sortedUnique(ids: number[]): number[] {
  ids.sort((a, b) => a - b);
  let n = 0;
  for (let i = 0; i < ids.length; i++) if (i === 0 || ids[i] !== ids[n - 1]) ids[n++] = ids[i] as number;
  ids.length = n;
  return ids;
}

/** Position in `list` (event indices in time order) of the first event at or after `at` ms. */
function firstAtOrAfter(list: ArrayLike<number>, ms: ArrayLike<number>, at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ms[list[mid] as number] as number) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * temporal_ordered: per group, the latest possible start of a chain
 * refs[0] -> ... -> refs[k] ending at or before each event. The latest start
 * is the best one (it leaves the most room in the span), so one pass in time
 * order finds every event that completes a chain within the span.
 */
function orderedTriggers(
  ev: { ref: ArrayLike<number>; ms: ArrayLike<number>; key: ArrayLike<number> },
  nRefs: number,
  spanMs: number,
  cond: CountCondition | undefined,
  trigger: (key: number, start: number, end: number, n: number) => void,
): void {
  const starts = new Map<number, (number | undefined)[]>();
  for (let i = 0; i < ev.ref.length; i++) {
    const key = ev.key[i] as number;
    const ref = ev.ref[i] as number;
    const ms = ev.ms[i] as number;
    let s = starts.get(key);
    if (!s) {
      s = Array<number | undefined>(nRefs).fill(undefined);
      starts.set(key, s);
    }
    let start: number | undefined;
    if (ref === 0) start = ms;
    else {
      const prev = s[ref - 1];
      if (prev !== undefined && ms - prev <= spanMs) start = prev;
    }
    if (start === undefined) continue;
    const cur = s[ref];
    if (cur === undefined || start > cur) s[ref] = start;
    if (ref === nRefs - 1 && (!cond || condHolds(cond, nRefs))) trigger(key, start, ms, nRefs);
  }
}
