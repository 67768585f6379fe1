/**
 * Latency percentiles without keeping every sample: counts in buckets 5%
 * wide (log scale from 1 ms to ~20 minutes), so 50,000 messages a second
 * cost one increment each and the answer is within 5% of the true value.
 */
const GROWTH = 1.05;
const BUCKETS = 300;
const LOG_GROWTH = Math.log(GROWTH);

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  private total = 0;
  private maxMs = 0;

  add(ms: number): void {
    const v = ms < 1 ? 1 : ms;
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v) / LOG_GROWTH));
    this.counts[i] = (this.counts[i] as number) + 1;
    this.total++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.total;
  }

  /** Percentiles (ms, upper bound of the bucket), or null with no samples. */
  summary(): LatencySummary | null {
    if (this.total === 0) return null;
    return { p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99), max: Math.round(this.maxMs) };
  }

  /** Add another histogram's samples to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    this.total += other.total;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  reset(): void {
    this.counts = new Float64Array(BUCKETS);
    this.total = 0;
    this.maxMs = 0;
  }

  private quantile(q: number): number {
    const want = q * this.total;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= want) return Math.min(Math.round(GROWTH ** (i + 1)), Math.round(this.maxMs));
    }
    return Math.round(this.maxMs);
  }
}
