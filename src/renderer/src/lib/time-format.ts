/**
 * The one formatter for every time Loupe shows. The case stores UTC; the
 * analyst chooses the display zone in Settings (UTC by default, the
 * machine's zone, or any IANA zone). Views call formatTime / zoneLabel and
 * re-render when the preference changes (PrefsProvider).
 */

export const UTC = 'UTC';
/** The machine's own zone, resolved when shown. */
export const LOCAL = 'local';

let zone = UTC;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Set by the preferences provider before it re-renders the app. */
export function setDisplayZone(z: string): void {
  zone = isValidZone(z) ? z : UTC;
}

export function displayZone(): string {
  return zone;
}

/** The IANA name of the display zone (the machine's when `local`). */
export function resolvedZone(z: string = zone): string {
  return z === LOCAL ? Intl.DateTimeFormat().resolvedOptions().timeZone || UTC : z;
}

export function isValidZone(z: string): boolean {
  if (z === UTC || z === LOCAL) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: z });
    return true;
  } catch {
    return false;
  }
}

/** Zones to offer: every zone the runtime knows, UTC first. */
export function knownZones(): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [UTC, LOCAL, ...all.filter((z) => z !== UTC)];
}

function formatter(z: string): Intl.DateTimeFormat {
  let f = formatters.get(z);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: z,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      fractionalSecondDigits: 3,
      timeZoneName: 'short',
    });
    formatters.set(z, f);
  }
  return f;
}

export type Precision = 'ms' | 's' | 'min' | 'day';

function parts(ms: number, z: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatter(z).formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

function cut(full: string, precision: Precision): string {
  // full is `YYYY-MM-DD HH:MM:SS.mmm`
  if (precision === 'day') return full.slice(0, 10);
  if (precision === 'min') return full.slice(0, 16);
  if (precision === 's') return full.slice(0, 19);
  return full;
}

/**
 * `2024-03-12 06:03:00.123` in the display zone. Accepts ISO text (UTC when
 * it has no offset, as the engine sends it) or epoch milliseconds.
 */
export function formatTime(v: unknown, precision: Precision = 'ms'): string {
  const ms = toMs(v);
  if (ms === null) return typeof v === 'string' && v !== '' ? v : '—';
  const z = resolvedZone();
  if (z === UTC) return cut(new Date(ms).toISOString().replace('T', ' ').replace('Z', ''), precision);
  const p = parts(ms, z);
  const full = `${p.year}-${p.month}-${p.day} ${p.hour === '24' ? '00' : p.hour}:${p.minute}:${p.second}.${p.fractionalSecond ?? '000'}`;
  return cut(full, precision);
}

/** A short name of the display zone for labels: `UTC`, `CET`, `GMT+2`. */
export function zoneLabel(at: unknown = Date.now()): string {
  const z = resolvedZone();
  if (z === UTC) return UTC;
  const ms = toMs(at) ?? Date.now();
  return parts(ms, z).timeZoneName ?? z;
}

export function toMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v === '') return null;
  // The engine's times are UTC; a text without an offset is UTC too.
  const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
