/**
 * The Sigma engine: load rules (folders, files, zips) with a status each,
 * compile them to DuckDB SQL bound to a case's sources, run them grouped by
 * logsource, and evaluate correlation rules on top.
 *
 * Alerts, rule packs, triage and the post-import runs are built on this in
 * ../alerts (docs/sigma.md, "Alerts in a case").
 */
export { loadRules, parseRuleText, buildRuleSet, type RuleSet, type CompiledDetection, type CompiledCorrelation } from './rule-loader';
export { runRules, ensureDetectTables, type RunOptions, type RunResult, type RuleHits, type RuleFailure, type GroupTiming, type RuleTiming } from './runner';
export { planRun, type Plan, type PlanGroup, type NotApplicable } from './planner';
export { readCatalog, type Catalog, type SourceInfo, type ColumnInfo } from './catalog';
export type { CorrelationHit } from './correlation';
export { timespanSeconds } from './correlation';
export { resolveLogsource, WINDOWS_SERVICES, WINDOWS_CATEGORIES, WEB_ACCESS_FIELDS, type LogsourceVariant } from './logsource-map';
export type { RuleRecord, RuleStatus, RuleCounts, LoadOptions, Placeholders, SigmaLogsource, RuleOrigin } from './types';
export { explainRule, type RuleExplanation, type ExplainedStatement, type ExplainParam } from './explain';
export { isLoupeField, loupeColumn, LOUPE_PREFIX } from './loupe-fields';
