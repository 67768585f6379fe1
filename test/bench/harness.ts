/**
 * Benchmarks print figures; they do not assert wall-clock times (the machine
 * varies). Each row puts Loupe's figure beside a reference measured in the
 * same run, so the ratio means something on any machine.
 */
export interface BenchRow {
  /** What was measured, e.g. "import LSASS_campaign_02 (88 MB NDJSON)". */
  capability: string;
  /** Loupe's figure, with units: "1.10 s, 80 MB/s, 38,600 events/s". */
  loupe: string;
  /** The reference's figure and what it is: "read_json sample_size=-1: 1.22 s". */
  reference: string;
  /** Loupe relative to the reference, e.g. "1.11x faster". */
  ratio: string;
  /** The target and whether this run met it. */
  target?: string;
  met?: boolean;
}

export interface Bench {
  name: string;
  /** Skip with a visible reason (missing corpus, missing peer tool). */
  skip?: () => string | undefined;
  run: (log: (line: string) => void) => Promise<BenchRow[]>;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function perSecond(count: number, ms: number, unit: string): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString('en-US')} ${unit}/s`;
}

export function mbPerSecond(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

/** "2.31x faster" when a < b (time), "1.20x slower" otherwise. */
export function speedRatio(loupeMs: number, referenceMs: number): string {
  if (loupeMs <= 0 || referenceMs <= 0) return 'n/a';
  return loupeMs <= referenceMs ? `${(referenceMs / loupeMs).toFixed(2)}x faster` : `${(loupeMs / referenceMs).toFixed(2)}x slower`;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

export function markdownTable(rows: BenchRow[]): string {
  const head = '| capability | Loupe | reference (same run) | ratio | target | met |\n|---|---|---|---|---|---|';
  const body = rows.map((r) => `| ${r.capability} | ${r.loupe} | ${r.reference} | ${r.ratio} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`);
  return [head, ...body].join('\n');
}
