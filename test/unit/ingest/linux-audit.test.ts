import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRuleSet, parseRuleText, runRules } from '../../../src/main/engine/detect';
import { createLineParser } from '../../../src/main/engine/ingest/formats';
import { parseLinuxAuditLine } from '../../../src/main/engine/ingest/formats/linux-audit';
import { sniffFormat } from '../../../src/main/engine/ingest/sniff';
import { corpusMissing, corpusPath } from '../../corpus';
import { feed, ok, rejected } from './helpers';
import { enginesPerTest, expectReconciled, fieldTable, importAndWait, sql } from './import-helpers';

const GS = '\u001d';

/** A Sigma rule for auditd records with one selection of these `field: value` lines. */
function auditRule(n: number, selection: string[]): string {
  return `title: auditd test rule ${n}
id: 10000000-0000-0000-0000-00000000000${n}
logsource:
    product: linux
    service: auditd
detection:
    selection:
${selection.map((l) => `        ${l}`).join('\n')}
    condition: selection
level: low
`;
}
const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex').toUpperCase();

/** Records of three kernel events and a login, as auditd writes them (raw and ENRICHED). */
const LOG = [
  'type=SYSCALL msg=audit(1700000000.123:4242): arch=c000003e syscall=59 success=yes exit=0 a0=55D1C2A3B4C0 a1=55d1c2a3b5e0 a2=55d1c2a3b600 a3=8 items=2 ppid=1000 pid=1234 auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=3 comm="arecord" exe="/usr/bin/arecord" subj=unconfined key="audio"',
  'type=EXECVE msg=audit(1700000000.123:4242): argc=3 a0="arecord" a1="-vv" a2="-fdat"',
  `type=EXECVE msg=audit(1700000001.000:4243): argc=3 a0="sh" a1="-c" a2=${hex('echo hi')}`,
  `type=PROCTITLE msg=audit(1700000001.000:4243): proctitle=${hex('/bin/sh\0-c\0id')}`,
  "type=USER_LOGIN msg=audit(1373330716.415:4063): pid=11 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=::ffff:203.0.113.9 terminal=ssh res=failed'",
  `node=web1 type=SYSCALL msg=audit(1700000002.000:4244): arch=c000003e syscall=133 success=yes exit=0 a0=7FFD a1=21B6 a2=0 a3=0 items=2 ppid=1 pid=99 auid=1000 uid=1000 comm="mknod" exe="/usr/bin/mknod" key=(null)${GS}ARCH=x86_64 SYSCALL=mknod AUID="alice" UID="alice"`,
  'type=AVC msg=audit(1700000003.5:4245): avc:  denied  { read } for  pid=5 comm="cat" name="shadow" dev="sda1" ino=1 tclass=file permissive=0',
];

describe('Linux audit records', () => {
  it('reads the stamp, the pairs and the core of a SYSCALL record', () => {
    const r = ok(parseLinuxAuditLine(LOG[0] as string));
    expect(r.fields).toMatchObject({ type: 'SYSCALL', msg: 'audit(1700000000.123:4242)', serial: '4242', syscall: '59', success: 'yes', comm: 'arecord', exe: '/usr/bin/arecord', key: 'audio', auid: '1000', uid: '0' });
    // SYSCALL's a0..a3 are registers in hex: never decoded as text.
    expect(r.fields.a0).toBe('55D1C2A3B4C0');
    expect(r.core).toMatchObject({ ts: '2023-11-14T22:13:20.123Z', dataset: 'linux.auditd', event_code: 'SYSCALL', user: '1000', process: '/usr/bin/arecord', action: 'syscall', outcome: 'success', host: null });
    expect(r.core.message).toMatch(/^arch=c000003e syscall=59/);
  });

  it('decodes what auditd hex-encoded: EXECVE arguments and proctitle', () => {
    expect(ok(parseLinuxAuditLine(LOG[1] as string)).fields).toMatchObject({ argc: '3', a0: 'arecord', a1: '-vv', a2: '-fdat' });
    expect(ok(parseLinuxAuditLine(LOG[2] as string)).fields.a2).toBe('echo hi');
    expect(ok(parseLinuxAuditLine(LOG[3] as string)).fields.proctitle).toBe('/bin/sh -c id');
    // Hex that is not text stays as written.
    expect(ok(parseLinuxAuditLine(`type=EXECVE msg=audit(1.0:1): argc=1 a0=00FF01`)).fields.a0).toBe('00FF01');
  });

  it("reads a user-space record's nested msg='...' pairs: account, address, result", () => {
    const r = ok(parseLinuxAuditLine(LOG[4] as string));
    expect(r.fields).toMatchObject({ type: 'USER_LOGIN', op: 'login', acct: 'root', exe: '/usr/sbin/sshd', hostname: '?', addr: '::ffff:203.0.113.9', terminal: 'ssh', res: 'failed', auid: '4294967295' });
    expect(r.core).toMatchObject({ ts: '2013-07-09T00:45:16.415Z', user: 'root', src_ip: '203.0.113.9', process: '/usr/sbin/sshd', action: 'login', outcome: 'failure' });
  });

  it('takes the ENRICHED names Sigma rules use, keeping the raw values beside them, and the node as host', () => {
    const r = ok(parseLinuxAuditLine(LOG[5] as string));
    expect(r.fields).toMatchObject({ node: 'web1', SYSCALL: 'mknod', syscall_raw: '133', AUID: 'alice', auid_raw: '1000', UID: 'alice', uid_raw: '1000', ARCH: 'x86_64', arch_raw: 'c000003e' });
    expect(r.fields).not.toHaveProperty('syscall');
    expect(r.core).toMatchObject({ host: 'web1', user: 'alice', process: '/usr/bin/mknod' });
    expect(r.core.message).not.toContain(GS);
  });

  it('keeps the pairs of a record with free text in it (AVC) and rejects what is not a record', () => {
    const r = ok(parseLinuxAuditLine(LOG[6] as string));
    expect(r.fields).toMatchObject({ type: 'AVC', pid: '5', comm: 'cat', name: 'shadow', tclass: 'file' });
    expect(r.core).toMatchObject({ ts: '2023-11-14T22:13:23.500Z', action: 'avc', process: 'cat' });
    expect(rejected(parseLinuxAuditLine('type=SYSCALL something else'))).toMatch(/not a Linux audit record/);
    const { records, errors, skips } = feed(createLineParser('linux-audit'), [...LOG, '', '# a comment', 'garbage'].join('\n'));
    expect(records).toHaveLength(LOG.length);
    expect(skips).toBe(1);
    expect(errors.map((e) => e.line)).toEqual([LOG.length + 2, LOG.length + 3]);
  });

  it('is linear on a hostile line', () => {
    const line = `type=SYSCALL msg=audit(1.0:1): ${'a='.repeat(200_000)}`;
    const t = performance.now();
    ok(parseLinuxAuditLine(line));
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('is sniffed from content, with or without node=', () => {
    const s = sniffFormat(Buffer.from(`${LOG.join('\n')}\n`), 'audit.log.1');
    expect(s.format).toBe('linux-audit');
    expect(s.confidence).toBeGreaterThan(0.9);
    expect(sniffFormat(Buffer.from(`${LOG.map((l) => (l.startsWith('node=') ? l : `node=h2 ${l}`)).join('\n')}\n`)).format).toBe('linux-audit');
  });
});

describe('importing an audit log', () => {
  const fresh = enginesPerTest();

  it('stores linux.auditd events with every key a column, and auditd Sigma rules fire on them', async () => {
    const f = await fresh();
    const file = join(f.dir, 'audit.log');
    writeFileSync(file, `${LOG.join('\n')}\nnot an audit record\n`);
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    const leaf = s.files.find((x) => x.kind === 'file');
    expect(leaf).toMatchObject({ format: 'linux-audit', status: 'imported', seen: LOG.length + 1, stored: LOG.length, rejected: 1 });
    expect(await sql(f.engine, `SELECT dataset, count(*)::INTEGER AS n FROM events GROUP BY dataset`)).toEqual([{ dataset: 'linux.auditd', n: LOG.length }]);
    const table = await fieldTable(f.engine, leaf?.evidenceId as number);
    const cols = (await sql(f.engine, `SELECT column_name FROM information_schema.columns WHERE table_name = $t`, { t: table })).map((r) => String(r.column_name));
    expect(cols).toEqual(expect.arrayContaining(['type', 'a0', 'a1', 'proctitle', 'acct', 'addr', 'syscall', 'SYSCALL#2', 'serial']));

    const rules = [
      auditRule(1, ['type: EXECVE', 'a0: arecord', "a1: '-vv'"]),
      auditRule(2, ['type: USER_LOGIN', 'acct: root', 'res: failed']),
      auditRule(3, ['type: EXECVE', "a2|contains: 'echo'"]),
    ];
    const rs = buildRuleSet(rules.flatMap((t, i) => parseRuleText(t, `r${i}.yml`)));
    expect(rs.rules.map((r) => r.status)).toEqual(['active', 'active', 'active']);
    const res = await runRules(f.engine.case.conn, rs);
    const byRule = Object.fromEntries(res.hits.map((h) => [h.ruleId, h.eventIds.length]));
    expect(byRule).toEqual({ '10000000-0000-0000-0000-000000000001': 1, '10000000-0000-0000-0000-000000000002': 1, '10000000-0000-0000-0000-000000000003': 1 });

    // SigmaHQ's own auditd rule, as published: its EXECVE selection finds the arecord record.
    const published = 'sigma/SigmaHQ/rules/linux/auditd/lnx_auditd_audio_capture.yml';
    if (!corpusMissing(published)) {
      const sigma = buildRuleSet(parseRuleText(readFileSync(corpusPath(published), 'utf8'), 'audio.yml'));
      expect(sigma.rules[0]?.status).toBe('active');
      const hits = (await runRules(f.engine.case.conn, sigma)).hits.flatMap((h) => h.eventIds);
      const matched = await sql(f.engine, `SELECT event_code, raw FROM events WHERE id IN (${hits.join(',') || 'NULL'})`);
      expect(matched).toEqual([{ event_code: 'EXECVE', raw: LOG[1] }]);
    }
  });

  it.skipIf(corpusMissing('ndjson/otrf/datasets/atomic/linux/discovery/host/sh_arp_cache.zip'))("imports the OTRF Linux dataset's audit log from its zip: one exec's records pulled together by serial", async () => {
    const f = await fresh();
    const s = await importAndWait(f.engine, { paths: [corpusPath('ndjson/otrf/datasets/atomic/linux/discovery/host/sh_arp_cache.zip')] });
    await expectReconciled(f.engine, s);
    const leaf = s.files.find((x) => x.kind === 'file');
    expect(leaf).toMatchObject({ format: 'linux-audit', status: 'imported', seen: 12, stored: 12, rejected: 0 });
    const table = await fieldTable(f.engine, leaf?.evidenceId as number);
    const exec = await sql(
      f.engine,
      `SELECT e.event_code, e.ts::VARCHAR AS ts, e."user", e.process, s.a0, s.a1, s.proctitle, s.cwd FROM events e JOIN "${table}" s ON s.rid = e.rid
       WHERE s.serial = '92733' AND e.evidence_id = $ev ORDER BY e.rid`,
      { ev: leaf?.evidenceId as number },
    );
    expect(exec.map((r) => r.event_code)).toEqual(['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PATH', 'PROCTITLE']);
    expect(exec[0]).toMatchObject({ ts: '2020-11-10 07:48:16.155', user: '1000', process: '/usr/sbin/arp' });
    expect(exec[1]).toMatchObject({ a0: 'arp', a1: '-a' });
    expect(exec[2]).toMatchObject({ cwd: '/home/wardog' });
    expect(exec[5]).toMatchObject({ proctitle: 'arp -a' });
  });

  it.skipIf(corpusMissing('linux/fail2ban/selinux-ssh'))("reads the audit records of the corpus's fail2ban selinux-ssh sample", () => {
    const text = readFileSync(corpusPath('linux/fail2ban/selinux-ssh'), 'utf8');
    const lines = text.split('\n').filter((l) => l.startsWith('type='));
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      const r = ok(parseLinuxAuditLine(l));
      expect(r.core.ts).not.toBeNull();
      expect(r.core.dataset).toBe('linux.auditd');
    }
    // auditd hex-encoded this account name: it contains a space.
    expect(lines.map((l) => ok(parseLinuxAuditLine(l)).fields.acct)).toContain('(unknown user)');
    expect(sniffFormat(Buffer.from(text)).format).toBe('linux-audit');
  });
});
