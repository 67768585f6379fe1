import { sleep } from './splunk-hec';
import type { Destination, ForwardItem, Health } from './types';

export interface ForwarderOptions {
  destination: Destination;
  /** Items held in memory at most; enqueue refuses the rest (backpressure to the caller). */
  maxQueue?: number;
  batchSize?: number;
  /** Attempts per item before it is reported failed. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injectable for tests; Math.random by default. */
  random?: () => number;
  /** Called only once the receiver acknowledged these items: the place to mark them sent. */
  onAcked?: (items: ForwardItem[]) => void | Promise<void>;
  onFailed?: (item: ForwardItem, reason: string) => void | Promise<void>;
}

export interface ForwarderMetrics {
  destination: string;
  sent: number;
  failed: number;
  retried: number;
  queued: number;
  inFlight: number;
  batches: number;
  latencyMs: { last: number | null; p50: number | null; p95: number | null };
  lastError: string | null;
}

interface Pending {
  item: ForwardItem;
  attempts: number;
  notBefore: number;
}

/**
 * Delivers items to one destination: batches them, keeps at most maxQueue in
 * memory, retries with exponential backoff and full jitter (so many clients
 * recovering together do not hammer the receiver in lockstep), and reports an
 * item as sent only when the receiver acknowledged it.
 */
export class Forwarder {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private readonly latencies: number[] = [];
  private readonly counters = { sent: 0, failed: 0, retried: 0, batches: 0 };
  private lastError: string | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private readonly o: Required<Omit<ForwarderOptions, 'onAcked' | 'onFailed'>> & Pick<ForwarderOptions, 'onAcked' | 'onFailed'>;

  constructor(options: ForwarderOptions) {
    this.o = {
      maxQueue: 10_000,
      batchSize: 500,
      maxAttempts: 8,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      random: Math.random,
      ...options,
    };
  }

  /** Queue what fits; the rest is refused and must be offered again later. */
  enqueue(items: ForwardItem[]): { accepted: number; refused: number } {
    const room = Math.max(0, this.o.maxQueue - this.queue.length - this.inFlight);
    const take = items.slice(0, room);
    for (const item of take) this.queue.push({ item, attempts: 0, notBefore: 0 });
    if (take.length > 0) this.kick();
    return { accepted: take.length, refused: items.length - take.length };
  }

  /** Resolves when every queued item was acknowledged or gave up. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  close(): void {
    this.abort.abort();
  }

  health(): Promise<Health> {
    return this.o.destination.health(this.abort.signal);
  }

  metrics(): ForwarderMetrics {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number): number | null => (sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null));
    return {
      destination: this.o.destination.name,
      ...this.counters,
      queued: this.queue.length,
      inFlight: this.inFlight,
      latencyMs: { last: this.latencies[this.latencies.length - 1] ?? null, p50: pct(0.5), p95: pct(0.95) },
      lastError: this.lastError,
    };
  }

  /** The delay before attempt n+1: random in [0, min(max, base * 2^n)]. */
  backoff(attempt: number): number {
    const cap = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(attempt, 30));
    return Math.floor(this.o.random() * cap);
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.queue.length > 0 && !this.abort.signal.aborted) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const now = Date.now();
      const ready = this.queue.filter((p) => p.notBefore <= now);
      if (ready.length === 0) {
        const next = Math.min(...this.queue.map((p) => p.notBefore));
        await sleep(Math.max(1, next - now), this.abort.signal);
        continue;
      }
      const batch = ready.slice(0, this.o.batchSize);
      const taken = new Set(batch);
      for (let i = this.queue.length - 1; i >= 0; i--) if (taken.has(this.queue[i] as Pending)) this.queue.splice(i, 1);
      await this.deliver(batch);
    }
  }

  private async deliver(batch: Pending[]): Promise<void> {
    this.inFlight += batch.length;
    this.counters.batches++;
    const t0 = performance.now();
    let outcomes: Array<{ status: 'acked' } | { status: 'retry' | 'failed'; reason: string }>;
    let retryAfter: number | undefined;
    try {
      const r = await this.o.destination.send(
        batch.map((p) => p.item),
        this.abort.signal,
      );
      outcomes = r.outcomes;
      retryAfter = r.retryAfterMs;
    } catch (e) {
      // Network errors and timeouts: nothing was acknowledged, everything may be retried.
      const reason = (e as Error).name === 'TimeoutError' ? 'timed out waiting for the receiver' : (e as Error).message;
      outcomes = batch.map(() => ({ status: 'retry' as const, reason }));
    } finally {
      this.inFlight -= batch.length;
    }
    this.recordLatency(performance.now() - t0);
    const acked: ForwardItem[] = [];
    // One jittered delay per attempt count and batch: items that failed together retry together,
    // so a batch is not scattered into many small ones by per-item jitter.
    const delays = new Map<number, number>();
    // One clock reading for the batch: read per item, the clock could tick mid-batch and the
    // items become ready a millisecond apart, split into two requests (seen as a flaky test).
    const failedAt = Date.now();
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as Pending;
      const o = outcomes[i] ?? { status: 'retry' as const, reason: 'no outcome reported for this item' };
      if (o.status === 'acked') {
        acked.push(p.item);
        continue;
      }
      this.lastError = o.reason;
      p.attempts++;
      if (o.status === 'failed' || p.attempts >= this.o.maxAttempts || this.abort.signal.aborted) {
        this.counters.failed++;
        await this.o.onFailed?.(p.item, p.attempts >= this.o.maxAttempts && o.status === 'retry' ? `gave up after ${p.attempts} attempts: ${o.reason}` : o.reason);
      } else {
        this.counters.retried++;
        let delay = delays.get(p.attempts);
        if (delay === undefined) {
          delay = Math.max(this.backoff(p.attempts), retryAfter ?? 0);
          delays.set(p.attempts, delay);
        }
        p.notBefore = failedAt + delay;
        this.queue.push(p);
      }
    }
    if (acked.length > 0) {
      this.counters.sent += acked.length;
      await this.o.onAcked?.(acked);
    }
  }

  private recordLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > 1000) this.latencies.shift();
  }
}
