import { Fragment, useCallback, useEffect, useState } from 'react';
import { PANEL_IDS, type DashboardData, type PanelId } from '@shared/overview-contract';
import { andTerm } from '@shared/search-terms';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';
import { useChartColors } from '../charts/chart-theme';
import { EmptyState, ErrorState } from '../components/empty-state';
import { QueryBar } from '../components/query-bar';
import { ALL_TIME, TimePicker, type TimeRange } from '../components/time-picker';
import {
  AlertsOverTimePanel,
  AlertTypesPanel,
  CountriesPanel,
  EventsOverTimePanel,
  LogonsPanel,
  MaliciousPanel,
  SeverityPanel,
  TopIpsPanel,
  TopUrlsPanel,
  TopValuesPanel,
  WebStatusPanel,
  type Scope,
} from '../dashboard/panels';
import type { PanelState } from '../dashboard/panel';
import { datasetBadgeStyle, formatTime, zoneLabel } from '../lib/format';
import { alertsHref, dashboardHref, hashParam, searchHref } from '../lib/nav';
import '../hunt.css';
import '../overview.css';

/**
 * Two requests, sent together, each rendered when it arrives: the summary
 * and the panels counted per dimension first (one statement on the engine),
 * then the intel, alert and web panels.
 */
const BATCHES: PanelId[][] = [
  ['summary', 'eventsOverTime', 'severity', 'topHosts', 'topProcesses', 'topUsers', 'logonsByUser', 'logonsBySrcIp', 'webStatus'],
  ['topSrcIps', 'topDstIps', 'malicious', 'countries', 'alertsOverTime', 'alertTypes', 'topUrls'],
];

/** Panels in reading order with their nominal width (of 12 columns). */
const LAYOUT: { id: PanelId; span: number }[] = [
  { id: 'eventsOverTime', span: 12 },
  { id: 'alertsOverTime', span: 8 },
  { id: 'severity', span: 4 },
  { id: 'alertTypes', span: 6 },
  { id: 'malicious', span: 6 },
  { id: 'topSrcIps', span: 6 },
  { id: 'topDstIps', span: 6 },
  { id: 'countries', span: 8 },
  { id: 'topHosts', span: 4 },
  { id: 'logonsByUser', span: 6 },
  { id: 'logonsBySrcIp', span: 6 },
  { id: 'topProcesses', span: 6 },
  { id: 'topUsers', span: 6 },
  { id: 'webStatus', span: 4 },
  { id: 'topUrls', span: 8 },
];

/**
 * Rows of at most 12 columns, first fit in reading order, so a case without
 * some panels (no alerts, no web logs) leaves no holes: each row's panels
 * then grow to fill it (flex-grow = nominal width).
 */
export function packRows<T extends { span: number }>(items: T[]): T[][] {
  const rows: { used: number; items: T[] }[] = [];
  for (const it of items) {
    const row = rows.find((r) => r.used + it.span <= 12);
    if (row) {
      row.items.push(it);
      row.used += it.span;
    } else rows.push({ used: it.span, items: [it] });
  }
  return rows.map((r) => r.items);
}

function initialRange(): TimeRange {
  const from = hashParam('from');
  const to = hashParam('to');
  return from || to ? { preset: 'custom', from, to } : ALL_TIME;
}

/** "What happened here?" in one screen: panels over the case or a search, each a way into Search. */
export function DashboardView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const colors = useChartColors();
  const [draft, setDraft] = useState(() => hashParam('q') ?? '');
  const [query, setQuery] = useState(() => hashParam('q') ?? '');
  const [range, setRange] = useState<TimeRange>(initialRange);
  const [data, setData] = useState<Partial<DashboardData>>({});
  const [pending, setPending] = useState<Set<PanelId>>(() => new Set(PANEL_IDS));
  const [errors, setErrors] = useState<Partial<Record<PanelId, string>>>({});
  const [tick, setTick] = useState(0);

  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;
  useEffect(() => {
    let stale = false;
    setData({});
    setErrors({});
    setPending(new Set(PANEL_IDS));
    BATCHES.forEach((panels, i) => {
      api.dashboard({ query, from: range.from, to: range.to, panels, queryId: `dashboard-${i}` }).then(
        (d) => {
          if (stale) return;
          setData((prev) => ({ ...prev, ...d }));
          setPending((p) => new Set([...p].filter((x) => !panels.includes(x))));
        },
        (e: Error & { code?: string }) => {
          if (stale || e.code === 'CANCELLED') return;
          setErrors((prev) => ({ ...prev, ...Object.fromEntries(panels.map((p) => [p, e.message])) }));
          setPending((p) => new Set([...p].filter((x) => !panels.includes(x))));
        },
      );
    });
    return () => {
      stale = true;
    };
  }, [api, query, range.from, range.to, caseKey, tick]);

  const submit = useCallback(
    (q: string) => {
      setQuery(q.trim());
      setDraft(q);
      setTick((t) => t + 1);
      const url = new URL(window.location.href);
      url.hash = dashboardHref({ query: q, from: range.from, to: range.to });
      window.history.replaceState(null, '', url);
    },
    [range.from, range.to],
  );

  const changeRange = (r: TimeRange) => {
    setRange(r);
    const url = new URL(window.location.href);
    url.hash = dashboardHref({ query, from: r.from, to: r.to });
    window.history.replaceState(null, '', url);
  };

  const scope: Scope = { query, from: range.from, to: range.to, colors };
  const stateOf = (p: PanelId): PanelState => (errors[p] ? 'error' : pending.has(p) ? 'loading' : 'ready');
  const available = new Set(data.summary?.available ?? []);
  // Until the summary says which panels the case has, show the ones most cases have as placeholders.
  const show = (p: PanelId) => (data.summary ? available.has(p) : ['eventsOverTime', 'severity', 'topHosts', 'topSrcIps'].includes(p));
  const common = (p: PanelId) => ({ state: stateOf(p), error: errors[p] ?? null, scope });
  const panelOf = (id: PanelId) => {
    switch (id) {
      case 'eventsOverTime':
        return <EventsOverTimePanel data={data.eventsOverTime} {...common(id)} />;
      case 'alertsOverTime':
        return <AlertsOverTimePanel data={data.alertsOverTime} {...common(id)} />;
      case 'severity':
        return <SeverityPanel data={data.severity} {...common(id)} />;
      case 'alertTypes':
        return <AlertTypesPanel data={data.alertTypes} {...common(id)} />;
      case 'malicious':
        return <MaliciousPanel data={data.malicious} {...common(id)} />;
      case 'topSrcIps':
        return <TopIpsPanel side="src" data={data.topSrcIps} {...common(id)} />;
      case 'topDstIps':
        return <TopIpsPanel side="dst" data={data.topDstIps} {...common(id)} />;
      case 'countries':
        return <CountriesPanel data={data.countries} {...common(id)} />;
      case 'topHosts':
        return <TopValuesPanel field="host" title="Top hosts" hint="events per host" span={4} data={data.topHosts} {...common(id)} />;
      case 'logonsByUser':
        return <LogonsPanel by="user" data={data.logonsByUser} {...common(id)} />;
      case 'logonsBySrcIp':
        return <LogonsPanel by="src_ip" data={data.logonsBySrcIp} {...common(id)} />;
      case 'topProcesses':
        return <TopValuesPanel field="process" title="Top processes" hint="events per image / program" data={data.topProcesses} {...common(id)} />;
      case 'topUsers':
        return <TopValuesPanel field="user" title="Top users" hint="events per user" data={data.topUsers} {...common(id)} />;
      case 'webStatus':
        return <WebStatusPanel data={data.webStatus} {...common(id)} />;
      case 'topUrls':
        return <TopUrlsPanel data={data.topUrls} {...common(id)} />;
      default:
        return null;
    }
  };
  const noEvents = caseInfo !== null && caseInfo.events === 0;
  const filtered = query.trim() !== '' || range.from !== null || range.to !== null;

  return (
    <section className="view dashboard" aria-labelledby="view-title" data-view="dashboard" data-state={noEvents ? 'no-events' : pending.size === 0 ? 'ready' : 'loading'}>
      <header className="hunt-bar">
        <h1 id="view-title" className="view-title-inline">
          Dashboard
        </h1>
        <QueryBar value={draft} onChange={setDraft} onSubmit={submit} placeholder="Narrow the dashboard with a search (empty: the whole case)" />
        <TimePicker value={range} onChange={changeRange} />
      </header>
      {noEvents ? (
        <EmptyState title="This case has no events yet" action={<a href="#/import">Import evidence</a>}>
          The overview of the case appears here once evidence is imported.
        </EmptyState>
      ) : errors.summary && !data.summary ? (
        <ErrorState title="The dashboard could not load" message={errors.summary} onRetry={() => setTick((t) => t + 1)} />
      ) : (
        <>
          <Summary data={data.summary} filtered={filtered} scope={scope} />
          <div className="panel-grid">
            {packRows(LAYOUT.filter((l) => show(l.id))).map((row) => (
              <div className="panel-row" key={row.map((r) => r.id).join('+')}>
                {row.map((l) => (
                  <Fragment key={l.id}>{panelOf(l.id)}</Fragment>
                ))}
              </div>
            ))}
          </div>
          {data.timings && pending.size === 0 ? <p className="muted small-note dashboard-foot">Loaded in two requests · {filtered ? 'counted live over the search' : 'from the case rollup'}</p> : null}
        </>
      )}
    </section>
  );
}

const n = (v: number) => v.toLocaleString();

function Summary({ data, filtered, scope }: { data: DashboardData['summary']; filtered: boolean; scope: Scope }) {
  if (!data)
    return (
      <div className="kpis" role="status" aria-label="Loading the summary">
        {[0, 1, 2, 3, 4].map((i) => (
          <div key={i} className="kpi">
            <span className="skeleton" />
          </div>
        ))}
      </div>
    );
  const levels = ['critical', 'high', 'medium', 'low', 'informational'] as const;
  const search = (q: string) => searchHref({ query: q ? andTerm(scope.query, q) : scope.query, from: scope.from, to: scope.to });
  return (
    <div className="kpis" data-testid="dashboard-summary">
      <a className="kpi" href={search('')} data-testid="kpi-events">
        <span className="kpi-label">{filtered ? 'Matching events' : 'Events'}</span>
        <strong className="kpi-value">{n(data.events)}</strong>
        <span className="kpi-note">{data.from ? `${formatTime(data.from, 'min')} → ${formatTime(data.to, 'min')} ${zoneLabel(data.from)}` : 'no times'}</span>
      </a>
      <div className="kpi">
        <span className="kpi-label">Datasets</span>
        <strong className="kpi-value">{n(data.datasets.length)}</strong>
        <span className="kpi-chips">
          {data.datasets.slice(0, 8).map((d) => (
            <a key={d.value} href={search(`dataset:${d.value}`)} className="ds-badge" style={datasetBadgeStyle(d.value)} title={`${n(d.count)} events`}>
              {d.value}
            </a>
          ))}
        </span>
      </div>
      <a className="kpi" href="#/entities?kind=host">
        <span className="kpi-label">Hosts</span>
        <strong className="kpi-value">{n(data.hosts)}</strong>
        <span className="kpi-note">
          {n(data.users)} user{data.users === 1 ? '' : 's'}
        </span>
      </a>
      <a className="kpi" href="#/entities?kind=ip">
        <span className="kpi-label">IP addresses</span>
        <strong className="kpi-value">{n(data.ips)}</strong>
        <span className="kpi-note">{data.maliciousIps === null ? 'intel not computed' : `${n(data.maliciousIps)} known-bad in the case`}</span>
      </a>
      {data.alerts ? (
        <a className="kpi" href={alertsHref()}>
          <span className="kpi-label">Alerts</span>
          <strong className="kpi-value">{n(data.alerts.total)}</strong>
          <span className="kpi-chips">
            {levels
              .filter((l) => (data.alerts?.byLevel[l] ?? 0) > 0)
              .map((l) => (
                <span key={l} className={`sev sev-${l}`}>
                  {n(data.alerts?.byLevel[l] ?? 0)} {l}
                </span>
              ))}
          </span>
        </a>
      ) : (
        <div className="kpi">
          <span className="kpi-label">Alerts</span>
          <strong className="kpi-value muted">—</strong>
          <span className="kpi-note">detection has not run</span>
        </div>
      )}
    </div>
  );
}
