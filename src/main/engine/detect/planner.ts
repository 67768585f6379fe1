import type { Catalog, SourceInfo } from './catalog';
import { fieldsOf, hasKeywords, type Expr } from './ir';
import type { LogsourceVariant } from './logsource-map';
import { isLoupeField } from './loupe-fields';
import type { CompiledDetection, RuleSet } from './rule-loader';
import { bindExpr, resolveColumn } from './sql-compiler';

/**
 * Which rules run where. A group is one logsource variant (Sysmon 1,
 * Security 4688, dataset zeek.conn ...): the rows every source holds of it
 * are gathered into one working table (one scan per source), and the
 * group's rules are evaluated over that table together.
 *
 * Binding per source decides applicability: a rule whose expression folds
 * to FALSE once the source's absent fields are taken out cannot match
 * there, and is reported (not run) for that source.
 */

export interface PlannedRule {
  /** Index into RuleSet.detections. */
  index: number;
  det: CompiledDetection;
  /** Sources of the group the rule applies to. */
  sources: number[];
}

export interface PlanMember {
  source: SourceInfo;
  /** Rows of the source this variant selects, from the census (an upper bound when event codes filter further). */
  rows: number;
  /** Whether building the rows must join events (dataset/event_code filter, keywords, watermark). */
  joinEvents: boolean;
  /** Whether the Windows Channel/EventID filter can be skipped (every row qualifies). */
  allRows: boolean;
  /** Whether every one of the source's events is of the variant's datasets. */
  allDatasets: boolean;
  /** Each applicable rule bound to this source (absent fields folded away): the per-rule mode runs these. */
  bound: Map<number, Expr>;
}

export interface PlanGroup {
  /** Position in Plan.groups; stored with each hit so correlation can re-resolve fields. */
  index: number;
  variant: LogsourceVariant;
  members: PlanMember[];
  rules: PlannedRule[];
  rows: number;
}

export interface NotApplicable {
  ruleId: string;
  sourceId: number;
  target: string;
  reason: string;
}

export interface Plan {
  groups: PlanGroup[];
  notApplicable: NotApplicable[];
}

function variantKey(v: LogsourceVariant): string {
  return JSON.stringify([v.channels ?? null, v.eventIds ?? null, v.datasets ?? null, v.eventCodes ?? null, v.fields ?? null, v.byFields ?? false, v.allEvents ?? false]);
}

/** Rows of a Windows source the variant selects (0: the source has none of these events). */
function windowsRows(source: SourceInfo, v: LogsourceVariant): { rows: number; all: boolean } {
  const census = source.windows;
  if (!census) return { rows: 0, all: false };
  const channels = (v.channels ?? []).map((c) => c.toLowerCase());
  let rows = 0;
  let total = 0;
  for (const [ch, ids] of census) {
    for (const [id, n] of ids) {
      total += n;
      if (channels.length > 0 && !channels.includes(ch)) continue;
      if (v.eventIds && (id === null || !v.eventIds.includes(id))) continue;
      rows += n;
    }
  }
  return { rows, all: rows === total };
}

function datasetRows(source: SourceInfo, v: LogsourceVariant): { rows: number; all: boolean } {
  const ds = v.datasets ?? [];
  let rows = 0;
  for (const [d, n] of source.datasets) if (ds.includes(d)) rows += n;
  return { rows, all: rows === source.events };
}

export function planRun(catalog: Catalog, rules: RuleSet): Plan {
  const groups = new Map<string, PlanGroup>();
  const ruleInGroup = new Map<string, PlannedRule>();
  const notApplicable: NotApplicable[] = [];
  for (const source of catalog.sources) {
    if (source.newEvents === 0) continue;
    const partial = source.newEvents < source.events;
    const members = new Map<string, PlanMember>();
    rules.detections.forEach((det, index) => {
      for (const variant of det.variants) {
        const isWindows = variant.channels !== undefined;
        let coverage: { rows: number; all: boolean };
        if (variant.allEvents) coverage = { rows: source.events, all: true };
        else if (isWindows) coverage = windowsRows(source, variant);
        else if (source.windows && variant.byFields) coverage = { rows: 0, all: false };
        else coverage = datasetRows(source, variant);
        if (coverage.rows === 0) continue;
        const resolve = (f: string): ReturnType<typeof resolveColumn> => resolveColumn(f, variant, source);
        if (variant.byFields) {
          const absent = det.fields.filter((f) => resolve(f) === null);
          if (absent.length > 0) {
            if (absent.length < det.fields.length) notApplicable.push({ ruleId: det.record.id, sourceId: source.id, target: variant.label, reason: `source lacks ${absent.join(', ')}` });
            continue;
          }
        }
        const missing = new Set<string>();
        const bound = bindExpr(det.expr, resolve, { available: true }, missing);
        if (bound.t === 'const' && !bound.v) {
          notApplicable.push({ ruleId: det.record.id, sourceId: source.id, target: variant.label, reason: `source lacks ${[...missing].join(', ') || 'the fields the rule needs'}` });
          continue;
        }
        const vkey = variantKey(variant);
        let g = groups.get(vkey);
        if (!g) {
          g = { index: groups.size, variant, members: [], rules: [], rows: 0 };
          groups.set(vkey, g);
        }
        let m = members.get(vkey);
        if (!m) {
          const needsDatasetFilter = !isWindows && (!coverage.all || (variant.eventCodes?.length ?? 0) > 0);
          m = { source, rows: coverage.rows, joinEvents: needsDatasetFilter || partial, allRows: isWindows && coverage.all, allDatasets: !isWindows && coverage.all, bound: new Map() };
          members.set(vkey, m);
          g.members.push(m);
          g.rows += coverage.rows;
        }
        // Keywords read events.message/raw, Loupe's own fields events and the IP enrichment.
        if (hasKeywords(bound) || [...fieldsOf(bound)].some(isLoupeField)) m.joinEvents = true;
        m.bound.set(index, bound);
        const rkey = `${vkey}|${index}`;
        let pr = ruleInGroup.get(rkey);
        if (!pr) {
          pr = { index, det, sources: [] };
          ruleInGroup.set(rkey, pr);
          g.rules.push(pr);
        }
        pr.sources.push(source.id);
      }
    });
  }
  return { groups: [...groups.values()], notApplicable };
}
