import { sleep } from './splunk-hec';
import { classifyStatus, retryAfterMs, type BatchResult, type Destination, type ForwardItem, type Health, type ItemOutcome } from './types';

export interface ElasticBulkOptions {
  name: string;
  /** Cluster URL, e.g. https://es.example:9200 (Elasticsearch or OpenSearch). */
  url: string;
  index: string;
  /** `ApiKey <base64>` or `Basic <base64>`; sent as the Authorization header. */
  authorization?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Elasticsearch / OpenSearch _bulk. Each item carries its own _id (the item
 * key), so a retried item overwrites rather than duplicates; the response
 * reports per item, so one bad document does not fail its neighbours.
 */
export class ElasticBulk implements Destination {
  readonly kind = 'elastic-bulk' as const;
  readonly name: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: ElasticBulkOptions) {
    this.name = opts.name;
    this.doFetch = opts.fetch ?? fetch;
  }

  private headers(contentType: string): Record<string, string> {
    return { 'Content-Type': contentType, ...(this.opts.authorization ? { Authorization: this.opts.authorization } : {}) };
  }

  async send(batch: ForwardItem[], signal: AbortSignal): Promise<BatchResult> {
    const lines: string[] = [];
    for (const item of batch) {
      lines.push(JSON.stringify({ index: { _index: this.opts.index, _id: item.key } }));
      lines.push(
        JSON.stringify({
          ...item.doc,
          ...(item.time !== null ? { '@timestamp': new Date(item.time).toISOString() } : {}),
          ...(item.host ? { 'host.name': item.host } : {}),
          'loupe.source': item.source,
        }),
      );
    }
    const res = await this.doFetch(`${this.opts.url.replace(/\/+$/, '')}/_bulk`, {
      method: 'POST',
      headers: this.headers('application/x-ndjson'),
      body: `${lines.join('\n')}\n`,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)]),
    });
    const text = await res.text();
    const kind = classifyStatus(res.status);
    if (kind !== 'ok') {
      const reason = `_bulk ${res.status}: ${text.slice(0, 200)}`;
      const o: ItemOutcome = kind === 'retry' ? { status: 'retry', reason } : { status: 'failed', reason };
      return { outcomes: batch.map(() => o), retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    }
    let parsed: { errors?: boolean; items?: Array<Record<string, { status?: number; error?: { type?: string; reason?: string } }>> };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // A 200 we cannot read acknowledges nothing: better a duplicate (same _id) than a loss.
      return { outcomes: batch.map(() => ({ status: 'retry', reason: '_bulk answered 200 with an unreadable body' })) };
    }
    const items = parsed.items ?? [];
    if (items.length !== batch.length) {
      return { outcomes: batch.map(() => ({ status: 'retry', reason: `_bulk answered ${items.length} items for ${batch.length}` })) };
    }
    return {
      outcomes: items.map((entry): ItemOutcome => {
        const r = Object.values(entry)[0] ?? {};
        const status = r.status ?? 0;
        const c = classifyStatus(status);
        if (c === 'ok') return { status: 'acked' };
        const reason = `${status} ${r.error?.type ?? ''} ${r.error?.reason ?? ''}`.trim();
        return c === 'retry' ? { status: 'retry', reason } : { status: 'failed', reason };
      }),
    };
  }

  async health(signal: AbortSignal): Promise<Health> {
    const t0 = performance.now();
    try {
      const res = await this.doFetch(`${this.opts.url.replace(/\/+$/, '')}/_cluster/health`, {
        headers: this.headers('application/json'),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)]),
      });
      const body = (await res.json().catch(() => ({}))) as { status?: string };
      const ok = res.ok && body.status !== 'red';
      return { ok, detail: `HTTP ${res.status}${body.status ? `, cluster ${body.status}` : ''}`, latencyMs: performance.now() - t0 };
    } catch (e) {
      return { ok: false, detail: (e as Error).message, latencyMs: performance.now() - t0 };
    }
  }
}

export { sleep };
