import { useMemo, useRef, useState, type ReactNode } from 'react';
import type { AlertsOverTime, AlertType, DashboardData, IpCount, LogonCount, ValueCount } from '@shared/overview-contract';
import { LOGON_ACTIONS } from '@shared/overview-contract';
import type { Histogram } from '@shared/query-contract';
import { andTerm, anyOf, termFor } from '@shared/search-terms';
import type { ChartColors } from '../charts/chart-theme';
import { mixHex, tooltipStyle } from '../charts/chart-theme';
import { EChart, type EChartHandle } from '../charts/echart';
import { CountryFlag, countryName } from '../components/country-flag';
import { EntityLink } from '../components/entity-link';
import { datasetColor } from '../lib/format';
import { alertsHref, go, searchHref } from '../lib/nav';
import { displayZone, formatTime, zoneLabel } from '../lib/time-format';
import { BarList, type BarItem } from './bar-list';
import { listPng, type PngRow } from './list-png';
import { Panel, type PanelState } from './panel';
import { ensureWorldMap } from './world-map';

/** What every panel needs: the dashboard's own search, to AND a drill-down onto. */
export interface Scope {
  query: string;
  from: string | null;
  to: string | null;
  colors: ChartColors;
}

export interface PanelProps<T> {
  data: T | undefined;
  state: PanelState;
  error?: string | null;
  scope: Scope;
}

function drill(scope: Scope, term: string, range?: { from: string; to: string }): string {
  return searchHref({ query: andTerm(scope.query, term), from: range?.from ?? scope.from, to: range?.to ?? scope.to });
}

const n = (v: number) => v.toLocaleString();

function axisLabel(iso: string, bucketMs: number): string {
  if (bucketMs >= 86_400_000) return formatTime(iso, 'day');
  if (bucketMs >= 60_000) return formatTime(iso, 'min').slice(5);
  return formatTime(iso, 's').slice(11);
}

function timeAxis(c: ChartColors, cats: string[]) {
  return {
    type: 'category' as const,
    data: cats,
    axisLabel: { color: c.muted, fontSize: 11 },
    axisLine: { lineStyle: { color: c.border } },
    axisTick: { show: false },
  };
}

function valueAxis(c: ChartColors) {
  return { type: 'value' as const, axisLabel: { color: c.muted, fontSize: 11 }, splitLine: { lineStyle: { color: c.border, opacity: 0.5 } } };
}

function legend(c: ChartColors) {
  return { top: 0, left: 0, type: 'scroll' as const, textStyle: { color: c.text, fontSize: 12 }, pageTextStyle: { color: c.muted }, itemWidth: 12, itemHeight: 10 };
}

function SimpleTable({ head, rows }: { head: string[]; rows: { key: string; cells: ReactNode[] }[] }) {
  return (
    <table className="data-table">
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            {r.cells.map((c, i) => (
              <td key={i}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ------------------------------------------------------------------ over time

export function EventsOverTimePanel({ data, state, error, scope }: PanelProps<Histogram>) {
  const chart = useRef<EChartHandle>(null);
  // Evidence often spans years with one busy source: on a linear scale the small ones vanish.
  const [log, setLog] = useState(false);
  const c = scope.colors;
  const zone = displayZone();
  const option = useMemo(() => {
    if (!data) return {};
    const cats = data.buckets.map((b) => axisLabel(b.t, data.bucketMs));
    return {
      animation: false,
      grid: { left: 52, right: 12, top: 30, bottom: 24 },
      legend: legend(c),
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        ...tooltipStyle(c),
        formatter: (ps: unknown) => {
          const list = ps as { dataIndex: number; seriesName: string; value: number; color: string }[];
          const i = list[0]?.dataIndex ?? 0;
          const t = data.buckets[i]?.t;
          const lines = list.filter((p) => p.value > 0).map((p) => `<span style="color:${p.color}">●</span> ${p.seriesName}: ${n(p.value)}`);
          return [`${formatTime(t, 's')} ${zoneLabel(t)} (${data.interval})`, ...lines, 'Click to search this bucket'].join('<br/>');
        },
      },
      xAxis: timeAxis(c, cats),
      // A log axis cannot stack (the sum of logs is meaningless) nor show 0: bars side by side, empty buckets left out.
      yAxis: log ? { ...valueAxis(c), type: 'log' as const, logBase: 10, min: 1 } : valueAxis(c),
      series: (data.series ?? []).map((s) => ({
        name: s.name,
        type: 'bar',
        ...(log ? {} : { stack: 'all' }),
        data: log ? s.counts.map((v) => (v > 0 ? v : '-')) : s.counts,
        itemStyle: { color: datasetColor(s.name) },
        barCategoryGap: '15%',
      })),
    };
    // zone: labels are formatted in the display zone
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, c, zone, log]);
  const bucketRange = (i: number) => {
    const t = data?.buckets[i]?.t;
    if (!t || !data) return undefined;
    return { from: t, to: new Date(Date.parse(t) + data.bucketMs).toISOString() };
  };
  const total = data?.buckets.reduce((a, b) => a + b.count, 0) ?? 0;
  return (
    <Panel
      id="eventsOverTime"
      title="Events over time"
      hint={data ? `by dataset · ${data.interval} buckets · ${zoneLabel()}${data.noTime ? ` · ${n(data.noTime)} without a time` : ''}` : 'by dataset'}
      state={state}
      error={error}
      empty={total === 0}
      emptyText="No event with a time matches."
      span={12}
      actions={
        <button type="button" className="ghost small" aria-pressed={log} onClick={() => setLog((x) => !x)} title="Logarithmic count axis: small sources stay visible beside a large one" data-testid="log-eventsOverTime">
          Log scale
        </button>
      }
      png={(bg) => chart.current?.toPng(bg) ?? null}
      table={
        data ? (
          <SimpleTable
            head={['Bucket', 'Events']}
            rows={data.buckets
              .map((b, i) => ({ b, i }))
              .filter(({ b }) => b.count > 0)
              .map(({ b, i }) => {
                const r = bucketRange(i);
                return { key: b.t, cells: [formatTime(b.t, 's'), <a href={searchHref({ query: scope.query, from: r?.from, to: r?.to })}>{n(b.count)}</a>] };
              })}
          />
        ) : null
      }
    >
      <EChart
        ref={chart}
        option={option}
        height={210}
        label={`Events over time by dataset: ${n(total)} events in ${data?.buckets.length ?? 0} buckets of ${data?.interval ?? ''}`}
        testId="chart-eventsOverTime"
        onClick={(p) => {
          const r = bucketRange(p.dataIndex);
          if (r) go(drill(scope, p.seriesName ? termFor('dataset', p.seriesName) : '', r));
        }}
      />
    </Panel>
  );
}

export function AlertsOverTimePanel({ data, state, error, scope }: PanelProps<AlertsOverTime>) {
  const chart = useRef<EChartHandle>(null);
  const c = scope.colors;
  const zone = displayZone();
  const option = useMemo(() => {
    if (!data) return {};
    return {
      animation: false,
      grid: { left: 44, right: 12, top: 30, bottom: 24 },
      legend: legend(c),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, ...tooltipStyle(c) },
      xAxis: timeAxis(
        c,
        data.buckets.map((t) => axisLabel(t, data.bucketMs)),
      ),
      yAxis: valueAxis(c),
      series: data.series.map((s) => ({ name: s.level, type: 'bar', stack: 'all', data: s.counts, itemStyle: { color: c.sev[s.level] ?? c.muted }, barCategoryGap: '15%' })),
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, c, zone]);
  const range = (i: number) => {
    const t = data?.buckets[i];
    return t && data ? { from: t, to: new Date(Date.parse(t) + data.bucketMs).toISOString() } : undefined;
  };
  return (
    <Panel
      id="alertsOverTime"
      title="Alerts over time"
      hint={data ? `matching events by alert level · ${data.interval} buckets` : 'matching events by alert level'}
      state={state}
      error={error}
      empty={(data?.total ?? 0) === 0}
      emptyText="No alerting event in this range."
      span={8}
      png={(bg) => chart.current?.toPng(bg) ?? null}
      table={
        data ? (
          <SimpleTable
            head={['Level', 'Events']}
            rows={data.series.map((s) => ({ key: s.level, cells: [<span className={`sev sev-${s.level}`}>{s.level}</span>, n(s.counts.reduce((a, b) => a + b, 0))] }))}
          />
        ) : null
      }
    >
      <EChart
        ref={chart}
        option={option}
        height={200}
        label={`Alerting events over time by level: ${n(data?.total ?? 0)} events`}
        testId="chart-alertsOverTime"
        onClick={(p) => {
          const r = range(p.dataIndex);
          if (r) go(drill(scope, 'alert:*', r));
        }}
      />
    </Panel>
  );
}

// ------------------------------------------------------------------ breakdowns

export function SeverityPanel({ data, state, error, scope }: PanelProps<ValueCount[]>) {
  const chart = useRef<EChartHandle>(null);
  const c = scope.colors;
  const total = (data ?? []).reduce((a, b) => a + b.count, 0);
  const option = useMemo(
    () => ({
      animation: false,
      tooltip: { trigger: 'item', ...tooltipStyle(c), formatter: '{b}: {c} ({d}%)' },
      legend: { ...legend(c), bottom: 0, top: undefined },
      series: [
        {
          type: 'pie',
          radius: ['42%', '68%'],
          center: ['50%', '44%'],
          avoidLabelOverlap: true,
          label: { color: c.text, formatter: (p: { name: string; percent: number }) => `${p.name} ${p.percent < 1 ? '<1' : Math.round(p.percent)}%`, fontSize: 11.5 },
          labelLine: { lineStyle: { color: c.muted } },
          itemStyle: { borderColor: c.bg, borderWidth: 2 },
          // Thin slices keep their colour and tooltip but no label: the legend names them.
          data: (data ?? []).map((s) => {
            const big = s.count / Math.max(1, total) >= 0.06;
            return { name: s.value, value: s.count, itemStyle: { color: c.sev[s.value] ?? c.muted }, label: { show: big }, labelLine: { show: big } };
          }),
        },
      ],
    }),
    [data, c, total],
  );
  return (
    <Panel
      id="severity"
      title="Severity"
      hint="events by severity"
      state={state}
      error={error}
      empty={(data ?? []).length === 0}
      emptyText="No event carries a severity."
      span={4}
      png={(bg) => chart.current?.toPng(bg) ?? null}
      table={<SimpleTable head={['Severity', 'Events']} rows={(data ?? []).map((s) => ({ key: s.value, cells: [<span className={`sev sev-${s.value}`}>{s.value}</span>, <a href={drill(scope, termFor('severity', s.value))}>{n(s.count)}</a>] }))} />}
    >
      <EChart
        ref={chart}
        option={option}
        height={220}
        label={`Events by severity: ${(data ?? []).map((s) => `${s.value} ${n(s.count)}`).join(', ')}`}
        testId="chart-severity"
        onClick={(p) => go(drill(scope, termFor('severity', p.name)))}
      />
    </Panel>
  );
}

function pngOf(title: string, rows: PngRow[], c: ChartColors, first: string, second?: string) {
  return () => listPng(title, rows, c, { first, ...(second ? { second } : {}) });
}

export function AlertTypesPanel({ data, state, error, scope }: PanelProps<AlertType[]>) {
  const c = scope.colors;
  const items: BarItem[] = (data ?? []).map((a) => {
    const term = a.source === 'sigma' && a.ruleId ? termFor('rule', a.ruleId) : `action:alert AND ${termFor('message', a.name)}`;
    return {
      key: `${a.source}:${a.ruleId ?? a.name}`,
      label:
        a.source === 'sigma' ? (
          <a href={alertsHref({ rule: a.ruleId })} title="Open in Alerts">
            {a.name}
          </a>
        ) : (
          <span title={a.name}>{a.name}</span>
        ),
      extra: <span className={a.source === 'sigma' ? `sev sev-${a.level ?? 'none'}` : 'tag-chip'}>{a.source === 'sigma' ? (a.level ?? 'rule') : 'IDS'}</span>,
      drillLabel: `Search the ${n(a.count)} events of ${a.name}`,
      href: drill(scope, term),
      value: a.count,
      color: a.source === 'sigma' ? (c.sev[a.level ?? 'none'] ?? c.accent) : c.accent,
    };
  });
  return (
    <Panel
      id="alertTypes"
      title="Alert and attack types"
      hint="Sigma rules and IDS signatures, by matching events"
      state={state}
      error={error}
      empty={items.length === 0}
      emptyText="No Sigma alert and no IDS signature in this range."
      png={pngOf(
        'Alert and attack types',
        (data ?? []).map((a) => ({ label: `${a.source === 'ids' ? '[IDS] ' : `[${a.level ?? 'rule'}] `}${a.name}`, value: a.count })),
        c,
        c.accent,
      )}
    >
      <BarList items={items} firstColor={c.accent} />
    </Panel>
  );
}

// ------------------------------------------------------------------ IPs

function IpExtra({ ip }: { ip: IpCount }) {
  return (
    <span className="ip-extra">
      <CountryFlag code={ip.country} />
      {ip.ipsum !== null && ip.ipsum > 0 ? (
        <span className={`ipsum${ip.malicious ? ' bad' : ''}`} title={`On ${ip.ipsum} IPsum blocklist(s)`}>
          IPsum {ip.ipsum}
        </span>
      ) : null}
      {ip.iocLists.length > 0 ? (
        <span className="ioc bad" title={`On IOC list(s): ${ip.iocLists.join(', ')}`}>
          IOC
        </span>
      ) : null}
      {ip.malicious ? (
        <span className="visually-hidden">malicious</span>
      ) : null}
    </span>
  );
}

function ipItems(ips: IpCount[], field: string, scope: Scope, what: string): BarItem[] {
  return ips.map((ip) => ({
    key: ip.ip,
    label: <EntityLink kind="ip" value={ip.ip} className={ip.malicious ? 'bad' : undefined} />,
    extra: <IpExtra ip={ip} />,
    drillLabel: `Search the ${n(ip.count)} events ${what} ${ip.ip}`,
    href: drill(scope, termFor(field, ip.ip)),
    value: ip.count,
    color: ip.malicious ? scope.colors.danger : undefined,
  }));
}

function ipPng(ips: IpCount[]): PngRow[] {
  return ips.map((ip) => ({ label: `${ip.ip}${ip.country ? ` (${ip.country})` : ''}`, value: ip.count, note: ip.ipsum ? `IPsum ${ip.ipsum}` : ip.malicious ? 'IOC' : '' }));
}

export function TopIpsPanel({ data, state, error, scope, side }: PanelProps<IpCount[]> & { side: 'src' | 'dst' }) {
  const title = side === 'src' ? 'Top source IPs' : 'Top destination IPs';
  return (
    <Panel
      id={side === 'src' ? 'topSrcIps' : 'topDstIps'}
      title={title}
      hint="events · country · IPsum score"
      state={state}
      error={error}
      empty={(data ?? []).length === 0}
      emptyText={`No event has a ${side === 'src' ? 'source' : 'destination'} IP.`}
      png={pngOf(title, ipPng(data ?? []), scope.colors, scope.colors.accent)}
    >
      <BarList items={ipItems(data ?? [], side === 'src' ? 'src_ip' : 'dst_ip', scope, side === 'src' ? 'from' : 'to')} firstColor={scope.colors.accent} />
    </Panel>
  );
}

export function MaliciousPanel({ data, state, error, scope }: PanelProps<DashboardData['malicious']>) {
  const c = scope.colors;
  return (
    <Panel
      id="malicious"
      title="Known-bad IPs"
      hint="IPsum at or above the threshold, or on an IOC list"
      state={state}
      error={error}
      empty={(data?.events ?? 0) === 0}
      emptyText="No event touched a known-bad IP. Import IPsum or IOC lists in Settings to check against more intel."
      png={pngOf(`Known-bad IPs: ${n(data?.events ?? 0)} events`, ipPng(data?.ips ?? []), c, c.danger)}
    >
      <p className="big-figure">
        <a href={drill(scope, 'malicious:true')} data-testid="malicious-events">
          <strong>{n(data?.events ?? 0)}</strong> events
        </a>{' '}
        touched <strong>{n(data?.totalIps ?? 0)}</strong> known-bad IP{data?.totalIps === 1 ? '' : 's'}
      </p>
      <BarList items={ipItems(data?.ips ?? [], 'ip', scope, 'with')} firstColor={c.danger} />
    </Panel>
  );
}

export function CountriesPanel({ data, state, error, scope }: PanelProps<DashboardData['countries']>) {
  const chart = useRef<EChartHandle>(null);
  const c = scope.colors;
  const option = useMemo(() => {
    const map = ensureWorldMap();
    const rows = data ?? [];
    // Colour by log10: one country often holds most sources, and a linear
    // scale would leave every other one looking empty.
    const max = Math.max(1, ...rows.map((r) => Math.log10(r.count + 1)));
    return {
      animation: false,
      tooltip: {
        trigger: 'item',
        ...tooltipStyle(c),
        formatter: (p: unknown) => {
          const x = p as { name: string; value: number };
          const row = rows.find((r) => r.country === x.name);
          return row ? `${countryName(x.name)}<br/>${n(row.count)} events from ${n(row.ips)} IPs` : `${countryName(x.name)}<br/>no source events`;
        },
      },
      visualMap: {
        min: 0,
        max,
        left: 8,
        bottom: 8,
        calculable: false,
        text: [n(Math.round(10 ** max - 1)), '1'],
        textStyle: { color: c.muted, fontSize: 11 },
        inRange: { color: [mixHex(c.accent, c.bg, 0.7), c.accent] },
        itemHeight: 90,
        itemWidth: 10,
      },
      series: [
        {
          type: 'map',
          map,
          roam: false,
          aspectScale: 0.85,
          left: 56,
          right: 8,
          top: 4,
          bottom: 4,
          emphasis: { label: { show: false }, itemStyle: { areaColor: c.accent, borderColor: c.text } },
          select: { disabled: true },
          itemStyle: { borderColor: c.bg, borderWidth: 0.6, areaColor: c.border },
          data: rows.map((r) => ({ name: r.country, value: Math.log10(r.count + 1) })),
        },
      ],
    };
  }, [data, c]);
  return (
    <Panel
      id="countries"
      title="Source countries"
      hint="events by the country of their source IP (public IPs)"
      state={state}
      error={error}
      empty={(data ?? []).length === 0}
      emptyText="No source IP with a known country."
      span={8}
      png={(bg) => chart.current?.toPng(bg) ?? null}
      table={
        <SimpleTable
          head={['Country', 'Events', 'IPs']}
          rows={(data ?? []).map((r) => ({ key: r.country, cells: [<CountryFlag code={r.country} showName />, <a href={drill(scope, termFor('src_country', r.country))}>{n(r.count)}</a>, n(r.ips)] }))}
        />
      }
    >
      <EChart
        ref={chart}
        option={option}
        height={330}
        label={`Source countries: ${(data ?? [])
          .slice(0, 5)
          .map((r) => `${countryName(r.country)} ${n(r.count)}`)
          .join(', ')}`}
        testId="chart-countries"
        onClick={(p) => {
          if ((data ?? []).some((r) => r.country === p.name)) go(drill(scope, termFor('src_country', p.name)));
        }}
      />
    </Panel>
  );
}

// ------------------------------------------------------------------ logons

export function LogonsPanel({ data, state, error, scope, by }: PanelProps<LogonCount[]> & { by: 'user' | 'src_ip' }) {
  const c = scope.colors;
  const logon = anyOf('action', [...LOGON_ACTIONS]);
  const title = by === 'user' ? 'Logons by user' : 'Logons by source IP';
  const items: BarItem[] = (data ?? []).map((l) => ({
    key: l.value,
    label: <EntityLink kind={by === 'user' ? 'user' : 'ip'} value={l.value} />,
    drillLabel: `Search the ${n(l.success)} successful logons of ${l.value}`,
    href: drill(scope, `${termFor(by, l.value)} AND ${logon} AND outcome:success`),
    value: l.success,
    second: { value: l.failure, href: drill(scope, `${termFor(by, l.value)} AND ${logon} AND outcome:failure`), drillLabel: `Search the ${n(l.failure)} failed logons of ${l.value}` },
  }));
  return (
    <Panel
      id={by === 'user' ? 'logonsByUser' : 'logonsBySrcIp'}
      title={title}
      hint="successful and failed, most failures first"
      state={state}
      error={error}
      empty={items.length === 0}
      emptyText="No logon attempt (Windows 4624/4625, SSH, login) in this range."
      png={pngOf(
        `${title} (success / failure)`,
        (data ?? []).map((l) => ({ label: l.value, value: l.success, second: l.failure })),
        c,
        c.ok,
        c.danger,
      )}
    >
      <BarList items={items} firstColor={c.ok} secondColor={c.danger} labels={{ first: 'success', second: 'failure' }} />
    </Panel>
  );
}

// ------------------------------------------------------------------ top values

export function TopValuesPanel({ data, state, error, scope, field, title, hint, span }: PanelProps<ValueCount[]> & { field: 'host' | 'user' | 'process'; title: string; hint: string; span?: 4 | 6 }) {
  const c = scope.colors;
  const items: BarItem[] = (data ?? []).map((v) => ({
    key: v.value,
    label:
      field === 'process' ? (
        <a href={drill(scope, termFor('process', v.value))} className="mono" title={v.value}>
          {v.value}
        </a>
      ) : (
        <EntityLink kind={field} value={v.value} />
      ),
    drillLabel: `Search the ${n(v.count)} events of ${field} ${v.value}`,
    href: drill(scope, termFor(field, v.value)),
    value: v.count,
  }));
  return (
    <Panel
      id={field === 'host' ? 'topHosts' : field === 'user' ? 'topUsers' : 'topProcesses'}
      title={title}
      hint={hint}
      state={state}
      error={error}
      empty={items.length === 0}
      emptyText={`No event names a ${field}.`}
      span={span ?? 6}
      png={pngOf(
        title,
        (data ?? []).map((v) => ({ label: v.value, value: v.count })),
        c,
        c.accent,
      )}
    >
      <BarList items={items} firstColor={c.accent} />
    </Panel>
  );
}

// ------------------------------------------------------------------ web

function statusColor(code: string, c: ChartColors): string {
  if (code.startsWith('5')) return c.danger;
  if (code.startsWith('4')) return c.warn;
  if (code.startsWith('3')) return c.accent;
  return c.ok;
}

export function WebStatusPanel({ data, state, error, scope }: PanelProps<ValueCount[]>) {
  const chart = useRef<EChartHandle>(null);
  const c = scope.colors;
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 52, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: 'item', ...tooltipStyle(c), formatter: (p: unknown) => `HTTP ${(p as { name: string }).name}: ${n((p as { value: number }).value)}` },
      xAxis: { type: 'category', data: (data ?? []).map((s) => s.value), axisLabel: { color: c.muted }, axisLine: { lineStyle: { color: c.border } }, axisTick: { show: false } },
      yAxis: valueAxis(c),
      series: [{ type: 'bar', data: (data ?? []).map((s) => ({ value: s.count, itemStyle: { color: statusColor(s.value, c) } })), barMaxWidth: 36 }],
    }),
    [data, c],
  );
  const term = (code: string) => `dataset:web.access AND ${termFor('event_code', code)}`;
  return (
    <Panel
      id="webStatus"
      title="Web status codes"
      hint="access-log requests by HTTP status"
      state={state}
      error={error}
      empty={(data ?? []).length === 0}
      emptyText="No web request in this range."
      span={4}
      png={(bg) => chart.current?.toPng(bg) ?? null}
      table={<SimpleTable head={['Status', 'Requests']} rows={(data ?? []).map((s) => ({ key: s.value, cells: [s.value, <a href={drill(scope, term(s.value))}>{n(s.count)}</a>] }))} />}
    >
      <EChart ref={chart} option={option} height={220} label={`Web status codes: ${(data ?? []).map((s) => `${s.value} ${n(s.count)}`).join(', ')}`} testId="chart-webStatus" onClick={(p) => go(drill(scope, term(p.name)))} />
    </Panel>
  );
}

export function TopUrlsPanel({ data, state, error, scope }: PanelProps<DashboardData['topUrls']>) {
  const c = scope.colors;
  const items: BarItem[] = (data ?? []).map((u) => ({
    key: `${u.field}:${u.value}`,
    label: (
      <a href={drill(scope, termFor(u.field, u.value))} className="mono" title={u.value}>
        {u.value}
      </a>
    ),
    drillLabel: `Search the ${n(u.count)} requests for ${u.value}`,
    href: drill(scope, termFor(u.field, u.value)),
    value: u.count,
  }));
  return (
    <Panel
      id="topUrls"
      title="Top URLs"
      hint="web requests by path"
      state={state}
      error={error}
      empty={items.length === 0}
      emptyText="No web request in this range."
      span={8}
      png={pngOf(
        'Top URLs',
        (data ?? []).map((u) => ({ label: u.value, value: u.count })),
        c,
        c.accent,
      )}
    >
      <BarList items={items} firstColor={c.accent} />
    </Panel>
  );
}
