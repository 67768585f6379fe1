import countries from 'i18n-iso-countries';
import type { FeatureCollection } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';
import { echarts } from '../charts/echart';

let registered = false;

/**
 * Register the world map with ECharts once, from Natural Earth's 1:110m
 * countries (world-atlas, ISC). Each shape is named by its ISO 3166-1
 * alpha-2 code, the form the intel stores countries in, so series data
 * joins on the code.
 */
export function ensureWorldMap(): string {
  if (registered) return 'world';
  const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const fc = feature(topo, topo.objects.countries) as FeatureCollection;
  for (const f of fc.features) {
    if (f.id !== '010') unwrapAntimeridian(f.geometry);
    const numeric = f.id === undefined ? undefined : String(f.id).padStart(3, '0');
    const code = numeric ? countries.numericToAlpha2(numeric) : undefined;
    const name = (f.properties as { name?: string } | null)?.name ?? '';
    f.properties = { name: code ?? (name === 'Kosovo' ? 'XK' : name) };
  }
  echarts.registerMap('world', fc as unknown as Parameters<typeof echarts.registerMap>[1]);
  registered = true;
  return 'world';
}

type Ring = number[][];

/**
 * Natural Earth splits Russia and Fiji at 180°, and a ring that jumps from
 * +180 to -180 draws a line across the whole map. Shift the western part of
 * such a ring past 180° so it stays one shape at the eastern edge.
 */
function unwrapAntimeridian(g: import('geojson').Geometry | null): void {
  if (!g) return;
  const fix = (ring: Ring) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of ring) {
      const x = p[0] ?? 0;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (hi - lo > 270) for (const p of ring) if ((p[0] ?? 0) < 0) p[0] = (p[0] ?? 0) + 360;
  };
  if (g.type === 'Polygon') g.coordinates.forEach((r) => fix(r as Ring));
  else if (g.type === 'MultiPolygon') g.coordinates.forEach((poly) => poly.forEach((r) => fix(r as Ring)));
}
