import type { CSSProperties } from 'react';
import { formatTime } from './time-format';

export { addFilter, termFor } from '@shared/search-terms';
export { formatTime, zoneLabel } from './time-format';

/** Display helpers for the hunt views: UTC times, cell text, dataset colours. */

/** An event time in the display zone (Settings; UTC by default): the one formatter every view uses. */
export function formatTs(v: unknown): string {
  return formatTime(v, 'ms');
}

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const PALETTE = ['#5fa8ff', '#4cc38a', '#e5b84c', '#ff8a4c', '#c792ea', '#ff6b9a', '#4dd0e1', '#a3be8c', '#f78c6c', '#82aaff', '#ffcb6b', '#89ddff'];
const KNOWN: Record<string, number> = { 'windows.security': 0, sysmon: 4, 'linux.auth': 1, 'zeek.conn': 6, 'suricata.alert': 5, 'web.access': 2 };

/** A stable colour per dataset, so the same source looks the same in every view and chart. */
export function datasetColor(dataset: unknown): string {
  const name = typeof dataset === 'string' ? dataset : '';
  const known = KNOWN[name];
  if (known !== undefined) return PALETTE[known] as string;
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length] as string;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no focus, no permission): fall back to a hidden textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

/**
 * A dataset badge: its colour on the border and as a tint, the text in the
 * theme's own colour (the palette's light tints fail contrast on white).
 */
export function datasetBadgeStyle(dataset: unknown): CSSProperties {
  const c = datasetColor(dataset);
  return { borderColor: c, ['--ds' as string]: c } as CSSProperties;
}
