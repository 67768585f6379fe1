import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { quoteIdent, readCatalog, squash, type Catalog, type ColumnInfo, type SourceInfo } from './catalog';
import { planRun, type NotApplicable } from './planner';
import type { CompiledDetection, RuleSet } from './rule-loader';
import { rowFilter } from './runner';
import { bindExpr, GroupSql, WorkingColumns } from './sql-compiler';

/**
 * What a rule compiles to, for the Rules view's detail pane: per logsource
 * variant and per field table of the case, the statement the runner would
 * execute for this rule alone (the working-table fill as a subquery, then
 * the rule's predicate), with its bound parameters listed apart. A case
 * without a matching source still gets the SQL, compiled against a
 * stand-in table whose columns are named as the rule names its fields.
 */

export type ExplainParam = string | number | boolean | null;

export interface ExplainedStatement {
  target: string;
  sources: string[];
  sql: string;
  params: Record<string, ExplainParam>;
}

export interface RuleExplanation {
  statements: ExplainedStatement[];
  notApplicable: NotApplicable[];
}

function jsonParam(v: DuckDBValue): ExplainParam {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  return String(v);
}

const DUMMY: ColumnInfo = { name: '', type: 'VARCHAR', kind: 'string' };

/** Only this detection (its record kept), so planning binds it alone. */
function single(ruleSet: RuleSet, det: CompiledDetection): RuleSet {
  return { ...ruleSet, detections: [det], correlations: [] };
}

/** A stand-in source carrying every field the rule tests, as a column of that name, for each of its variants. */
function standIn(det: CompiledDetection, id: number): SourceInfo {
  const columns: ColumnInfo[] = [];
  const seen = new Set<string>();
  const add = (name: string): void => {
    if (seen.has(name.toLowerCase())) return;
    seen.add(name.toLowerCase());
    columns.push({ name, type: 'VARCHAR', kind: 'string' });
  };
  for (const f of det.fields) {
    if (f.toLowerCase().startsWith('loupe.')) continue;
    const renamed = det.variants.map((v) => v.fields?.[f]?.[0]).find((x) => x !== undefined);
    add(renamed ?? f);
  }
  const windows = new Map<string, Map<number | null, number>>();
  const datasets = new Map<string, number>();
  for (const v of det.variants) {
    for (const ch of v.channels ?? []) {
      const m = windows.get(ch.toLowerCase()) ?? new Map<number | null, number>();
      for (const e of v.eventIds ?? [null]) m.set(e, 1);
      windows.set(ch.toLowerCase(), m);
    }
    for (const d of v.datasets ?? []) datasets.set(d, 1);
  }
  if (det.variants.some((v) => v.channels !== undefined)) add('Channel');
  if (det.variants.some((v) => v.eventIds !== undefined)) add('EventID');
  const events = Math.max(1, windows.size + datasets.size);
  const info: SourceInfo = {
    id,
    table: '<field table>',
    format: null,
    columns,
    byName: new Map(columns.map((c) => [c.name, c])),
    byLower: new Map(columns.map((c) => [c.name.toLowerCase(), c])),
    bySquashed: new Map(columns.map((c) => [squash(c.name), c])),
    datasets,
    events,
    newEvents: events,
    intel: true,
  };
  if (windows.size > 0) info.windows = windows;
  return info;
}

function explainPlanned(catalog: Catalog, ruleSet: RuleSet, det: CompiledDetection, standInUsed: boolean): RuleExplanation {
  const plan = planRun(catalog, single(ruleSet, det));
  const statements: ExplainedStatement[] = [];
  for (const g of plan.groups) {
    for (const m of g.members) {
      const work = new WorkingColumns([{ source: m.source, variant: g.variant }]);
      const expr = bindExpr(det.expr, (f) => (work.has(f) ? DUMMY : null), { available: true }, new Set());
      const sql = new GroupSql(work);
      const pred = sql.predicate(expr);
      const params: Record<string, DuckDBValue> = { ...sql.params };
      const { join, where } = rowFilter(g, m, catalog, params, work.needs().intel);
      const proj = [`${Math.trunc(m.source.id)} AS sid`, 's.rid AS rid', ...work.projection(m.source.id, 's', m.joinEvents ? 'e' : null)];
      const table = standInUsed ? m.source.table : quoteIdent(m.source.table);
      const text = [
        'WITH work AS (',
        `  SELECT ${proj.join(', ')}`,
        `  FROM ${table} s${join}${where.length ? `\n  WHERE ${where.join(' AND ')}` : ''}`,
        ')',
        `SELECT sid, rid FROM work WHERE ${pred}`,
      ].join('\n');
      statements.push({
        target: standInUsed ? `${g.variant.label} (no source of this case has these events: compiled against columns named as in the rule)` : g.variant.label,
        sources: standInUsed ? [] : [m.source.table],
        sql: text,
        params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, jsonParam(v)])),
      });
    }
  }
  return { statements, notApplicable: standInUsed ? [] : plan.notApplicable };
}

/** The statements `ruleId` runs as on this case; for a correlation, those of the detections it references. */
export async function explainRule(conn: DuckDBConnection, ruleSet: RuleSet, ruleId: string): Promise<RuleExplanation> {
  const corr = ruleSet.correlations.find((c) => c.record.id === ruleId);
  const ids = corr ? collectDetections(ruleSet, ruleId) : [ruleId];
  const catalog = await readCatalog(conn);
  const out: RuleExplanation = { statements: [], notApplicable: [] };
  for (const id of ids) {
    const det = ruleSet.detections.find((d) => d.record.id === id);
    if (!det) continue;
    let part = explainPlanned(catalog, ruleSet, det, false);
    out.notApplicable.push(...part.notApplicable);
    if (part.statements.length === 0) part = explainPlanned({ sources: [standIn(det, 1)], intel: true }, ruleSet, det, true);
    for (const st of part.statements) out.statements.push(corr ? { ...st, target: `${det.record.title || det.record.id}: ${st.target}` } : st);
  }
  return out;
}

/** Detections a correlation needs, through chains of correlations (bounded by the number of correlations). */
function collectDetections(ruleSet: RuleSet, ruleId: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string, depth: number): void => {
    if (seen.has(id) || depth > ruleSet.correlations.length + 1) return;
    seen.add(id);
    const c = ruleSet.correlations.find((x) => x.record.id === id);
    if (!c) {
      out.push(id);
      return;
    }
    for (const r of c.refs) visit(r.id, depth + 1);
  };
  visit(ruleId, 0);
  return out;
}
