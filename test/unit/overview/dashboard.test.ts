import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardData } from '../../../src/shared/overview-contract';
import { LoupeError } from '../../../src/shared/errors';
import { queryRows } from '../../../src/main/engine/db/sql';
import { refreshRollup, setMaterialiseMax } from '../../../src/main/engine/overview';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';
import { addTestAlerts } from '../../fixtures/alert-tables';
import { fillScenario, SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
const EVENTS = 20_000;

const dashboard = (input: Record<string, unknown> = {}) => call(engine.handlers, 'dashboard', input);
const sql = (text: string) => queryRows(engine.case.conn, text);
const search = async (query: string) => Number((await call(engine.handlers, 'search', { query, count: true, limit: 1 })).total);
/** Panels without the figures that legitimately differ between two paths (timings). */
const panels = (d: DashboardData) => {
  const { timings, tookMs, ...rest } = d;
  void timings;
  void tookMs;
  return rest;
};

beforeAll(async () => {
  tmp = tempDir();
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  engine = new Engine({ host: 'test' });
  await engine.useCase(join(tmp.dir, 'case'), { mode: 'create' });
  await fillScenario(engine.case.conn, { events: EVENTS });
  // The story's C2 server and brute-forcer as indicators: both become malicious.
  const ioc = join(tmp.dir, 'story.txt');
  writeFileSync(ioc, `# the story's bad IPs\n${T.c2.ip}\n${T.bruteForce.ip}\n`);
  await call(engine.handlers, 'intelAddIocList', { path: ioc, name: 'story' });
});
afterAll(async () => {
  await engine.close();
  tmp.cleanup();
});

describe('dashboard over the whole case (rollup)', () => {
  it('counts what hand-written SQL counts', async () => {
    const d = await dashboard();
    const s = d.summary;
    expect(s?.events).toBe(EVENTS);
    expect(s?.noTime).toBe(T.noTime);
    const datasets = await sql(`SELECT dataset AS value, count(*)::INTEGER AS count FROM events GROUP BY 1 ORDER BY count DESC, value`);
    expect(s?.datasets).toEqual(datasets);
    const hosts = await sql(`SELECT count(DISTINCT host)::INTEGER AS n FROM events`);
    expect(s?.hosts).toBe(hosts[0]?.n);
    const ips = await sql(`SELECT count(DISTINCT ip)::INTEGER AS n FROM (SELECT src_ip AS ip FROM events UNION ALL SELECT dst_ip FROM events) WHERE ip IS NOT NULL AND ip <> ''`);
    expect(s?.ips).toBe(ips[0]?.n);
    const top = await sql(`SELECT host AS value, count(*)::INTEGER AS count FROM events WHERE host IS NOT NULL GROUP BY 1 ORDER BY count DESC, value LIMIT 10`);
    expect(d.topHosts).toEqual(top);
    const sev = await sql(`SELECT severity AS value, count(*)::INTEGER AS count FROM events WHERE severity IS NOT NULL GROUP BY 1`);
    expect(new Map(d.severity?.map((x) => [x.value, x.count]))).toEqual(new Map(sev.map((x) => [x.value, x.count])));
    expect(d.severity?.map((x) => x.value)).toEqual(['critical', 'high', 'medium', 'low', 'informational'].filter((l) => sev.some((x) => x.value === l)));
    expect(d.eventsOverTime?.total).toBe(EVENTS);
    expect(d.eventsOverTime?.noTime).toBe(T.noTime);
    expect(d.eventsOverTime?.buckets.reduce((a, b) => a + b.count, 0)).toBe(EVENTS - T.noTime);
    expect(d.eventsOverTime?.series?.map((x) => x.name).sort()).toEqual(datasets.map((x) => String(x.value)).sort());
  });

  it('puts the brute force on top of the failed logons by source IP', async () => {
    const d = await dashboard({ panels: ['logonsBySrcIp', 'logonsByUser'] });
    expect(d.logonsBySrcIp?.[0]).toEqual({ value: T.bruteForce.ip, success: T.bruteForce.succeeded, failure: T.bruteForce.failed });
    const users = await sql(`SELECT "user" AS value, count(*) FILTER (WHERE outcome = 'success')::INTEGER AS success, count(*) FILTER (WHERE outcome = 'failure')::INTEGER AS failure
      FROM events WHERE action IN ('logon', 'logon-failed', 'ssh-login') AND outcome IS NOT NULL GROUP BY 1 ORDER BY failure DESC, success DESC, value LIMIT 10`);
    expect(d.logonsByUser).toEqual(users);
    expect(d.summary).toBeUndefined();
  });

  it('lists the malicious IPs and counts the events that touched them', async () => {
    const d = await dashboard({ panels: ['malicious', 'topDstIps', 'topSrcIps', 'countries', 'summary'] });
    const expected = T.bruteForce.failed + T.bruteForce.succeeded + T.c2.connections + T.beaconAlert.count;
    expect(d.malicious?.events).toBe(expected);
    expect(await search('malicious:true')).toBe(expected);
    expect(d.malicious?.ips.map((x) => x.ip).sort()).toEqual([T.bruteForce.ip, T.c2.ip].sort());
    expect(d.malicious?.ips.every((x) => x.iocLists.includes('story') && x.malicious && x.scope === 'documentation')).toBe(true);
    expect(d.summary?.maliciousIps).toBe(2);
    // Public source IPs get a country from the embedded database; the map panel sums them.
    const countries = d.countries ?? [];
    expect(countries.length).toBeGreaterThan(3);
    const first = countries[0];
    if (!first) throw new Error('no country');
    expect(await search(`src_country:${first.country}`)).toBe(first.count);
    const top = d.topSrcIps?.[0];
    expect(top && (await search(`src_ip:${top.ip}`))).toBe(top?.count);
    expect(d.summary?.available).toEqual(expect.arrayContaining(['malicious', 'countries', 'topSrcIps', 'topDstIps', 'logonsByUser', 'webStatus', 'topUrls', 'alertTypes']));
    expect(d.summary?.available).not.toContain('alertsOverTime');
  });

  it('shows web status codes, top URLs with their field, and IDS signatures', async () => {
    const d = await dashboard({ panels: ['webStatus', 'topUrls', 'alertTypes'] });
    const codes = await sql(`SELECT event_code AS value, count(*)::INTEGER AS count FROM events WHERE dataset = 'web.access' GROUP BY 1 ORDER BY 1`);
    expect(d.webStatus).toEqual(codes);
    const sqli = d.topUrls?.find((u) => u.value.includes('UNION'));
    expect(sqli).toMatchObject({ field: 'uri', count: T.sqli.count });
    expect(d.topUrls?.[0]?.field).toBe('uri');
    expect(await search(`uri:"${d.topUrls?.[0]?.value ?? ''}"`)).toBe(d.topUrls?.[0]?.count);
    const beacon = d.alertTypes?.find((a) => a.name === T.beaconAlert.signature);
    expect(beacon).toMatchObject({ source: 'ids', count: T.beaconAlert.count });
  });
});

describe('dashboard over a search', () => {
  it('gives the same panels live as from the rollup, materialised or not', async () => {
    const whole = panels(await dashboard());
    // A query every event matches forces the live path over the same events.
    const live = panels(await dashboard({ query: 'id:>0' }));
    expect(live).toEqual({ ...whole, eventsOverTime: live.eventsOverTime });
    // The histogram: the same counts (the live path spans the case the same way).
    expect(live.eventsOverTime?.series).toEqual(whole.eventsOverTime?.series);
    expect(live.eventsOverTime?.total).toBe(whole.eventsOverTime?.total);
    setMaterialiseMax(10);
    try {
      expect(panels(await dashboard({ query: 'id:>0' }))).toEqual(live);
    } finally {
      setMaterialiseMax();
    }
  });

  it('narrows every panel to the query', async () => {
    const d = await dashboard({ query: `src_ip:${T.bruteForce.ip}` });
    expect(d.summary?.events).toBe(T.bruteForce.failed + T.bruteForce.succeeded);
    expect(d.summary?.datasets).toEqual([{ value: 'windows.security', count: 51 }]);
    expect(d.topHosts).toEqual([{ value: T.bruteForce.host, count: 51 }]);
    expect(d.topUsers).toEqual([{ value: T.bruteForce.user, count: 51 }]);
    expect(d.malicious?.events).toBe(51);
    expect(d.eventsOverTime?.total).toBe(51);
    expect(d.webStatus).toEqual([]);
    // A filter never hides a panel the case has data for.
    expect(d.summary?.available).toContain('webStatus');
  });

  it('reports a bad query with its position', async () => {
    const e = await dashboard({ query: 'TargetUsrName:admin' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LoupeError);
    expect((e as LoupeError).code).toBe('QUERY_ERROR');
    expect((e as LoupeError).message).toMatch(/TargetUserName/);
  });
});

describe('the rollup follows the case', () => {
  it('adds new events incrementally and rebuilds after a deletion', async () => {
    const before = await dashboard({ panels: ['summary', 'topHosts'] });
    // An "import": 1,000 more events copied from existing ones, with new ids.
    await engine.case.conn.run(`INSERT INTO events SELECT id + 1000000 AS id, * EXCLUDE (id) FROM events WHERE id <= 1000`);
    const r = await refreshRollup(engine.case);
    expect(r).toMatchObject({ read: 1000, full: false });
    const after = await dashboard({ panels: ['summary', 'topHosts'] });
    expect(after.summary?.events).toBe((before.summary?.events ?? 0) + 1000);
    const top = await sql(`SELECT host AS value, count(*)::INTEGER AS count FROM events WHERE host IS NOT NULL GROUP BY 1 ORDER BY count DESC, value LIMIT 10`);
    expect(after.topHosts).toEqual(top);
    await engine.case.conn.run(`DELETE FROM events WHERE id > 1000000`);
    expect(await refreshRollup(engine.case)).toMatchObject({ full: true, read: EVENTS });
    const again = await dashboard({ panels: ['summary', 'topHosts'] });
    expect(again.summary?.events).toBe(EVENTS);
    expect(await refreshRollup(engine.case)).toMatchObject({ read: 0, full: false });
  });
});

describe('alerts in the overview', () => {
  beforeAll(async () => {
    await addTestAlerts(engine.case.conn, [
      { id: 1, ruleId: 'rule-brute', title: 'Brute force', level: 'high', host: T.bruteForce.host, tags: ['attack.t1110'], events: `src_ip = '${T.bruteForce.ip}' AND action = 'logon-failed'` },
      { id: 2, ruleId: 'rule-enc', title: 'Encoded PowerShell', level: 'critical', host: T.encodedPowershell.host, events: `message LIKE '%-enc %'` },
    ]);
  });

  it('draws alert hits over time by level and ranks alert types', async () => {
    const d = await dashboard({ panels: ['summary', 'alertsOverTime', 'alertTypes'] });
    expect(d.summary?.alerts).toEqual({ total: 2, byLevel: { high: 1, critical: 1 } });
    expect(d.summary?.available).toEqual(expect.arrayContaining(['alertsOverTime', 'alertTypes']));
    expect(d.alertsOverTime?.series.map((s) => s.level)).toEqual(['critical', 'high']);
    expect(d.alertsOverTime?.total).toBe(T.bruteForce.failed + T.encodedPowershell.count);
    expect(d.alertTypes?.find((a) => a.source === 'sigma' && a.ruleId === 'rule-brute')).toMatchObject({ name: 'Brute force', level: 'high', count: T.bruteForce.failed });
  });

  it('answers the whole case from its caches exactly as live, and notices new alerts', async () => {
    const whole = await dashboard({ panels: ['alertsOverTime', 'alertTypes'] });
    const live = await dashboard({ panels: ['alertsOverTime', 'alertTypes'], query: 'id:>0' });
    expect(whole.alertsOverTime).toEqual(live.alertsOverTime);
    expect(whole.alertTypes).toEqual(live.alertTypes);
    await addTestAlerts(engine.case.conn, [{ id: 3, ruleId: 'rule-c2', title: 'C2 beacon', level: 'medium', events: `dst_ip = '${T.c2.ip}'` }]);
    const after = await dashboard({ panels: ['alertsOverTime', 'summary'] });
    expect(after.alertsOverTime?.series.map((x) => x.level)).toEqual(['critical', 'high', 'medium']);
    expect(after.summary?.alerts?.total).toBe(3);
    await engine.case.conn.run(`DELETE FROM alert_events WHERE alert_id = 3; DELETE FROM alerts WHERE id = 3`);
    expect((await dashboard({ panels: ['alertsOverTime'] })).alertsOverTime?.series.map((x) => x.level)).toEqual(['critical', 'high']);
  });

  it('searches the events of an alert and of a rule', async () => {
    expect(await search('alert:1')).toBe(T.bruteForce.failed);
    expect(await search('rule:rule-enc')).toBe(T.encodedPowershell.count);
    expect(await search('rule:rule-*')).toBe(T.bruteForce.failed + T.encodedPowershell.count);
    expect(await search('alert:*')).toBe(T.bruteForce.failed + T.encodedPowershell.count);
    expect(await search(`alert:1 AND action:logon`)).toBe(0);
    const stats = await call(engine.handlers, 'fieldStats', { field: 'rule', query: `host:"${T.bruteForce.host}"` });
    expect(stats.top[0]).toEqual({ value: 'rule-brute', count: T.bruteForce.failed });
  });
});
