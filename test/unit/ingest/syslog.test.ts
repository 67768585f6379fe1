import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLineParser } from '../../../src/main/engine/ingest/formats';
import { parseSyslogLine, SyslogClock } from '../../../src/main/engine/ingest/formats/syslog';
import { corpusMissing, corpusPath } from '../../corpus';
import { feed, ok, rejected } from './helpers';

const clock = (opts: ConstructorParameters<typeof SyslogClock>[0] = { year: 2024 }): SyslogClock => new SyslogClock(opts);

describe('RFC 3164 lines', () => {
  it('reads the classic shape into fields and core', () => {
    const r = ok(parseSyslogLine('Mar  7 10:00:01 web01 sshd[1234]: Server listening on 0.0.0.0 port 22.', clock()));
    expect(r.fields).toMatchObject({ timestamp: 'Mar  7 10:00:01', host: 'web01', program: 'sshd', pid: '1234', message: 'Server listening on 0.0.0.0 port 22.', priority: null });
    expect(r.core).toMatchObject({ ts: '2024-03-07T10:00:01.000Z', dataset: 'linux.auth', host: 'web01', event_code: 'sshd', process: 'sshd', severity: null });
  });

  it('reads <PRI>: facility and severity, auth facility makes linux.auth', () => {
    const r = ok(parseSyslogLine("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", clock()));
    expect(r.fields).toMatchObject({ priority: 34, facility: 4, severity: 2, program: 'su', pid: null });
    expect(r.core).toMatchObject({ severity: 'critical', dataset: 'linux.auth' });
    const kern = ok(parseSyslogLine('<6>Oct 11 22:14:15 box kernel: eth0: link up', clock()));
    expect(kern.core).toMatchObject({ severity: 'informational', dataset: 'linux.syslog' });
  });

  it('reads rsyslog RFC 3339 stamps with and without offset', () => {
    expect(ok(parseSyslogLine('2020-03-15T10:11:12.123456+01:00 host cron[9]: job', clock())).core.ts).toBe('2020-03-15T09:11:12.123456Z');
    expect(ok(parseSyslogLine('2020-03-15T10:11:12 host cron[9]: job', clock({ tz: 'Europe/Berlin' }))).core.ts).toBe('2020-03-15T09:11:12.000Z');
  });

  it('reads stamps with a year and with fractions', () => {
    const r = ok(parseSyslogLine('Oct 27 2015 09:24:46 test1.beezwax.net screensharingd[1170]: Authentication: FAILED', clock()));
    expect(r.core.ts).toBe('2015-10-27T09:24:46.000Z');
    expect(r.core.host).toBe('test1.beezwax.net');
    expect(ok(parseSyslogLine('Mar  7 10:00:01.250 h p: x', clock())).core.ts).toBe('2024-03-07T10:00:01.250Z');
  });

  it('copes with a missing host, a tag without colon, the BSD -v marker and pam program names', () => {
    const noHost = ok(parseSyslogLine('Feb 11 15:23:17 dropbear[1252]: login attempt for nonexistent user from ::ffff:198.51.100.215:60495', clock()));
    expect(noHost.fields).toMatchObject({ host: null, program: 'dropbear', pid: '1252' });
    const proftpd = ok(parseSyslogLine('Jan 10 00:00:00 myhost proftpd[12345] myhost.domain.com (1.2.3.4[1.2.3.4]): USER x', clock()));
    expect(proftpd.fields).toMatchObject({ host: 'myhost', program: 'proftpd', pid: '12345' });
    const bsd = ok(parseSyslogLine('Apr  2 17:51:27 <4.3> pancake sshd[55624]: error: PAM: authentication error for nick from example.com', clock()));
    expect(bsd.fields).toMatchObject({ facility: 4, severity: 3, host: 'pancake' });
    const named = ok(parseSyslogLine('Mar 19 23:48:18 <auth.info> pancake sshd[55517]: Invalid user r00t from 183.60.159.20', clock()));
    expect(named.fields).toMatchObject({ facility: 4, severity: 6 });
    const pam = ok(parseSyslogLine('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ', clock()));
    expect(pam.fields.program).toBe('sshd(pam_unix)');
    expect(pam.core).toMatchObject({ process: 'sshd', event_code: 'sshd', src_ip: '218.188.2.4', action: 'auth-failure', outcome: 'failure' });
  });

  it('unwraps "message repeated N times"', () => {
    const r = ok(parseSyslogLine('Mar 27 13:06:56 h sshd[1]: message repeated 5 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]', clock()));
    expect(r.fields.repeat_count).toBe(5);
    expect(r.core).toMatchObject({ action: 'ssh-login-failed', user: 'root', src_ip: '1.2.3.4' });
  });

  it('rejects lines without a syslog timestamp, with a reason', () => {
    expect(rejected(parseSyslogLine('srv sshd[13709]: error: PAM: Authentication failure', clock()))).toMatch(/no syslog timestamp/);
    expect(rejected(parseSyslogLine('Foo 12 10:00:00 host x: y', clock()))).toMatch(/no syslog timestamp/);
    expect(rejected(parseSyslogLine('Mar 7 1x:00:00 host x: y', clock()))).toMatch(/no syslog timestamp/);
    expect(rejected(parseSyslogLine('', clock()))).toMatch(/empty/);
  });

  it('keeps a record with an impossible date, ts null and a warning', () => {
    const r = ok(parseSyslogLine('Feb 30 10:00:00 h p: x', clock({ year: 2023 })));
    expect(r.core.ts).toBeNull();
    expect(r.warnings?.[0]).toMatch(/not a valid date/);
  });
});

describe('year inference', () => {
  it('rolls the year forward when December is followed by January', () => {
    const c = clock({ year: 2022 });
    const ts = ['Nov 30 23:00:00', 'Dec 31 23:59:59', 'Jan  1 00:00:01', 'Feb  3 10:00:00'].map((t) => ok(parseSyslogLine(`${t} h p: x`, c)).core.ts);
    expect(ts).toEqual(['2022-11-30T23:00:00.000Z', '2022-12-31T23:59:59.000Z', '2023-01-01T00:00:01.000Z', '2023-02-03T10:00:00.000Z']);
    expect(c.rollovers).toBe(1);
  });

  it('does not roll over for small backward steps (out-of-order lines)', () => {
    const c = clock({ year: 2022 });
    const ts = ['Mar 10 10:00:00', 'Mar  9 23:00:00', 'Mar 10 10:00:05'].map((t) => ok(parseSyslogLine(`${t} h p: x`, c)).core.ts);
    expect(ts.every((t) => t?.startsWith('2022-'))).toBe(true);
    expect(c.rollovers).toBe(0);
  });

  it('takes the first year from the file mtime: months after it belong to the year before', () => {
    const c = clock({ notAfter: Date.UTC(2024, 0, 5, 12) });
    const ts = ['Dec 30 10:00:00', 'Jan  4 10:00:00'].map((t) => ok(parseSyslogLine(`${t} h p: x`, c)).core.ts);
    expect(ts).toEqual(['2023-12-30T10:00:00.000Z', '2024-01-04T10:00:00.000Z']);
    const same = clock({ notAfter: Date.UTC(2024, 5, 1) });
    expect(ok(parseSyslogLine('Mar  1 00:00:00 h p: x', same)).core.ts).toBe('2024-03-01T00:00:00.000Z');
  });

  it('leaves Feb 29 of an inferred non-leap year null rather than moving it', () => {
    const c = clock({ year: 2023 });
    expect(ok(parseSyslogLine('Feb 29 10:00:00 h p: x', c)).core.ts).toBeNull();
  });
});

describe('zones and DST for zone-less syslog', () => {
  it('converts in the analyst zone', () => {
    expect(ok(parseSyslogLine('Jul  1 12:00:00 h p: x', clock({ year: 2024, tz: 'Europe/Berlin' }))).core.ts).toBe('2024-07-01T10:00:00.000Z');
    expect(ok(parseSyslogLine('Jan  1 12:00:00 h p: x', clock({ year: 2024, tz: 'Europe/Berlin' }))).core.ts).toBe('2024-01-01T11:00:00.000Z');
  });

  it('follows the clock through the repeated autumn hour (second pass takes the later instant)', () => {
    const c = clock({ year: 2024, tz: 'Europe/Berlin' });
    const walls = ['Oct 27 01:50:00', 'Oct 27 02:10:00', 'Oct 27 02:50:00', 'Oct 27 02:10:00', 'Oct 27 02:50:00', 'Oct 27 03:10:00'];
    const ts = walls.map((w) => ok(parseSyslogLine(`${w} h p: x`, c)).core.ts);
    expect(ts).toEqual([
      '2024-10-26T23:50:00.000Z',
      '2024-10-27T00:10:00.000Z',
      '2024-10-27T00:50:00.000Z',
      '2024-10-27T01:10:00.000Z',
      '2024-10-27T01:50:00.000Z',
      '2024-10-27T02:10:00.000Z',
    ]);
  });

  it('moves a time in the spring gap forward', () => {
    expect(ok(parseSyslogLine('Mar 31 02:30:00 h p: x', clock({ year: 2024, tz: 'Europe/Berlin' }))).core.ts).toBe('2024-03-31T01:30:00.000Z');
  });
});

describe('RFC 5424', () => {
  it('reads the header, structured data and message', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry...';
    const r = ok(parseSyslogLine(line, clock()));
    expect(r.fields).toMatchObject({
      priority: 165,
      facility: 20,
      severity: 5,
      version: 1,
      host: 'mymachine.example.com',
      program: 'evntslog',
      pid: null,
      msgid: 'ID47',
      'sd.exampleSDID@32473.iut': '3',
      'sd.exampleSDID@32473.eventID': '1011',
      'sd.examplePriority@32473.class': 'high',
      message: 'An application event log entry...',
    });
    expect(r.fields.structured_data).toMatch(/^\[exampleSDID@32473 .*class="high"\]$/);
    expect(r.core).toMatchObject({ ts: '2003-10-11T22:14:15.003Z', severity: 'low', dataset: 'linux.syslog' });
  });

  it('unescapes \\" \\\\ and \\] in values, keeps brackets inside quotes, strips a BOM', () => {
    const line = '<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [x@1 a="q\\"t" b="b\\\\s" c="[br\\]"] \ufeffFailed password for bob from 192.0.2.2 port 55555 ssh2';
    const r = ok(parseSyslogLine(line, clock()));
    expect(r.fields).toMatchObject({ 'sd.x@1.a': 'q"t', 'sd.x@1.b': 'b\\s', 'sd.x@1.c': '[br]' });
    expect(r.core).toMatchObject({ ts: '2019-07-08T21:40:17.954167Z', action: 'ssh-login-failed', user: 'bob', src_ip: '192.0.2.2', src_port: 55555 });
    expect(r.fields.message).toBe('Failed password for bob from 192.0.2.2 port 55555 ssh2');
  });

  it('accepts NILVALUEs and rejects broken headers and structured data with reasons', () => {
    const nil = ok(parseSyslogLine('<13>1 - - - - - -', clock()));
    expect(nil.core.ts).toBeNull();
    expect(nil.fields).toMatchObject({ host: null, program: null, message: '' });
    expect(rejected(parseSyslogLine('<13>1 2003-10-11T22:14:15Z host', clock()))).toMatch(/incomplete/);
    expect(rejected(parseSyslogLine('<13>1 yesterday h a p m - x', clock()))).toMatch(/RFC 3339/);
    expect(rejected(parseSyslogLine('<13>1 2003-10-11T22:14:15Z h a p m [x@1 a="open', clock()))).toMatch(/not closed/);
    expect(rejected(parseSyslogLine('<13>1 2003-10-11T22:14:15Z h a p m junk', clock()))).toMatch(/structured data/);
  });
});

describe('the syslog line parser on corpus files', () => {
  it.skipIf(corpusMissing('linux'))('reads every line of the EC2 auth.log and finds what grep finds', () => {
    const text = readFileSync(corpusPath('linux/elastic-examples/suspicious_login_activity/auth.log'), 'utf8');
    const { records, errors } = feed(createLineParser('auth-log', { notAfter: Date.UTC(2018, 0, 1) }), text);
    const lines = text.split('\n').filter((l) => l.length > 0);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(lines.length);
    const count = (pred: (r: (typeof records)[number]) => boolean): number => records.filter(pred).length;
    const grep = (s: string): number => lines.filter((l) => l.includes(s)).length;
    expect(count((r) => r.core.action === 'ssh-login' && r.fields.auth_method === 'password')).toBe(grep('Accepted password for'));
    expect(count((r) => r.core.action === 'ssh-login' && r.fields.auth_method === 'publickey')).toBe(grep('Accepted publickey for'));
    expect(count((r) => r.core.action === 'ssh-invalid-user' && r.fields.auth_method === 'password')).toBe(grep('Failed password for invalid user'));
    expect(count((r) => r.core.action === 'sudo')).toBe(grep('COMMAND='));
    expect(count((r) => r.core.action === 'user-created' && r.core.outcome === 'success')).toBe(grep('new user: name='));
    // shadow-utils su writes two lines per switch: "Successful su for root by ubuntu" and "+ /dev/pts/1 ubuntu:root".
    expect(count((r) => r.core.action === 'su' && r.core.outcome === 'success')).toBe(grep('Successful su for') + lines.filter((l) => /su\[\d+\]: \+ /.test(l)).length);
    expect(count((r) => r.core.process === 'systemd-logind' && r.core.action === 'session-open')).toBe(grep('New session'));
    // Every line is from March/April of one year: no rollover, and ts never runs backwards by more than a minute.
    const ts = records.map((r) => Date.parse(r.core.ts as string));
    expect(ts.every((t) => new Date(t).getUTCFullYear() === 2017)).toBe(true);
    expect(ts.every((t, i) => i === 0 || t >= (ts[i - 1] as number) - 60_000)).toBe(true);
    const accepted = records.find((r) => r.core.action === 'ssh-login');
    expect(accepted?.core.src_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(accepted?.core.src_port).toBeGreaterThan(0);
    expect(accepted?.core.outcome).toBe('success');
  });

  it.skipIf(corpusMissing('linux'))('flags the POSSIBLE BREAK-IN ATTEMPT lines of the OpenSSH sample', () => {
    const text = readFileSync(corpusPath('linux/loghub/OpenSSH/OpenSSH_2k.log'), 'utf8');
    const { records, errors } = feed(createLineParser('auth-log', { notAfter: Date.UTC(2018, 0, 1) }), text);
    expect(errors).toEqual([]);
    const breakIns = records.filter((r) => r.core.action === 'ssh-break-in-attempt');
    expect(breakIns).toHaveLength(text.split('\n').filter((l) => l.includes('POSSIBLE BREAK-IN ATTEMPT')).length);
    expect(breakIns.every((r) => r.core.src_ip !== null)).toBe(true);
  });

  it.skipIf(corpusMissing('linux'))("rejects fail2ban's # failJSON annotation lines with a reason and reads the log lines", () => {
    const text = readFileSync(corpusPath('linux/fail2ban/sshd'), 'utf8');
    const { records, errors } = feed(createLineParser('auth-log', { notAfter: Date.UTC(2024, 0, 1) }), text);
    const comments = text.split('\n').filter((l) => l.startsWith('#')).length;
    expect(errors.filter((e) => /comment line/.test(e.error))).toHaveLength(comments);
    expect(records.length).toBeGreaterThan(100);
    // Everything else that is rejected is a line with no syslog time (journal and multi-line fragments).
    expect(errors.filter((e) => !/comment line/.test(e.error)).every((e) => /no syslog timestamp/.test(e.error))).toBe(true);
  });

  it.skipIf(corpusMissing('linux'))('reads the ISO-8859 testcase without crashing (decoded as Latin-1)', () => {
    const text = readFileSync(corpusPath('linux/fail2ban/_testcases/testcase01.log'), 'latin1');
    const { records, errors } = feed(createLineParser('syslog-3164', { year: 2024 }), text);
    expect(records.length + errors.length).toBeGreaterThan(10);
    expect(errors.some((e) => e.error.includes('Déc'))).toBe(true);
  });
});
