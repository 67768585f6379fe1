import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushEventPayload } from '../../../src/shared/contract';
import { liveFixture, searchTotal, sendTcp, sendUdp, until, type LiveFixture } from './helpers';

// The engine's default live intervals (not the tests' fast ones): what the analyst gets.
let f: LiveFixture;
beforeEach(async () => {
  f = await liveFixture({ live: {}, alerts: { refreshIntel: false } });
});
afterEach(async () => {
  await f.cleanup();
});

/** An sshd failure for an account that does not exist, from one scanner address. */
const invalid = (i: number, host: string) =>
  `<38>Nov  1 10:00:${String(i % 60).padStart(2, '0')} ${host} sshd[${4000 + i}]: Failed password for invalid user guest${i} from 198.51.100.9 port ${40000 + i} ssh2`;

const INVALID_USER = 'SSH login attempt for a user that does not exist';
const BRUTE_FORCE = 'SSH brute force from one source address';

async function alertCounts(fx: LiveFixture, title: string): Promise<Array<{ host: string | null; count: number }>> {
  const r = await fx.op('listAlerts', { text: title, sort: 'count' });
  return r.alerts.filter((a) => a.title === title).map((a) => ({ host: a.host, count: a.count }));
}

describe('live events with default settings', () => {
  it('are searchable within 2 s and fire alerts as they arrive, batch after batch', async () => {
    const pushes: PushEventPayload<'alertsUpdated'>[] = [];
    f.engine.push.subscribe((name, payload) => {
      if (name === 'alertsUpdated') pushes.push(payload as PushEventPayload<'alertsUpdated'>);
    });
    const info = await f.op('startListener', { udp: 0, tcp: 0 });

    const t0 = Date.now();
    await sendTcp(info.bound?.tcp as number, Array.from({ length: 6 }, (_, i) => invalid(i, 'web01')).join('\n') + '\n');
    await until(async () => (await searchTotal(f, 'host:web01 dataset:linux.auth')) === 6, 'six events searchable', 2000);
    const searchable = Date.now() - t0;
    // The rule run follows within the hook interval (1 s) plus the run itself.
    await until(async () => (await alertCounts(f, INVALID_USER)).length > 0, 'the first alert', 10_000);
    console.log(`searchable ${searchable} ms and alerted ${Date.now() - t0} ms after sending`);
    // The Alerts view refreshes on this push.
    await until(() => pushes.some((p) => p.alertsNew > 0), 'an alertsUpdated push with new alerts', 5000);
    expect(await alertCounts(f, INVALID_USER)).toEqual([{ host: 'web01', count: 6 }]);
    // Six failures: under the brute-force threshold (ten from one address).
    expect(await alertCounts(f, BRUTE_FORCE)).toEqual([]);

    // More arrive over UDP from another host too: the alert grows and a new one appears.
    const t1 = Date.now();
    await sendUdp(info.bound?.udp as number, [...Array.from({ length: 5 }, (_, i) => invalid(10 + i, 'web01')), invalid(20, 'db02')]);
    await until(async () => (await searchTotal(f, 'dataset:linux.auth')) === 12, 'twelve events searchable', 2000);
    await until(async () => (await alertCounts(f, INVALID_USER)).length === 2, 'the second batch in the alerts', 10_000);
    console.log(`second batch alerted ${Date.now() - t1} ms after sending`);
    expect(await alertCounts(f, INVALID_USER)).toEqual([
      { host: 'web01', count: 11 },
      { host: 'db02', count: 1 },
    ]);
    // Not asserted, a known gap of incremental rule runs (imports have it too): a run over new events
    // feeds correlations only the new events' hits, so failures split over two runs make no brute force.
    // Each event is linked once per alert: the live runs carry the watermark forward.
    const links = await f.sql('SELECT count(*) AS n, count(DISTINCT (alert_id, event_id)) AS d FROM alert_events');
    expect(links[0]?.n).toBe(links[0]?.d);
  }, 30_000);
});
