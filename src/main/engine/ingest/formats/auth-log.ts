import type { CoreFields } from '@shared/events';
import { canonicalIp, parsePort } from './net';
import type { Fields } from './types';

/**
 * What an auth.log / secure line means, on top of the syslog parse: who, from
 * where, what happened and whether it worked. Shapes come from the corpus
 * (an EC2 auth.log, loghub's OpenSSH and /var/log/messages, fail2ban's sshd,
 * pam and BSD samples) and from OpenSSH, sudo, shadow-utils, util-linux and
 * systemd-logind messages as they are written.
 *
 * Sets core.user / src_ip / src_port / action / outcome, and adds these fields
 * when a line carries them: auth_method, target_user, by_user, tty, pwd,
 * command, rhost, uid, gid, home, shell, group, session_id, ssh_key.
 *
 * Actions: ssh-login, ssh-login-failed, ssh-invalid-user, ssh-max-auth-exceeded,
 * ssh-break-in-attempt, ssh-disconnect, ssh-connect, ssh-no-identification,
 * ssh-negotiation-failed, ssh-bad-protocol, auth-failure, user-unknown,
 * sudo, su, session-open, session-close, user-created, user-modified,
 * user-deleted, group-created, group-deleted, group-member-added,
 * password-changed, login, cron-command.
 */

/** Fields the auth analysis adds to syslog records when a line carries them. */
export const AUTH_FIELDS = ['auth_method', 'target_user', 'by_user', 'tty', 'pwd', 'command', 'rhost', 'uid', 'gid', 'home', 'shell', 'group', 'session_id', 'ssh_key'] as const;

const AUTH_PROGRAMS = new Set([
  'sshd',
  'sshd-session',
  'sudo',
  'su',
  'login',
  'useradd',
  'userdel',
  'usermod',
  'groupadd',
  'groupdel',
  'groupmod',
  'gpasswd',
  'passwd',
  'chpasswd',
  'chage',
  'chfn',
  'chsh',
  'newusers',
  'systemd-logind',
  'polkitd',
  'pkexec',
  'dropbear',
  'doas',
]);

/** Programs whose lines belong in linux.auth (syslog facility auth/authpriv also counts). */
export function isAuthProgram(program: string): boolean {
  return AUTH_PROGRAMS.has(program);
}

/** Regular expressions below only ever see this much of a message: real auth lines are far shorter. */
const MAX_ANALYSED = 4096;

type Outcome = CoreFields['outcome'];

function set(core: CoreFields, action: string, outcome: Outcome): void {
  core.action = action;
  core.outcome = outcome;
}

function setUser(core: CoreFields, user: string | undefined): void {
  if (user !== undefined && user.length > 0) core.user = user;
}

/** An address token as sshd writes it: plain, `::ffff:`-mapped, or a host name (kept as rhost only). */
function setSource(core: CoreFields, fields: Fields, host: string | undefined, port?: string): void {
  if (host === undefined || host.length === 0) return;
  const ip = canonicalIp(host);
  if (ip) core.src_ip = ip;
  else fields.rhost = host;
  if (port !== undefined) core.src_port = parsePort(port);
}

// ------------------------------------------------------------------ sshd

const SSH_AUTH =
  /^(Accepted|Failed|Postponed) (password|publickey|keyboard-interactive\/pam|keyboard-interactive|hostbased|gssapi-with-mic|gssapi-keyex|none|unknown) for (invalid user |illegal user )?(\S*) from (\S+) port (\d{1,5})(?: ssh2?)?(?:: (.*))?/;
const SSH_INVALID = /^(?:Invalid|Illegal) user (\S*) from (\S+)(?: port (\d{1,5}))?/;
const SSH_INPUT_INVALID = /^input_userauth_request: (?:invalid|illegal) user (\S*)/;
const SSH_MAX_AUTH = /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(\S+) from (\S+) port (\d{1,5})/;
const SSH_PAM_FAIL = /^(?:error: )?PAM: (?:[Aa]uthentication (?:failure|error)|User not known to the underlying authentication module) for (?:illegal user )?(\S+) from (\S+)/;
const SSH_REVERSE = /^reverse mapping checking getaddrinfo for (\S+) \[([0-9A-Fa-f.:]+)\] failed/;
const SSH_ADDRESS_MAPS = /^Address ([0-9A-Fa-f.:]+) maps to (\S+), but this does not map back/;
const SSH_RECEIVED_DISC = /^(?:error: )?Received disconnect from ([0-9A-Fa-f.:]+?)(?: port (\d{1,5}))?:\s*(\d+):\s*(.*)/;
const SSH_DISCONNECTED = /^Disconnected from (?:(?:invalid|authenticating) user (\S*) |user (\S+) )?([0-9A-Fa-f.:]+) port (\d{1,5})/;
const SSH_CLOSED = /^Connection (?:closed|reset) by (?:(?:invalid|authenticating) user (\S*) |user (\S+) )?([0-9A-Fa-f.:]+)(?: port (\d{1,5}))?/;
const SSH_DISCONNECTING = /^Disconnecting(?: (?:invalid|authenticating) user (\S*) ([0-9A-Fa-f.:]+) port (\d{1,5}))?: (.*)/;
const SSH_NO_IDENT = /^Did not receive identification string from ([0-9A-Fa-f.:]+)(?: port (\d{1,5}))?/;
const SSH_CONNECTION = /^Connection from ([0-9A-Fa-f.:]+) port (\d{1,5}) on ([0-9A-Fa-f.:]+) port (\d{1,5})/;
const SSH_NEGOTIATE = /^(?:fatal: )?Unable to negotiate with ([0-9A-Fa-f.:]+) port (\d{1,5})/;
const SSH_BAD_PROTO = /^Bad protocol version identification '.*' from ([0-9A-Fa-f.:]+)(?: port (\d{1,5}))?$/;
const SSH_TIMEOUT = /^(?:fatal: )?Timeout before authentication for ([0-9A-Fa-f.:]+)(?: port (\d{1,5}))?/;
const SSH_ROOT_REFUSED = /^ROOT LOGIN REFUSED FROM (\S+?)(?: port (\d{1,5}))?(?: \[preauth\])?$/;
const SSH_NOT_ALLOWED = /^User (\S+) from (\S+) not allowed because|^User (\S+) not allowed because/;
const SSH_CLOSE_SESSION = /^Close session: user (\S+) from ([0-9A-Fa-f.:]+) port (\d{1,5})/;
const SSH_STARTING = /^Starting session: (.*) for (\S+) from ([0-9A-Fa-f.:]+) port (\d{1,5})/;

function sshd(msg: string, core: CoreFields, fields: Fields): boolean {
  // Each pattern is anchored on its first word: test only those that can start here.
  const c = msg.charCodeAt(0);
  let m = c === 65 || c === 70 || c === 80 ? SSH_AUTH.exec(msg) : null;
  if (m) {
    const verb = m[1] as string;
    fields.auth_method = m[2] as string;
    setUser(core, m[4]);
    setSource(core, fields, m[5], m[6]);
    if (m[7] && (m[2] === 'publickey' || m[2] === 'hostbased')) fields.ssh_key = m[7];
    if (verb === 'Accepted') set(core, 'ssh-login', 'success');
    else if (verb === 'Failed') set(core, m[3] ? 'ssh-invalid-user' : 'ssh-login-failed', 'failure');
    else set(core, 'ssh-login-postponed', null);
    return true;
  }
  if (c === 73 && (m = SSH_INVALID.exec(msg))) {
    setUser(core, m[1]);
    setSource(core, fields, m[2], m[3]);
    set(core, 'ssh-invalid-user', 'failure');
    return true;
  }
  if (c === 105 && (m = SSH_INPUT_INVALID.exec(msg))) {
    setUser(core, m[1]);
    set(core, 'ssh-invalid-user', 'failure');
    return true;
  }
  if ((c === 101 || c === 109) && (m = SSH_MAX_AUTH.exec(msg))) {
    setUser(core, m[2]);
    setSource(core, fields, m[3], m[4]);
    set(core, 'ssh-max-auth-exceeded', 'failure');
    return true;
  }
  if ((c === 101 || c === 80) && (m = SSH_PAM_FAIL.exec(msg))) {
    setUser(core, m[1]);
    setSource(core, fields, m[2]);
    set(core, 'ssh-login-failed', 'failure');
    return true;
  }
  if (c === 114 && (m = SSH_REVERSE.exec(msg))) {
    fields.rhost = m[1] as string;
    core.src_ip = canonicalIp(m[2]);
    set(core, 'ssh-break-in-attempt', null);
    return true;
  }
  if (c === 65 && (m = SSH_ADDRESS_MAPS.exec(msg))) {
    core.src_ip = canonicalIp(m[1]);
    fields.rhost = m[2] as string;
    set(core, 'ssh-break-in-attempt', null);
    return true;
  }
  if ((c === 82 || c === 101) && (m = SSH_RECEIVED_DISC.exec(msg))) {
    setSource(core, fields, m[1], m[2]);
    // Reason 14 is "no more auth methods": the client gave up after failures.
    set(core, 'ssh-disconnect', m[3] === '14' || /Auth fail/i.test(m[4] ?? '') ? 'failure' : null);
    return true;
  }
  if (c === 68 && (m = SSH_DISCONNECTED.exec(msg))) {
    setUser(core, m[1] ?? m[2]);
    setSource(core, fields, m[3], m[4]);
    set(core, 'ssh-disconnect', null);
    return true;
  }
  if (c === 67 && (m = SSH_CLOSED.exec(msg))) {
    setUser(core, m[1] ?? m[2]);
    setSource(core, fields, m[3], m[4]);
    set(core, 'ssh-disconnect', null);
    return true;
  }
  if (c === 68 && (m = SSH_DISCONNECTING.exec(msg))) {
    setUser(core, m[1]);
    setSource(core, fields, m[2], m[3]);
    set(core, 'ssh-disconnect', /Too many authentication failures/.test(m[4] ?? '') ? 'failure' : null);
    const forUser = /Too many authentication failures for (\S+)/.exec(m[4] ?? '');
    if (forUser) setUser(core, forUser[1]);
    return true;
  }
  if (c === 68 && (m = SSH_NO_IDENT.exec(msg))) {
    setSource(core, fields, m[1], m[2]);
    set(core, 'ssh-no-identification', 'failure');
    return true;
  }
  if (c === 67 && (m = SSH_CONNECTION.exec(msg))) {
    setSource(core, fields, m[1], m[2]);
    core.dst_ip = canonicalIp(m[3]);
    core.dst_port = parsePort(m[4] as string);
    set(core, 'ssh-connect', null);
    return true;
  }
  if ((c === 85 || c === 102) && (m = SSH_NEGOTIATE.exec(msg))) {
    setSource(core, fields, m[1], m[2]);
    set(core, 'ssh-negotiation-failed', 'failure');
    return true;
  }
  if (c === 66 && (m = SSH_BAD_PROTO.exec(msg))) {
    setSource(core, fields, m[1], m[2]);
    set(core, 'ssh-bad-protocol', 'failure');
    return true;
  }
  if ((c === 84 || c === 102) && (m = SSH_TIMEOUT.exec(msg))) {
    setSource(core, fields, m[1], m[2]);
    set(core, 'ssh-login-failed', 'failure');
    return true;
  }
  if (c === 82 && (m = SSH_ROOT_REFUSED.exec(msg))) {
    core.user = 'root';
    setSource(core, fields, m[1], m[2]);
    set(core, 'ssh-login-failed', 'failure');
    return true;
  }
  if (c === 85 && (m = SSH_NOT_ALLOWED.exec(msg))) {
    setUser(core, m[1] ?? m[3]);
    if (m[2]) setSource(core, fields, m[2]);
    set(core, 'ssh-login-failed', 'failure');
    return true;
  }
  if (c === 67 && (m = SSH_CLOSE_SESSION.exec(msg))) {
    setUser(core, m[1]);
    setSource(core, fields, m[2], m[3]);
    set(core, 'session-close', 'success');
    return true;
  }
  if (c === 83 && (m = SSH_STARTING.exec(msg))) {
    fields.tty = m[1] as string;
    setUser(core, m[2]);
    setSource(core, fields, m[3], m[4]);
    set(core, 'session-open', 'success');
    return true;
  }
  return false;
}

// ------------------------------------------------------------------ PAM

const PAM_PREFIX = /^(pam_[a-z0-9_]+)\(([^:)]{1,64}):([a-z]{1,16})\): /;
const SESSION = /^session (opened|closed) for user (\S+?)(?:\(uid=\d+\))?(?: by (\S*?)\(uid=(\d+)\)| by (\S+))?\s*$/;

/** `logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root` -> pairs (empty values kept as ''). */
function keyValues(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function pamAuthFailure(rest: string, core: CoreFields, fields: Fields): void {
  const kv = keyValues(rest);
  setUser(core, kv.user);
  if (kv.rhost) setSource(core, fields, kv.rhost);
  if (kv.ruser) fields.by_user = kv.ruser;
  if (kv.tty) fields.tty = kv.tty;
  if (kv.uid) fields.uid = kv.uid;
  set(core, 'auth-failure', 'failure');
}

/** PAM messages any program writes; returns true when the line was one. */
function pam(msg: string, core: CoreFields, fields: Fields): boolean {
  let body = msg;
  const p = PAM_PREFIX.exec(msg);
  if (p) body = msg.slice(p[0].length);
  if (body.startsWith('authentication failure; ')) {
    pamAuthFailure(body.slice(24), core, fields);
    return true;
  }
  if (body.startsWith('session ')) {
    const m = SESSION.exec(body);
    if (m) {
      setUser(core, m[2]);
      const by = m[3] ?? m[5];
      if (by) fields.by_user = by;
      if (m[4]) fields.uid = m[4];
      set(core, m[1] === 'opened' ? 'session-open' : 'session-close', 'success');
      return true;
    }
  }
  if (body.startsWith('check pass; user unknown')) {
    set(core, 'user-unknown', 'failure');
    return true;
  }
  const more = /^(?:PAM )?(\d+) more authentication failures?; (.*)$/.exec(body);
  if (more) {
    pamAuthFailure(more[2] as string, core, fields);
    fields.repeat_count = Number(more[1]);
    return true;
  }
  if (p && p[3] === 'chauthtok') {
    const changed = /^password changed for (\S+)/.exec(body);
    if (changed) {
      setUser(core, changed[1]);
      set(core, 'password-changed', 'success');
      return true;
    }
    const missing = /^user "([^"]*)" does not exist/.exec(body);
    if (missing) {
      setUser(core, missing[1]);
      set(core, 'password-changed', 'failure');
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ sudo, su, login

function sudo(msg: string, core: CoreFields, fields: Fields): boolean {
  // "  alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls"
  // "  alice : 3 incorrect password attempts ; TTY=... ; COMMAND=..."
  const colon = msg.indexOf(' : ');
  if (colon < 0 || colon > 128) return false;
  const user = msg.slice(0, colon).trim();
  if (user.length === 0 || user.includes(' ')) return false;
  const parts = msg.slice(colon + 3).split(' ; ');
  let failure: string | null = null;
  let sawKey = false;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k] as string;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq) : '';
    if (!/^[A-Z]+$/.test(key)) {
      if (!sawKey) failure = part;
      continue;
    }
    sawKey = true;
    // COMMAND is last and may itself contain " ; ": keep the rest whole.
    const value = key === 'COMMAND' ? [part.slice(eq + 1), ...parts.slice(k + 1)].join(' ; ') : part.slice(eq + 1);
    if (key === 'TTY') fields.tty = value;
    else if (key === 'PWD') fields.pwd = value;
    else if (key === 'USER') fields.target_user = value;
    else if (key === 'COMMAND') {
      fields.command = value;
      break;
    }
  }
  if (!sawKey) return false;
  core.user = user;
  set(core, 'sudo', failure ? 'failure' : 'success');
  return true;
}

const SU_RESULT = /^(Successful|FAILED) su for (\S+) by (\S+)/;
const SU_LINE = /^([+-]) (\S+) (\S+?):(\S+)$/;

function su(msg: string, core: CoreFields, fields: Fields): boolean {
  let m = SU_RESULT.exec(msg);
  if (m) {
    fields.target_user = m[2] as string;
    fields.by_user = m[3] as string;
    core.user = m[3] as string;
    set(core, 'su', m[1] === 'Successful' ? 'success' : 'failure');
    return true;
  }
  // util-linux su: "+ /dev/pts/0 alice:root" (from:to), "-" on failure.
  if ((m = SU_LINE.exec(msg))) {
    fields.tty = m[2] as string;
    fields.by_user = m[3] as string;
    fields.target_user = m[4] as string;
    core.user = m[3] as string;
    set(core, 'su', m[1] === '+' ? 'success' : 'failure');
    return true;
  }
  const failed = /^(?:FAILED SU|authentication failure) \(to (\S+)\) (\S+) on (\S+)/.exec(msg);
  if (failed) {
    fields.target_user = failed[1] as string;
    core.user = failed[2] as string;
    fields.tty = failed[3] as string;
    set(core, 'su', 'failure');
    return true;
  }
  const ok = /^\(to (\S+)\) (\S+) on (\S+)/.exec(msg);
  if (ok) {
    fields.target_user = ok[1] as string;
    core.user = ok[2] as string;
    fields.tty = ok[3] as string;
    set(core, 'su', 'success');
    return true;
  }
  return false;
}

function login(msg: string, core: CoreFields, fields: Fields): boolean {
  const failed = /^FAILED LOGIN (?:\(\d+\) )?(?:on '?([^' ]+)'? )?(?:FROM '?([^' ]*)'? )?FOR '?([^',]+)'?, (.*)$/.exec(msg);
  if (failed) {
    if (failed[1]) fields.tty = failed[1];
    if (failed[2]) setSource(core, fields, failed[2]);
    setUser(core, failed[3]);
    set(core, 'login', 'failure');
    return true;
  }
  const root = /^ROOT LOGIN {1,2}(?:ON|on) '?([^' ]+)'?(?: (?:FROM|from) '?([^' ]+)'?)?/.exec(msg);
  if (root) {
    core.user = 'root';
    fields.tty = root[1] as string;
    if (root[2]) setSource(core, fields, root[2]);
    set(core, 'login', 'success');
    return true;
  }
  return false;
}

// ------------------------------------------------------------------ shadow-utils

/** `name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash` */
function commaPairs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(', ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function accounts(program: string, msg: string, core: CoreFields, fields: Fields): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^new user: (.*)$/.exec(msg))) {
    const kv = commaPairs(m[1] as string);
    setUser(core, kv.name);
    if (kv.UID) fields.uid = kv.UID;
    if (kv.GID) fields.gid = kv.GID;
    if (kv.home) fields.home = kv.home;
    if (kv.shell) fields.shell = kv.shell;
    set(core, 'user-created', 'success');
    return true;
  }
  if ((m = /^(?:new group|group added to \S+): (.*)$/.exec(msg))) {
    const kv = commaPairs(m[1] as string);
    if (kv.name) fields.group = kv.name;
    if (kv.GID) fields.gid = kv.GID;
    set(core, 'group-created', 'success');
    return true;
  }
  if ((m = /^failed adding user '([^']*)'/.exec(msg))) {
    setUser(core, m[1]);
    set(core, 'user-created', 'failure');
    return true;
  }
  if ((m = /^delete user '([^']*)'/.exec(msg))) {
    setUser(core, m[1]);
    set(core, 'user-deleted', 'success');
    return true;
  }
  if ((m = /^(?:removed group '([^']*)'|group '([^']*)' removed)/.exec(msg))) {
    fields.group = (m[1] ?? m[2]) as string;
    set(core, 'group-deleted', 'success');
    return true;
  }
  if ((m = /^add '([^']*)' to (?:shadow )?group '([^']*)'/.exec(msg)) || (m = /^user (\S+) added by \S+ to group (\S+)/.exec(msg))) {
    setUser(core, m[1]);
    fields.group = m[2] as string;
    set(core, 'group-member-added', 'success');
    return true;
  }
  if (/^(?:change user|lock user|unlock user)/.test(msg)) {
    const who = /'([^']*)'/.exec(msg);
    if (who) setUser(core, who[1]);
    set(core, 'user-modified', 'success');
    return true;
  }
  if (program === 'passwd' || program === 'chpasswd' || program === 'chage') {
    if ((m = /^password (?:for '([^']*)' )?changed(?: for (\S+))?/.exec(msg))) {
      setUser(core, m[1] ?? m[2]);
      set(core, 'password-changed', 'success');
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ systemd-logind, cron

function logind(msg: string, core: CoreFields, fields: Fields): boolean {
  let m = /^New session (\S+) of user (\S+?)\.?$/.exec(msg);
  if (m) {
    fields.session_id = m[1] as string;
    setUser(core, m[2]);
    set(core, 'session-open', 'success');
    return true;
  }
  if ((m = /^(?:Removed session (\S+?)\.?|Session (\S+) logged out\..*)$/.exec(msg))) {
    fields.session_id = (m[1] ?? m[2]) as string;
    set(core, 'session-close', 'success');
    return true;
  }
  return false;
}

function cron(msg: string, core: CoreFields, fields: Fields): boolean {
  const m = /^\((\S+)\) CMD \((.*)\)$/.exec(msg);
  if (!m) return false;
  setUser(core, m[1]);
  fields.command = m[2] as string;
  set(core, 'cron-command', null);
  return true;
}

// ------------------------------------------------------------------ fallback

/**
 * For the many daemons we have no rule for (ftpd, dovecot, postfix, ...), the
 * peer is still worth a column: the first `from <ip>` or `rhost=<ip>`.
 */
function fallbackSource(msg: string, core: CoreFields): void {
  let at = msg.indexOf('rhost=');
  let start = at >= 0 ? at + 6 : -1;
  if (start < 0) {
    at = msg.indexOf(' from ');
    start = at >= 0 ? at + 6 : -1;
  }
  if (start < 0) return;
  let end = start;
  const n = Math.min(msg.length, start + 64);
  while (end < n) {
    const c = msg.charCodeAt(end);
    if (c === 32 || c === 44 || c === 59 || c === 41 || c === 40 || c === 34 || c === 39) break;
    end++;
  }
  let tok = msg.slice(start, end);
  if (tok.charCodeAt(0) === 91 && tok.endsWith(']')) tok = tok.slice(1, -1);
  if (tok.endsWith('.') || tok.endsWith(':')) tok = tok.slice(0, -1);
  let ip = canonicalIp(tok);
  if (ip === null) {
    // 1.2.3.4:5678 or 1.2.3.4#53 (named)
    const sep = Math.max(tok.lastIndexOf(':'), tok.lastIndexOf('#'));
    if (sep > 0 && tok.indexOf(':') === tok.lastIndexOf(':')) {
      ip = canonicalIp(tok.slice(0, sep));
      if (ip) core.src_port = parsePort(tok.slice(sep + 1));
    }
  }
  if (ip) core.src_ip = ip;
}

/**
 * Fills core (and auth fields) from one syslog message. `program` is the base
 * program name (`sshd`, not `sshd(pam_unix)`). True when the message had an
 * auth meaning (so a PAM line from cron or systemd also counts as linux.auth).
 */
export function analyseAuth(program: string, message: string, core: CoreFields, fields: Fields): boolean {
  const msg = message.length > MAX_ANALYSED ? message.slice(0, MAX_ANALYSED) : message;
  let done = false;
  switch (program) {
    case 'sshd':
    case 'sshd-session':
      done = sshd(msg, core, fields) || pam(msg, core, fields);
      break;
    case 'sudo':
      done = sudo(msg, core, fields) || pam(msg, core, fields);
      break;
    case 'su':
      done = su(msg, core, fields) || pam(msg, core, fields);
      break;
    case 'login':
      done = login(msg, core, fields) || pam(msg, core, fields);
      break;
    case 'useradd':
    case 'userdel':
    case 'usermod':
    case 'groupadd':
    case 'groupdel':
    case 'groupmod':
    case 'gpasswd':
    case 'passwd':
    case 'chpasswd':
    case 'chage':
    case 'newusers':
      done = accounts(program, msg, core, fields) || pam(msg, core, fields);
      break;
    case 'systemd-logind':
      done = logind(msg, core, fields);
      break;
    case 'CRON':
    case 'cron':
    case 'crond':
      // CMD lines go to syslog, cron's PAM session lines to auth.log.
      if (!cron(msg, core, fields)) done = pam(msg, core, fields);
      break;
    default:
      // pam_unix lines from any service (vsftpd, systemd, gdm, "(pam_unix) ..." prefixes).
      if (msg.charCodeAt(0) === 112 /* p */ || msg.startsWith('authentication failure') || msg.startsWith('session ') || msg.startsWith('check pass')) {
        done = pam(msg, core, fields);
      } else if (msg.startsWith('(pam_unix) ')) {
        done = pam(msg.slice(11), core, fields);
      }
      break;
  }
  if (core.src_ip === null) fallbackSource(msg, core);
  return done;
}
