import { z } from 'zod';
import { Severity } from './events';
import { Histogram } from './query-contract';

/**
 * The analyst's overview (issue 8): dashboard panels, entity pages and the
 * intel settings. Spread into the contract's operation table (contract.ts).
 */

// ------------------------------------------------------------------ dashboard

/** Every dashboard panel, in the order the view lays them out. */
export const PANEL_IDS = [
  'summary',
  'eventsOverTime',
  'alertsOverTime',
  'severity',
  'alertTypes',
  'topSrcIps',
  'topDstIps',
  'malicious',
  'countries',
  'logonsByUser',
  'logonsBySrcIp',
  'topHosts',
  'topProcesses',
  'topUsers',
  'webStatus',
  'topUrls',
] as const;
export const PanelId = z.enum(PANEL_IDS);
export type PanelId = z.infer<typeof PanelId>;

export const ValueCount = z.object({ value: z.string(), count: z.number() });
export type ValueCount = z.infer<typeof ValueCount>;

/** What the intel knows about an IP, as the panels and entity pages show it. */
export const IpFacts = z.object({
  scope: z.string(),
  /** ISO 3166-1 alpha-2, upper case. */
  country: z.string().nullable(),
  city: z.string().nullable(),
  asn: z.number().nullable(),
  asOrg: z.string().nullable(),
  /** Number of IPsum lists; null with no IPsum list loaded. */
  ipsum: z.number().nullable(),
  malicious: z.boolean(),
  iocLists: z.array(z.string()),
});
export type IpFacts = z.infer<typeof IpFacts>;

export const IpCount = IpFacts.extend({ ip: z.string(), count: z.number() });
export type IpCount = z.infer<typeof IpCount>;

/** Actions that are an attempt to log on, with a success or failure outcome (the logon panels count these). */
export const LOGON_ACTIONS = ['logon', 'logon-failed', 'ssh-login', 'ssh-login-failed', 'ssh-invalid-user', 'ssh-max-auth-exceeded', 'login', 'auth-failure', 'kerberos-preauth-failed'] as const;

export const DashboardSummary = z.object({
  events: z.number(),
  noTime: z.number(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  datasets: z.array(ValueCount),
  hosts: z.number(),
  users: z.number(),
  ips: z.number(),
  /** Alerts of the case by level (whole case, not filtered); null when detection has never run. */
  alerts: z.object({ total: z.number(), byLevel: z.record(z.string(), z.number()) }).nullable(),
  /** Malicious IPs seen in the case; null when IP intel has not been computed. */
  maliciousIps: z.number().nullable(),
  /** Which panels the case has data for (the whole case, so panels do not vanish under a filter). */
  available: z.array(PanelId),
});
export type DashboardSummary = z.infer<typeof DashboardSummary>;

export const AlertsOverTime = z.object({
  bucketMs: z.number(),
  interval: z.string(),
  buckets: z.array(z.string()),
  /** One series per level that has alerts, highest first: alerting events per bucket. */
  series: z.array(z.object({ level: z.string(), counts: z.array(z.number()) })),
  total: z.number(),
});
export type AlertsOverTime = z.infer<typeof AlertsOverTime>;

export const AlertType = z.object({
  name: z.string(),
  source: z.enum(['sigma', 'ids']),
  /** Sigma: the rule id (drill-down: rule:<id>). */
  ruleId: z.string().nullable(),
  level: Severity.nullable(),
  count: z.number(),
});
export type AlertType = z.infer<typeof AlertType>;

export const LogonCount = z.object({ value: z.string(), success: z.number(), failure: z.number() });
export type LogonCount = z.infer<typeof LogonCount>;

export const DashboardData = z.object({
  summary: DashboardSummary.optional(),
  eventsOverTime: Histogram.optional(),
  alertsOverTime: AlertsOverTime.optional(),
  severity: z.array(ValueCount).optional(),
  alertTypes: z.array(AlertType).optional(),
  topSrcIps: z.array(IpCount).optional(),
  topDstIps: z.array(IpCount).optional(),
  malicious: z.object({ events: z.number(), ips: z.array(IpCount), totalIps: z.number() }).optional(),
  /** Source countries: events and distinct IPs per country (public IPs only). */
  countries: z.array(z.object({ country: z.string(), count: z.number(), ips: z.number() })).optional(),
  logonsByUser: z.array(LogonCount).optional(),
  logonsBySrcIp: z.array(LogonCount).optional(),
  topHosts: z.array(ValueCount).optional(),
  topProcesses: z.array(ValueCount).optional(),
  topUsers: z.array(ValueCount).optional(),
  webStatus: z.array(ValueCount).optional(),
  /** Top URLs with the original field each came from (sources name it differently), for the drill-down. */
  topUrls: z.array(ValueCount.extend({ field: z.string() })).optional(),
  /** Milliseconds per panel, for the curious and the benchmark. */
  timings: z.record(z.string(), z.number()),
  tookMs: z.number(),
});
export type DashboardData = z.infer<typeof DashboardData>;

const QueryText = z.string().max(20_000);
const TimeBound = z.string().max(64).nullable().optional();
const QueryId = z.string().min(1).max(100).optional();

export const DashboardInput = z
  .object({
    query: QueryText.default(''),
    from: TimeBound,
    to: TimeBound,
    panels: z.array(PanelId).min(1).max(PANEL_IDS.length).default([...PANEL_IDS]),
    /** Items per top list. */
    top: z.number().int().min(1).max(100).default(10),
    queryId: QueryId,
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .strict();

// ------------------------------------------------------------------ entities

export const ENTITY_KINDS = ['ip', 'user', 'host'] as const;
export const EntityKind = z.enum(ENTITY_KINDS);
export type EntityKind = z.infer<typeof EntityKind>;

export const EntityRef = z.object({ kind: EntityKind, value: z.string().min(1).max(1000) });

export const PeerGroup = z.object({
  id: z.string(),
  title: z.string(),
  kind: EntityKind,
  /** The search field of an item's value: the drill-down is the entity's query AND field:value. */
  field: z.string(),
  /** success/failure: logon attempts among the events (null when the group does not count them). */
  items: z.array(z.object({ value: z.string(), count: z.number(), success: z.number().nullable(), failure: z.number().nullable(), ip: IpFacts.nullable() })),
});
export type PeerGroup = z.infer<typeof PeerGroup>;

export const RelatedAlert = z.object({
  id: z.number(),
  ruleId: z.string(),
  title: z.string(),
  level: Severity.nullable(),
  status: z.string(),
  /** Events of the alert that involve this entity. */
  count: z.number(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
});
export type RelatedAlert = z.infer<typeof RelatedAlert>;

export const EntityProfile = z.object({
  kind: EntityKind,
  value: z.string(),
  /** The search query that finds this entity's events. */
  query: z.string(),
  events: z.number(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  datasets: z.array(ValueCount),
  histogram: Histogram,
  /** IPs: what the intel knows (every source: geo, AS, IPsum, IOC lists, scope). */
  intel: IpFacts.nullable(),
  /** IPs: events where it was the source / the destination. */
  roles: z.object({ src: z.number(), dst: z.number() }).nullable(),
  /** Null when detection has never run in this case. */
  alerts: z.array(RelatedAlert).nullable(),
  peers: z.array(PeerGroup),
  tookMs: z.number(),
});
export type EntityProfile = z.infer<typeof EntityProfile>;

export const EntityListItem = z.object({
  value: z.string(),
  events: z.number(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  ip: IpFacts.nullable(),
});
export type EntityListItem = z.infer<typeof EntityListItem>;

// ------------------------------------------------------------------ intel settings

export const MMDB_KIND_NAMES = ['city', 'country', 'asn'] as const;

export const IntelSource = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  state: z.enum(['ok', 'missing', 'error']),
  embedded: z.boolean(),
  version: z.string().nullable(),
  versionFrom: z.string().nullable(),
  entries: z.number().nullable(),
  rejected: z.number().nullable(),
  file: z.string().nullable(),
  origin: z.string().nullable(),
  importedAt: z.string().nullable(),
  detail: z.string().nullable(),
  licence: z.string().nullable(),
  attribution: z.string().nullable(),
});
export type IntelSource = z.infer<typeof IntelSource>;

export const IntelSettings = z.object({ maliciousThreshold: z.number(), ipsumUrl: z.string(), downloadTimeoutMs: z.number() });
export type IntelSettings = z.infer<typeof IntelSettings>;

export const CaseIntel = z.object({
  ips: z.number(),
  enriched: z.number(),
  malicious: z.number(),
  iocHits: z.number(),
  enrichedAt: z.string().nullable(),
  stale: z.boolean(),
});
export type CaseIntel = z.infer<typeof CaseIntel>;

export const IntelOverview = z.object({
  dir: z.string(),
  settings: IntelSettings,
  sources: z.array(IntelSource),
  /** The open case's enrichment; null with no case open. */
  case: CaseIntel.nullable(),
});
export type IntelOverview = z.infer<typeof IntelOverview>;

const FilePath = z.string().min(1).max(4096);

export const overviewOperations = {
  /** Dashboard panels over the case or a search (query + time range); ask for a few panels per call to render progressively. */
  dashboard: { input: DashboardInput, output: DashboardData },
  /** One IP, user or host: enrichment, first/last seen, events by dataset over time, related alerts, peers. */
  entity: { input: EntityRef.extend({ from: TimeBound, to: TimeBound }).strict(), output: EntityProfile },
  /** The entities of a kind, most active first, optionally filtered by a substring. */
  listEntities: {
    input: z.object({ kind: EntityKind, text: z.string().max(200).default(''), limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.object({ items: z.array(EntityListItem), total: z.number(), tookMs: z.number() }),
  },
  /** Intel sources (version, entries, licence), settings, and the open case's enrichment. */
  intelStatus: { input: z.object({}).strict(), output: IntelOverview },
  intelLookup: { input: z.object({ ip: z.string().min(1).max(100) }).strict(), output: IpFacts.extend({ ip: z.string() }) },
  /** Each change re-enriches the open case's IPs before it answers. */
  intelImportIpsum: { input: z.object({ path: FilePath }).strict(), output: IntelOverview },
  /** Download IPsum; offline: OFFLINE with the cause, and the old list is kept. */
  intelUpdateIpsum: { input: z.object({ url: z.string().url().max(2000).optional() }).strict(), output: IntelOverview },
  intelAddMmdb: { input: z.object({ path: FilePath, kind: z.enum(MMDB_KIND_NAMES).optional() }).strict(), output: IntelOverview },
  intelRemoveMmdb: { input: z.object({ kind: z.enum(MMDB_KIND_NAMES) }).strict(), output: IntelOverview },
  intelAddIocList: { input: z.object({ path: FilePath, name: z.string().trim().min(1).max(80) }).strict(), output: IntelOverview },
  intelRemoveIocList: { input: z.object({ name: z.string().min(1).max(80) }).strict(), output: IntelOverview },
  intelUpdateSettings: {
    input: z.object({ maliciousThreshold: z.number().int().min(1).max(100).optional(), ipsumUrl: z.string().url().max(2000).optional() }).strict(),
    output: IntelOverview,
  },
} as const;
