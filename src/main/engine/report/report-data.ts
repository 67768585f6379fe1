import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BookmarkRow, Note, ReportSection } from '@shared/findings-contract';
import type { Histogram } from '@shared/query-contract';
import { queryOne, queryRows, type Row } from '../db/sql';
import { ipScope } from '../net/ip-address';
import { histogram } from '../query/search';
import { listBookmarks } from './bookmarks';
import { columnsOf, detectionsRan, num, str, tableExists } from './case-tables';
import { listNotes } from './notes';

/**
 * Everything the incident report shows, read from the case in one place so
 * the HTML (and the PDF made from it) only formats. Only the sections asked
 * for are read. Every list is bounded; what was left out is counted, and the
 * report says so rather than silently truncating.
 */

export const REPORT_LIMITS = { evidence: 5000, timeline: 2000, rules: 200, ips: 300, notes: 500 } as const;

export interface IntelFacts {
  /** The current intel's stamp (changes whenever an answer could change). */
  stamp: string | null;
  sources: Array<{ name: string; state: string; version: string | null; entries: number | null; detail: string | null }>;
}

export interface ReportContext {
  conn: DuckDBConnection;
  caseInfo: { id: string; name: string; createdAt: string; schemaVersion: number };
  loupeVersion: string;
  sections: ReportSection[];
  /** The analyst's intel (intelStore().status()); absent in tests or when unreadable. */
  intel?: (() => IntelFacts) | undefined;
}

export interface DatasetStat {
  dataset: string;
  events: number;
  first: string | null;
  last: string | null;
}

export interface EvidenceRow {
  id: number;
  path: string;
  format: string | null;
  size: number | null;
  sha256: string | null;
  status: string;
  events: number;
  rejected: number;
  first: string | null;
  last: string | null;
}

export interface RuleRow {
  ruleId: string;
  title: string;
  level: string | null;
  alerts: number;
  events: number;
  hosts: number;
  first: string | null;
  last: string | null;
}

export interface IpRow {
  ip: string;
  scope: string;
  country: string | null;
  city: string | null;
  asn: number | null;
  asOrg: string | null;
  ipsum: number | null;
  iocLists: string[];
  malicious: boolean;
  events: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Why this IP is in the report. */
  why: Array<'bookmark' | 'alert' | 'malicious'>;
}

export interface ReportData {
  generatedAt: string;
  loupeVersion: string;
  case: ReportContext['caseInfo'];
  sections: ReportSection[];
  summary: {
    events: number;
    noTime: number;
    first: string | null;
    last: string | null;
    evidence: number;
    hosts: number;
    datasets: DatasetStat[];
    bookmarks: number;
    notes: number;
    alerts: number | null;
  };
  evidence?: { rows: EvidenceRow[]; total: number; totalBytes: number };
  timeline?: { rows: BookmarkRow[]; total: number };
  alerts?: { available: boolean; total: number; byLevel: Array<{ level: string; alerts: number; events: number }>; byStatus: Array<{ status: string; alerts: number }>; rules: RuleRow[]; ruleCount: number };
  charts?: {
    overTime: Histogram | null;
    /** Events with a time outside the charted range (a stray 1970 line would squash every bar into one). */
    outside: number;
    datasets: DatasetStat[]; alertLevels: Array<{ level: string; alerts: number }>; bookmarkHosts: Array<{ host: string; events: number }> };
  intel?: { enriched: boolean; enrichedAt: string | null; rows: IpRow[]; total: number };
  notes?: { rows: Note[]; total: number };
  versions?: {
    caseSchema: number;
    intel: { caseStamp: string | null; enrichedAt: string | null; current: IntelFacts | null; stale: boolean | null };
    rules: {
      available: boolean;
      fingerprint: string | null;
      total: number;
      byStatus: Array<{ status: string; rules: number }>;
      packs: Array<{ name: string; kind: string; files: number; importedAt: string | null }>;
      lastRun: { finishedAt: string | null; rules: number | null; hits: number | null; status: string } | null;
    };
  };
}

const levelOrder = (col: string) => `CASE ${col} WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 WHEN 'informational' THEN 4 ELSE 5 END`;
const LEVEL_ORDER = levelOrder('level');
const TS = (c: string) => `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ')`;

export async function gatherReport(ctx: ReportContext): Promise<ReportData> {
  const { conn } = ctx;
  const want = new Set(ctx.sections);
  const hasAlerts = await detectionsRan(conn);
  const datasets = (await queryRows(conn, `SELECT dataset, count(*) AS n, ${TS('min(ts)')} AS first, ${TS('max(ts)')} AS last FROM events GROUP BY dataset ORDER BY n DESC, dataset`)).map(
    (r): DatasetStat => ({ dataset: String(r.dataset), events: Number(r.n), first: str(r.first), last: str(r.last) }),
  );
  const totals = await queryOne(
    conn,
    `SELECT count(*) AS n, count(*) FILTER (WHERE ts IS NULL) AS nt, ${TS('min(ts)')} AS first, ${TS('max(ts)')} AS last, count(DISTINCT host) AS hosts FROM events`,
  );
  const counts = await queryOne(conn, 'SELECT (SELECT count(*) FROM evidence) AS ev, (SELECT count(*) FROM bookmarks b JOIN events e ON e.id = b.event_id) AS bm, (SELECT count(*) FROM notes) AS notes');
  const data: ReportData = {
    generatedAt: new Date().toISOString(),
    loupeVersion: ctx.loupeVersion,
    case: ctx.caseInfo,
    sections: ctx.sections,
    summary: {
      events: Number(totals?.n ?? 0),
      noTime: Number(totals?.nt ?? 0),
      first: str(totals?.first),
      last: str(totals?.last),
      evidence: Number(counts?.ev ?? 0),
      hosts: Number(totals?.hosts ?? 0),
      datasets,
      bookmarks: Number(counts?.bm ?? 0),
      notes: Number(counts?.notes ?? 0),
      alerts: hasAlerts ? Number((await queryOne(conn, 'SELECT count(*) AS n FROM alerts'))?.n ?? 0) : null,
    },
  };
  if (want.has('evidence')) data.evidence = await evidenceSection(conn);
  if (want.has('timeline')) data.timeline = await listBookmarks(conn, { limit: REPORT_LIMITS.timeline, offset: 0 });
  if (want.has('alerts')) data.alerts = await alertsSection(conn, hasAlerts);
  if (want.has('charts')) data.charts = await chartsSection(conn, datasets, hasAlerts);
  if (want.has('intel')) data.intel = await intelSection(conn, hasAlerts);
  if (want.has('notes')) {
    const rows = await listNotes(conn);
    data.notes = { rows: rows.slice(0, REPORT_LIMITS.notes).reverse(), total: rows.length };
  }
  if (want.has('versions')) data.versions = await versionsSection(conn, ctx, hasAlerts);
  return data;
}

async function evidenceSection(conn: DuckDBConnection): Promise<NonNullable<ReportData['evidence']>> {
  const total = await queryOne(conn, 'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM evidence');
  // Time ranges and counts from the events themselves: true whatever the importer recorded.
  const rows = await queryRows(
    conn,
    `SELECT ev.id, ev.path, ev.format, ev.size, ev.sha256, ev.status, coalesce(ev.rejected, 0) AS rejected,
            coalesce(s.n, 0) AS n, ${TS('coalesce(s.first, ev.first_ts)')} AS first, ${TS('coalesce(s.last, ev.last_ts)')} AS last
       FROM evidence ev
       LEFT JOIN (SELECT evidence_id, count(*) AS n, min(ts) AS first, max(ts) AS last FROM events GROUP BY evidence_id) s ON s.evidence_id = ev.id
      ORDER BY ev.path, ev.id LIMIT ${REPORT_LIMITS.evidence}`,
  );
  return {
    total: Number(total?.n ?? 0),
    totalBytes: Number(total?.bytes ?? 0),
    rows: rows.map((r) => ({
      id: Number(r.id),
      path: String(r.path),
      format: str(r.format),
      size: num(r.size),
      sha256: str(r.sha256),
      status: String(r.status),
      events: Number(r.n),
      rejected: Number(r.rejected),
      first: str(r.first),
      last: str(r.last),
    })),
  };
}

async function alertsSection(conn: DuckDBConnection, hasAlerts: boolean): Promise<NonNullable<ReportData['alerts']>> {
  if (!hasAlerts) return { available: false, total: 0, byLevel: [], byStatus: [], rules: [], ruleCount: 0 };
  const cols = await columnsOf(conn, 'alerts');
  const events = cols.has('event_count') ? 'coalesce(sum(event_count), 0)' : 'count(*)';
  const byLevel = (await queryRows(conn, `SELECT level, count(*) AS n, ${events} AS ev FROM (SELECT * REPLACE (coalesce(level, 'unknown') AS level) FROM alerts) GROUP BY level ORDER BY ${LEVEL_ORDER}`)).map((r) => ({
    level: String(r.level),
    alerts: Number(r.n),
    events: Number(r.ev),
  }));
  const byStatus = cols.has('status') ? (await queryRows(conn, 'SELECT status, count(*) AS n FROM alerts GROUP BY status ORDER BY n DESC')).map((r) => ({ status: String(r.status), alerts: Number(r.n) })) : [];
  const host = cols.has('host') ? 'count(DISTINCT host)' : '0';
  const first = cols.has('first_ts') ? TS('min(first_ts)') : 'NULL';
  const last = cols.has('last_ts') ? TS('max(last_ts)') : 'NULL';
  const rules = await queryRows(
    conn,
    `SELECT rule_id, any_value(title) AS title, any_value(level) AS level, count(*) AS n, ${events} AS ev, ${host} AS hosts, ${first} AS first, ${last} AS last
       FROM alerts a GROUP BY rule_id ORDER BY min(${levelOrder('a.level')}), ev DESC, rule_id LIMIT ${REPORT_LIMITS.rules}`,
  );
  const ruleCount = Number((await queryOne(conn, 'SELECT count(DISTINCT rule_id) AS n FROM alerts'))?.n ?? 0);
  return {
    available: true,
    total: byLevel.reduce((s, l) => s + l.alerts, 0),
    byLevel,
    byStatus,
    ruleCount,
    rules: rules.map((r) => ({
      ruleId: String(r.rule_id),
      title: String(r.title ?? r.rule_id),
      level: str(r.level),
      alerts: Number(r.n),
      events: Number(r.ev),
      hosts: Number(r.hosts),
      first: str(r.first),
      last: str(r.last),
    })),
  };
}

async function chartsSection(conn: DuckDBConnection, datasets: DatasetStat[], hasAlerts: boolean): Promise<NonNullable<ReportData['charts']>> {
  const all = { from: 'events e', where: 'TRUE', params: {}, usesSources: false };
  // The chart spans the events, not their outliers: when the whole range is
  // far wider than where 99% of the events lie (a line stamped 1970 among
  // 2024 logs), it is drawn over that central range and the rest counted.
  const q = await queryOne(
    conn,
    `SELECT epoch_ms(min(ts)) AS lo, epoch_ms(max(ts)) AS hi,
            quantile_disc(epoch_ms(ts), 0.005) AS qlo, quantile_disc(epoch_ms(ts), 0.995) AS qhi FROM events WHERE ts IS NOT NULL`,
  );
  let range: { from: Date | null; to: Date | null } = { from: null, to: null };
  if (q && q.lo !== null && q.qlo !== null) {
    const [lo, hi, qlo, qhi] = [Number(q.lo), Number(q.hi), Number(q.qlo), Number(q.qhi)];
    if (hi - lo > 5 * Math.max(qhi - qlo, 60_000)) range = { from: new Date(qlo), to: new Date(qhi + 1) };
  }
  let outside = 0;
  let overTime: Histogram | null = null;
  if (datasets.length > 0) {
    overTime = { ...(await histogram(conn, all, range, 60, 'dataset', 0, false)), tookMs: 0 };
    outside = overTime.total - overTime.noTime - overTime.buckets.reduce((s, b) => s + b.count, 0);
  }
  const alertLevels = hasAlerts ? (await queryRows(conn, `SELECT level, count(*) AS n FROM (SELECT coalesce(level, 'unknown') AS level FROM alerts) GROUP BY level ORDER BY ${LEVEL_ORDER}`)).map((r) => ({ level: String(r.level), alerts: Number(r.n) })) : [];
  const bookmarkHosts = (
    await queryRows(conn, `SELECT coalesce(e.host, '(no host)') AS host, count(*) AS n FROM bookmarks b JOIN events e ON e.id = b.event_id GROUP BY ALL ORDER BY n DESC, host LIMIT 15`)
  ).map((r) => ({ host: String(r.host), events: Number(r.n) }));
  return { overTime, outside, datasets: datasets.slice(0, 20), alertLevels, bookmarkHosts };
}

async function intelSection(conn: DuckDBConnection, hasAlerts: boolean): Promise<NonNullable<ReportData['intel']>> {
  const enriched = (await tableExists(conn, 'ip_enrichment')) && (await tableExists(conn, 'ips'));
  // The involved IPs: of bookmarked events, of events behind alerts, and every IP the intel calls malicious.
  const parts = [
    `SELECT unnest([e.src_ip, e.dst_ip]) AS ip, 'bookmark' AS why FROM bookmarks b JOIN events e ON e.id = b.event_id`,
    ...(hasAlerts && (await tableExists(conn, 'alert_events'))
      ? [`SELECT unnest([e.src_ip, e.dst_ip]) AS ip, 'alert' AS why FROM events e WHERE e.id IN (SELECT event_id FROM alert_events)`]
      : []),
    ...(enriched ? [`SELECT ip, 'malicious' AS why FROM ip_enrichment WHERE malicious`] : []),
  ];
  const involved = `SELECT ip, list(DISTINCT why ORDER BY why) AS why FROM (${parts.join(' UNION ALL ')}) WHERE ip IS NOT NULL AND ip <> '' GROUP BY ip`;
  const total = Number((await queryOne(conn, `SELECT count(*) AS n FROM (${involved})`))?.n ?? 0);
  let rows: Row[];
  let enrichedAt: string | null = null;
  if (enriched) {
    enrichedAt = str((await queryOne(conn, "SELECT value FROM intel_state WHERE key = 'enriched_at'").catch(() => undefined))?.value);
    rows = await queryRows(
      conn,
      `SELECT v.ip, v.why, e.scope, e.country, e.city, e.asn, e.as_org, e.ipsum, coalesce(e.ioc_lists, []::VARCHAR[]) AS ioc_lists,
              coalesce(e.malicious, false) AS malicious, coalesce(i.events, 0) AS events, ${TS('i.first_seen')} AS first_seen, ${TS('i.last_seen')} AS last_seen
         FROM (${involved}) v LEFT JOIN ip_enrichment e ON e.ip = v.ip LEFT JOIN ips i ON i.ip = v.ip
        ORDER BY coalesce(e.malicious, false) DESC, coalesce(e.ipsum, 0) DESC, events DESC, v.ip LIMIT ${REPORT_LIMITS.ips}`,
    );
  } else {
    // No enrichment in this case yet: the IPs, their scope and their counts, from the events alone.
    rows = await queryRows(
      conn,
      `WITH v AS (${involved}), hits AS (
         SELECT ip, count(*) AS events, min(ts) AS first_seen, max(ts) AS last_seen FROM (
           SELECT src_ip AS ip, ts FROM events WHERE src_ip IN (SELECT ip FROM v)
           UNION ALL SELECT dst_ip, ts FROM events WHERE dst_ip IN (SELECT ip FROM v) AND dst_ip IS DISTINCT FROM src_ip) GROUP BY ip)
       SELECT v.ip, v.why, coalesce(h.events, 0) AS events, ${TS('h.first_seen')} AS first_seen, ${TS('h.last_seen')} AS last_seen
         FROM v LEFT JOIN hits h ON h.ip = v.ip ORDER BY events DESC, v.ip LIMIT ${REPORT_LIMITS.ips}`,
    );
  }
  return {
    enriched,
    enrichedAt,
    total,
    rows: rows.map((r) => ({
      ip: String(r.ip),
      scope: r.scope ? String(r.scope) : ipScope(String(r.ip)),
      country: str(r.country),
      city: str(r.city),
      asn: num(r.asn),
      asOrg: str(r.as_org),
      ipsum: num(r.ipsum),
      iocLists: Array.isArray(r.ioc_lists) ? r.ioc_lists.map(String) : [],
      malicious: r.malicious === true,
      events: Number(r.events ?? 0),
      firstSeen: str(r.first_seen),
      lastSeen: str(r.last_seen),
      why: (Array.isArray(r.why) ? r.why.map(String) : []).filter((w): w is IpRow['why'][number] => w === 'bookmark' || w === 'alert' || w === 'malicious'),
    })),
  };
}

async function versionsSection(conn: DuckDBConnection, ctx: ReportContext, hasAlerts: boolean): Promise<NonNullable<ReportData['versions']>> {
  let caseStamp: string | null = null;
  let enrichedAt: string | null = null;
  if (await tableExists(conn, 'intel_state')) {
    const st = await queryRows(conn, "SELECT key, value FROM intel_state WHERE key IN ('enrich_stamp', 'enriched_at')");
    caseStamp = str(st.find((r) => r.key === 'enrich_stamp')?.value);
    enrichedAt = str(st.find((r) => r.key === 'enriched_at')?.value);
  }
  let current: IntelFacts | null;
  try {
    current = ctx.intel ? ctx.intel() : null;
  } catch {
    current = null; // unreadable intel folder: the report says "not available"
  }
  const rules: NonNullable<ReportData['versions']>['rules'] = { available: false, fingerprint: null, total: 0, byStatus: [], packs: [], lastRun: null };
  if (hasAlerts && (await tableExists(conn, 'rules'))) {
    rules.available = true;
    const ids = await queryRows(conn, 'SELECT id, status FROM rules ORDER BY id, status');
    rules.total = ids.length;
    rules.fingerprint = ids.length ? createHash('sha256').update(ids.map((r) => `${String(r.id)}:${String(r.status)}`).join('\n')).digest('hex').slice(0, 16) : null;
    rules.byStatus = (await queryRows(conn, 'SELECT status, count(*) AS n FROM rules GROUP BY status ORDER BY n DESC')).map((r) => ({ status: String(r.status), rules: Number(r.n) }));
  }
  if (await tableExists(conn, 'rule_packs')) {
    rules.packs = (await queryRows(conn, 'SELECT * FROM rule_packs ORDER BY id')).map((r) => ({ name: String(r.name), kind: String(r.kind ?? ''), files: Number(r.files ?? 0), importedAt: str(r.imported_at) }));
  }
  if (await tableExists(conn, 'detect_runs')) {
    const r = await queryOne(conn, "SELECT finished_at, rules, hits, status FROM detect_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1");
    if (r) rules.lastRun = { finishedAt: str(r.finished_at), rules: num(r.rules), hits: num(r.hits), status: String(r.status) };
  }
  return {
    caseSchema: ctx.caseInfo.schemaVersion,
    intel: { caseStamp, enrichedAt, current, stale: current?.stamp && caseStamp ? current.stamp !== caseStamp : null },
    rules,
  };
}
