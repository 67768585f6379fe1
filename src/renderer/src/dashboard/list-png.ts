import type { ChartColors } from '../charts/chart-theme';

export interface PngRow {
  label: string;
  value: number;
  /** A second segment drawn after the first (logons: failures after successes). */
  second?: number;
  note?: string;
}

/**
 * A list panel as an image: title, then one row per item with its bar, drawn
 * on a canvas in the theme's colours (the panel itself is HTML, which a
 * browser cannot snapshot without a library).
 */
export function listPng(title: string, rows: PngRow[], c: ChartColors, colors: { first: string; second?: string }): string | null {
  const scale = 2;
  const width = 640;
  const rowH = 26;
  const height = 48 + Math.max(1, rows.length) * rowH + 12;
  const canvas = document.createElement('canvas');
  canvas.width = width * scale;
  canvas.height = height * scale;
  const g = canvas.getContext('2d');
  if (!g) return null;
  g.scale(scale, scale);
  g.fillStyle = c.bg;
  g.fillRect(0, 0, width, height);
  g.fillStyle = c.text;
  g.font = '600 15px system-ui, sans-serif';
  g.fillText(title, 16, 28);
  const max = Math.max(1, ...rows.map((r) => r.value + (r.second ?? 0)));
  g.font = '13px system-ui, sans-serif';
  rows.forEach((r, i) => {
    const y = 48 + i * rowH;
    const label = r.label.length > 48 ? `${r.label.slice(0, 47)}…` : r.label;
    g.fillStyle = c.text;
    g.fillText(label, 16, y + 16);
    const barX = 360;
    const barW = 190;
    const w1 = (r.value / max) * barW;
    const w2 = ((r.second ?? 0) / max) * barW;
    g.fillStyle = colors.first;
    g.fillRect(barX, y + 6, w1, 12);
    if (colors.second && w2 > 0) {
      g.fillStyle = colors.second;
      g.fillRect(barX + w1, y + 6, w2, 12);
    }
    g.fillStyle = c.muted;
    const n = r.second === undefined ? r.value.toLocaleString('en-US') : `${r.value.toLocaleString('en-US')} / ${r.second.toLocaleString('en-US')}`;
    g.fillText(r.note ? `${n} ${r.note}` : n, barX + barW + 8, y + 16);
  });
  return canvas.toDataURL('image/png');
}

export function downloadPng(dataUrl: string, name: string): void {
  const a = document.createElement('a');
  a.href = dataUrl;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
