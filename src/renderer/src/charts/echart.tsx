import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { BarChart, MapChart, PieChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, PieChart, MapChart, GridComponent, TooltipComponent, LegendComponent, GeoComponent, VisualMapComponent, CanvasRenderer]);

export { echarts };

export interface EChartHandle {
  /** The chart as a PNG data URL on the given background (the theme's panel colour). */
  toPng(background: string): string | null;
}

export interface ChartClick {
  seriesName?: string;
  seriesIndex?: number;
  dataIndex: number;
  name: string;
  value: unknown;
}

interface Props {
  option: echarts.EChartsCoreOption;
  onClick?: (p: ChartClick) => void;
  height: number;
  /** What the chart shows, for screen readers (the panel's table view lists the values). */
  label: string;
  testId?: string;
}

/**
 * One ECharts instance in a div: created once, given a new option whenever
 * it changes (the caller rebuilds it on theme or data changes), resized with
 * its box, disposed on unmount.
 */
export const EChart = forwardRef<EChartHandle, Props>(function EChart({ option, onClick, height, label, testId }, ref) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  useEffect(() => {
    click.current = onClick;
  });

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (p: unknown) => click.current?.(p as ChartClick));
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  useImperativeHandle(ref, () => ({
    toPng: (background: string) => chart.current?.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: background }) ?? null,
  }));

  return <div ref={el} className="echart" style={{ height, cursor: onClick ? 'pointer' : undefined }} role="img" aria-label={label} data-testid={testId} />;
});
