import { useEffect, useState } from 'react';

/** The palette of the current theme, read from the CSS variables so charts follow dark/light. */
export interface ChartColors {
  text: string;
  muted: string;
  border: string;
  accent: string;
  bg: string;
  bgSunken: string;
  ok: string;
  danger: string;
  warn: string;
  sev: Record<string, string>;
}

export function readChartColors(): ChartColors {
  const s = getComputedStyle(document.documentElement);
  const v = (n: string) => s.getPropertyValue(n).trim();
  return {
    text: v('--text'),
    muted: v('--text-muted'),
    border: v('--border'),
    accent: v('--accent'),
    bg: v('--bg-raised'),
    bgSunken: v('--bg-sunken'),
    ok: v('--ok'),
    danger: v('--danger'),
    warn: v('--warn'),
    sev: {
      informational: v('--sev-informational'),
      low: v('--sev-low'),
      medium: v('--sev-medium'),
      high: v('--sev-high'),
      critical: v('--sev-critical'),
      none: v('--text-muted'),
    },
  };
}

/** Re-read when the theme flips (data-theme on <html>), so charts re-render in the new palette. */
export function useChartColors(): ChartColors {
  const [colors, setColors] = useState(readChartColors);
  useEffect(() => {
    const obs = new MutationObserver(() => setColors(readChartColors()));
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => obs.disconnect();
  }, []);
  return colors;
}

/** The tooltip every chart uses: the theme's raised surface and text. */
export function tooltipStyle(c: ChartColors): Record<string, unknown> {
  return { backgroundColor: c.bg, borderColor: c.border, textStyle: { color: c.text, fontSize: 12 } };
}

/** Mix two #rrggbb colours (t = 0: a, 1: b), for scales that must read in both themes. */
export function mixHex(a: string, b: string, t: number): string {
  const pa = /^#?([0-9a-f]{6})$/i.exec(a.trim());
  const pb = /^#?([0-9a-f]{6})$/i.exec(b.trim());
  if (!pa || !pb) return a;
  const na = parseInt(pa[1] as string, 16);
  const nb = parseInt(pb[1] as string, 16);
  const ch = (n: number, sh: number) => (n >> sh) & 255;
  const m = (sh: number) => Math.round(ch(na, sh) + (ch(nb, sh) - ch(na, sh)) * t);
  return `#${((m(16) << 16) | (m(8) << 8) | m(0)).toString(16).padStart(6, '0')}`;
}
