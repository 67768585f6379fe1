import { describe, expect, it } from 'vitest';
import type { CoreFields } from '../../../src/shared/events';
import { parseSyslogLine, SyslogClock } from '../../../src/main/engine/ingest/formats/syslog';
import { ok } from './helpers';

type Want = Partial<CoreFields> & { fields?: Record<string, unknown> };

/** Real line shapes (most from the corpus: the EC2 auth.log, loghub, fail2ban), host and times varied. */
const CASES: Array<[string, Want]> = [
  ['sshd[1]: Accepted password for elastic_user_7 from 85.245.107.41 port 54259 ssh2', { action: 'ssh-login', outcome: 'success', user: 'elastic_user_7', src_ip: '85.245.107.41', src_port: 54259, fields: { auth_method: 'password' } }],
  ['sshd[1]: Accepted publickey for ubuntu from 85.245.107.41 port 54259 ssh2: RSA SHA256:KlK6PGZrTiz', { action: 'ssh-login', outcome: 'success', user: 'ubuntu', fields: { auth_method: 'publickey', ssh_key: 'RSA SHA256:KlK6PGZrTiz' } }],
  ['sshd[1]: Failed password for root from 112.95.230.3 port 45378 ssh2', { action: 'ssh-login-failed', outcome: 'failure', user: 'root', src_ip: '112.95.230.3', src_port: 45378 }],
  ['sshd[1]: Failed password for invalid user admin from 2001:db8::1 port 22 ssh2', { action: 'ssh-invalid-user', outcome: 'failure', user: 'admin', src_ip: '2001:db8::1' }],
  ['sshd[1]: Failed password for invalid user  from 1.2.3.4 port 22 ssh2', { action: 'ssh-invalid-user', outcome: 'failure', user: null, src_ip: '1.2.3.4' }],
  ['sshd[1]: Failed publickey for git from 1.2.3.4 port 51332 ssh2: RSA 0e:bc:xx', { action: 'ssh-login-failed', user: 'git', fields: { auth_method: 'publickey' } }],
  ['sshd[1]: Invalid user webmaster from 173.234.31.186', { action: 'ssh-invalid-user', outcome: 'failure', user: 'webmaster', src_ip: '173.234.31.186' }],
  ['sshd[1]: Invalid user ftp from 1.2.3.4 port 46478', { action: 'ssh-invalid-user', src_port: 46478 }],
  ['sshd[1]: input_userauth_request: invalid user webmaster [preauth]', { action: 'ssh-invalid-user', user: 'webmaster', src_ip: null }],
  ['sshd[1]: error: maximum authentication attempts exceeded for root from 1.2.3.4 port 22 ssh2 [preauth]', { action: 'ssh-max-auth-exceeded', outcome: 'failure', user: 'root' }],
  ['sshd[1]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!', { action: 'ssh-break-in-attempt', src_ip: '173.234.31.186', fields: { rhost: 'ns.marryaldkfaczcz.com' } }],
  ['sshd[1]: Address 1.2.3.4 maps to 1.bbbbbb.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!', { action: 'ssh-break-in-attempt', src_ip: '1.2.3.4' }],
  ['sshd[1]: Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]', { action: 'ssh-disconnect', src_ip: '1.2.3.4', outcome: null }],
  ['sshd[1]: Received disconnect from 1.2.3.4 port 52120:11: disconnected by user', { action: 'ssh-disconnect', src_port: 52120 }],
  ['sshd[1]: error: Received disconnect from 1.2.3.4: 14: No more user authentication methods available. [preauth]', { action: 'ssh-disconnect', outcome: 'failure' }],
  ['sshd[1]: Disconnected from 1.2.3.4 port 52120', { action: 'ssh-disconnect', src_ip: '1.2.3.4', src_port: 52120 }],
  ['sshd[1]: Disconnected from authenticating user root 1.2.3.4 port 22 [preauth]', { action: 'ssh-disconnect', user: 'root' }],
  ['sshd[1]: Connection closed by 1.2.3.4 port 22 [preauth]', { action: 'ssh-disconnect', src_ip: '1.2.3.4' }],
  ['sshd[1]: Connection closed by authenticating user test 1.2.3.4 port 22 [preauth]', { action: 'ssh-disconnect', user: 'test' }],
  ['sshd[1]: Disconnecting: Too many authentication failures for root [preauth]', { action: 'ssh-disconnect', outcome: 'failure', user: 'root' }],
  ['sshd[1]: Disconnecting invalid user xxx 1.2.3.4 port 22: Too many authentication failures [preauth]', { action: 'ssh-disconnect', outcome: 'failure', user: 'xxx', src_ip: '1.2.3.4' }],
  ['sshd[1]: Did not receive identification string from 1.2.3.4', { action: 'ssh-no-identification', outcome: 'failure', src_ip: '1.2.3.4' }],
  ['sshd[1]: Connection from 1.2.3.4 port 5000 on 10.0.0.5 port 22', { action: 'ssh-connect', src_ip: '1.2.3.4', dst_ip: '10.0.0.5', dst_port: 22 }],
  ['sshd[1]: Unable to negotiate with 1.2.3.4 port 22: no matching key exchange method found.', { action: 'ssh-negotiation-failed', outcome: 'failure' }],
  ["sshd[1]: Bad protocol version identification 'GET / HTTP/1.1' from 1.2.3.4 port 33333", { action: 'ssh-bad-protocol', src_ip: '1.2.3.4' }],
  ['sshd[1]: ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4', { action: 'ssh-login-failed', user: 'root', src_ip: '1.2.3.4' }],
  ['sshd[1]: User root not allowed because account is locked', { action: 'ssh-login-failed', user: 'root' }],
  ['sshd[1]: error: PAM: Authentication failure for stefanor from 1.2.3.4', { action: 'ssh-login-failed', user: 'stefanor', src_ip: '1.2.3.4' }],
  ['sshd[1]: error: PAM: authentication error for nick from example.com', { action: 'ssh-login-failed', user: 'nick', src_ip: null, fields: { rhost: 'example.com' } }],
  ['sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=116.31.116.17  user=root', { action: 'auth-failure', outcome: 'failure', user: 'root', src_ip: '116.31.116.17' }],
  ['sshd[1]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root', { action: 'auth-failure', user: 'root', fields: { repeat_count: 5 } }],
  ['sshd[1]: pam_unix(sshd:auth): check pass; user unknown', { action: 'user-unknown', outcome: 'failure' }],
  ['sshd[1]: pam_unix(sshd:session): session opened for user ubuntu by (uid=0)', { action: 'session-open', outcome: 'success', user: 'ubuntu', fields: { uid: '0' } }],
  ['sshd[1]: pam_unix(sshd:session): session closed for user ubuntu', { action: 'session-close', user: 'ubuntu' }],
  ['sshd[1]: Close session: user ubuntu from 1.2.3.4 port 22 id 0', { action: 'session-close', user: 'ubuntu', src_ip: '1.2.3.4' }],
  ['sudo:   ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/usr/bin/vim /etc/resolv.conf', { dataset: 'linux.auth', action: 'sudo', outcome: 'success', user: 'ubuntu', fields: { tty: 'pts/0', pwd: '/home/ubuntu', target_user: 'root', command: '/usr/bin/vim /etc/resolv.conf' } }],
  ['sudo:   alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh -c a ; b', { action: 'sudo', outcome: 'failure', user: 'alice', fields: { command: '/bin/sh -c a ; b' } }],
  ['sudo:      bob : user NOT in sudoers ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/id', { action: 'sudo', outcome: 'failure', user: 'bob' }],
  ['sudo: pam_unix(sudo:session): session opened for user root by ubuntu(uid=0)', { action: 'session-open', user: 'root', fields: { by_user: 'ubuntu', uid: '0' } }],
  ['sudo: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice', { action: 'auth-failure', user: 'alice', src_ip: null }],
  ['su[1]: Successful su for root by ubuntu', { action: 'su', outcome: 'success', user: 'ubuntu', fields: { target_user: 'root', by_user: 'ubuntu' } }],
  ['su[1]: FAILED su for root by mallory', { action: 'su', outcome: 'failure', user: 'mallory' }],
  ['su[1]: + /dev/pts/1 ubuntu:root', { action: 'su', outcome: 'success', user: 'ubuntu', fields: { tty: '/dev/pts/1', target_user: 'root' } }],
  ['su[1]: - /dev/pts/1 mallory:root', { action: 'su', outcome: 'failure', user: 'mallory' }],
  ['su[1]: (to root) alice on pts/0', { action: 'su', outcome: 'success', user: 'alice', fields: { target_user: 'root' } }],
  ['su[1]: FAILED SU (to root) mallory on pts/0', { action: 'su', outcome: 'failure', user: 'mallory' }],
  ['su(pam_unix)[21416]: session opened for user cyrus by (uid=0)', { action: 'session-open', user: 'cyrus', process: 'su' }],
  ['useradd[1]: new user: name=elastic_user_0, UID=1001, GID=1001, home=/home/elastic_user_0, shell=/bin/bash', { action: 'user-created', outcome: 'success', user: 'elastic_user_0', fields: { uid: '1001', gid: '1001', home: '/home/elastic_user_0', shell: '/bin/bash' } }],
  ['useradd[1]: new group: name=elastic_user_0, GID=1001', { action: 'group-created', fields: { group: 'elastic_user_0' } }],
  ["useradd[1]: failed adding user 'elastic_user_9', data deleted", { action: 'user-created', outcome: 'failure', user: 'elastic_user_9' }],
  ['groupadd[1]: group added to /etc/group: name=docker, GID=999', { action: 'group-created', fields: { group: 'docker', gid: '999' } }],
  ["usermod[1]: add 'bob' to group 'sudo'", { action: 'group-member-added', user: 'bob', fields: { group: 'sudo' } }],
  ["usermod[1]: change user 'bob' password", { action: 'user-modified', user: 'bob' }],
  ["userdel[1]: delete user 'bob'", { action: 'user-deleted', user: 'bob' }],
  ["groupdel[1]: group 'old' removed", { action: 'group-deleted', fields: { group: 'old' } }],
  ['passwd[1]: pam_unix(passwd:chauthtok): password changed for bob', { action: 'password-changed', outcome: 'success', user: 'bob' }],
  ['chpasswd[1]: pam_unix(chpasswd:chauthtok): user "elastic_user_$x" does not exist in /etc/passwd', { action: 'password-changed', outcome: 'failure', user: 'elastic_user_$x' }],
  ['systemd-logind[1118]: New session 42 of user ubuntu.', { action: 'session-open', user: 'ubuntu', fields: { session_id: '42' } }],
  ['systemd-logind[1118]: Removed session 42.', { action: 'session-close', fields: { session_id: '42' } }],
  ['systemd: pam_unix(systemd-user:session): session opened for user ubuntu by (uid=0)', { dataset: 'linux.auth', action: 'session-open', user: 'ubuntu' }],
  ['CRON[1]: pam_unix(cron:session): session opened for user root by (uid=0)', { dataset: 'linux.auth', action: 'session-open', user: 'root' }],
  ['CRON[1]: (root) CMD (run-parts /etc/cron.hourly)', { dataset: 'linux.syslog', action: 'cron-command', user: 'root', fields: { command: 'run-parts /etc/cron.hourly' } }],
  ["login[1]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure", { action: 'login', outcome: 'failure', user: 'root' }],
  ["login[1]: ROOT LOGIN  on '/dev/tty1'", { action: 'login', outcome: 'success', user: 'root' }],
  ['vsftpd: (pam_unix) authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=209.67.1.67', { action: 'auth-failure', src_ip: '209.67.1.67', dataset: 'linux.auth' }],
  // No rule for these daemons: the peer address still becomes src_ip.
  ['dropbear[4092]: bad password attempt for \'root\' from 198.51.100.87:5543', { action: null, src_ip: '198.51.100.87', src_port: 5543, dataset: 'linux.auth' }],
  ['named[3935]: client 194.145.196.18#4795: query denied from 194.145.196.18#4795', { action: null, src_ip: '194.145.196.18', dataset: 'linux.syslog' }],
  ['ftpd[1]: connection from 222.33.90.199 () at Sun Jun 19 04:15:21 2005', { src_ip: '222.33.90.199', dataset: 'linux.syslog' }],
  ['kernel: eth0: link up', { dataset: 'linux.syslog', action: null, user: null, src_ip: null }],
];

describe('auth.log semantics', () => {
  const clock = new SyslogClock({ year: 2024 });
  it.each(CASES)('%s', (msg, want) => {
    const r = ok(parseSyslogLine(`Mar 27 13:06:56 ip-10-77-20-248 ${msg}`, clock));
    const { fields, ...core } = want;
    expect(r.core).toMatchObject(core);
    if (fields) expect(r.fields).toMatchObject(fields);
  });

  it('defaults dataset to linux.auth for auth programs even without a rule match', () => {
    const r = ok(parseSyslogLine('Mar 27 13:06:56 h sshd[1]: Server listening on 0.0.0.0 port 22.', clock));
    expect(r.core).toMatchObject({ dataset: 'linux.auth', action: null });
  });
});
