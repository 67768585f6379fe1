/**
 * Detections of a case (issue 6): the rule set of the case (built-in pack +
 * imported packs), rule runs after each import and on demand, alerts with
 * triage and suppressions, and the `loupe hunt` summary. The Sigma engine
 * itself is ../detect; docs/sigma.md describes both.
 */
export { AlertService, ruleSubset, type AlertServiceOptions, type RunRequest, type RunTrigger } from './alert-service';
export { mergeHits, pruneAlerts, recomputeAlerts, groupKey, type MergeInput, type MergeResult } from './alert-merge';
export { attackIds } from './alert-queries';
export { builtinRulesDir, builtinRulesCandidates, PACK_MARKER } from './builtin-pack';
export { loadCaseRules, persistRules, readRuleText, BUILTIN_PACK_ID, type CaseRules } from './case-rules';
export { importPack, removePack, listPacks, type StoredPack } from './rule-packs';
export { huntCase, huntWithRules, type HuntResult, type HuntRow } from './hunt';
export { createAlertTables } from './alerts-schema';
