import { useEffect, useRef, useState } from 'react';
import { BarChart } from 'echarts/charts';
import { BrushComponent, GridComponent, ToolboxComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { Histogram } from '@shared/query-contract';
import { datasetColor } from '../lib/format';

echarts.use([BarChart, GridComponent, TooltipComponent, BrushComponent, ToolboxComponent, CanvasRenderer]);

/** The palette of the current theme, read from the CSS variables so the chart follows dark/light. */
function useThemeColors(): Record<string, string> {
  const read = () => {
    const s = getComputedStyle(document.documentElement);
    const v = (n: string) => s.getPropertyValue(n).trim();
    return { text: v('--text'), muted: v('--text-muted'), border: v('--border'), accent: v('--accent'), bg: v('--bg-raised') };
  };
  const [colors, setColors] = useState(read);
  useEffect(() => {
    const obs = new MutationObserver(() => setColors(read()));
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => obs.disconnect();
  }, []);
  return colors;
}

function label(iso: string, bucketMs: number): string {
  const d = iso.replace('T', ' ');
  if (bucketMs >= 86_400_000) return d.slice(0, 10);
  if (bucketMs >= 60_000) return d.slice(5, 16);
  return d.slice(11, 19);
}

/**
 * Events over time, one bar per bucket (stacked by dataset when split).
 * Drag across the bars to zoom the time range to the selection.
 */
export function HistogramChart({ data, onBrush, height = 120 }: { data: Histogram; onBrush: (from: string, to: string) => void; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const colors = useThemeColors();
  const latest = useRef({ data, onBrush });
  useEffect(() => {
    latest.current = { data, onBrush };
  });

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('brushEnd', (params: unknown) => {
      const area = (params as { areas?: { coordRange?: [number, number] }[] }).areas?.[0];
      const range = area?.coordRange;
      const { data: h, onBrush: cb } = latest.current;
      if (!range || h.buckets.length === 0) return;
      const a = Math.max(0, Math.min(range[0], range[1]));
      const b = Math.min(h.buckets.length - 1, Math.max(range[0], range[1]));
      const from = h.buckets[a]?.t;
      const toBucket = h.buckets[b]?.t;
      c.dispatchAction({ type: 'brush', areas: [] });
      if (from && toBucket) cb(from, new Date(Date.parse(toBucket) + h.bucketMs).toISOString());
    });
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const cats = data.buckets.map((b) => label(b.t, data.bucketMs));
    const series = data.series?.length
      ? data.series.map((s) => ({ name: s.name, type: 'bar' as const, stack: 'all', data: s.counts, itemStyle: { color: datasetColor(s.name) }, barCategoryGap: '15%' }))
      : [{ name: 'events', type: 'bar' as const, data: data.buckets.map((b) => b.count), itemStyle: { color: colors.accent }, barCategoryGap: '15%' }];
    c.setOption(
      {
        animation: false,
        grid: { left: 48, right: 12, top: 8, bottom: 22 },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'shadow' },
          backgroundColor: colors.bg,
          borderColor: colors.border,
          textStyle: { color: colors.text, fontSize: 12 },
          formatter: (ps: unknown) => {
            const list = ps as { dataIndex: number; seriesName: string; value: number; color: string }[];
            const i = list[0]?.dataIndex ?? 0;
            const head = `${data.buckets[i]?.t.replace('T', ' ').replace('.000Z', '')} UTC (${data.interval})`;
            const lines = list.filter((p) => p.value > 0).map((p) => `<span style="color:${p.color}">●</span> ${p.seriesName}: ${p.value.toLocaleString()}`);
            return [head, ...lines].join('<br/>');
          },
        },
        xAxis: { type: 'category', data: cats, axisLabel: { color: colors.muted, fontSize: 11 }, axisLine: { lineStyle: { color: colors.border } }, axisTick: { show: false } },
        yAxis: { type: 'value', axisLabel: { color: colors.muted, fontSize: 11 }, splitLine: { lineStyle: { color: colors.border, opacity: 0.5 } } },
        brush: { xAxisIndex: 0, brushType: 'lineX', brushMode: 'single', transformable: false, brushStyle: { color: 'rgba(95,168,255,0.18)', borderColor: colors.accent } },
        toolbox: { show: false },
        series,
      },
      { notMerge: true },
    );
    // Brush is the chart's only gesture: arm it so a drag selects a time span.
    c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
  }, [data, colors]);

  return <div ref={el} className="histogram-chart" style={{ height }} data-testid="histogram" data-buckets={data.buckets.length} role="img" aria-label={`Events over time, ${data.total.toLocaleString()} events in ${data.interval} buckets; drag to zoom`} />;
}
