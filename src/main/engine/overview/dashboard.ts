import type { DuckDBConnection } from '@duckdb/node-api';
import type { Histogram } from '@shared/query-contract';
import type { AlertsOverTime, AlertType, DashboardData, DashboardSummary, IpCount, LogonCount, PanelId, ValueCount } from '@shared/overview-contract';
import { SEVERITIES, type Severity } from '@shared/events';
import type { Compiled } from '../query/compile';
import { queryOne, queryRows } from '../db/sql';
import type { IntelStore } from '../intel';
import { histogram, intervalLabel, niceBucket } from '../query/search';
import { parseTimeValue } from '../query/time';
import { ALL_VALUES, dimensionCounts, MAX_ALL_VALUES, RANK_ORDER, urlCounts, urlSources, type Dimension, type DimRow } from './dimensions';
import { tableNames } from './intel-aggregates';
import { ipFacts } from './ip-facts';
import { rollupState } from './rollup';

/**
 * Dashboard panels. Two paths with the same output:
 *
 * - the whole case (no query, no time range): read the rollup
 *   (overview_counts / overview_minutes), the ips table and the cached intel
 *   figures; a few ms per panel whatever the case size;
 * - a search (query and/or time range): the same aggregations live over the
 *   compiled query, one GROUP BY per dimension (dimensions.ts).
 *
 * The caller brings the rollup and the intel up to date first (handlers).
 */

export interface DashboardRequest {
  query: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  panels: PanelId[];
  top: number;
}

type Panels = Omit<DashboardData, 'timings' | 'tookMs'>;

const HISTOGRAM_BUCKETS = 80;
const LEVEL_ORDER: readonly string[] = [...SEVERITIES].reverse();
const MAX_MALICIOUS_LIST = 50;

const DIM_OF: Partial<Record<PanelId, Dimension>> = {
  severity: 'severity',
  logonsByUser: 'logon_user',
  logonsBySrcIp: 'logon_src_ip',
  topHosts: 'host',
  topProcesses: 'process',
  topUsers: 'user',
  webStatus: 'web_status',
};

let selections = 0;
const DEFAULT_SELECTION_MAX = 200_000;
let SELECTION_MAX = DEFAULT_SELECTION_MAX;

/** Tests: force the per-panel path (a small bound) or restore the default. */
export function setMaterialiseMax(n: number = DEFAULT_SELECTION_MAX): void {
  SELECTION_MAX = n;
}

function severityOf(v: unknown): Severity | null {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : null;
}

export class DashboardBuilder {
  private tables: Set<string> | undefined;
  readonly timings: Record<string, number> = {};

  /** The events the panels count: the search as compiled, or (filtered) its materialised copy. */
  private q: Compiled;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly store: IntelStore,
    q: Compiled,
    private readonly req: DashboardRequest,
  ) {
    this.q = q;
  }

  /** Whole case: no query text and no time range (the rollup answers). */
  get whole(): boolean {
    return this.req.query.trim() === '' && !this.req.from && !this.req.to;
  }

  private async has(table: string): Promise<boolean> {
    this.tables ??= await tableNames(this.conn);
    return this.tables.has(table);
  }

  private async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[name] = Math.round((performance.now() - t0) * 10) / 10;
    }
  }

  async build(): Promise<Panels> {
    if (this.whole) return this.panels();
    // A narrow search: evaluate its filter once, into a temporary table of the
    // matching event ids, and let every panel read `events` through it. Two
    // measurements on 10M events decided the shape: panels over 51 ids took
    // 4 ms where re-evaluating `ip:X` took 1 s each (a scan of two IP
    // columns); but copying the matching rows' columns (not just ids) cost
    // seconds at 600k rows, as DuckDB then decompresses every string. A broad
    // search (over SELECTION_MAX events) filters again per panel, which for
    // the columns a broad filter usually tests (host, dataset, time) is as
    // cheap as probing the id set.
    const name = `dash_sel_${++selections}`;
    const rows = await this.time('select', async () => {
      await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT e.id FROM ${this.q.from} WHERE ${this.q.where} LIMIT ${SELECTION_MAX + 1}`, this.q.params);
      return Number((await queryOne(this.conn, `SELECT count(*) AS n FROM ${name}`))?.n ?? 0);
    });
    if (rows > SELECTION_MAX) {
      await this.conn.run(`DROP TABLE IF EXISTS ${name}`);
      return this.panels();
    }
    this.q = { from: 'events e', where: `e.id IN (SELECT id FROM ${name})`, params: {}, usesSources: false };
    try {
      return await this.panels();
    } finally {
      await this.conn.run(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
    }
  }

  private async panels(): Promise<Panels> {
    const want = new Set(this.req.panels);
    const out: Panels = {};
    // Dimension panels share one statement (one pass over the filter per dimension, one round trip).
    const dims = [...new Set(this.req.panels.map((p) => DIM_OF[p]).filter((d): d is Dimension => d !== undefined))];
    if (want.has('summary')) dims.push('dataset', 'host', 'user');
    if (want.has('alertTypes')) dims.push('ids_signature');
    const counts = await this.time('dimensions', () => this.dimensions([...new Set(dims)]));
    const top = (d: Dimension): DimRow[] => counts.rows.filter((r) => r.dim === d);
    const vc = (d: Dimension): ValueCount[] => top(d).map((r) => ({ value: r.value, count: r.n }));
    const logons = (d: Dimension): LogonCount[] =>
      top(d)
        .map((r) => ({ value: r.value, success: r.success, failure: r.failure }))
        .sort((a, b) => b.failure - a.failure || b.success - a.success || a.value.localeCompare(b.value))
        .slice(0, this.req.top);

    for (const p of this.req.panels) {
      switch (p) {
        case 'summary':
          out.summary = await this.time(p, () => this.summary(counts));
          break;
        case 'eventsOverTime':
          out.eventsOverTime = await this.time(p, () => this.eventsOverTime());
          break;
        case 'alertsOverTime': {
          const a = await this.time(p, () => this.alertsOverTime());
          if (a) out.alertsOverTime = a;
          break;
        }
        case 'severity':
          out.severity = vc('severity').sort((a, b) => LEVEL_ORDER.indexOf(a.value) - LEVEL_ORDER.indexOf(b.value));
          break;
        case 'alertTypes':
          out.alertTypes = await this.time(p, () => this.alertTypes(top('ids_signature')));
          break;
        case 'topSrcIps':
        case 'topDstIps':
          out[p] = await this.time(p, () => this.topIps(p === 'topSrcIps' ? 'src' : 'dst'));
          break;
        case 'malicious': {
          const m = await this.time(p, () => this.malicious());
          if (m) out.malicious = m;
          break;
        }
        case 'countries': {
          const c = await this.time(p, () => this.countries());
          if (c) out.countries = c;
          break;
        }
        case 'logonsByUser':
          out.logonsByUser = logons('logon_user');
          break;
        case 'logonsBySrcIp':
          out.logonsBySrcIp = logons('logon_src_ip');
          break;
        case 'topHosts':
          out.topHosts = vc('host');
          break;
        case 'topProcesses':
          out.topProcesses = vc('process');
          break;
        case 'topUsers':
          out.topUsers = vc('user');
          break;
        case 'webStatus':
          out.webStatus = vc('web_status').sort((a, b) => a.value.localeCompare(b.value));
          break;
        case 'topUrls':
          out.topUrls = await this.time(p, () => this.topUrls());
          break;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- dimensions

  private async dimensions(dims: Dimension[]): Promise<{ rows: DimRow[]; distinct: Map<string, number> }> {
    if (dims.length === 0) return { rows: [], distinct: new Map() };
    if (!this.whole) return dimensionCounts(this.conn, this.q, dims, this.req.top, ALL_VALUES);
    // One top-N per dimension (ORDER BY ... LIMIT) and a count per dimension: a
    // window over every row of the rollup (300k logon source IPs) took 120 ms.
    const tops = dims.map(
      (d) => `(SELECT dim, value, n, success, failure FROM overview_counts WHERE dim = '${d}' ORDER BY ${RANK_ORDER} LIMIT ${ALL_VALUES.includes(d) ? MAX_ALL_VALUES : this.req.top})`,
    );
    const rows = await queryRows(
      this.conn,
      `SELECT t.*, c.distinct_n FROM (${tops.join(' UNION ALL ')}) t
         JOIN (SELECT dim, count(*) AS distinct_n FROM overview_counts WHERE dim IN (${dims.map((d) => `'${d}'`).join(', ')}) GROUP BY dim) c USING (dim)
        ORDER BY dim, ${RANK_ORDER}`,
    );
    const distinct = new Map<string, number>();
    for (const r of rows) distinct.set(String(r.dim), Number(r.distinct_n));
    return { rows: rows.map((r) => ({ dim: String(r.dim), value: String(r.value), n: Number(r.n), success: Number(r.success), failure: Number(r.failure) })), distinct };
  }

  // ---------------------------------------------------------------- summary

  private async summary(counts: { rows: DimRow[]; distinct: Map<string, number> }): Promise<DashboardSummary> {
    const datasets = counts.rows.filter((r) => r.dim === 'dataset').map((r) => ({ value: r.value, count: r.n }));
    let events: number;
    let noTime: number;
    let from: string | null;
    let to: string | null;
    let ips: number;
    if (this.whole) {
      const st = await rollupState(this.conn);
      events = st.counted;
      from = st.minTs;
      to = st.maxTs;
      noTime = Number((await queryOne(this.conn, `SELECT coalesce(sum(n), 0) AS n FROM overview_minutes WHERE minute IS NULL`))?.n ?? 0);
      ips = (await this.has('ips')) ? Number((await queryOne(this.conn, `SELECT count(*) AS n FROM ips`))?.n ?? 0) : 0;
    } else {
      const r = await queryOne(
        this.conn,
        `SELECT count(*) AS n, count(*) FILTER (WHERE e.ts IS NULL) AS nt, strftime(min(e.ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(max(e.ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS hi FROM ${this.q.from} WHERE ${this.q.where}`,
        this.q.params,
      );
      events = Number(r?.n ?? 0);
      noTime = Number(r?.nt ?? 0);
      from = typeof r?.lo === 'string' ? r.lo : null;
      to = typeof r?.hi === 'string' ? r.hi : null;
      const d = await queryOne(
        this.conn,
        `SELECT count(DISTINCT ip) AS n FROM (SELECT e.src_ip AS ip FROM ${this.q.from} WHERE ${this.q.where} AND e.src_ip IS NOT NULL UNION ALL SELECT e.dst_ip FROM ${this.q.from} WHERE ${this.q.where} AND e.dst_ip IS NOT NULL)`,
        this.q.params,
      );
      ips = Number(d?.n ?? 0);
    }
    let alerts: DashboardSummary['alerts'] = null;
    if (await this.has('alerts')) {
      const rows = await queryRows(this.conn, `SELECT coalesce(level, 'none') AS level, count(*) AS n FROM alerts GROUP BY 1`);
      const byLevel: Record<string, number> = {};
      for (const r of rows) byLevel[String(r.level)] = Number(r.n);
      alerts = { total: rows.reduce((s, r) => s + Number(r.n), 0), byLevel };
    }
    const maliciousIps = (await this.has('ip_enrichment')) ? Number((await queryOne(this.conn, `SELECT count(*) AS n FROM ip_enrichment WHERE malicious`))?.n ?? 0) : null;
    return {
      events,
      noTime,
      from,
      to,
      datasets,
      hosts: counts.distinct.get('host') ?? 0,
      users: counts.distinct.get('user') ?? 0,
      ips,
      alerts,
      maliciousIps,
      available: await this.available(),
    };
  }

  /** Panels the whole case has data for (from the rollup, so a filter never hides a panel). */
  private async available(): Promise<PanelId[]> {
    const dims = new Set(
      (await queryRows(this.conn, `SELECT DISTINCT CASE WHEN dim LIKE 'url:%' THEN 'url' ELSE dim END AS dim FROM overview_counts`).catch(() => [])).map((r) => String(r.dim)),
    );
    const out: PanelId[] = ['summary'];
    if (dims.has('dataset')) out.push('eventsOverTime');
    const alertRows = (await this.has('alerts')) ? Number((await queryOne(this.conn, `SELECT count(*) AS n FROM alerts`))?.n ?? 0) : 0;
    if (alertRows > 0 && (await this.has('alert_events'))) out.push('alertsOverTime');
    if (dims.has('severity')) out.push('severity');
    if (alertRows > 0 || dims.has('ids_signature')) out.push('alertTypes');
    if (await this.has('ips')) {
      const r = await queryOne(this.conn, `SELECT count(*) FILTER (WHERE src_events > 0) AS s, count(*) FILTER (WHERE dst_events > 0) AS d FROM ips`);
      if (Number(r?.s ?? 0) > 0) out.push('topSrcIps');
      if (Number(r?.d ?? 0) > 0) out.push('topDstIps');
      if (Number(r?.s ?? 0) + Number(r?.d ?? 0) > 0 && (await this.has('ip_enrichment'))) out.push('malicious');
      if (await this.has('overview_countries')) {
        const c = await queryOne(this.conn, `SELECT count(*) AS n FROM overview_countries`);
        if (Number(c?.n ?? 0) > 0) out.push('countries');
      }
    }
    if (dims.has('logon_user')) out.push('logonsByUser');
    if (dims.has('logon_src_ip')) out.push('logonsBySrcIp');
    if (dims.has('host')) out.push('topHosts');
    if (dims.has('process')) out.push('topProcesses');
    if (dims.has('user')) out.push('topUsers');
    if (dims.has('web_status')) out.push('webStatus');
    if (dims.has('url')) out.push('topUrls');
    return out;
  }

  // ---------------------------------------------------------------- time

  private range(): { from: Date | null; to: Date | null } {
    return {
      from: this.req.from ? (parseTimeValue(this.req.from)?.start ?? null) : null,
      to: this.req.to ? (parseTimeValue(this.req.to)?.start ?? null) : null,
    };
  }

  private async eventsOverTime(): Promise<Histogram> {
    if (this.whole) {
      const st = await rollupState(this.conn);
      const lo = st.minTs ? Date.parse(st.minTs) : null;
      const hi = st.maxTs ? Date.parse(st.maxTs) + 1 : null;
      const w = lo !== null && hi !== null && hi > lo ? niceBucket(hi - lo, HISTOGRAM_BUCKETS) : 0;
      // Minute rows nest in any bucket of a minute or more; finer buckets need the events themselves.
      if (lo !== null && hi !== null && w >= 60_000) return this.histogramFromMinutes(lo, hi, w, st.counted);
    }
    const h = await histogram(this.conn, this.q, this.range(), HISTOGRAM_BUCKETS, 'dataset');
    return { ...h, tookMs: 0 };
  }

  private async histogramFromMinutes(lo: number, hi: number, w: number, total: number): Promise<Histogram> {
    const start = Math.floor(lo / w) * w;
    const n = Math.ceil((hi - start) / w);
    const rows = await queryRows(this.conn, `SELECT floor(epoch_ms(minute) / ${w})::BIGINT AS b, dataset AS d, sum(n)::BIGINT AS n FROM overview_minutes GROUP BY ALL`);
    const counts = new Array<number>(n).fill(0);
    const series = new Map<string, number[]>();
    let noTime = 0;
    for (const r of rows) {
      const c = Number(r.n);
      if (r.b === null) {
        noTime += c;
        continue;
      }
      const i = Number(r.b) - start / w;
      if (i < 0 || i >= n) continue;
      counts[i] = (counts[i] ?? 0) + c;
      const name = String(r.d);
      const s = series.get(name) ?? new Array<number>(n).fill(0);
      s[i] = (s[i] ?? 0) + c;
      series.set(name, s);
    }
    return {
      bucketMs: w,
      interval: intervalLabel(w),
      from: new Date(lo).toISOString(),
      to: new Date(hi).toISOString(),
      buckets: counts.map((count, i) => ({ t: new Date(start + i * w).toISOString(), count })),
      series: [...series.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, cs]) => ({ name, counts: cs })),
      total,
      noTime,
      tookMs: 0,
    };
  }

  /** The time span the panels share: the picked range, else the matching events' own span. */
  private async span(): Promise<{ lo: number; hi: number } | null> {
    const r = this.range();
    let lo = r.from?.getTime() ?? null;
    let hi = r.to?.getTime() ?? null;
    if (lo === null || hi === null) {
      const st = await rollupState(this.conn);
      lo ??= st.minTs ? Date.parse(st.minTs) : null;
      hi ??= st.maxTs ? Date.parse(st.maxTs) + 1 : null;
    }
    return lo !== null && hi !== null && hi > lo ? { lo, hi } : null;
  }

  private async alertsOverTime(): Promise<AlertsOverTime | undefined> {
    if (!(await this.has('alerts')) || !(await this.has('alert_events'))) return undefined;
    const sp = await this.span();
    if (!sp) return { bucketMs: 0, interval: '-', buckets: [], series: [], total: 0 };
    const w = niceBucket(sp.hi - sp.lo, HISTOGRAM_BUCKETS);
    const start = Math.floor(sp.lo / w) * w;
    const n = Math.ceil((sp.hi - start) / w);
    // The whole case reads the per-minute cache (minutes nest in any bucket of a minute or more).
    const cached = this.whole && w >= 60_000 && (await this.has('overview_alert_minutes'));
    const rows = cached
      ? await queryRows(this.conn, `SELECT floor(epoch_ms(minute) / ${w})::BIGINT AS b, level, sum(n)::BIGINT AS n FROM overview_alert_minutes GROUP BY ALL`)
      : await queryRows(
          this.conn,
          `SELECT floor(epoch_ms(e.ts) / ${w})::BIGINT AS b, coalesce(a.level, 'none') AS level, count(DISTINCT e.id) AS n
             FROM ${this.q.from} JOIN alert_events ae ON ae.event_id = e.id JOIN alerts a ON a.id = ae.alert_id
            WHERE ${this.q.where} AND e.ts IS NOT NULL GROUP BY ALL`,
          this.q.params,
        );
    const series = new Map<string, number[]>();
    let total = 0;
    for (const r of rows) {
      const i = Number(r.b) - start / w;
      if (i < 0 || i >= n) continue;
      const level = String(r.level);
      const s = series.get(level) ?? new Array<number>(n).fill(0);
      s[i] = (s[i] ?? 0) + Number(r.n);
      series.set(level, s);
      total += Number(r.n);
    }
    const rank = (l: string) => (LEVEL_ORDER.includes(l) ? LEVEL_ORDER.indexOf(l) : LEVEL_ORDER.length);
    return {
      bucketMs: w,
      interval: intervalLabel(w),
      buckets: Array.from({ length: n }, (_, i) => new Date(start + i * w).toISOString()),
      series: [...series.entries()].sort((a, b) => rank(a[0]) - rank(b[0])).map(([level, counts]) => ({ level, counts })),
      total,
    };
  }

  // ---------------------------------------------------------------- alerts and IDS

  private async alertTypes(ids: DimRow[]): Promise<AlertType[]> {
    const out: AlertType[] = ids.map((r) => ({ name: r.value, source: 'ids', ruleId: null, level: null, count: r.n }));
    if ((await this.has('alerts')) && (await this.has('alert_events'))) {
      // The whole case needs no event: count the links themselves.
      const rows = this.whole
        ? await queryRows(
            this.conn,
            `SELECT a.rule_id, arg_max(a.title, a.updated_at) AS title, max(a.level) AS level, count(DISTINCT ae.event_id) AS n
               FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id GROUP BY a.rule_id ORDER BY n DESC, title LIMIT ${this.req.top}`,
          )
        : await queryRows(
            this.conn,
            `SELECT a.rule_id, arg_max(a.title, a.updated_at) AS title, max(a.level) AS level, count(DISTINCT e.id) AS n
               FROM ${this.q.from} JOIN alert_events ae ON ae.event_id = e.id JOIN alerts a ON a.id = ae.alert_id
              WHERE ${this.q.where} GROUP BY a.rule_id ORDER BY n DESC, title LIMIT ${this.req.top}`,
            this.q.params,
          );
      for (const r of rows) out.push({ name: String(r.title), source: 'sigma', ruleId: String(r.rule_id), level: severityOf(r.level), count: Number(r.n) });
    }
    return out.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, this.req.top * 2);
  }

  // ---------------------------------------------------------------- IPs

  private facts(rows: { ip: string; count: number }[]): IpCount[] {
    this.store.refresh();
    return rows.map((r) => ({ ip: r.ip, count: r.count, ...ipFacts(this.store, r.ip) }));
  }

  private async topIps(side: 'src' | 'dst'): Promise<IpCount[]> {
    const col = side === 'src' ? 'src_ip' : 'dst_ip';
    let rows: { ip: string; count: number }[];
    if (this.whole && (await this.has('ips'))) {
      const n = side === 'src' ? 'src_events' : 'dst_events';
      rows = (await queryRows(this.conn, `SELECT ip, ${n} AS n FROM ips WHERE ${n} > 0 ORDER BY ${n} DESC, ip LIMIT ${this.req.top}`)).map((r) => ({ ip: String(r.ip), count: Number(r.n) }));
    } else {
      rows = (
        await queryRows(this.conn, `SELECT e.${col} AS ip, count(*) AS n FROM ${this.q.from} WHERE ${this.q.where} AND e.${col} IS NOT NULL AND e.${col} <> '' GROUP BY 1 ORDER BY n DESC, ip LIMIT ${this.req.top}`, this.q.params)
      ).map((r) => ({ ip: String(r.ip), count: Number(r.n) }));
    }
    return this.facts(rows);
  }

  private async malicious(): Promise<DashboardData['malicious']> {
    if (!(await this.has('ip_enrichment'))) return undefined;
    if (this.whole) {
      const cached = await queryOne(this.conn, `SELECT value FROM overview_state WHERE key = 'malicious_events'`).catch(() => undefined);
      const events = cached ? Number(cached.value) : Number((await queryOne(this.conn, `SELECT count(*) AS n FROM malicious_events`))?.n ?? 0);
      const list = await queryRows(this.conn, `SELECT ip, events AS n, count(*) OVER () AS total FROM ip_intel WHERE malicious ORDER BY events DESC, ip LIMIT ${MAX_MALICIOUS_LIST}`);
      return { events, ips: this.facts(list.map((r) => ({ ip: String(r.ip), count: Number(r.n) }))), totalIps: Number(list[0]?.total ?? 0) };
    }
    const bad = `(SELECT ip FROM malicious_ips)`;
    const ev = await queryOne(this.conn, `SELECT count(*) AS n FROM ${this.q.from} WHERE ${this.q.where} AND (e.src_ip IN ${bad} OR e.dst_ip IN ${bad})`, this.q.params);
    const list = await queryRows(
      this.conn,
      `SELECT ip, count(*) AS n, count(*) OVER () AS total FROM (
         SELECT e.src_ip AS ip, e.id FROM ${this.q.from} WHERE ${this.q.where} AND e.src_ip IN ${bad}
         UNION SELECT e.dst_ip, e.id FROM ${this.q.from} WHERE ${this.q.where} AND e.dst_ip IN ${bad})
       GROUP BY ip ORDER BY n DESC, ip LIMIT ${MAX_MALICIOUS_LIST}`,
      this.q.params,
    );
    return { events: Number(ev?.n ?? 0), ips: this.facts(list.map((r) => ({ ip: String(r.ip), count: Number(r.n) }))), totalIps: Number(list[0]?.total ?? 0) };
  }

  private async countries(): Promise<DashboardData['countries']> {
    if (!(await this.has('ip_enrichment'))) return undefined;
    const rows =
      this.whole && (await this.has('overview_countries'))
        ? await queryRows(this.conn, `SELECT country, events AS n, ips FROM overview_countries ORDER BY n DESC, country`)
        : // Count per source IP first, then join the (few) IPs to their enrichment,
          // rather than joining every event to the whole ip_enrichment table.
          await queryRows(
            this.conn,
            `SELECT en.country, sum(s.n)::BIGINT AS n, count(*) AS ips
               FROM (SELECT e.src_ip, count(*) AS n FROM ${this.q.from} WHERE ${this.q.where} AND e.src_ip IS NOT NULL GROUP BY 1) s
               JOIN ip_enrichment en ON en.ip = s.src_ip
              WHERE en.country IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1`,
            this.q.params,
          );
    return rows.map((r) => ({ country: String(r.country), count: Number(r.n), ips: Number(r.ips) }));
  }

  private async topUrls(): Promise<DashboardData['topUrls']> {
    const rows = this.whole
      ? await queryRows(this.conn, `SELECT dim, value, n FROM overview_counts WHERE dim LIKE 'url:%' ORDER BY n DESC, value LIMIT ${this.req.top}`)
      : (await urlCounts(this.conn, this.q, await urlSources(this.conn), this.req.top)).map((r) => ({ dim: r.dim, value: r.value, n: r.n }));
    return rows.map((r) => ({ field: String(r.dim).slice(4), value: String(r.value), count: Number(r.n) }));
  }
}
