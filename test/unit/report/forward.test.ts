import { afterEach, describe, expect, it } from 'vitest';
import { ElasticBulk } from '../../../src/main/engine/report/forward/elastic-bulk';
import { Forwarder } from '../../../src/main/engine/report/forward/forwarder';
import { SplunkHec } from '../../../src/main/engine/report/forward/splunk-hec';
import type { ForwardItem } from '../../../src/main/engine/report/forward/types';
import { startFakeSiem, type FakeSiem } from '../../fixtures/fake-siem';

let siem: FakeSiem | undefined;
afterEach(async () => {
  await siem?.close();
  siem = undefined;
});

function items(n: number, extra: (i: number) => Record<string, unknown> = () => ({})): ForwardItem[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `case1:${i}`,
    time: Date.UTC(2026, 10, 1, 12, 0, i % 60),
    host: 'WS01',
    source: 'loupe:test',
    doc: { message: `event ${i}`, n: i, ...extra(i) },
  }));
}

// Deterministic jitter and short delays: the tests check behaviour, not timing.
const fast = { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 };

describe('Splunk HEC forwarding', () => {
  it('delivers every item in batches and counts them sent only once acknowledged', async () => {
    siem = await startFakeSiem();
    const acked: string[] = [];
    const f = new Forwarder({ destination: new SplunkHec({ name: 'splunk', url: siem.url, token: 'good-token', index: 'ir' }), batchSize: 500, onAcked: (xs) => void acked.push(...xs.map((x) => x.key)), ...fast });
    expect(f.enqueue(items(1200))).toEqual({ accepted: 1200, refused: 0 });
    await f.drain();
    expect(siem.hecRequests).toBe(3);
    expect(siem.hecEvents).toHaveLength(1200);
    expect(siem.hecEvents[0]).toMatchObject({ host: 'WS01', index: 'ir', source: 'loupe:test', event: { message: 'event 0' } });
    expect(acked).toHaveLength(1200);
    expect(f.metrics()).toMatchObject({ sent: 1200, failed: 0, retried: 0, queued: 0 });
  });

  it('retries a busy collector with backoff and loses nothing', async () => {
    siem = await startFakeSiem({ hecBusy: 2 });
    const f = new Forwarder({ destination: new SplunkHec({ name: 'splunk', url: siem.url, token: 'good-token' }), ...fast });
    f.enqueue(items(10));
    await f.drain();
    expect(siem.hecEvents).toHaveLength(10);
    expect(f.metrics()).toMatchObject({ sent: 10, retried: 20, failed: 0 });
    expect(f.metrics().lastError).toContain('503');
  });

  it('reports a wrong token as failed without retrying and marks nothing sent', async () => {
    siem = await startFakeSiem();
    const failed: string[] = [];
    let ackedCalls = 0;
    const f = new Forwarder({
      destination: new SplunkHec({ name: 'splunk', url: siem.url, token: 'wrong' }),
      onAcked: () => void ackedCalls++,
      onFailed: (_i, reason) => void failed.push(reason),
      ...fast,
    });
    f.enqueue(items(3));
    await f.drain();
    expect(ackedCalls).toBe(0);
    expect(failed).toHaveLength(3);
    expect(failed[0]).toContain('Invalid token');
    expect(f.metrics()).toMatchObject({ sent: 0, failed: 3, retried: 0 });
  });

  it('with indexer acknowledgment, waits for the ack before marking sent', async () => {
    siem = await startFakeSiem({ ackAfterPolls: 3 });
    let pollsWhenAcked = -1;
    const f = new Forwarder({
      destination: new SplunkHec({ name: 'splunk', url: siem.url, token: 'good-token', ackChannel: '8c9f1b2e-1111-4222-8333-944445555666' }),
      onAcked: () => {
        pollsWhenAcked = siem?.ackPolls ?? -1;
      },
      ...fast,
    });
    f.enqueue(items(5));
    await f.drain();
    expect(pollsWhenAcked).toBe(3);
    expect(siem.ackedIds.has(1)).toBe(true);
    expect(f.metrics().sent).toBe(5);
  });

  it('treats a response slower than the timeout as not delivered, then retries', async () => {
    siem = await startFakeSiem({ slowMs: 400, slowCount: 1 });
    const f = new Forwarder({ destination: new SplunkHec({ name: 'splunk', url: siem.url, token: 'good-token', timeoutMs: 100 }), ...fast });
    f.enqueue(items(4));
    await f.drain();
    expect(f.metrics()).toMatchObject({ sent: 4, retried: 4 });
    expect(f.metrics().lastError).toContain('timed out');
  });

  it('health check answers for a live and a dead collector', async () => {
    siem = await startFakeSiem();
    expect((await new SplunkHec({ name: 's', url: siem.url, token: 'good-token' }).health(new AbortController().signal)).ok).toBe(true);
    const dead = await new SplunkHec({ name: 's', url: 'http://127.0.0.1:1', token: 'x', timeoutMs: 500 }).health(new AbortController().signal);
    expect(dead.ok).toBe(false);
  });
});

describe('Elasticsearch _bulk forwarding', () => {
  it('handles per-item outcomes: mapping errors fail, throttled items retry, ids make retries idempotent', async () => {
    siem = await startFakeSiem({ bulkThrottled: 1 });
    const failed: Array<[string, string]> = [];
    const f = new Forwarder({
      destination: new ElasticBulk({ name: 'es', url: siem.url, index: 'loupe-events', authorization: 'ApiKey abc' }),
      batchSize: 100,
      onFailed: (i, r) => void failed.push([i.key, r]),
      ...fast,
    });
    f.enqueue(items(250, (i) => ({ bad: i === 7, flaky: i % 50 === 0 })));
    await f.drain();
    expect(failed).toEqual([['case1:7', expect.stringContaining('mapper_parsing_exception')]]);
    expect(siem.esDocs.size).toBe(249);
    expect(siem.esDocs.get('case1:0')).toMatchObject({ message: 'event 0', 'host.name': 'WS01', '@timestamp': expect.stringMatching(/^2026-11-01T12:00:00/) });
    const m = f.metrics();
    expect(m.sent).toBe(249);
    expect(m.failed).toBe(1);
    // The first request (one batch of 100) was throttled whole; then the 5 flaky items once each.
    expect(m.retried).toBe(105);
    expect(m.latencyMs.p50).not.toBeNull();
  });

  it('health reports the cluster status', async () => {
    siem = await startFakeSiem();
    const h = await new ElasticBulk({ name: 'es', url: siem.url, index: 'x' }).health(new AbortController().signal);
    expect(h).toMatchObject({ ok: true, detail: 'HTTP 200, cluster yellow' });
  });
});

describe('forwarder queue and backoff', () => {
  it('keeps the queue bounded and refuses what does not fit', async () => {
    siem = await startFakeSiem();
    const f = new Forwarder({ destination: new ElasticBulk({ name: 'es', url: siem.url, index: 'x' }), maxQueue: 100, ...fast });
    expect(f.enqueue(items(150))).toEqual({ accepted: 100, refused: 50 });
    await f.drain();
    expect(siem.esDocs.size).toBe(100);
  });

  it('backs off exponentially with full jitter up to the cap', () => {
    let r = 1;
    const f = new Forwarder({ destination: new ElasticBulk({ name: 'es', url: 'http://127.0.0.1:1', index: 'x' }), baseDelayMs: 100, maxDelayMs: 5_000, random: () => r });
    expect([1, 2, 3, 4, 8].map((n) => f.backoff(n))).toEqual([200, 400, 800, 1600, 5000]);
    r = 0.25;
    expect(f.backoff(3)).toBe(200);
  });

  it('gives up after maxAttempts with the last reason', async () => {
    siem = await startFakeSiem({ hecBusy: 100 });
    const reasons: string[] = [];
    const f = new Forwarder({ destination: new SplunkHec({ name: 's', url: siem.url, token: 'good-token' }), maxAttempts: 3, onFailed: (_i, r) => void reasons.push(r), ...fast });
    f.enqueue(items(2));
    await f.drain();
    expect(reasons).toEqual([expect.stringContaining('gave up after 3 attempts'), expect.stringContaining('gave up after 3 attempts')]);
    expect(siem.hecRequests).toBe(3);
  });
});
