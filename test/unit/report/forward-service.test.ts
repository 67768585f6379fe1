import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardRun } from '../../../src/shared/findings-contract';
import { LoupeError } from '../../../src/shared/errors';
import { call } from '../../../src/main/engine/service/dispatch';
import { SECRETS_FILE } from '../../../src/main/engine/report/forward/secrets';
import { addFieldEvents } from '../../fixtures/findings-case';
import { startFakeSiem, type FakeSiem } from '../../fixtures/fake-siem';
import { SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { findingsCase, type FindingsCase } from './helpers';

// Deterministic jitter and short delays: the tests check behaviour, not timing.
const fast = { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 };
const TOKEN = 'hec-token-that-must-never-leak-7f3a';

let fc: FindingsCase;
let siem: FakeSiem | undefined;
let flakyIds: number[] = [];
beforeAll(async () => {
  fc = await findingsCase({ events: 5000, engine: { findings: { forwarder: fast } } });
  flakyIds = await addFieldEvents(fc.engine.case.conn, [{}, { bad: true, note: 'rejected by mapping' }, { flaky: true }, {}, { bad: true }, { flaky: true }]);
});
afterAll(async () => fc.cleanup());
afterEach(async () => {
  await siem?.close();
  siem = undefined;
});

const h = () => fc.engine.handlers;
let seq = 0;
const forward = (destination: string, source: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  call(h(), 'forwardItems', { forwardId: `f${++seq}`, destination, source, ...extra });

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LoupeError);
  return (e as LoupeError).code;
}

describe('destinations', () => {
  it('keeps the token in the case secrets file only, never in answers or the database', async () => {
    const d = await call(h(), 'saveDestination', { name: 'splunk-prod', kind: 'splunk-hec', url: 'https://splunk.example:8088/', index: 'ir', token: TOKEN });
    expect(d).toMatchObject({ name: 'splunk-prod', kind: 'splunk-hec', url: 'https://splunk.example:8088', index: 'ir', hasToken: true, acked: 0, failed: 0, lastRun: null });
    expect(JSON.stringify(await call(h(), 'listDestinations', {}))).not.toContain(TOKEN);
    const secrets = join(fc.dir, SECRETS_FILE);
    expect(readFileSync(secrets, 'utf8')).toContain(TOKEN);
    if (process.platform !== 'win32') expect(statSync(secrets).mode & 0o777).toBe(0o600);
    // Not in the database file, not reachable from the SQL console.
    await fc.engine.case.conn.run('CHECKPOINT');
    for (const f of readdirSync(fc.dir).filter((x) => x.startsWith('case.duckdb'))) expect(readFileSync(join(fc.dir, f)).includes(Buffer.from(TOKEN))).toBe(false);
    const tables = await call(h(), 'sqlQuery', { sql: "SELECT * FROM forward_destinations WHERE name = 'splunk-prod'" });
    expect(JSON.stringify(tables.rows)).not.toContain(TOKEN);
    // Saving again without a token keeps it; null removes it.
    expect((await call(h(), 'saveDestination', { name: 'splunk-prod', kind: 'splunk-hec', url: 'https://splunk.example:8088', index: 'main' })).hasToken).toBe(true);
    expect((await call(h(), 'saveDestination', { name: 'splunk-prod', kind: 'splunk-hec', url: 'https://splunk.example:8088', token: null })).hasToken).toBe(false);
    expect(existsSync(secrets)).toBe(false);
    expect(await call(h(), 'deleteDestination', { name: 'splunk-prod' })).toEqual({ deleted: true });
    expect(await call(h(), 'listDestinations', {})).toEqual([]);
  });

  it('refuses bad configurations', async () => {
    expect(await codeOf(call(h(), 'saveDestination', { name: 'es', kind: 'elastic-bulk', url: 'http://127.0.0.1:9200' }))).toBe('BAD_INPUT'); // no index
    expect(await codeOf(call(h(), 'saveDestination', { name: 'x', kind: 'splunk-hec', url: 'ftp://host' }))).toBe('BAD_INPUT');
    expect(await codeOf(call(h(), 'saveDestination', { name: 'x', kind: 'splunk-hec', url: 'http://h/?q=1' }))).toBe('BAD_INPUT');
    expect(await codeOf(call(h(), 'saveDestination', { name: '../x', kind: 'splunk-hec', url: 'http://h' }))).toBe('BAD_INPUT');
    await call(h(), 'saveDestination', { name: 'notoken', kind: 'splunk-hec', url: 'http://127.0.0.1:9' });
    expect(await codeOf(forward('notoken', { kind: 'alerts' }))).toBe('BAD_INPUT');
    expect(await codeOf(forward('missing', { kind: 'alerts' }))).toBe('NOT_FOUND');
    await call(h(), 'deleteDestination', { name: 'notoken' });
  });

  it('checks health: HEC, _cluster/health, and an unreachable receiver', async () => {
    siem = await startFakeSiem({ hecToken: TOKEN });
    await call(h(), 'saveDestination', { name: 'hec', kind: 'splunk-hec', url: siem.url, token: TOKEN });
    await call(h(), 'saveDestination', { name: 'es', kind: 'elastic-bulk', url: siem.url, index: 'loupe' });
    await call(h(), 'saveDestination', { name: 'down', kind: 'elastic-bulk', url: 'http://127.0.0.1:9', index: 'x' });
    expect(await call(h(), 'checkDestination', { name: 'hec' })).toMatchObject({ ok: true, detail: 'HTTP 200: HEC is healthy' });
    expect(await call(h(), 'checkDestination', { name: 'es' })).toMatchObject({ ok: true, detail: 'HTTP 200, cluster yellow' });
    const down = await call(h(), 'checkDestination', { name: 'down' });
    expect(down.ok).toBe(false);
    expect(down.detail).not.toBe('');
  });
});

describe('forwarding', () => {
  it('sends the alerts to Splunk HEC, logs them acknowledged, and a second run skips them', async () => {
    siem = await startFakeSiem({ hecToken: TOKEN });
    await call(h(), 'saveDestination', { name: 'hec', kind: 'splunk-hec', url: siem.url, index: 'ir', token: TOKEN });
    const progress: string[] = [];
    const off = fc.engine.push.subscribe((e, p) => {
      if (e === 'forwardProgress') progress.push((p as { state: string }).state);
    });
    const run = await forward('hec', { kind: 'alerts' });
    off();
    expect(run).toMatchObject({ status: 'done', selected: 3, skipped: 0, sent: 3, failed: 0, destination: 'hec' });
    expect(run.latencyMs.p50).not.toBeNull();
    expect(progress[progress.length - 1]).toBe('done');
    expect(siem.hecEvents).toHaveLength(3);
    const brute = siem.hecEvents.find((e) => (e.event as Record<string, unknown>).rule_id === 'loupe-brute-force') as Record<string, unknown>;
    expect(brute).toMatchObject({ host: T.bruteForce.host, index: 'ir', source: 'loupe:alerts', sourcetype: '_json' });
    expect(brute.event).toMatchObject({ title: 'Brute force against a domain controller', level: 'high', event_count: T.bruteForce.failed, 'loupe.kind': 'alert', 'loupe.case_name': 'Findings test' });
    expect(typeof brute.time).toBe('number');
    expect(JSON.stringify(siem.hecEvents)).not.toContain(TOKEN);

    const log = await call(h(), 'listForwardLog', { destination: 'hec' });
    expect(log.map((l) => l.ref).sort()).toEqual([...fc.alerts].sort());
    expect(log.every((l) => l.status === 'acked' && l.kind === 'alert')).toBe(true);

    const again = await forward('hec', { kind: 'alerts' });
    expect(again).toMatchObject({ status: 'done', selected: 3, skipped: 3, sent: 0 });
    expect(siem.hecEvents).toHaveLength(3);
    const resend = await forward('hec', { kind: 'alerts' }, { resend: true });
    expect(resend).toMatchObject({ selected: 3, skipped: 0, sent: 3 });
    expect(siem.hecEvents).toHaveLength(6);
    const dest = (await call(h(), 'listDestinations', {})).find((d) => d.name === 'hec');
    expect(dest).toMatchObject({ acked: 3, failed: 0 });
    expect(dest?.lastRun).toMatchObject({ id: resend.id, sent: 3, status: 'done' });
  });

  it('sends a search result to Elasticsearch _bulk with its original fields, idempotent by _id', async () => {
    siem = await startFakeSiem();
    await call(h(), 'saveDestination', { name: 'es', kind: 'elastic-bulk', url: siem.url, index: 'loupe-ir', authScheme: 'ApiKey', token: 'abc' });
    const run = await forward('es', { kind: 'search', query: `src_ip:${T.bruteForce.ip}` });
    const n = T.bruteForce.failed + T.bruteForce.succeeded;
    expect(run).toMatchObject({ status: 'done', selected: n, sent: n, failed: 0 });
    expect(siem.esDocs.size).toBe(n);
    const id = `${fc.engine.case.manifest.id}:event:${fc.brute[0]}`;
    const doc = siem.esDocs.get(id) as Record<string, unknown>;
    expect(doc).toMatchObject({ event_id: fc.brute[0], src_ip: T.bruteForce.ip, TargetUserName: 'administrator', EventID: 4625, 'host.name': T.bruteForce.host, 'loupe.kind': 'event' });
    expect(String(doc['@timestamp'])).toMatch(/^2024-03-12T/);
    expect(doc.tags).toEqual(['brute-force', 'initial-access']);
    // Re-sent on request, the same _id overwrites rather than duplicates.
    await forward('es', { kind: 'search', query: `src_ip:${T.bruteForce.ip}` }, { resend: true });
    expect(siem.esDocs.size).toBe(n);
    expect(siem.bulkRequests).toBe(2);
  });

  it('per-item errors: throttled items are retried and acked, rejected ones logged failed and tried again next run', async () => {
    siem = await startFakeSiem({ bulkThrottled: 1 });
    await call(h(), 'saveDestination', { name: 'es2', kind: 'elastic-bulk', url: siem.url, index: 'loupe-ir' });
    const run = await forward('es2', { kind: 'search', query: 'dataset:test.siem' });
    expect(run).toMatchObject({ status: 'partial', selected: 6, sent: 4, failed: 2 });
    expect(run.retried).toBeGreaterThanOrEqual(6 + 2); // the whole throttled request, then the two flaky items
    expect(run.lastError).toMatch(/mapper_parsing_exception|es_rejected_execution_exception/);
    const failed = await call(h(), 'listForwardLog', { destination: 'es2', status: 'failed' });
    expect(failed.map((f) => f.ref).sort()).toEqual([flakyIds[1], flakyIds[4]].sort());
    expect(failed[0]?.reason).toMatch(/400 mapper_parsing_exception/);
    const acked = await call(h(), 'listForwardLog', { destination: 'es2', status: 'acked' });
    expect(acked).toHaveLength(4);
    expect([...siem.esDocs.keys()].sort()).toEqual(acked.map((a) => a.key).sort());

    const again = await forward('es2', { kind: 'search', query: 'dataset:test.siem' });
    expect(again).toMatchObject({ status: 'failed', selected: 6, skipped: 4, sent: 0, failed: 2 });
    expect((await call(h(), 'listForwardLog', { destination: 'es2', status: 'failed' }))[0]?.attempts).toBe(2);
  });

  it('a busy collector (503) and slow answers: retried with backoff, nothing lost, latency measured', async () => {
    siem = await startFakeSiem({ hecToken: TOKEN, hecBusy: 2, slowMs: 150, slowCount: 3 });
    await call(h(), 'saveDestination', { name: 'busy', kind: 'splunk-hec', url: siem.url, token: TOKEN });
    const run = await forward('busy', { kind: 'bookmarks' });
    expect(run).toMatchObject({ status: 'done', selected: 7, sent: 7, failed: 0 });
    expect(run.retried).toBe(14);
    expect(run.batches).toBe(3);
    expect(run.latencyMs.p95 ?? 0).toBeGreaterThanOrEqual(140);
    expect(siem.hecEvents).toHaveLength(7);
  });

  it('a wrong token fails every item without retries and marks nothing sent', async () => {
    siem = await startFakeSiem({ hecToken: TOKEN });
    await call(h(), 'saveDestination', { name: 'wrong', kind: 'splunk-hec', url: siem.url, token: 'not-the-token' });
    const run = await forward('wrong', { kind: 'alerts' });
    expect(run).toMatchObject({ status: 'failed', selected: 3, sent: 0, failed: 3, retried: 0 });
    expect(run.lastError).toContain('Invalid token');
    expect(await call(h(), 'listForwardLog', { destination: 'wrong', status: 'acked' })).toEqual([]);
    expect(siem.hecEvents).toHaveLength(0);
  });

  it('cancel stops the run; items in flight are not logged, so the next run sends them', async () => {
    siem = await startFakeSiem({ hecToken: TOKEN, slowMs: 3000, slowCount: 1 });
    await call(h(), 'saveDestination', { name: 'slow', kind: 'splunk-hec', url: siem.url, token: TOKEN });
    const off = fc.engine.push.subscribe((e, p) => {
      const pp = p as { forwardId: string; state: string; selected: number };
      if (e === 'forwardProgress' && pp.forwardId === 'cancel-me' && pp.state === 'running' && pp.selected > 0) void call(h(), 'cancelForward', { forwardId: 'cancel-me' });
    });
    const t0 = Date.now();
    const run: ForwardRun = await call(h(), 'forwardItems', { forwardId: 'cancel-me', destination: 'slow', source: { kind: 'bookmarks' } });
    off();
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(run).toMatchObject({ status: 'cancelled', sent: 0, failed: 0 });
    expect(await call(h(), 'listForwardLog', { destination: 'slow' })).toEqual([]);
    expect(await call(h(), 'cancelForward', { forwardId: 'cancel-me' })).toEqual({ cancelled: false });
    const next = await forward('slow', { kind: 'bookmarks' });
    expect(next).toMatchObject({ status: 'done', skipped: 0, sent: 7 });
  });
});
