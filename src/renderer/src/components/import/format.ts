/** Small formatters for the import view: sizes, counts, durations. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} KB`;
  return `${n} B`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '–';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 90) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function percent(done: number, total: number | null | undefined): number {
  if (!total || total <= 0) return 0;
  return Math.max(0, Math.min(100, (done / total) * 100));
}

/** The last segment of a path (archive members show after the last "!"). */
export function shortName(path: string): string {
  const member = path.split('!');
  const last = member[member.length - 1] ?? path;
  const parts = last.split(/[\\/]/);
  return parts[parts.length - 1] || last;
}

export const STATUS_LABEL: Record<string, string> = {
  pending: 'Waiting',
  importing: 'Importing',
  imported: 'Imported',
  incomplete: 'Incomplete',
  failed: 'Failed',
  'skipped-duplicate': 'Duplicate',
  cancelled: 'Cancelled',
};
