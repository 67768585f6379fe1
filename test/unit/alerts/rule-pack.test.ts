import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRulesDir } from '../../../src/main/engine/alerts/builtin-pack';
import { intelStore, refreshCaseIntel } from '../../../src/main/engine/intel';
import { runRules, type RunResult } from '../../../src/main/engine/detect';
import type { CaseRules } from '../../../src/main/engine/alerts/case-rules';
import { conn, loadInputs, newCase, ZEEK_HEADER, type Input, type TestCase } from './helpers';
import { buildEvtx, type WinEvent } from '../../fixtures/windows-evtx';
import { Engine } from '../../../src/main/engine/service/engine';
import { loadCaseRules } from '../../../src/main/engine/alerts/case-rules';
import { queryRows } from '../../../src/main/engine/db/sql';

/**
 * Every rule of our pack (resources/rules) against events produced by our
 * own parsers (auth.log, access log, IDS, Zeek TSV, Suricata EVE, EVTX
 * written and read back): each rule must match its matching events and
 * none of its non-matching ones. All inputs share one real case, the rules
 * run through the real engine, and a rule without a spec here fails the
 * test, so a new rule cannot ship untested.
 */

interface Spec {
  match: Input[];
  noMatch: Input[];
}

const T = (min: number, s = 0): string => new Date(Date.UTC(2024, 2, 1, 10, min, s)).toISOString();
const sec = (iso: string): number => Date.parse(iso) / 1000;

const win = (eventId: number, data: Record<string, string>, extra: Partial<WinEvent> = {}): Input => ({ win: { eventId, channel: 'Security', data, ...extra } });
const sys = (eventId: number, provider: string, data: Record<string, string>): Input => ({ win: { eventId, channel: 'System', provider, data } });
const sysmon1 = (image: string, commandLine: string): Input => ({
  win: {
    eventId: 1,
    channel: 'Microsoft-Windows-Sysmon/Operational',
    provider: 'Microsoft-Windows-Sysmon',
    data: { Image: image, CommandLine: commandLine, OriginalFileName: image.split('\\').pop() ?? '', ParentImage: 'C:\\Windows\\System32\\cmd.exe', User: 'CORP\\alice' },
  },
});
const logon4625 = (ip: string, min: number, s: number): Input =>
  win(4625, { TargetUserName: 'administrator', TargetDomainName: 'CORP', LogonType: '3', IpAddress: ip, Status: '0xc000006d' }, { ts: T(min, s) });
const rdp = (ip: string, type = '10'): Input => win(4624, { TargetUserName: 'alice', TargetDomainName: 'CORP', LogonType: type, IpAddress: ip, IpPort: '50123' });

const ts = (min: number, s = 0): string => `Mar  1 10:${String(min).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
const auth = (min: number, s: number, program: string, msg: string): Input => ({ auth: `${ts(min, s)} web1 ${program}: ${msg}` });
const sshFail = (ip: string, user: string, min: number, s: number): Input => auth(min, s, 'sshd[811]', `Failed password for ${user} from ${ip} port ${40000 + s} ssh2`);
const sshOk = (ip: string, user: string, min: number, s = 0): Input => auth(min, s, 'sshd[812]', `Accepted password for ${user} from ${ip} port 41000 ssh2`);
const sudo = (user: string, target: string, command: string, refused = false): Input =>
  auth(30, 0, 'sudo', `${user} : ${refused ? 'user NOT in sudoers ; ' : ''}TTY=pts/0 ; PWD=/home/${user} ; USER=${target} ; COMMAND=${command}`);

const web = (ip: string, request: string, status: number, agent = 'Mozilla/5.0 (X11; Linux x86_64)', min = 20, s = 0, referer = '-'): Input => ({
  web: `${ip} - - [01/Mar/2024:10:${String(min).padStart(2, '0')}:${String(s).padStart(2, '0')} +0000] "${request}" ${status} 512 "${referer}" "${agent}"`,
});
const ids = (sev: string, src: string, dst: string, kind: string): Input => ({ ids: `2024-03-01 10:40:00,123 - ids_logger_1 - ${sev} - TCP - ${src}:40000 --> ${dst}:445 - SYN - ${kind}` });
const eve = (severity: number, signature: string, category: string, dest = '10.0.0.8'): Input => ({
  eve: {
    timestamp: '2024-03-01T10:41:00.000000+0000',
    flow_id: 1234,
    event_type: 'alert',
    src_ip: '198.51.100.200',
    src_port: 80,
    dest_ip: dest,
    dest_port: 50000,
    proto: 'TCP',
    alert: { action: 'allowed', gid: 1, signature_id: 2000000 + severity, rev: 1, signature, category, severity },
  },
});
const zeek = (orig: string, resp: string, port: number, state = 'SF', proto = 'tcp'): Input => ({ zeek: conn(sec(T(45)), orig, resp, port, state, proto) });

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const SPECS: Record<string, Spec> = {
  // ---------------------------------------------------------------- windows
  'windows/win_failed_logon.yml': { match: [logon4625('192.0.2.10', 1, 0)], noMatch: [win(4624, { TargetUserName: 'bob', LogonType: '3', IpAddress: '192.0.2.10' })] },
  'windows/win_failed_logon_burst.yml': {
    match: range(12).map((i) => logon4625('203.0.113.50', 2, i * 10)),
    noMatch: range(4).map((i) => logon4625('198.51.100.60', 2, i * 10)),
  },
  'windows/win_user_created.yml': { match: [win(4720, { TargetUserName: 'backdoor', SubjectUserName: 'alice' })], noMatch: [win(4724, { TargetUserName: 'bob', SubjectUserName: 'alice' })] },
  'windows/win_user_enabled.yml': { match: [win(4722, { TargetUserName: 'Guest' })], noMatch: [win(4725, { TargetUserName: 'Guest' })] },
  'windows/win_member_added_admin_group.yml': {
    match: [win(4732, { MemberName: '-', MemberSid: 'S-1-5-21-1-2-3-1104', TargetUserName: 'Administrators', TargetSid: 'S-1-5-32-544' }), win(4728, { TargetUserName: 'Domain Admins', TargetSid: 'S-1-5-21-1-2-3-512' })],
    noMatch: [win(4732, { MemberName: '-', MemberSid: 'S-1-5-21-1-2-3-1105', TargetUserName: 'Users', TargetSid: 'S-1-5-32-545' })],
  },
  'windows/win_security_log_cleared.yml': {
    match: [win(1102, { SubjectUserName: 'alice', SubjectDomainName: 'CORP' }, { provider: 'Microsoft-Windows-Eventlog' })],
    noMatch: [win(1100, { Reason: '0' }, { provider: 'Microsoft-Windows-Eventlog' })],
  },
  'windows/win_system_log_cleared.yml': {
    match: [sys(104, 'Microsoft-Windows-Eventlog', { SubjectUserName: 'alice', Channel: 'System', BackupPath: '' })],
    noMatch: [sys(104, 'Microsoft-Windows-Something', { Reason: 'other' })],
  },
  'windows/win_service_installed.yml': {
    match: [sys(7045, 'Service Control Manager', { ServiceName: 'FooUpdater', ImagePath: 'C:\\Program Files\\Foo\\updater.exe', ServiceType: 'user mode service', StartType: 'auto start', AccountName: 'LocalSystem' })],
    noMatch: [sys(7036, 'Service Control Manager', { param1: 'Windows Update', param2: 'running' })],
  },
  'windows/win_service_installed_suspicious.yml': {
    match: [sys(7045, 'Service Control Manager', { ServiceName: 'BTOBTO', ImagePath: '%COMSPEC% /Q /c echo whoami ^> \\\\127.0.0.1\\C$\\__output 2^>^&1', ServiceType: 'user mode service', StartType: 'demand start', AccountName: 'LocalSystem' })],
    noMatch: [sys(7045, 'Service Control Manager', { ServiceName: 'BarAgent', ImagePath: '"C:\\Program Files\\Bar\\agent.exe" -service', ServiceType: 'user mode service', StartType: 'auto start', AccountName: 'LocalSystem' })],
  },
  'windows/win_service_installed_security.yml': {
    match: [win(4697, { SubjectUserName: 'alice', ServiceName: 'FooUpdater', ServiceFileName: 'C:\\Program Files\\Foo\\updater.exe' })],
    noMatch: [win(4699, { SubjectUserName: 'alice', TaskName: '\\Old' })],
  },
  'windows/win_scheduled_task_created.yml': {
    match: [win(4698, { SubjectUserName: 'alice', TaskName: '\\Backup', TaskContent: '<Task><Actions><Exec><Command>C:\\Program Files\\Backup\\backup.exe</Command></Exec></Actions></Task>' })],
    noMatch: [win(4702, { SubjectUserName: 'alice', TaskName: '\\Backup', TaskContentNew: '<Task/>' })],
  },
  'windows/win_scheduled_task_script.yml': {
    match: [win(4698, { SubjectUserName: 'alice', TaskName: '\\Updater', TaskContent: '<Task><Actions><Exec><Command>powershell.exe</Command><Arguments>-w hidden -enc JABjAGwAaQBlAG4AdAA=</Arguments></Exec></Actions></Task>' })],
    noMatch: [win(4698, { SubjectUserName: 'alice', TaskName: '\\Backup2', TaskContent: '<Task><Actions><Exec><Command>C:\\Program Files\\Backup\\backup.exe</Command></Exec></Actions></Task>' })],
  },
  'windows/win_task_registered.yml': {
    match: [{ win: { eventId: 106, channel: 'Microsoft-Windows-TaskScheduler/Operational', provider: 'Microsoft-Windows-TaskScheduler', data: { TaskName: '\\Updater', UserContext: 'CORP\\alice' } } }],
    noMatch: [{ win: { eventId: 140, channel: 'Microsoft-Windows-TaskScheduler/Operational', provider: 'Microsoft-Windows-TaskScheduler', data: { TaskName: '\\Updater', UserName: 'CORP\\alice' } } }],
  },
  'windows/win_rdp_logon_public_ip.yml': { match: [rdp('203.0.113.77')], noMatch: [rdp('10.1.2.3'), rdp('203.0.113.78', '3'), rdp('-')] },
  'windows/win_audit_policy_changed.yml': { match: [win(4719, { SubjectUserName: 'alice', CategoryId: '%%8274', SubcategoryGuid: '{0CCE9215-69AE-11D9-BED3-505054503030}', AuditPolicyChanges: '%%8448' })], noMatch: [win(4670, { SubjectUserName: 'alice', ObjectName: 'C:\\x' })] },
  'windows/win_account_locked_out.yml': { match: [win(4740, { TargetUserName: 'bob', SubjectUserName: 'DC01$' })], noMatch: [win(4767, { TargetUserName: 'bob', SubjectUserName: 'alice' })] },
  'windows/proc_wevtutil_clear_log.yml': {
    match: [sysmon1('C:\\Windows\\System32\\wevtutil.exe', 'wevtutil.exe cl Security')],
    noMatch: [sysmon1('C:\\Windows\\System32\\wevtutil.exe', 'wevtutil.exe qe Security /c:5 /f:text')],
  },
  'windows/proc_net_user_add.yml': {
    match: [sysmon1('C:\\Windows\\System32\\net.exe', 'net user backdoor P@ssw0rd! /add')],
    noMatch: [sysmon1('C:\\Windows\\System32\\net.exe', 'net user backdoor')],
  },
  'windows/proc_shadow_copy_delete.yml': {
    match: [sysmon1('C:\\Windows\\System32\\vssadmin.exe', 'vssadmin.exe Delete Shadows /All /Quiet'), sysmon1('C:\\Windows\\System32\\wbem\\WMIC.exe', 'wmic shadowcopy delete')],
    noMatch: [sysmon1('C:\\Windows\\System32\\vssadmin.exe', 'vssadmin list shadows')],
  },
  // ---------------------------------------------------------------- linux
  'linux/ssh_failed_login.yml': {
    match: [sshFail('198.51.100.21', 'root', 1, 0), auth(1, 1, 'sshd[5]', 'Invalid user oracle from 198.51.100.21 port 4444')],
    noMatch: [auth(1, 2, 'sshd[5]', 'Connection closed by 198.51.100.21 port 4445 [preauth]'), sshOk('10.0.0.5', 'bob', 1, 3)],
  },
  'linux/ssh_login_success.yml': { match: [sshOk('10.0.0.6', 'carol', 2)], noMatch: [sshFail('10.0.0.6', 'carol', 2, 5)] },
  'linux/ssh_brute_force.yml': {
    match: range(12).map((i) => sshFail('203.0.113.30', 'root', 3, i * 5)),
    noMatch: range(4).map((i) => sshFail('198.51.100.31', 'root', 3, i * 5)),
  },
  'linux/ssh_password_spraying.yml': {
    match: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((u, i) => sshFail('203.0.113.32', u, 5, i * 3)),
    noMatch: range(6).map((i) => sshFail('198.51.100.33', 'root', 5, i * 3)),
  },
  'linux/ssh_success_after_brute_force.yml': {
    match: [...range(11).map((i) => sshFail('203.0.113.34', 'admin', 7, i * 4)), sshOk('203.0.113.34', 'admin', 12)],
    noMatch: [sshOk('198.51.100.35', 'admin', 12)],
  },
  'linux/ssh_invalid_user.yml': { match: [auth(14, 0, 'sshd[9]', 'Invalid user ftpuser from 192.0.2.36 port 5555')], noMatch: [sshFail('192.0.2.36', 'root', 14, 1)] },
  'linux/ssh_root_login.yml': { match: [sshOk('192.0.2.37', 'root', 15)], noMatch: [sshOk('192.0.2.37', 'bob', 15, 1)] },
  'linux/sudo_to_root.yml': { match: [sudo('alice', 'root', '/usr/bin/apt update')], noMatch: [sudo('alice', 'postgres', '/usr/bin/psql')] },
  'linux/sudo_root_shell.yml': { match: [sudo('alice', 'root', '/bin/bash')], noMatch: [sudo('alice', 'root', '/usr/bin/systemctl restart nginx')] },
  'linux/sudo_not_in_sudoers.yml': { match: [sudo('mallory', 'root', '/bin/cat /etc/shadow', true)], noMatch: [sudo('alice', 'root', '/usr/bin/id')] },
  'linux/su_to_root.yml': { match: [auth(31, 0, 'su[77]', 'Successful su for root by alice')], noMatch: [auth(31, 1, 'su[78]', 'Successful su for postgres by alice')] },
  'linux/local_user_created.yml': {
    match: [auth(32, 0, 'useradd[90]', 'new user: name=backdoor, UID=1001, GID=1001, home=/home/backdoor, shell=/bin/bash')],
    noMatch: [auth(32, 1, 'userdel[91]', "delete user 'olduser'")],
  },
  'linux/user_added_privileged_group.yml': {
    match: [auth(33, 0, 'usermod[92]', "add 'backdoor' to group 'sudo'")],
    noMatch: [auth(33, 1, 'usermod[93]', "add 'bob' to group 'audio'")],
  },
  // ---------------------------------------------------------------- web
  'web/web_client_error.yml': { match: [web('192.0.2.40', 'GET /missing.html HTTP/1.1', 404)], noMatch: [web('192.0.2.40', 'GET /index.html HTTP/1.1', 200)] },
  'web/web_scanning.yml': {
    match: range(35).map((i) => web('203.0.113.41', `GET /admin${i}.php HTTP/1.1`, 404, 'Mozilla/5.0', 21, i)),
    noMatch: range(5).map((i) => web('198.51.100.42', `GET /old${i}.html HTTP/1.1`, 404, 'Mozilla/5.0', 21, i)),
  },
  'web/web_sql_injection.yml': {
    match: [web('192.0.2.43', 'GET /item.php?id=1%20UNION%20SELECT%201,user(),3-- HTTP/1.1', 200), web('192.0.2.43', "GET /login.php?user=admin'+or+'1'='1 HTTP/1.1", 200)],
    noMatch: [web('192.0.2.43', 'GET /item.php?id=42&sort=name HTTP/1.1', 200)],
  },
  'web/web_xss.yml': {
    match: [web('192.0.2.44', 'GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1', 200)],
    noMatch: [web('192.0.2.44', 'GET /search?q=opening+hours HTTP/1.1', 200)],
  },
  'web/web_path_traversal.yml': {
    match: [web('192.0.2.45', 'GET /../../../../etc/passwd HTTP/1.1', 400), web('192.0.2.45', 'GET /download.php?file=..%2f..%2f..%2fetc%2fpasswd HTTP/1.1', 200)],
    noMatch: [web('192.0.2.45', 'GET /static/app.js?v=3 HTTP/1.1', 200)],
  },
  'web/web_scanner_user_agent.yml': {
    match: [web('192.0.2.46', 'GET / HTTP/1.1', 200, 'sqlmap/1.7.2#stable (https://sqlmap.org)')],
    noMatch: [web('192.0.2.46', 'GET / HTTP/1.1', 200, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0')],
  },
  'web/web_shellshock.yml': {
    match: [web('192.0.2.47', 'GET /cgi-bin/status HTTP/1.1', 200, '() { :; }; /bin/bash -c "cat /etc/passwd"')],
    noMatch: [web('192.0.2.47', 'GET /cgi-bin/status HTTP/1.1', 200, 'curl/8.4.0')],
  },
  'web/web_shell_command.yml': {
    match: [web('192.0.2.48', 'GET /uploads/shell.jsp?cmd=whoami HTTP/1.1', 200), web('192.0.2.48', 'GET /img/x.php?a=1&cmd=id HTTP/1.1', 200)],
    noMatch: [web('192.0.2.48', 'GET /index.php?page=home HTTP/1.1', 200)],
  },
  'web/web_tomcat_manager_deploy.yml': {
    match: [web('192.0.2.49', 'POST /manager/html/upload?org.apache.catalina.filters.CSRF_NONCE=4F1B HTTP/1.1', 200)],
    noMatch: [web('192.0.2.49', 'POST /manager/html/upload?org.apache.catalina.filters.CSRF_NONCE=4F1B HTTP/1.1', 403), web('192.0.2.49', 'GET /manager/html HTTP/1.1', 401)],
  },
  // ---------------------------------------------------------------- network
  'network/ids_high_severity.yml': {
    match: [ids('high_severity', '192.0.2.50', '10.0.0.8', 'Exploit attempt'), ids('critical_severity', '192.0.2.50', '10.0.0.8', 'Ransomware beacon')],
    noMatch: [ids('low_severity', '192.0.2.50', '10.0.0.8', 'Port scanning'), eve(1, 'ET EXPLOIT Possible Foo RCE', 'Attempted Administrator Privilege Gain')],
  },
  'network/suricata_high_severity.yml': {
    match: [eve(1, 'ET EXPLOIT Possible Bar RCE', 'Attempted Administrator Privilege Gain')],
    noMatch: [eve(3, 'ET INFO Observed DNS Query to .cloud TLD', 'Potentially Bad Traffic'), ids('high_severity', '192.0.2.51', '10.0.0.8', 'Exploit attempt')],
  },
  'network/suricata_malware_signature.yml': {
    match: [eve(2, 'ET MALWARE Win32/Foo CnC Beacon', 'A Network Trojan was detected'), eve(2, 'Custom beacon rule', 'Malware Command and Control Activity Detected')],
    noMatch: [eve(2, 'ET POLICY curl User-Agent Outbound', 'Attempted Information Leak')],
  },
  'network/zeek_backdoor_port.yml': { match: [zeek('10.0.0.8', '198.51.100.60', 4444)], noMatch: [zeek('10.0.0.8', '198.51.100.61', 4444, 'S0'), zeek('10.0.0.8', '198.51.100.62', 443)] },
  'network/zeek_rare_port_outbound.yml': {
    match: [zeek('10.0.0.9', '198.51.100.70', 8081)],
    noMatch: [zeek('10.0.0.9', '198.51.100.71', 443), zeek('10.0.0.9', '10.0.0.72', 8081), zeek('10.0.0.9', '198.51.100.73', 8081, 'S0')],
  },
  'network/zeek_inbound_admin_service.yml': { match: [zeek('203.0.113.80', '10.0.0.10', 3389)], noMatch: [zeek('10.0.0.7', '10.0.0.10', 3389), zeek('203.0.113.81', '10.0.0.10', 3389, 'REJ')] },
  // ---------------------------------------------------------------- intel (IPsum list written in beforeAll)
  'intel/ipsum_inbound.yml': { match: [web('203.0.113.90', 'GET / HTTP/1.1', 200, 'Mozilla/5.0', 50)], noMatch: [web('203.0.113.91', 'GET / HTTP/1.1', 200, 'Mozilla/5.0', 50)] },
  'intel/ipsum_outbound.yml': { match: [zeek('10.0.0.11', '198.51.100.92', 443)], noMatch: [zeek('10.0.0.11', '203.0.113.91', 443)] },
  'intel/ipsum_successful_logon.yml': { match: [sshOk('203.0.113.93', 'bob', 51)], noMatch: [sshFail('203.0.113.93', 'bob', 51, 30), sshOk('203.0.113.91', 'bob', 51, 40)] },
  'intel/ioc_list_hit.yml': { match: [zeek('10.0.0.12', '192.0.2.99', 443)], noMatch: [zeek('10.0.0.12', '192.0.2.100', 443)] },
};

const IPSUM = ['203.0.113.90\t5', '203.0.113.91\t1', '198.51.100.92\t4', '203.0.113.93\t3'];

type IdsOf = Map<string, { match: number[]; noMatch: number[] }>;

function checkRule(file: string, rules: CaseRules, result: RunResult, idsOf: IdsOf): void {
  const rec = rules.set.rules.find((r) => rules.relPath(r) === file);
  expect(rec, file).toBeDefined();
  const id = rec?.id ?? '';
  const hit = new Set<number>([...result.hits.filter((h) => h.ruleId === id).flatMap((h) => h.eventIds), ...result.correlations.filter((c) => c.ruleId === id).flatMap((c) => c.eventIds)]);
  const spec = idsOf.get(file) ?? { match: [], noMatch: [] };
  expect(spec.match.length).toBeGreaterThan(0);
  expect(spec.match.every((x) => x > 0)).toBe(true);
  expect(spec.match.filter((x) => !hit.has(x)), `${file}: matching events not hit`).toEqual([]);
  expect(spec.noMatch.filter((x) => hit.has(x)), `${file}: non-matching events hit`).toEqual([]);
}

/** Every spec's inputs in one list, and where each spec's slice starts. */
function flatten(): { all: Input[]; spans: [string, number, number, number][] } {
  const all: Input[] = [];
  const spans: [string, number, number, number][] = [];
  for (const [file, spec] of Object.entries(SPECS)) {
    spans.push([file, all.length, spec.match.length, spec.noMatch.length]);
    all.push(...spec.match, ...spec.noMatch);
  }
  return { all, spans };
}

function slices(ids: number[], spans: [string, number, number, number][]): IdsOf {
  const out: IdsOf = new Map();
  for (const [file, start, m, n] of spans) out.set(file, { match: ids.slice(start, start + m), noMatch: ids.slice(start + m, start + m + n) });
  return out;
}

async function withIntel(home: string): Promise<void> {
  writeFileSync(join(home, 'ipsum.txt'), `# IPsum test list\n${IPSUM.join('\n')}\n`);
  writeFileSync(join(home, 'ioc.txt'), '192.0.2.99\n');
  await intelStore().importIpsum(join(home, 'ipsum.txt'));
  await intelStore().addIocList(join(home, 'ioc.txt'), 'case-iocs');
}

describe('our rule pack (resources/rules)', () => {
  let tc: TestCase;
  let home: string;
  let rules: CaseRules;
  let result: RunResult;
  let idsOf: IdsOf = new Map();
  const prevHome = process.env.LOUPE_HOME;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'loupe-pack-home-'));
    process.env.LOUPE_HOME = home;
    await withIntel(home);
    tc = await newCase({ refreshIntel: true });
    const { all, spans } = flatten();
    idsOf = slices(await loadInputs(tc, all), spans);
    rules = await tc.alerts.rules();
    await refreshCaseIntel(tc.kase.conn, intelStore());
    result = await runRules(tc.kase.conn, rules.set);
  }, 120_000);

  afterAll(() => {
    tc?.close();
    if (prevHome === undefined) delete process.env.LOUPE_HOME;
    else process.env.LOUPE_HOME = prevHome;
    rmSync(home, { recursive: true, force: true });
  });

  it('is found by the built-in pack locator and every rule is active', () => {
    expect(builtinRulesDir()).not.toBeNull();
    expect(rules.set.rules.length).toBeGreaterThanOrEqual(30);
    const bad = rules.set.rules.filter((r) => r.status !== 'active').map((r) => `${rules.relPath(r)}: ${r.reason}`);
    expect(bad).toEqual([]);
    expect(result.failures).toEqual([]);
  });

  it('has a test for every rule, and only for rules that exist', () => {
    const files = rules.set.rules.map((r) => rules.relPath(r)).sort();
    expect(Object.keys(SPECS).sort()).toEqual(files);
  });

  it('every rule has its own id, a title, a level, a description and ATT&CK or tactic tags', () => {
    const seen = new Set<string>();
    for (const r of rules.set.rules) {
      expect(r.id, rules.relPath(r)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(seen.has(r.id)).toBe(false);
      seen.add(r.id);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.level, rules.relPath(r)).toBeDefined();
      expect(r.description ?? '', rules.relPath(r)).not.toBe('');
      expect(r.tags.some((t) => t.startsWith('attack.')), rules.relPath(r)).toBe(true);
    }
  });

  for (const file of Object.keys(SPECS)) {
    it(`${file}: matches its events and not the others`, () => checkRule(file, rules, result, idsOf));
  }

  it('the run through the alert service turns them into alerts (correlation-only rules excepted)', async () => {
    const summary = await tc.alerts.run({ trigger: 'manual', scope: 'all' });
    expect(summary.status).toBe('done');
    expect(summary.failures).toEqual([]);
    const alerted = new Set(
      (await tc.kase.conn.runAndReadAll('SELECT DISTINCT rule_id FROM alerts')).getRows().map((r) => String(r[0])),
    );
    for (const r of rules.set.rules) {
      if (r.correlationOnly) expect(alerted.has(r.id), `${rules.relPath(r)} is correlation-only`).toBe(false);
      else expect(alerted.has(r.id), `${rules.relPath(r)} has an alert`).toBe(true);
    }
  });
});

/**
 * The same inputs written as real files (auth.log, access.log, ids.log,
 * conn.log, eve.json, an .evtx) and imported through the import pipeline:
 * sniffing, parsing and loading decide the field names and types, and the
 * rules must still match exactly their events.
 */
describe('our rule pack over the same events imported through the pipeline', () => {
  let root: string;
  let engine: Engine;
  let rules: CaseRules;
  let result: RunResult;
  let idsOf: IdsOf = new Map();
  const prevHome = process.env.LOUPE_HOME;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'loupe-pack-import-'));
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    process.env.LOUPE_HOME = home;
    await withIntel(home);
    engine = new Engine({ host: 'test' });
    await engine.useCase(join(root, 'case'), { mode: 'create' });
    const { all, spans } = flatten();
    // One file per format; the k-th record of a file is its k-th event.
    const files: { name: string; key: string; body: (xs: Input[]) => string | Buffer }[] = [
      { name: 'auth.log', key: 'auth', body: (xs) => `${xs.map((x) => (x as { auth: string }).auth).join('\n')}\n` },
      { name: 'access.log', key: 'web', body: (xs) => `${xs.map((x) => (x as { web: string }).web).join('\n')}\n` },
      { name: 'ids.log', key: 'ids', body: (xs) => `${xs.map((x) => (x as { ids: string }).ids).join('\n')}\n` },
      { name: 'conn.log', key: 'zeek', body: (xs) => `${[...ZEEK_HEADER, ...xs.map((x) => (x as { zeek: string }).zeek)].join('\n')}\n` },
      { name: 'eve.json', key: 'eve', body: (xs) => `${xs.map((x) => JSON.stringify((x as { eve: unknown }).eve)).join('\n')}\n` },
      { name: 'Security.evtx', key: 'win', body: (xs) => buildEvtx(xs.map((x) => (x as { win: WinEvent }).win)) },
    ];
    const paths: string[] = [];
    for (const f of files) {
      const xs = all.filter((x) => f.key in x);
      const p = join(root, f.name);
      writeFileSync(p, f.body(xs));
      paths.push(p);
    }
    const summary = await engine.imports.wait(await engine.imports.start({ paths }));
    expect(summary.files.map((f) => [f.path.split('/').pop(), f.format, f.rejected])).toEqual(files.map((f) => [f.name, expect.any(String), 0]));
    const ids: number[] = new Array(all.length).fill(-1);
    for (const f of files) {
      const ev = (await queryRows(engine.case.conn, 'SELECT id FROM evidence WHERE path = $p', { p: join(root, f.name) }))[0];
      const eventIds = (await queryRows(engine.case.conn, 'SELECT id FROM events WHERE evidence_id = $e ORDER BY pos, id', { e: Number(ev?.id) })).map((r) => Number(r.id));
      let k = 0;
      all.forEach((x, i) => {
        if (f.key in x) ids[i] = eventIds[k++] ?? -1;
      });
      expect(k, f.name).toBe(eventIds.length);
    }
    idsOf = slices(ids, spans);
    rules = await loadCaseRules(engine.case.conn, engine.case.dir);
    result = await runRules(engine.case.conn, rules.set);
  }, 180_000);

  afterAll(async () => {
    await engine?.close();
    if (prevHome === undefined) delete process.env.LOUPE_HOME;
    else process.env.LOUPE_HOME = prevHome;
    rmSync(root, { recursive: true, force: true });
  });

  it('imports every file with no rejected record, and the run raises no failure', () => {
    expect(result.failures).toEqual([]);
  });

  for (const file of Object.keys(SPECS)) {
    it(`${file}: matches its events and not the others`, () => checkRule(file, rules, result, idsOf));
  }
});
