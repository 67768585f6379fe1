import { quoteFieldName } from '@shared/query-lexer';

/** Display helpers for the hunt views: UTC times, cell text, dataset colours. */

/** `2024-03-12 06:03:00.123` (UTC): the case stores UTC and shows it by default. */
export function formatTs(v: unknown, tz: 'utc' | 'local' = 'utc'): string {
  if (typeof v !== 'string' || v === '') return '—';
  if (tz === 'utc') {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{3})?/.exec(v);
    return m ? `${m[1]} ${m[2]}${m[3] ?? ''}` : v;
  }
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
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

/** A search term for a value: bare when safe, quoted and escaped otherwise (the field too). */
export function termFor(field: string, value: unknown): string {
  const v = cellText(value);
  const safe = /^[A-Za-z0-9_.:\-/@]+$/.test(v) && !/^(and|or|not|to)$/i.test(v);
  return `${quoteFieldName(field)}:${safe ? v : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`}`;
}

/** Add a filter to a query (pivot): `field:"v"` or `NOT field:"v"`, ANDed on. */
export function addFilter(query: string, field: string, value: unknown, exclude: boolean): string {
  const term = `${exclude ? 'NOT ' : ''}${termFor(field, value)}`;
  const q = query.trim();
  if (!q) return term;
  // Wrap an OR query so the new filter applies to all of it.
  return /\bOR\b/i.test(q) ? `(${q}) AND ${term}` : `${q} AND ${term}`;
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
