/**
 * Hand-off: sending alerts or events to a SIEM once the analyst is back online.
 * A destination speaks one receiver's protocol; the forwarder owns batching,
 * the bounded queue, retries and metrics, so each protocol stays small.
 */

/** One document to deliver, with a key that is stable across retries (idempotency where the receiver allows it). */
export interface ForwardItem {
  key: string;
  /** Event time in ms since the epoch, when the document has one. */
  time: number | null;
  host: string | null;
  /** Receiver-side source label, e.g. the evidence path or "loupe:alerts". */
  source: string;
  doc: Record<string, unknown>;
}

/** What became of one item of a batch. */
export type ItemOutcome = { status: 'acked' } | { status: 'retry'; reason: string } | { status: 'failed'; reason: string };

export interface BatchResult {
  /** Same order and length as the batch sent. */
  outcomes: ItemOutcome[];
  /** Server asked us to wait (Retry-After), in ms. */
  retryAfterMs?: number;
}

export interface Health {
  ok: boolean;
  detail: string;
  latencyMs: number;
}

export interface Destination {
  readonly name: string;
  readonly kind: 'splunk-hec' | 'elastic-bulk';
  send(batch: ForwardItem[], signal: AbortSignal): Promise<BatchResult>;
  health(signal: AbortSignal): Promise<Health>;
}

/** Errors that say "the whole request failed, try again later" vs "this will never work". */
export function classifyStatus(status: number): 'ok' | 'retry' | 'fatal' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'fatal';
}

export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, 300_000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.min(at - Date.now(), 300_000));
}
