/**
 * Times as an analyst types them. A value covers the span of its precision:
 * `2024-03-01` is that whole day, `2024-03-01T12:30` that minute. Times
 * without an offset are UTC (the case stores UTC and shows UTC by default).
 */
export interface TimeSpan {
  start: Date;
  end: Date;
}

const ISO_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const REL_RE = /^now(?:\s*([+-])\s*(\d+)\s*(s|m|h|d|w))?$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimeValue(input: string, now: Date = new Date()): TimeSpan | undefined {
  const v = input.trim();
  const rel = REL_RE.exec(v);
  if (rel) {
    const delta = rel[2] ? Number(rel[2]) * (UNIT_MS[(rel[3] ?? 's').toLowerCase()] ?? 1000) * (rel[1] === '-' ? -1 : 1) : 0;
    const t = new Date(now.getTime() + delta);
    return { start: t, end: new Date(t.getTime() + 1) };
  }
  if (/^\d{10}(\.\d+)?$/.test(v) || /^\d{13}$/.test(v)) {
    // Epoch seconds (10 digits) or milliseconds (13), as exported by many tools.
    const ms = v.length === 13 ? Number(v) : Math.round(Number(v) * 1000);
    return { start: new Date(ms), end: new Date(ms + 1) };
  }
  const m = ISO_RE.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  const hour = h ? Number(h) : 0;
  const minute = mi ? Number(mi) : 0;
  const second = s ? Number(s) : 0;
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  if (month > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMin = 0;
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const startMs = Date.UTC(year, month, day, hour, minute, second, ms) - offsetMin * 60_000;
  const start = new Date(startMs);
  if (Number.isNaN(start.getTime())) return undefined;
  let end: Date;
  if (frac) end = new Date(startMs + 1);
  else if (s) end = new Date(startMs + 1000);
  else if (mi) end = new Date(startMs + 60_000);
  else if (h) end = new Date(startMs + 3_600_000);
  else if (d) end = new Date(startMs + 86_400_000);
  else if (mo) end = new Date(Date.UTC(year, month + 1, 1) - offsetMin * 60_000);
  else end = new Date(Date.UTC(year + 1, 0, 1) - offsetMin * 60_000);
  return { start, end };
}
