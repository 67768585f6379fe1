import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { operations, pushEvents, type OpInput, type OpName, type OpOutput, type PushEventName } from '../../../src/shared/contract';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';
import { pruneAlerts } from '../../../src/main/engine/alerts/alert-merge';
import { zipBuffer } from '../../fixtures/zip-writer';
import { loadInputs, type Input, type TestCase } from './helpers';

/**
 * Alerts as the analyst lives with them: automatic runs over new events
 * (watermark), re-runs that add nothing twice, triage that survives
 * re-runs, suppressions of a rule or a value honoured by later runs, rule
 * settings, rule packs, and the contract operations the Alerts and Rules
 * views call.
 */

const line = (min: number, host: string, program: string, msg: string): Input => ({ auth: `Mar  1 10:${String(min).padStart(2, '0')}:00 ${host} ${program}: ${msg}` });
const sudoRoot = (min: number, host: string, command: string): Input => line(min, host, 'sudo', `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=${command}`);
const fail = (min: number, s: number, ip: string): Input => ({ auth: `Mar  1 10:${String(min).padStart(2, '0')}:${String(s).padStart(2, '0')} web1 sshd[1]: Failed password for root from ${ip} port 22 ssh2` });

let home: string;
const prevHome = process.env.LOUPE_HOME;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'loupe-alerts-home-'));
  process.env.LOUPE_HOME = home;
});
afterAll(() => {
  if (prevHome === undefined) delete process.env.LOUPE_HOME;
  else process.env.LOUPE_HOME = prevHome;
  rmSync(home, { recursive: true, force: true });
});

describe('alerts through the engine and the contract', () => {
  let engine: Engine;
  let dir: string;
  let tc: TestCase;
  const pushes: { event: PushEventName; payload: unknown }[] = [];
  // Every answer must also satisfy the operation's output schema (what the UI is promised).
  const op = async <K extends OpName>(name: K, input: OpInput<K>): Promise<OpOutput<K>> => {
    const value = await call(engine.handlers, name, input);
    const checked = operations[name].output.safeParse(value);
    if (!checked.success) throw new Error(`${name}: output does not match the contract: ${JSON.stringify(checked.error.issues.slice(0, 3))}`);
    return value;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-alerts-'));
    engine = new Engine({ host: 'test', alerts: { refreshIntel: false } });
    pushes.length = 0;
    engine.push.subscribe((event, payload) => pushes.push({ event, payload }));
    await engine.useCase(join(dir, 'case'), { mode: 'create' });
    tc = { dir, kase: engine.case, alerts: engine.alerts, pushed: [], close: () => undefined };
  });
  afterEach(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ruleId = async (title: string): Promise<string> => {
    const r = await op('listRules', { text: title, limit: 10 });
    const found = r.rules.find((x) => x.title === title);
    if (!found) throw new Error(`no rule titled ${title}`);
    return found.id;
  };
  const linkCount = async (): Promise<number> => Number((await engine.case.conn.runAndReadAll('SELECT count(*) FROM alert_events')).getRows()[0]?.[0]);

  it('runs after an import over the new events only, merges into the same alert, never links an event twice', async () => {
    const first = await loadInputs(tc, [sudoRoot(1, 'web1', '/usr/bin/apt update'), sudoRoot(2, 'web1', '/usr/bin/id')]);
    const r1 = await engine.alerts.afterImport();
    expect(r1).toMatchObject({ trigger: 'import', scope: 'new', afterEvent: null, throughEvent: first[1], status: 'done', alertsNew: 1 });
    const sudo = await ruleId('Command run as root with sudo');
    let list = await op('listAlerts', { ruleIds: [sudo] });
    expect(list.alerts).toHaveLength(1);
    expect(list.alerts[0]).toMatchObject({ count: 2, host: 'web1', groupKey: 'host:web1', level: 'low', status: 'new', attack: ['T1548.003'] });
    expect(list.alerts[0]?.firstSeen).toBe('2024-03-01T10:01:00.000Z');

    // Nothing new: the automatic run examines nothing.
    const r2 = await engine.alerts.afterImport();
    expect(r2).toMatchObject({ afterEvent: first[1], throughEvent: first[1], hits: 0, alertsNew: 0, alertsUpdated: 0 });

    // A second import: only its events are examined; the alert grows.
    const second = await loadInputs(tc, [sudoRoot(9, 'web1', '/usr/bin/uptime'), sudoRoot(9, 'web2', '/usr/bin/uptime')]);
    const r3 = await engine.alerts.afterImport();
    expect(r3).toMatchObject({ afterEvent: first[1], throughEvent: second[1], hits: 2, alertsNew: 1, alertsUpdated: 1 });
    list = await op('listAlerts', { ruleIds: [sudo], sort: 'count' });
    expect(list.alerts.map((a) => [a.host, a.count])).toEqual([
      ['web1', 3],
      ['web2', 1],
    ]);
    expect(list.alerts[0]?.lastSeen).toBe('2024-03-01T10:09:00.000Z');

    // On demand over everything: same alerts, same links.
    const links = await linkCount();
    const r4 = await op('runRules', { scope: 'all' });
    expect(r4).toMatchObject({ scope: 'all', afterEvent: null, alertsNew: 0, alertsUpdated: 0 });
    expect(await linkCount()).toBe(links);
    expect((await op('listAlerts', { ruleIds: [sudo] })).alerts.map((a) => a.count).sort()).toEqual([1, 3]);

    // Every run pushed the counts by level.
    const updates = pushes.filter((p) => p.event === 'alertsUpdated');
    expect(updates).toHaveLength(4);
    for (const u of updates) expect(pushEvents.alertsUpdated.safeParse(u.payload).success).toBe(true);
    expect(updates[3]?.payload).toMatchObject({ total: 2, counts: { low: 2, informational: 0, medium: 0, high: 0, critical: 0 } });
    const status = await op('getDetectionStatus', {});
    expect(status).toMatchObject({ watermark: second[1], lastEventId: second[1], alerts: 2, running: false });
    expect(status.lastRun?.runId).toBe(r4.runId);
  });

  it('correlation hits become alerts keyed by their group, with the peak figure', async () => {
    await loadInputs(tc, [...Array.from({ length: 12 }, (_, i) => fail(3, i * 4, '203.0.113.30')), ...Array.from({ length: 3 }, (_, i) => fail(3, i, '198.51.100.1'))]);
    await op('runRules', { scope: 'all' });
    const brute = await ruleId('SSH brute force from one source address');
    const list = await op('listAlerts', { ruleIds: [brute] });
    expect(list.alerts).toHaveLength(1);
    expect(list.alerts[0]).toMatchObject({ kind: 'correlation', group: { 'loupe.src_ip': '203.0.113.30' }, count: 12, peak: 12, level: 'high' });
    // The base rule is correlation-only: it feeds the correlation, it raises no alert of its own.
    const base = await ruleId('SSH authentication failure');
    expect((await op('listAlerts', { ruleIds: [base] })).total).toBe(0);
    expect((await op('getRule', { id: base })).correlationOnly).toBe(true);
    // Re-running changes nothing.
    await op('runRules', { scope: 'all' });
    expect((await op('listAlerts', { ruleIds: [brute] })).alerts[0]).toMatchObject({ count: 12, peak: 12 });
  });

  it('triage sets status and note, in bulk, and survives re-runs', async () => {
    await loadInputs(tc, [sudoRoot(1, 'web1', '/usr/bin/id'), sudoRoot(1, 'web2', '/usr/bin/id'), line(2, 'web1', 'useradd[5]', 'new user: name=x, UID=1002, GID=1002, home=/home/x, shell=/bin/sh')]);
    await op('runRules', { scope: 'all' });
    const all = await op('listAlerts', {});
    expect(all.total).toBe(3);
    const sudoIds = all.alerts.filter((a) => a.title.startsWith('Command run as root')).map((a) => a.id);
    const useradd = all.alerts.find((a) => a.title === 'Linux local user created')?.id as number;
    const ids = [...sudoIds, useradd];
    expect(await op('triageAlerts', { ids: sudoIds, status: 'acknowledged' })).toEqual({ updated: 2 });
    await op('triageAlerts', { ids: [useradd], status: 'escalated', note: 'new account on a web server: who?' });
    await expect(op('triageAlerts', { ids: [ids[0] as number] } as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await op('runRules', { scope: 'all' });
    const after = await op('listAlerts', { statuses: ['escalated'] });
    expect(after.alerts).toHaveLength(1);
    expect(after.alerts[0]).toMatchObject({ note: 'new account on a web server: who?', title: 'Linux local user created' });
    expect(after.counts.byStatus).toEqual({ escalated: 1 });
    const everything = await op('listAlerts', {});
    expect(everything.counts.byStatus).toEqual({ acknowledged: 2, escalated: 1 });
    // Clearing a note.
    await op('triageAlerts', { ids: [ids[2] as number], note: null });
    expect((await op('getAlert', { id: ids[2] as number })).alert.note).toBeNull();
  });

  it('a value suppression is honoured by later runs and, retroactively, removes matching links', async () => {
    await loadInputs(tc, [sudoRoot(1, 'web1', '/usr/bin/id'), sudoRoot(1, 'build7', '/usr/bin/make install'), sudoRoot(2, 'build7', '/usr/bin/id')]);
    await op('runRules', { scope: 'all' });
    const sudo = await ruleId('Command run as root with sudo');
    expect((await op('listAlerts', { ruleIds: [sudo] })).total).toBe(2);
    // The build host's sudo is expected: suppress it for this rule (host is a core column).
    const s = await op('addSuppression', { ruleId: sudo, field: 'host', value: 'BUILD7', note: 'CI runner' });
    expect(s).toMatchObject({ removedLinks: 2, removedAlerts: 1, suppression: { ruleId: sudo, field: 'host', value: 'BUILD7', note: 'CI runner' } });
    expect((await op('listAlerts', { ruleIds: [sudo] })).alerts.map((a) => a.host)).toEqual(['web1']);
    // A later import from that host raises nothing; other hosts still do.
    await loadInputs(tc, [sudoRoot(5, 'build7', '/usr/bin/id'), sudoRoot(5, 'web1', '/usr/bin/whoami')]);
    const r = await engine.alerts.afterImport();
    expect(r).toMatchObject({ suppressed: 1 });
    expect((await op('listAlerts', { ruleIds: [sudo] })).alerts.map((a) => [a.host, a.count])).toEqual([['web1', 2]]);
    // A field of the source table (not a core column), for every rule.
    await op('addSuppression', { field: 'command', value: '/usr/bin/whoami' });
    expect((await op('listAlerts', { ruleIds: [sudo] })).alerts.map((a) => a.count)).toEqual([1]);
    // Removing a suppression: the next full run brings the events back.
    const list = await op('listSuppressions', {});
    expect(list.suppressions).toHaveLength(2);
    for (const x of list.suppressions) expect(await op('removeSuppression', { id: x.id })).toEqual({ removed: true });
    await op('runRules', { scope: 'all' });
    expect((await op('listAlerts', { ruleIds: [sudo] })).alerts.map((a) => [a.host, a.count])).toEqual([
      ['web1', 2],
      ['build7', 3],
    ]);
  });

  it('suppressing a rule stops its alerts; disabling one stops it running', async () => {
    await loadInputs(tc, [sudoRoot(1, 'web1', '/bin/bash'), line(2, 'web1', 'su[7]', 'Successful su for root by alice')]);
    await op('runRules', { scope: 'all' });
    const shell = await ruleId('Root shell opened with sudo');
    const su = await ruleId('su to root');
    expect((await op('listAlerts', { ruleIds: [shell, su] })).total).toBe(2);
    const s = await op('addSuppression', { ruleId: shell, retroactive: false });
    expect(s.removedLinks).toBe(0);
    expect((await op('listAlerts', { ruleIds: [shell] })).total).toBe(1);
    await op('addSuppression', { ruleId: shell });
    expect((await op('listAlerts', { ruleIds: [shell] })).total).toBe(0);
    expect((await op('getRule', { id: shell })).suppressed).toBe(true);
    await expect(op('addSuppression', { field: 'host' } as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });

    expect(await op('setRulesEnabled', { ids: [su], enabled: false })).toEqual({ changed: 1 });
    expect(await op('setRulesEnabled', { ids: [su], enabled: false })).toEqual({ changed: 0 });
    await loadInputs(tc, [line(8, 'web2', 'su[9]', 'Successful su for root by bob'), sudoRoot(8, 'web2', '/bin/sh')]);
    await engine.alerts.afterImport();
    expect((await op('listAlerts', { ruleIds: [su] })).alerts.map((a) => a.host)).toEqual(['web1']);
    expect((await op('listAlerts', { ruleIds: [shell] })).total).toBe(0);
    const rules = await op('listRules', { enabled: false });
    expect(rules.rules.map((r) => r.id)).toEqual([su]);
    expect(rules.counts.disabled).toBe(1);
    // Asked for by name, a disabled rule still runs (over all events) and leaves the watermark alone.
    const before = (await op('getDetectionStatus', {})).watermark;
    const one = await op('runRules', { ruleId: su });
    expect(one).toMatchObject({ scope: 'rule', ruleId: su, rules: 1, alertsNew: 1 });
    expect((await op('getDetectionStatus', {})).watermark).toBe(before);
    await expect(op('runRules', { ruleId: 'no-such-rule' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists alerts grouped by rule, filtered by level, with a paged event list and the rule behind it', async () => {
    await loadInputs(tc, [
      ...Array.from({ length: 5 }, (_, i) => sudoRoot(1 + i, `h${i % 2}`, '/usr/bin/id')),
      line(7, 'h0', 'usermod[3]', "add 'eve' to group 'sudo'"),
    ]);
    await op('runRules', { scope: 'all' });
    const grouped = await op('listAlerts', { groupBy: 'rule' });
    expect(grouped.alerts).toEqual([]);
    expect(grouped.groups.map((g) => [g.title, g.level, g.alerts, g.count])).toEqual([
      ['Linux user added to a privileged group', 'high', 1, 1],
      ['Command run as root with sudo', 'low', 2, 5],
    ]);
    expect(grouped.groups[1]?.statuses).toEqual({ new: 2 });
    expect((await op('listAlerts', { levels: ['high'] })).alerts.map((a) => a.title)).toEqual(['Linux user added to a privileged group']);
    expect((await op('listAlerts', { host: 'H1' })).total).toBe(1);
    expect((await op('listAlerts', { text: 'privileged' })).total).toBe(1);
    const a = (await op('listAlerts', { host: 'h0', ruleIds: [await ruleId('Command run as root with sudo')] })).alerts[0];
    expect(a?.count).toBe(3);
    const page1 = await op('getAlert', { id: a?.id as number, limit: 2 });
    expect(page1.events.total).toBe(3);
    expect(page1.events.items).toHaveLength(2);
    expect(page1.events.items[0]).toMatchObject({ dataset: 'linux.auth', host: 'h0' });
    const page2 = await op('getAlert', { id: a?.id as number, offset: 2, limit: 2 });
    expect(page2.events.items.map((e) => e.id)).not.toContain(page1.events.items[0]?.id);
    expect(page1.rule?.yaml).toMatch(/^title: Command run as root with sudo/m);
    // The alert carries the rule's text; its compiled SQL is getRule's.
    expect(page1.rule?.sql).toEqual([]);
    const detail = await op('getRule', { id: a?.ruleId as string });
    expect(detail.sql[0]?.sql).toMatch(/SELECT sid, rid FROM work WHERE/);
    expect(detail.sql[0]?.sources).toEqual(['src_1']);
    expect(Object.values(detail.sql[0]?.params ?? {})).toContain('root');
    await expect(op('getAlert', { id: 999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('getRule explains rules with no source in the case, and why a rule cannot run', async () => {
    const web = await op('getRule', { id: await ruleId('SQL injection pattern in a web request') });
    expect(web.status).toBe('active');
    expect(web.sql).toHaveLength(1);
    expect(web.sql[0]?.target).toMatch(/no source of this case/);
    expect(web.sql[0]?.sql).toContain('"cs-uri-query"');
    expect(web.logsource).toEqual({ category: 'webserver' });
    expect(web.tags).toContain('attack.t1190');
  });

  it('imports rule folders and zips into the case, with statuses, and removes them', async () => {
    const src = join(dir, 'my-rules');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(
      join(src, 'sub', 'curl.yml'),
      'title: curl run as root\nid: 11111111-2222-4333-8444-555555555555\nlogsource:\n    product: linux\n    service: sudo\ndetection:\n    sel:\n        command|endswith: /curl\n    condition: sel\nlevel: medium\n',
    );
    writeFileSync(join(src, 'broken.yml'), 'title: broken\nlogsource: [\n');
    writeFileSync(join(src, 'odd.yml'), 'title: no logsource\nid: 11111111-2222-4333-8444-666666666666\nlogsource:\n    product: nothing\n    service: at-all\ndetection:\n    sel:\n        x|expand: "%unknown%"\n    condition: sel\n');
    writeFileSync(join(src, 'README.md'), 'not a rule');
    const res = await op('importRules', { path: src });
    expect(res.pack).toMatchObject({ id: 1, kind: 'folder', name: 'my-rules', rules: 3, counts: { active: 1, unsupported: 1, error: 1 } });
    // The copy lives in the case: removing the original changes nothing.
    rmSync(src, { recursive: true, force: true });
    engine.alerts.invalidate();
    const packs = await op('listRulePacks', {});
    expect(packs.packs.map((p) => [p.id, p.kind, p.counts.active])).toEqual([
      [0, 'builtin', 51],
      [1, 'folder', 1],
    ]);
    const probs = await op('listRules', { statuses: ['unsupported', 'error'] });
    expect(probs.rules.map((r) => [r.path, r.status])).toEqual([
      ['broken.yml', 'error'],
      ['odd.yml', 'unsupported'],
    ]);
    expect(probs.reasons.length).toBe(2);
    expect(probs.rules[0]?.line).toBeGreaterThan(0);
    const zip = join(dir, 'pack.zip');
    writeFileSync(zip, zipBuffer([{ name: 'z/dup.yml', data: Buffer.from('title: dup\nid: 11111111-2222-4333-8444-555555555555\nlogsource:\n    category: webserver\ndetection:\n    sel:\n        sc-status: 500\n    condition: sel\n') }]));
    const z = await op('importRules', { path: zip });
    expect(z.pack).toMatchObject({ kind: 'zip', counts: { error: 1 } });
    const dup = (await op('listRules', { packId: z.pack.id })).rules[0];
    expect(dup).toMatchObject({ path: 'z/dup.yml', status: 'error' });
    expect(dup?.reason).toMatch(/duplicate rule id/);
    // Hunting with them: the imported rule fires.
    await loadInputs(tc, [sudoRoot(1, 'web1', '/usr/bin/curl')]);
    await op('runRules', { scope: 'all' });
    expect((await op('listAlerts', { ruleIds: ['11111111-2222-4333-8444-555555555555'] })).total).toBe(1);
    expect((await op('getRule', { id: '11111111-2222-4333-8444-555555555555' })).yaml).toMatch(/curl run as root/);
    expect(await op('removeRulePack', { id: 1 })).toEqual({ removed: true });
    expect((await op('listRulePacks', {})).packs.map((p) => p.id)).toEqual([0, 2]);
    await expect(op('importRules', { path: join(dir, 'nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('prunes links to events that were deleted', async () => {
    await loadInputs(tc, [sudoRoot(1, 'web1', '/usr/bin/id'), sudoRoot(2, 'web1', '/usr/bin/id'), sudoRoot(3, 'web2', '/usr/bin/id')]);
    await op('runRules', { scope: 'all' });
    await engine.case.conn.run("DELETE FROM events WHERE host = 'web2' OR id = 1");
    expect(await pruneAlerts(engine.case.conn)).toEqual({ links: 2, alertsDeleted: 1 });
    expect((await op('listAlerts', {})).alerts.map((a) => [a.host, a.count])).toEqual([['web1', 1]]);
  });
});
