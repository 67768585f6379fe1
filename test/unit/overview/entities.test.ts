import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoupeError } from '../../../src/shared/errors';
import { queryRows } from '../../../src/main/engine/db/sql';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';
import { addTestAlerts } from '../../fixtures/alert-tables';
import { fillScenario, SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;

const sql = (text: string) => queryRows(engine.case.conn, text);

beforeAll(async () => {
  tmp = tempDir();
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  engine = new Engine({ host: 'test' });
  await engine.useCase(join(tmp.dir, 'case'), { mode: 'create' });
  await fillScenario(engine.case.conn, { events: 20_000 });
  await addTestAlerts(engine.case.conn, [
    { id: 7, ruleId: 'rule-brute', title: 'Brute force', level: 'high', host: T.bruteForce.host, events: `src_ip = '${T.bruteForce.ip}' AND action = 'logon-failed'` },
  ]);
});
afterAll(async () => {
  await engine.close();
  tmp.cleanup();
});

describe('entity pages', () => {
  it('profiles the brute-forcing IP', async () => {
    const p = await call(engine.handlers, 'entity', { kind: 'ip', value: T.bruteForce.ip });
    expect(p).toMatchObject({ kind: 'ip', value: T.bruteForce.ip, query: `ip:${T.bruteForce.ip}`, events: 51, roles: { src: 51, dst: 0 } });
    expect(p.datasets).toEqual([{ value: 'windows.security', count: 51 }]);
    expect(p.intel).toMatchObject({ scope: 'documentation', country: null, malicious: false, iocLists: [] });
    expect(p.histogram.total).toBe(51);
    expect(p.firstSeen && p.lastSeen && p.firstSeen < p.lastSeen).toBe(true);
    const hosts = p.peers.find((g) => g.id === 'hosts');
    expect(hosts?.items).toEqual([{ value: T.bruteForce.host, count: 51, success: 1, failure: 50, ip: null }]);
    const users = p.peers.find((g) => g.id === 'users');
    expect(users?.items[0]).toMatchObject({ value: T.bruteForce.user, failure: 50, success: 1 });
    expect(p.alerts).toEqual([expect.objectContaining({ id: 7, ruleId: 'rule-brute', level: 'high', count: 50, status: 'new' })]);
  });

  it('profiles the C2 server with the hosts that talked to it and IPv6 in any spelling', async () => {
    const p = await call(engine.handlers, 'entity', { kind: 'ip', value: T.c2.ip });
    expect(p.roles).toEqual({ src: 0, dst: T.c2.connections + T.beaconAlert.count });
    const peers = p.peers.find((g) => g.id === 'ips');
    expect(peers?.items[0]).toMatchObject({ value: '10.1.7.77', count: T.c2.connections + T.beaconAlert.count, ip: expect.objectContaining({ scope: 'private' }) });
    const v6 = await call(engine.handlers, 'entity', { kind: 'ip', value: '2001:0db8:0bad:0000::7' });
    expect(v6.events).toBe(T.sshV6.failed);
    expect(v6.value).toBe('2001:0db8:0bad:0000::7');
  });

  it('profiles a user and a host', async () => {
    const u = await call(engine.handlers, 'entity', { kind: 'user', value: 'ADMINISTRATOR' });
    const n = await sql(`SELECT count(*)::INTEGER AS n FROM events WHERE lower("user") = 'administrator'`);
    expect(u.events).toBe(n[0]?.n);
    expect(u.peers.find((g) => g.id === 'ips')?.items.find((i) => i.value === T.bruteForce.ip)).toMatchObject({ count: 51, failure: 50, success: 1 });
    const h = await call(engine.handlers, 'entity', { kind: 'host', value: T.encodedPowershell.host });
    const hn = await sql(`SELECT count(*)::INTEGER AS n FROM events WHERE host = '${T.encodedPowershell.host}'`);
    expect(h.events).toBe(hn[0]?.n);
    expect(h.peers.map((g) => g.id)).toContain('users');
    expect(h.intel).toBeNull();
    const none = await call(engine.handlers, 'entity', { kind: 'host', value: 'no-such-host' });
    expect(none).toMatchObject({ events: 0, firstSeen: null, peers: [] });
  });

  it('lists entities, most events first, with a filter', async () => {
    const ips = await call(engine.handlers, 'listEntities', { kind: 'ip', limit: 5 });
    const top = await sql(`SELECT ip, count(*)::INTEGER AS n FROM (SELECT src_ip AS ip FROM events UNION ALL SELECT dst_ip FROM events WHERE dst_ip IS DISTINCT FROM src_ip) WHERE ip IS NOT NULL GROUP BY ip ORDER BY n DESC, ip LIMIT 5`);
    expect(ips.items.map((i) => [i.value, i.events])).toEqual(top.map((r) => [r.ip, r.n]));
    expect(ips.total).toBeGreaterThan(1000);
    const bad = await call(engine.handlers, 'listEntities', { kind: 'ip', text: '203.0.113' });
    expect(bad.items.map((i) => i.value)).toEqual([T.bruteForce.ip]);
    const users = await call(engine.handlers, 'listEntities', { kind: 'user', text: 'svc_' });
    expect(users.items.map((i) => i.value).sort()).toEqual(['svc_backup', 'svc_sql']);
    expect(users.items.every((i) => i.firstSeen !== null && i.lastSeen !== null)).toBe(true);
    const hosts = await call(engine.handlers, 'listEntities', { kind: 'host', limit: 100 });
    const hn = await sql(`SELECT count(DISTINCT host)::INTEGER AS n FROM events`);
    expect(hosts.total).toBe(hn[0]?.n);
  });
});

describe('intel settings', () => {
  it('reports every source, with licences and the case enrichment', async () => {
    const st = await call(engine.handlers, 'intelStatus', {});
    expect(st.settings.maliciousThreshold).toBe(3);
    expect(st.sources.find((s) => s.id === 'embedded:country')).toMatchObject({ state: 'ok', embedded: true, licence: expect.any(String), attribution: expect.stringMatching(/nro/i) });
    expect(st.sources.find((s) => s.id === 'ipsum')?.state).toBe('missing');
    expect(st.case?.ips).toBeGreaterThan(1000);
  });

  it('adds and removes an IOC list, re-enriching the open case', async () => {
    const f = join(tmp.dir, 'c2.csv');
    writeFileSync(f, `indicator,comment\n${T.c2.ip},c2\nhxxp://evil[.]example/x,domain\nnot an indicator\n`);
    const st = await call(engine.handlers, 'intelAddIocList', { path: f, name: 'c2 servers' });
    expect(st.sources.find((s) => s.id === 'ioc:c2 servers')).toMatchObject({ entries: 2, rejected: 1 });
    expect(st.case).toMatchObject({ malicious: 1, stale: false });
    expect((await call(engine.handlers, 'intelLookup', { ip: T.c2.ip })).iocLists).toEqual(['c2 servers']);
    const d = await call(engine.handlers, 'dashboard', { panels: ['malicious'] });
    expect(d.malicious?.events).toBe(T.c2.connections + T.beaconAlert.count);
    const gone = await call(engine.handlers, 'intelRemoveIocList', { name: 'c2 servers' });
    expect(gone.case?.malicious).toBe(0);
    expect((await call(engine.handlers, 'dashboard', { panels: ['malicious'] })).malicious?.events).toBe(0);
  });

  it('imports IPsum, applies the threshold and refuses an offline update clearly', async () => {
    const f = join(tmp.dir, 'ipsum.txt');
    writeFileSync(f, `# IPsum Threat Intelligence Feed\n# Last update: Tue, 04 Jun 2024 03:00:01 +0200\n${T.bruteForce.ip}\t2\n${T.c2.ip}\t5\n`);
    const st = await call(engine.handlers, 'intelImportIpsum', { path: f });
    expect(st.sources.find((s) => s.id === 'ipsum')).toMatchObject({ state: 'ok', entries: 2 });
    expect(st.case?.malicious).toBe(1);
    const lowered = await call(engine.handlers, 'intelUpdateSettings', { maliciousThreshold: 2 });
    expect(lowered.settings.maliciousThreshold).toBe(2);
    expect(lowered.case?.malicious).toBe(2);
    expect((await call(engine.handlers, 'entity', { kind: 'ip', value: T.bruteForce.ip })).intel).toMatchObject({ ipsum: 2, malicious: true });
    const e = await call(engine.handlers, 'intelUpdateIpsum', { url: 'http://127.0.0.1:9/ipsum.txt' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LoupeError);
    expect((e as LoupeError).code).toBe('OFFLINE');
    expect((e as LoupeError).message).toMatch(/kept/);
    const bad = await call(engine.handlers, 'intelAddMmdb', { path: f }).catch((x: unknown) => x);
    expect((bad as LoupeError).code).toMatch(/BAD_INPUT|IO_ERROR/);
  });
});
