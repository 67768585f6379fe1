import { useEffect, useRef, useState, type FormEvent } from 'react';
import { formatTime, zoneLabel } from '../lib/time-format';

export interface TimeRange {
  /** A preset id (`15m`, `24h`, `all` ...) or `custom` for absolute from/to. */
  preset: string;
  from: string | null;
  to: string | null;
}

export const PRESETS: { id: string; label: string; from: string | null }[] = [
  { id: '15m', label: 'Last 15 minutes', from: 'now-15m' },
  { id: '1h', label: 'Last hour', from: 'now-1h' },
  { id: '4h', label: 'Last 4 hours', from: 'now-4h' },
  { id: '24h', label: 'Last 24 hours', from: 'now-24h' },
  { id: '7d', label: 'Last 7 days', from: 'now-7d' },
  { id: '30d', label: 'Last 30 days', from: 'now-30d' },
  { id: '365d', label: 'Last year', from: 'now-365d' },
  { id: 'all', label: 'All time', from: null },
];

export const ALL_TIME: TimeRange = { preset: 'all', from: null, to: null };

export function presetRange(id: string): TimeRange {
  const p = PRESETS.find((x) => x.id === id);
  return { preset: id, from: p?.from ?? null, to: null };
}

function describe(r: TimeRange): string {
  if (r.preset !== 'custom') return PRESETS.find((p) => p.id === r.preset)?.label ?? 'All time';
  // Absolute bounds show in the display zone; relative ones (now-1h) as typed.
  const f = (v: string | null) => (!v ? '…' : /^\d{4}-\d{2}-\d{2}/.test(v) ? formatTime(v, 's').replace(/:00$/, '') : v);
  return `${f(r.from)} → ${f(r.to)} ${zoneLabel()}`;
}

/** Presets from 15 minutes to all time, or an absolute from/to (UTC, ISO 8601). */
export function TimePicker({ value, onChange }: { value: TimeRange; onChange: (r: TimeRange) => void }) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(value.from ?? '');
  const [to, setTo] = useState(value.to ?? '');
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    setFrom(value.preset === 'custom' ? (value.from ?? '') : '');
    setTo(value.preset === 'custom' ? (value.to ?? '') : '');
    const onDoc = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDoc);
    return () => document.removeEventListener('mousedown', onDoc);
  }, [open, value]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    onChange({ preset: 'custom', from: from.trim() || null, to: to.trim() || null });
    setOpen(false);
  };

  return (
    <div className="time-picker" ref={box}>
      <button type="button" className="ghost" onClick={() => setOpen((o) => !o)} aria-haspopup="dialog" aria-expanded={open} data-testid="time-picker">
        <svg width="14" height="14" viewBox="0 0 24 24" aria-hidden="true" className="tp-icon">
          <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M12 7v5l3 2" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
        {describe(value)}
      </button>
      {open ? (
        <div className="time-picker-pop" role="dialog" aria-label="Time range">
          <ul>
            {PRESETS.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className={value.preset === p.id ? 'ghost active' : 'ghost'}
                  onClick={() => {
                    onChange(presetRange(p.id));
                    setOpen(false);
                  }}
                  data-preset={p.id}
                >
                  {p.label}
                </button>
              </li>
            ))}
          </ul>
          <form onSubmit={apply} className="time-abs">
            <label>
              From (UTC)
              <input value={from} onChange={(e) => setFrom(e.target.value)} placeholder="2024-03-12T06:00:00Z" className="mono" data-testid="time-from" />
            </label>
            <label>
              To (UTC)
              <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="2024-03-12T07:00:00Z" className="mono" data-testid="time-to" />
            </label>
            <button type="submit" data-testid="time-apply">
              Apply
            </button>
          </form>
        </div>
      ) : null}
    </div>
  );
}
