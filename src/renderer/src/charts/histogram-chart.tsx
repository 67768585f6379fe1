import { useEffect, useRef } from 'react';
import { BarChart } from 'echarts/charts';
import { BrushComponent, GridComponent, ToolboxComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { Histogram } from '@shared/query-contract';
import { datasetColor } from '../lib/format';
import { displayZone, formatTime, zoneLabel } from '../lib/time-format';
import { useChartColors } from './chart-theme';

echarts.use([BarChart, GridComponent, TooltipComponent, BrushComponent, ToolboxComponent, CanvasRenderer]);

function label(iso: string, bucketMs: number): string {
  if (bucketMs >= 86_400_000) return formatTime(iso, 'day');
  if (bucketMs >= 60_000) return formatTime(iso, 'min').slice(5);
  return formatTime(iso, 's').slice(11);
}

/**
 * Events over time, one bar per bucket (stacked by dataset when split).
 * Drag across the bars to zoom the time range to the selection.
 */
export function HistogramChart({ data, onBrush, height = 120 }: { data: Histogram; onBrush: (from: string, to: string) => void; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const colors = useChartColors();
  // Labels are in the display zone: redraw when it changes.
  const zone = displayZone();
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
            const head = `${formatTime(data.buckets[i]?.t, 's')} ${zoneLabel(data.buckets[i]?.t)} (${data.interval})`;
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
  }, [data, colors, zone]);

  return <div ref={el} className="histogram-chart" style={{ height }} data-testid="histogram" data-buckets={data.buckets.length} role="img" aria-label={`Events over time, ${data.total.toLocaleString()} events in ${data.interval} buckets; drag to zoom`} />;
}
