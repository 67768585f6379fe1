import { z } from 'zod';
import { Severity } from './events';

/**
 * The detections part of the contract (issue 6): alerts, triage,
 * suppressions, rule runs, rules and rule packs. Spread into `operations`
 * and `pushEvents` of contract.ts; the Alerts and Rules views call these.
 */

export const ALERT_STATUSES = ['new', 'acknowledged', 'false-positive', 'escalated'] as const;
export const AlertStatus = z.enum(ALERT_STATUSES);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const RULE_STATUSES = ['active', 'unsupported', 'error'] as const;
export const RuleStatus = z.enum(RULE_STATUSES);
export type RuleStatus = z.infer<typeof RuleStatus>;

export const LevelCounts = z.object({
  informational: z.number().int(),
  low: z.number().int(),
  medium: z.number().int(),
  high: z.number().int(),
  critical: z.number().int(),
});
export type LevelCounts = z.infer<typeof LevelCounts>;

export const RuleCounts = z.object({ active: z.number().int(), unsupported: z.number().int(), error: z.number().int() });
export type RuleCounts = z.infer<typeof RuleCounts>;

/** One alert: the hits of one rule on one host, or one correlation group. */
export const AlertSummary = z.object({
  id: z.number().int(),
  ruleId: z.string(),
  kind: z.enum(['rule', 'correlation']),
  title: z.string(),
  level: Severity.nullable(),
  tags: z.array(z.string()),
  /** ATT&CK technique ids from the tags, upper case (`T1110.001`). */
  attack: z.array(z.string()),
  /** `host:<name>` for a detection rule, the group-by values as JSON for a correlation. */
  groupKey: z.string(),
  /** A correlation's group-by field -> value. */
  group: z.record(z.string(), z.string().nullable()).nullable(),
  host: z.string().nullable(),
  /** Event times (UTC ISO) of the first and last matching event. */
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  /** Matching events linked to the alert. */
  count: z.number().int(),
  /** Correlations: the largest figure the condition tested (events, distinct values) in one window. */
  peak: z.number().nullable(),
  status: AlertStatus,
  note: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AlertSummary = z.infer<typeof AlertSummary>;

/** Alerts of one rule, for the grouped list. */
export const AlertRuleGroup = z.object({
  ruleId: z.string(),
  title: z.string(),
  level: Severity.nullable(),
  alerts: z.number().int(),
  count: z.number().int(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  statuses: z.record(z.string(), z.number().int()),
});
export type AlertRuleGroup = z.infer<typeof AlertRuleGroup>;

export const Suppression = z.object({
  id: z.number().int(),
  /** The rule it applies to; null for every rule (value suppressions only). */
  ruleId: z.string().nullable(),
  /** With value: events whose field equals value (case-insensitive) are not alerted on. Null: the whole rule. */
  field: z.string().nullable(),
  value: z.string().nullable(),
  note: z.string().nullable(),
  createdAt: z.string(),
});
export type Suppression = z.infer<typeof Suppression>;

export const RulePack = z.object({
  /** 0 is the built-in pack. */
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(['builtin', 'folder', 'zip']),
  /** Where it was imported from (the built-in pack: where it is installed). */
  origin: z.string(),
  files: z.number().int(),
  rules: z.number().int(),
  counts: RuleCounts,
  importedAt: z.string().nullable(),
});
export type RulePack = z.infer<typeof RulePack>;

export const RuleSummary = z.object({
  id: z.string(),
  title: z.string(),
  packId: z.number().int(),
  /** Path inside its pack (`archive.zip!member` inside zips), with a line for errors. */
  path: z.string(),
  line: z.number().int().nullable(),
  status: RuleStatus,
  reason: z.string(),
  kind: z.enum(['detection', 'correlation', 'filter']),
  level: Severity.nullable(),
  tags: z.array(z.string()),
  /** How its logsource is served here ("Sysmon 1", "Security 4688", "dataset zeek.conn"). */
  targets: z.array(z.string()),
  enabled: z.boolean(),
  correlationOnly: z.boolean(),
  suppressed: z.boolean(),
  alerts: z.number().int(),
});
export type RuleSummary = z.infer<typeof RuleSummary>;

/** One statement a rule compiles to for one logsource variant of this case. */
export const RuleSql = z.object({
  target: z.string(),
  /** The field tables it reads; empty when the case has none (then compiled against columns named as in the rule). */
  sources: z.array(z.string()),
  sql: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type RuleSql = z.infer<typeof RuleSql>;

export const RuleDetail = RuleSummary.extend({
  description: z.string().nullable(),
  author: z.string().nullable(),
  sigmaStatus: z.string().nullable(),
  logsource: z.record(z.string(), z.string()).nullable(),
  references: z.array(z.string()),
  falsepositives: z.array(z.string()),
  /** The rule's YAML document as written; null when its file can no longer be read. */
  yaml: z.string().nullable(),
  sql: z.array(RuleSql),
  /** Sources of this case the rule cannot run on, and why (fields they lack). */
  notApplicable: z.array(z.object({ source: z.string(), target: z.string(), reason: z.string() })),
});
export type RuleDetail = z.infer<typeof RuleDetail>;

export const RunFailure = z.object({ ruleId: z.string(), target: z.string(), reason: z.string() });

export const RunSummary = z.object({
  runId: z.number().int(),
  trigger: z.enum(['import', 'manual']),
  scope: z.enum(['new', 'all', 'rule']),
  ruleId: z.string().nullable(),
  /** Events examined: id > afterEvent (null: from the first) and <= throughEvent. */
  afterEvent: z.number().nullable(),
  throughEvent: z.number().nullable(),
  rules: z.number().int(),
  /** Event links found (before suppression). */
  hits: z.number().int(),
  suppressed: z.number().int(),
  alertsNew: z.number().int(),
  alertsUpdated: z.number().int(),
  failures: z.array(RunFailure),
  ms: z.number(),
  status: z.enum(['done', 'failed', 'cancelled']),
  message: z.string().nullable(),
  /** Alerts of the case by level after the run. */
  counts: LevelCounts,
});
export type RunSummary = z.infer<typeof RunSummary>;

export const AlertEventRow = z.object({
  id: z.number(),
  ts: z.string().nullable(),
  dataset: z.string(),
  host: z.string().nullable(),
  message: z.string().nullable(),
});

const Page = { offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(100) };
const RuleId = z.string().min(1).max(500);
const Text = z.string().max(500);

export const alertOperations = {
  /** Alerts of the open case, filtered, sorted and paged; optionally grouped by rule. */
  listAlerts: {
    input: z
      .object({
        levels: z.array(Severity).max(5).optional(),
        statuses: z.array(AlertStatus).max(4).optional(),
        ruleIds: z.array(RuleId).max(1000).optional(),
        host: Text.optional(),
        /** Case-insensitive substring of the title, rule id or group key. */
        text: Text.optional(),
        groupBy: z.enum(['none', 'rule']).default('none'),
        sort: z.enum(['level', 'lastSeen', 'firstSeen', 'count']).default('level'),
        ...Page,
      })
      .strict(),
    output: z.object({
      total: z.number().int(),
      alerts: z.array(AlertSummary),
      /** With groupBy 'rule': one entry per rule (paged instead of alerts; alerts is then empty). */
      groups: z.array(AlertRuleGroup),
      counts: z.object({ byLevel: LevelCounts, byStatus: z.record(z.string(), z.number().int()) }),
    }),
  },
  /** One alert, its rule, and a page of its matching events. */
  getAlert: {
    input: z.object({ id: z.number().int(), ...Page }).strict(),
    output: z.object({
      alert: AlertSummary,
      rule: RuleDetail.nullable(),
      events: z.object({ total: z.number().int(), offset: z.number().int(), items: z.array(AlertEventRow) }),
    }),
  },
  /** Set the status and/or the note of one or many alerts. */
  triageAlerts: {
    input: z
      .object({ ids: z.array(z.number().int()).min(1).max(100_000), status: AlertStatus.optional(), note: z.string().max(20_000).nullable().optional() })
      .strict()
      .refine((v) => v.status !== undefined || v.note !== undefined, { message: 'give a status, a note, or both' }),
    output: z.object({ updated: z.number().int() }),
  },
  /** Stop alerting on a rule, or on a field value (for one rule or all). retroactive removes existing matching links. */
  addSuppression: {
    input: z
      .object({
        ruleId: RuleId.optional(),
        field: z.string().min(1).max(200).optional(),
        value: z.string().max(2000).optional(),
        note: z.string().max(2000).optional(),
        retroactive: z.boolean().default(true),
      })
      .strict()
      .refine((v) => (v.field === undefined) === (v.value === undefined), { message: 'field and value go together' })
      .refine((v) => v.ruleId !== undefined || v.field !== undefined, { message: 'give a rule id, a field and value, or both' }),
    output: z.object({ suppression: Suppression, removedLinks: z.number().int(), removedAlerts: z.number().int() }),
  },
  removeSuppression: { input: z.object({ id: z.number().int() }).strict(), output: z.object({ removed: z.boolean() }) },
  listSuppressions: { input: z.object({}).strict(), output: z.object({ suppressions: z.array(Suppression) }) },
  /** Run the case's enabled rules now: over every event (scope all) or the events no run has seen (new); or one rule over all. */
  runRules: {
    input: z.object({ ruleId: RuleId.optional(), scope: z.enum(['all', 'new']).default('all') }).strict(),
    output: RunSummary,
  },
  cancelRuleRun: { input: z.object({}).strict(), output: z.object({ cancelled: z.boolean() }) },
  /** Where detection stands: watermark, last run, alert counts, rule counts. */
  getDetectionStatus: {
    input: z.object({}).strict(),
    output: z.object({
      watermark: z.number().nullable(),
      lastEventId: z.number().nullable(),
      running: z.boolean(),
      lastRun: RunSummary.nullable(),
      alerts: z.number().int(),
      counts: LevelCounts,
      rules: RuleCounts,
      builtinPack: z.string().nullable(),
    }),
  },
  listRules: {
    input: z
      .object({
        statuses: z.array(RuleStatus).max(3).optional(),
        enabled: z.boolean().optional(),
        packId: z.number().int().optional(),
        levels: z.array(Severity).max(5).optional(),
        /** Case-insensitive substring of the id, title, path or reason. */
        text: Text.optional(),
        ...Page,
      })
      .strict(),
    output: z.object({
      total: z.number().int(),
      rules: z.array(RuleSummary),
      counts: RuleCounts.extend({ enabled: z.number().int(), disabled: z.number().int() }),
      /** The most frequent reasons rules are unsupported or in error. */
      reasons: z.array(z.object({ status: RuleStatus, reason: z.string(), count: z.number().int() })),
    }),
  },
  /** A rule's YAML, compiled SQL per logsource variant of this case, and why it cannot run where it cannot. */
  getRule: { input: z.object({ id: RuleId }).strict(), output: RuleDetail },
  setRulesEnabled: {
    input: z.object({ ids: z.array(RuleId).min(1).max(100_000), enabled: z.boolean() }).strict(),
    output: z.object({ changed: z.number().int() }),
  },
  /** Copy a rule folder or zip into the case and load it with the others. */
  importRules: {
    input: z.object({ path: z.string().min(1).max(4096) }).strict(),
    output: z.object({ pack: RulePack, counts: RuleCounts }),
  },
  listRulePacks: { input: z.object({}).strict(), output: z.object({ packs: z.array(RulePack) }) },
  removeRulePack: { input: z.object({ id: z.number().int().min(1) }).strict(), output: z.object({ removed: z.boolean() }) },
} as const;

export const alertPushEvents = {
  /** After every rule run (automatic after an import, or asked for): alert counts of the case by level. */
  alertsUpdated: z.object({
    runId: z.number().int(),
    trigger: z.enum(['import', 'manual']),
    total: z.number().int(),
    counts: LevelCounts,
    alertsNew: z.number().int(),
    alertsUpdated: z.number().int(),
  }),
} as const;
