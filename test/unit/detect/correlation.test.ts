import { describe, expect, it } from 'vitest';
import { run } from './helpers';
import type { FixtureRow } from '../../fixtures/detect-case';

const base = `title: Failed logon
id: 11111111-0000-0000-0000-000000000001
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel
level: low
---
title: Successful logon
id: 11111111-0000-0000-0000-000000000002
name: good_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4624
    condition: sel
---
title: Logon from network share
id: 11111111-0000-0000-0000-000000000003
name: share_access
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 5140
    condition: sel
`;

function ev(eid: number, user: string, ip: string, ts: string, host = 'ws1'): FixtureRow {
  return { Channel: 'Security', EventID: eid, TargetUserName: user, IpAddress: ip, Computer: host, $ts: ts, $host: host };
}

const t = (mmss: string): string => `2024-05-01 10:${mmss}`;

const rows: FixtureRow[] = [
  ev(4625, 'bob', '10.0.0.9', t('00:00')), // 0
  ev(4625, 'bob', '10.0.0.9', t('01:00')), // 1
  ev(4625, 'bob', '10.0.0.8', t('02:00')), // 2
  ev(4624, 'bob', '10.0.0.9', t('03:00')), // 3
  ev(4625, 'alice', '10.0.0.9', t('00:30')), // 4
  ev(4625, 'alice', '10.0.0.7', t('20:00')), // 5
  ev(4624, 'alice', '10.0.0.7', t('21:00')), // 6
  ev(5140, 'alice', '10.0.0.7', t('20:30')), // 7
  ev(4625, 'carol', '10.0.0.1', t('40:00')), // 8
  ev(4625, 'carol', '10.0.0.2', t('40:10')), // 9
  ev(4625, 'carol', '10.0.0.3', t('40:20')), // 10
  ev(4625, 'carol', '10.0.0.4', t('49:20')), // 11
];

function corr(body: string, id = '22222222-0000-0000-0000-000000000001'): string {
  return `---\ntitle: correlation\nid: ${id}\ncorrelation:\n${body}\nlevel: high\n`;
}

async function correlate(body: string): Promise<{ group: Record<string, string | null>; rows: number[]; count: number }[]> {
  const res = await run(base + corr(body), [{ dataset: 'windows.security', rows }]);
  const bad = res.status.rules.filter((r) => r.status !== 'active');
  if (bad.length) throw new Error(`${bad[0]?.status}: ${bad[0]?.reason}`);
  const first = Math.min(...res.result.hits.flatMap((h) => h.eventIds));
  return res.result.correlations.map((c) => ({ group: c.group, rows: c.eventIds.map((id) => id - first), count: c.count })).sort((a, b) => (a.rows[0] ?? 0) - (b.rows[0] ?? 0));
}

describe('correlation rules', () => {
  it('event_count: gte within the timespan, per group', async () => {
    const hits = await correlate(`    type: event_count\n    rules:\n        - failed_logon\n    group-by:\n        - TargetUserName\n    timespan: 5m\n    condition:\n        gte: 3`);
    expect(hits).toEqual([
      { group: { TargetUserName: 'bob' }, rows: [0, 1, 2], count: 3 },
      { group: { TargetUserName: 'carol' }, rows: [8, 9, 10], count: 3 },
    ]);
  });

  it('event_count: the timespan is a sliding window, not a clock bucket', async () => {
    // carol's 4th failure is 9 minutes after the first: no 4 within 5 minutes.
    expect(await correlate(`    type: event_count\n    rules: failed_logon\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        gte: 4`)).toEqual([]);
    expect((await correlate(`    type: event_count\n    rules: failed_logon\n    group-by: [TargetUserName]\n    timespan: 10m\n    condition:\n        gte: 4`)).map((h) => h.group)).toEqual([{ TargetUserName: 'carol' }]);
  });

  it('event_count with a range (gt + lte) and with eq', async () => {
    const range = await correlate(`    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        gt: 1\n        lte: 2`);
    expect(range.map((h) => h.group.TargetUserName).sort()).toEqual(['bob', 'carol']);
    const eq = await correlate(`    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 1h\n    condition:\n        eq: 2`);
    expect(eq.map((h) => h.group.TargetUserName).sort()).toEqual(['alice', 'bob', 'carol']);
  });

  it('value_count: distinct values of a field', async () => {
    const hits = await correlate(`    type: value_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        field: IpAddress\n        gte: 3`);
    expect(hits).toEqual([{ group: { TargetUserName: 'carol' }, rows: [8, 9, 10], count: 3 }]);
    const two = await correlate(`    type: value_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        field: IpAddress\n        gte: 2`);
    expect(two.map((h) => h.group.TargetUserName)).toEqual(['bob', 'carol']);
  });

  it('value_count with neq and lt', async () => {
    const lt = await correlate(`    type: value_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        field: IpAddress\n        lt: 2`);
    // Windows ending at each event: alice's failures are 20 minutes apart, carol's last one 9 minutes after the rest.
    expect(lt.map((h) => h.group.TargetUserName).sort()).toEqual(['alice', 'alice', 'bob', 'carol', 'carol']);
    const neq = await correlate(`    type: value_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        field: IpAddress\n        neq: 1`);
    expect(neq.map((h) => h.group.TargetUserName)).toEqual(['bob', 'carol']);
  });

  it('temporal: all referenced rules within the span, any order', async () => {
    const hits = await correlate(`    type: temporal\n    rules: [failed_logon, good_logon, share_access]\n    group-by: [TargetUserName]\n    timespan: 2m`);
    expect(hits).toEqual([{ group: { TargetUserName: 'alice' }, rows: [5, 6, 7], count: 3 }]);
  });

  it('temporal_ordered: the rules must occur in the order written', async () => {
    const ok = await correlate(`    type: temporal_ordered\n    rules: [failed_logon, good_logon]\n    group-by: [TargetUserName]\n    timespan: 5m`);
    expect(ok.map((h) => h.group.TargetUserName)).toEqual(['bob', 'alice']);
    // share_access (20:30) comes before good_logon (21:00) for alice, but after failed_logon; reversed order must not fire.
    const reversed = await correlate(`    type: temporal_ordered\n    rules: [good_logon, share_access]\n    group-by: [TargetUserName]\n    timespan: 5m`);
    expect(reversed).toEqual([]);
    const chain = await correlate(`    type: temporal_ordered\n    rules: [failed_logon, share_access, good_logon]\n    group-by: [TargetUserName]\n    timespan: 2m`);
    expect(chain).toEqual([{ group: { TargetUserName: 'alice' }, rows: [5, 6, 7], count: 3 }]);
  });

  it('temporal_ordered without group-by: one chain over every event', async () => {
    expect(await correlate(`    type: temporal_ordered\n    rules: [failed_logon, share_access]\n    timespan: 1m`)).toEqual([{ group: {}, rows: [5, 7], count: 2 }]);
    expect(await correlate(`    type: temporal_ordered\n    rules: [share_access, failed_logon]\n    timespan: 1m`)).toEqual([]);
  });

  it('references by id, aliases, group-by on a core column, and rules marked correlation-only', async () => {
    const body = `    type: temporal\n    rules:\n        - 11111111-0000-0000-0000-000000000001\n        - good_logon\n    group-by: [who, host]\n    timespan: 5m\n    aliases:\n        who:\n            failed_logon: TargetUserName\n            good_logon: TargetUserName`;
    const res = await run(base + corr(body), [{ dataset: 'windows.security', rows }]);
    expect(res.result.correlations.map((c) => c.group)).toEqual([
      { who: 'bob', host: 'ws1' },
      { who: 'alice', host: 'ws1' },
    ]);
    expect(res.status.rules.find((r) => r.name === 'failed_logon')?.correlationOnly).toBe(true);
    expect(res.status.rules.find((r) => r.name === 'share_access')?.correlationOnly).toBe(false);
  });

  it('a correlation over a correlation (chained)', async () => {
    const inner = corr(`    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 5m\n    condition:\n        gte: 3`, '33333333-0000-0000-0000-000000000001').replace('title: correlation', 'title: many failures\nname: many_failures');
    const outer = corr(`    type: temporal_ordered\n    rules: [many_failures, good_logon]\n    group-by: [TargetUserName]\n    timespan: 10m`, '33333333-0000-0000-0000-000000000002');
    const res = await run(base + inner + outer, [{ dataset: 'windows.security', rows }]);
    const chained = res.result.correlations.filter((c) => c.ruleId === '33333333-0000-0000-0000-000000000002');
    expect(chained.map((c) => c.group)).toEqual([{ TargetUserName: 'bob' }]);
  });

  it('bad correlations get a status with a reason', async () => {
    const res = await run(base + corr(`    type: event_count\n    rules: [no_such_rule]\n    group-by: [x]\n    timespan: 5m\n    condition:\n        gte: 1`) + corr(`    type: value_count\n    rules: [failed_logon]\n    timespan: 5m\n    condition:\n        gte: 1`, '44444444-0000-0000-0000-000000000001') + corr(`    type: event_count\n    rules: [failed_logon]\n    timespan: 5 minutes\n    condition:\n        gte: 1`, '44444444-0000-0000-0000-000000000002'), [{ dataset: 'windows.security', rows }]);
    const statuses = res.status.rules.filter((r) => r.kind === 'correlation').map((r) => [r.status, r.reason]);
    expect(statuses).toEqual([
      ['error', expect.stringMatching(/unknown rule "no_such_rule"/)],
      ['error', expect.stringMatching(/condition.field/)],
      ['error', expect.stringMatching(/timespan/)],
    ]);
  });
});
