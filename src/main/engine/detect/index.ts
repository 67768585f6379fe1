/**
 * The Sigma engine: load rules (folders, files, zips) with a status each,
 * compile them to DuckDB SQL bound to a case's sources, run them grouped by
 * logsource, and evaluate correlation rules on top.
 *
 * Proposed alerts schema for the lead (not created here):
 *   rules(id VARCHAR PRIMARY KEY, title, path, status, reason, level, kind, tags VARCHAR[], targets VARCHAR[])
 *   alerts(id BIGINT, rule_id VARCHAR, kind VARCHAR ('rule' | 'correlation'), level VARCHAR,
 *          first_ts TIMESTAMP, last_ts TIMESTAMP, event_count INTEGER, group_json VARCHAR,
 *          run_id INTEGER, status VARCHAR ('new' | 'ack' | 'false-positive' ...), created_at TIMESTAMP)
 *   alert_events(alert_id BIGINT, event_id BIGINT)
 * Base-rule hits become one alert per (rule, host, hour) or per event as the
 * triage view prefers; rules with `correlationOnly` feed correlations only.
 */
export { loadRules, parseRuleText, buildRuleSet, type RuleSet, type CompiledDetection, type CompiledCorrelation } from './rule-loader';
export { runRules, ensureDetectTables, type RunOptions, type RunResult, type RuleHits, type RuleFailure, type GroupTiming, type RuleTiming } from './runner';
export { planRun, type Plan, type PlanGroup, type NotApplicable } from './planner';
export { readCatalog, type Catalog, type SourceInfo, type ColumnInfo } from './catalog';
export type { CorrelationHit } from './correlation';
export { resolveLogsource, WINDOWS_SERVICES, WINDOWS_CATEGORIES, WEB_ACCESS_FIELDS, type LogsourceVariant } from './logsource-map';
export type { RuleRecord, RuleStatus, RuleCounts, LoadOptions, Placeholders, SigmaLogsource, RuleOrigin } from './types';
export { explainRule, type RuleExplanation, type ExplainedStatement, type ExplainParam } from './explain';
export { isLoupeField, loupeColumn, LOUPE_PREFIX } from './loupe-fields';
