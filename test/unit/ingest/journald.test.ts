import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRuleSet, parseRuleText, runRules } from '../../../src/main/engine/detect';
import { sniffFormat } from '../../../src/main/engine/ingest/sniff';
import { enginesPerTest, expectReconciled, importAndWait, sql } from './import-helpers';

/** Records as `journalctl -o json` writes them: every value text, times in microseconds. */
function journal(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const us = 1_668_381_071_000_000 + i * 1_000_000;
    const auth = i % 3 === 0;
    lines.push(
      JSON.stringify({
        __CURSOR: `s=abc;i=${i}`,
        __REALTIME_TIMESTAMP: String(us),
        __MONOTONIC_TIMESTAMP: String(1000 + i),
        _BOOT_ID: 'b00t',
        _HOSTNAME: 'web1',
        _TRANSPORT: 'syslog',
        PRIORITY: auth ? '6' : '3',
        SYSLOG_FACILITY: auth ? '10' : '3',
        SYSLOG_IDENTIFIER: auth ? 'sshd' : 'nginx',
        _PID: String(4000 + i),
        _COMM: auth ? 'sshd' : 'nginx',
        _EXE: auth ? '/usr/sbin/sshd' : '/usr/sbin/nginx',
        MESSAGE: auth ? `Failed password for root from 203.0.113.${i % 250} port ${40000 + i} ssh2` : `upstream timed out (110) #${i}`,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('systemd journal exports', () => {
  const fresh = enginesPerTest();

  it('are sniffed as JSON lines of the journald family', () => {
    const s = sniffFormat(Buffer.from(journal(20)), 'journal.json');
    expect(s).toMatchObject({ format: 'ndjson', jsonFamily: 'journald' });
    expect(s.reason).toContain('systemd journal');
  });

  it('import with the auth facility as linux.auth, every field kept, and Sigma sshd rules run on them', async () => {
    const f = await fresh();
    const file = join(f.dir, 'journal.json');
    writeFileSync(file, journal(300));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ format: 'ndjson', status: 'imported', stored: 300, rejected: 0 });
    const byDataset = await sql(f.engine, `SELECT dataset, event_code, severity, count(*)::INTEGER AS n, min(ts)::VARCHAR AS first FROM events GROUP BY ALL ORDER BY dataset`);
    expect(byDataset).toEqual([
      { dataset: 'linux.auth', event_code: 'sshd', severity: 'informational', n: 100, first: '2022-11-13 23:11:11' },
      { dataset: 'linux.syslog', event_code: 'nginx', severity: 'high', n: 200, first: '2022-11-13 23:11:12' },
    ]);
    const [one] = await sql(f.engine, `SELECT host, process, message FROM events WHERE rid = (SELECT min(rid) FROM events)`);
    expect(one).toEqual({ host: 'web1', process: '/usr/sbin/sshd', message: 'Failed password for root from 203.0.113.0 port 40000 ssh2' });

    const rule = `title: ssh password failures
id: 20000000-0000-0000-0000-000000000001
logsource:
    product: linux
    service: sshd
detection:
    keywords:
        - 'Failed password'
    condition: keywords
level: low
`;
    const rs = buildRuleSet(parseRuleText(rule, 'sshd.yml'));
    expect(rs.rules[0]?.status).toBe('active');
    const hits = (await runRules(f.engine.case.conn, rs)).hits.flatMap((h) => h.eventIds);
    expect(hits).toHaveLength(100);
  });
});
