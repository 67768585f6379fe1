import { describe, expect, it } from 'vitest';
import { buildCase } from '../../fixtures/detect-case';
import { buildRuleSet, parseRuleText, runRules } from '../../../src/main/engine/detect';

/**
 * `loupe.` fields: the normalised events columns and the IP enrichment,
 * usable from any logsource, and `product: loupe` for rules over every event.
 */

function ruleText(id: string, logsource: string, detection: string, extra = ''): string {
  return `title: ${id}\nid: ${id}\nlogsource:\n${logsource}\ndetection:\n${detection}\nlevel: high\n${extra}`;
}

async function withIntel(conn: Awaited<ReturnType<typeof buildCase>>['conn']): Promise<void> {
  await conn.run(`CREATE TABLE ip_enrichment (ip VARCHAR, family UTINYINT, ip_num UHUGEINT, scope VARCHAR, country VARCHAR, city VARCHAR,
    asn UINTEGER, as_org VARCHAR, ipsum INTEGER, ioc_lists VARCHAR[], malicious BOOLEAN)`);
  await conn.run(`INSERT INTO ip_enrichment VALUES
    ('203.0.113.9', 4, NULL, 'public', 'NL', NULL, 64500, 'Bad AS', 7, ['c2-list'], true),
    ('198.51.100.4', 4, NULL, 'public', 'US', NULL, 64501, 'Meh AS', 1, NULL, false),
    ('10.0.0.5', 4, NULL, 'private', NULL, NULL, NULL, NULL, 0, NULL, false)`);
}

describe('loupe. fields', () => {
  it('test core columns from events on a source that lacks them as fields', async () => {
    const fx = await buildCase([
      {
        dataset: 'linux.auth',
        rows: [
          { program: 'sshd', message: 'Failed password for root from 203.0.113.9 port 22 ssh2', $src_ip: '203.0.113.9', $user: 'root', $event_code: 'sshd' },
          { program: 'sshd', message: 'Accepted password for bob from 10.0.0.5 port 22 ssh2', $src_ip: '10.0.0.5', $user: 'bob', $event_code: 'sshd' },
        ],
      },
    ]);
    try {
      const rs = buildRuleSet(
        parseRuleText(
          ruleText('r1', '    product: linux\n    service: sshd', '    sel:\n        loupe.src_ip|cidr: 203.0.113.0/24\n        loupe.user: root\n    condition: sel'),
          'r1.yml',
        ),
      );
      expect(rs.rules[0]?.status).toBe('active');
      const res = await runRules(fx.conn, rs);
      expect(res.failures).toEqual([]);
      expect(res.hits).toEqual([{ ruleId: 'r1', eventIds: [fx.ids[0]?.[0]], count: 1 }]);
    } finally {
      fx.close();
    }
  });

  it('product: loupe runs over every source; intel fields join the enrichment; absent intel folds the rule away', async () => {
    const fx = await buildCase([
      { dataset: 'zeek.conn', rows: [{ 'id.orig_h': '10.0.0.5', 'id.resp_h': '203.0.113.9', $src_ip: '10.0.0.5', $dst_ip: '203.0.113.9' }, { 'id.orig_h': '10.0.0.5', 'id.resp_h': '198.51.100.4', $src_ip: '10.0.0.5', $dst_ip: '198.51.100.4' }] },
      { dataset: 'web.access', rows: [{ 'c-ip': '203.0.113.9', $src_ip: '203.0.113.9' }, { 'c-ip': '10.0.0.5', $src_ip: '10.0.0.5' }] },
      { dataset: 'windows', rows: [{ Channel: 'Security', EventID: 4624, IpAddress: '198.51.100.4', $src_ip: '198.51.100.4' }] },
    ]);
    const texts = [
      ruleText('dst-bad', '    product: loupe', '    sel:\n        loupe.dst_ipsum|gte: 3\n    condition: sel'),
      ruleText('src-bad', '    product: loupe', '    sel:\n        loupe.src_ipsum|gte: 3\n    condition: sel'),
      ruleText('any-listed', '    product: loupe', '    sel:\n        loupe.ipsum|gte: 1\n    condition: sel'),
      ruleText('ioc', '    product: loupe', '    sel:\n        loupe.ioc_lists|contains: c2\n        loupe.malicious: true\n    condition: sel'),
      ruleText('country', '    product: loupe', '    sel:\n        loupe.src_country: US\n    condition: sel'),
    ];
    const rs = buildRuleSet(texts.map((t, i) => parseRuleText(t, `r${i}.yml`)).flat());
    try {
      // No enrichment table yet: the intel fields are absent, every rule folds away, nothing fails.
      const before = await runRules(fx.conn, rs);
      expect(before.hits).toEqual([]);
      expect(before.failures).toEqual([]);
      expect(before.notApplicable.length).toBeGreaterThan(0);

      await withIntel(fx.conn);
      const res = await runRules(fx.conn, rs);
      expect(res.failures).toEqual([]);
      const by = Object.fromEntries(res.hits.map((h) => [h.ruleId, h.eventIds]));
      const [conn1, conn2] = fx.ids[0] as number[];
      const [web1] = fx.ids[1] as number[];
      const [win1] = fx.ids[2] as number[];
      expect(by['dst-bad']).toEqual([conn1]);
      expect(by['src-bad']).toEqual([web1]);
      expect(by['any-listed']).toEqual([conn1, conn2, web1, win1]);
      expect(by.ioc).toEqual([conn1, web1]);
      expect(by.country).toEqual([win1]);
      // Per-rule mode (one query per rule) gives the same hits.
      const naive = await runRules(fx.conn, rs, { mode: 'per-rule' });
      expect(naive.hits).toEqual(res.hits);
    } finally {
      fx.close();
    }
  });

  it('correlations group by loupe. fields', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({
      program: 'sshd',
      message: 'Failed password',
      $src_ip: i < 5 ? '203.0.113.9' : '10.0.0.5',
      $ts: `2024-01-01 10:00:0${i}`,
    }));
    const fx = await buildCase([{ dataset: 'linux.auth', rows }]);
    const base = ruleText('fail', '    product: linux\n    service: auth', '    sel:\n        message|contains: failed password\n    condition: sel');
    const corr = `title: burst\nid: burst\ncorrelation:\n    type: event_count\n    rules: [fail]\n    group-by: [loupe.src_ip]\n    timespan: 1m\n    condition:\n        gte: 5\nlevel: high\n`;
    try {
      const rs = buildRuleSet([...parseRuleText(base, 'a.yml'), ...parseRuleText(corr, 'b.yml')]);
      const res = await runRules(fx.conn, rs);
      expect(res.correlations).toHaveLength(1);
      expect(res.correlations[0]?.group).toEqual({ 'loupe.src_ip': '203.0.113.9' });
      expect(res.correlations[0]?.count).toBe(5);
    } finally {
      fx.close();
    }
  });
});
