import type { ReportData } from './report-data';

/**
 * The report's charts as SVG strings, drawn by ECharts' server-side renderer
 * (no DOM, no canvas, no script in the output), so the report stays one
 * self-contained file that a PDF printer renders exactly. Labels come from
 * the logs (hosts, datasets, rule titles): ECharts escapes text, and every
 * SVG is checked once more before it is embedded.
 */

export interface ReportChart {
  id: string;
  title: string;
  svg: string;
}

export const LEVEL_COLORS: Record<string, string> = {
  critical: '#9f1239',
  high: '#dc2626',
  medium: '#d97706',
  low: '#2563eb',
  informational: '#64748b',
  unknown: '#94a3b8',
};

const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#dc2626', '#0891b2', '#65a30d', '#db2777', '#475569', '#ca8a04', '#0d9488', '#9333ea'];
const WIDTH = 720;
const FONT = 'Helvetica, Arial, sans-serif';

type EChartsModule = typeof import('echarts');
let echartsModule: Promise<EChartsModule> | null = null;
/** ECharts is large: load it the first time a report is drawn, not when the CLI starts. */
function loadEcharts(): Promise<EChartsModule> {
  echartsModule ??= import('echarts');
  return echartsModule;
}

function cut(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

async function render(option: Record<string, unknown>, height: number): Promise<string> {
  const echarts = await loadEcharts();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT, color: '#1f2937' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * Defence in depth on top of ECharts' own escaping: the SVG may hold no
 * script, no foreign content, no event handler and no external reference.
 * Only tags are inspected (text content is escaped, so `<` there is `&lt;`).
 */
export function svgIsSafe(svg: string): boolean {
  if (!svg.startsWith('<svg')) return false;
  // ECharts may emit a <style> for hover effects: plain CSS rules are fine, anything that loads or runs is not.
  for (const m of svg.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) {
    const css = (m[1] ?? '').replace(/^\s*<!\[CDATA\[/, '').replace(/\]\]>\s*$/, '');
    if (/url\(|@import|expression\(|<|javascript:/i.test(css)) return false;
  }
  for (const m of svg.replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, '').matchAll(/<[^>]*>/g)) {
    const tag = m[0];
    if (/^<\/?\s*(script|foreignObject|iframe|object|embed|image|use|a|style)\b/i.test(tag)) return false;
    if (/\son[a-z]+\s*=/i.test(tag)) return false;
    if (/\s(xlink:)?href\s*=/i.test(tag)) return false;
    if (/url\(\s*(?!['"]?#)/i.test(tag)) return false;
  }
  return true;
}

/** A bucket's label as short as its size allows: a day, a day and hour, or a time. */
function axisTime(iso: string, bucketMs: number, spanMs: number): string {
  const d = iso.replace('T', ' ');
  if (bucketMs >= 86_400_000) return d.slice(0, 10);
  if (spanMs >= 86_400_000) return d.slice(5, 16);
  return bucketMs >= 60_000 ? d.slice(11, 16) : d.slice(11, 19);
}

export async function reportCharts(data: ReportData): Promise<{ charts: ReportChart[]; warnings: string[] }> {
  const c = data.charts;
  if (!c) return { charts: [], warnings: [] };
  const charts: ReportChart[] = [];
  const warnings: string[] = [];
  const add = async (id: string, title: string, option: Record<string, unknown>, height: number) => {
    const svg = await render(option, height);
    if (svgIsSafe(svg)) charts.push({ id, title, svg });
    else warnings.push(`The chart "${title}" was left out: its SVG did not pass the safety check`);
  };

  const h = c.overTime;
  if (h && h.buckets.length > 0) {
    const span = h.bucketMs * h.buckets.length;
    const series = (h.series ?? [{ name: 'events', counts: h.buckets.map((b) => b.count) }]).slice(0, PALETTE.length).map((s, i) => ({
      type: 'bar',
      name: cut(s.name, 30),
      stack: 'all',
      data: s.counts,
      itemStyle: { color: PALETTE[i % PALETTE.length] },
      barCategoryGap: '10%',
    }));
    await add(
      'events-over-time',
      `Events over time (${h.interval} per bar, UTC)${c.outside > 0 ? `; ${c.outside.toLocaleString('en-US')} event${c.outside === 1 ? '' : 's'} outside ${(h.from ?? '').slice(0, 10)} – ${(h.to ?? '').slice(0, 10)} not drawn` : ''}`,
      {
        grid: { left: 60, right: 16, top: 16, bottom: 80 },
        legend: { bottom: 0, type: 'plain', textStyle: { fontSize: 10 } },
        xAxis: { type: 'category', data: h.buckets.map((b) => axisTime(b.t, h.bucketMs, span)), axisLabel: { fontSize: 10 } },
        yAxis: { type: 'value', axisLabel: { fontSize: 10 } },
        series,
      },
      300,
    );
  }
  if (c.datasets.length > 0) {
    const ds = [...c.datasets].reverse();
    await add(
      'events-by-dataset',
      'Events by dataset',
      {
        grid: { left: 170, right: 60, top: 8, bottom: 24 },
        xAxis: { type: 'value', axisLabel: { fontSize: 10 } },
        yAxis: { type: 'category', data: ds.map((d) => cut(d.dataset, 28)), axisLabel: { fontSize: 10 } },
        series: [{ type: 'bar', data: ds.map((d) => d.events), itemStyle: { color: '#2563eb' }, label: { show: true, position: 'right', fontSize: 10 } }],
      },
      Math.max(120, 28 + ds.length * 22),
    );
  }
  if (c.alertLevels.length > 0) {
    await add(
      'alerts-by-level',
      'Alerts by level',
      {
        grid: { left: 60, right: 16, top: 16, bottom: 30 },
        xAxis: { type: 'category', data: c.alertLevels.map((l) => l.level), axisLabel: { fontSize: 11 } },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 10 } },
        series: [{ type: 'bar', data: c.alertLevels.map((l) => ({ value: l.alerts, itemStyle: { color: LEVEL_COLORS[l.level] ?? LEVEL_COLORS.unknown } })), label: { show: true, position: 'top', fontSize: 10 } }],
      },
      180,
    );
  }
  if (c.bookmarkHosts.length > 0) {
    const hosts = [...c.bookmarkHosts].reverse();
    await add(
      'bookmarks-by-host',
      'Bookmarked events by host',
      {
        grid: { left: 170, right: 60, top: 8, bottom: 24 },
        xAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 10 } },
        yAxis: { type: 'category', data: hosts.map((x) => cut(x.host, 28)), axisLabel: { fontSize: 10 } },
        series: [{ type: 'bar', data: hosts.map((x) => x.events), itemStyle: { color: '#7c3aed' }, label: { show: true, position: 'right', fontSize: 10 } }],
      },
      Math.max(100, 28 + hosts.length * 22),
    );
  }
  return { charts, warnings };
}
