import { classifyStatus, retryAfterMs, type BatchResult, type Destination, type ForwardItem, type Health } from './types';

export interface SplunkHecOptions {
  name: string;
  /** Base URL of the collector, e.g. https://splunk.example:8088 */
  url: string;
  token: string;
  index?: string;
  sourcetype?: string;
  /**
   * With indexer acknowledgment enabled on the token, the collector returns an
   * ackId per request and only /services/collector/ack tells when the events
   * are indexed; a channel id is then required on every request.
   */
  ackChannel?: string;
  /** How long to poll for an indexer ack before treating the batch as not delivered. */
  ackTimeoutMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Splunk HTTP Event Collector. A batch is one POST of concatenated event
 * objects; HEC accepts or rejects the request as a whole, so every item of a
 * batch shares its outcome.
 */
export class SplunkHec implements Destination {
  readonly kind = 'splunk-hec' as const;
  readonly name: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: SplunkHecOptions) {
    this.name = opts.name;
    this.doFetch = opts.fetch ?? fetch;
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { Authorization: `Splunk ${this.opts.token}`, 'Content-Type': 'application/json' };
    if (this.opts.ackChannel) h['X-Splunk-Request-Channel'] = this.opts.ackChannel;
    return h;
  }

  private endpoint(path: string): string {
    return `${this.opts.url.replace(/\/+$/, '')}${path}`;
  }

  async send(batch: ForwardItem[], signal: AbortSignal): Promise<BatchResult> {
    const body = batch
      .map((item) =>
        JSON.stringify({
          ...(item.time !== null ? { time: item.time / 1000 } : {}),
          ...(item.host ? { host: item.host } : {}),
          source: item.source,
          sourcetype: this.opts.sourcetype ?? '_json',
          ...(this.opts.index ? { index: this.opts.index } : {}),
          event: item.doc,
        }),
      )
      .join('\n');
    const res = await this.doFetch(this.endpoint('/services/collector/event'), {
      method: 'POST',
      headers: this.headers(),
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)]),
    });
    const text = await res.text();
    const kind = classifyStatus(res.status);
    const all = (o: BatchResult['outcomes'][number]): BatchResult => ({ outcomes: batch.map(() => o), retryAfterMs: retryAfterMs(res.headers.get('retry-after')) });
    if (kind !== 'ok') {
      const reason = `HEC ${res.status}: ${hecText(text)}`;
      return all(kind === 'retry' ? { status: 'retry', reason } : { status: 'failed', reason });
    }
    const parsed = safeJson(text) as { code?: number; ackId?: number } | undefined;
    if (parsed?.code !== undefined && parsed.code !== 0) return all({ status: 'failed', reason: `HEC code ${parsed.code}: ${hecText(text)}` });
    if (this.opts.ackChannel) {
      if (typeof parsed?.ackId !== 'number') return all({ status: 'retry', reason: 'HEC returned no ackId although acknowledgment is on' });
      const acked = await this.waitForAck(parsed.ackId, signal);
      return all(acked ? { status: 'acked' } : { status: 'retry', reason: `HEC did not acknowledge ackId ${parsed.ackId} in time` });
    }
    return all({ status: 'acked' });
  }

  private async waitForAck(ackId: number, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + (this.opts.ackTimeoutMs ?? 60_000);
    let wait = 200;
    while (Date.now() < deadline && !signal.aborted) {
      const res = await this.doFetch(this.endpoint('/services/collector/ack'), {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify({ acks: [ackId] }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)]),
      });
      const parsed = safeJson(await res.text()) as { acks?: Record<string, boolean> } | undefined;
      if (res.ok && parsed?.acks?.[String(ackId)] === true) return true;
      await sleep(wait, signal);
      wait = Math.min(wait * 2, 5_000);
    }
    return false;
  }

  async health(signal: AbortSignal): Promise<Health> {
    const t0 = performance.now();
    try {
      const res = await this.doFetch(this.endpoint('/services/collector/health'), {
        headers: this.headers(),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)]),
      });
      const text = await res.text();
      return { ok: res.ok, detail: `HTTP ${res.status}: ${hecText(text)}`, latencyMs: performance.now() - t0 };
    } catch (e) {
      return { ok: false, detail: (e as Error).message, latencyMs: performance.now() - t0 };
    }
  }
}

function hecText(body: string): string {
  const parsed = safeJson(body) as { text?: string } | undefined;
  return parsed?.text ?? body.slice(0, 200);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const onAbort = () => {
      clearTimeout(t);
      done();
    };
    // The listener goes when the sleep ends either way: a long run sleeps thousands of times on one signal.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
