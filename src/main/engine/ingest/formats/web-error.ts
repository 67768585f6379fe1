import type { Severity } from '@shared/events';
import { canonicalIp, splitHostPort } from './net';
import { parseTimestamp, type TimeZoneSpec } from './time';
import { emptyCore, quoteForReason, type Fields, type ParseResult } from './types';
import { readQuoted } from './web-access';

/**
 * Web server error logs:
 *   Apache 2.2  `[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] message`
 *   Apache 2.4  `[Thu Jun 27 11:55:44.569531 2013] [core:info] [pid 4101:tid 29926] [client 192.0.2.12:46652] AH00128: message`
 *   nginx       `2012/04/09 11:53:29 [error] 2865#0: *66647 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"`
 * Both write local time without a zone: the analyst's zone applies (default UTC).
 *
 * Fields: time, module, level, pid, tid, client, error_code (Apache AH code),
 * connection (nginx *N), message, and nginx's trailing pairs server, request,
 * upstream, host, referrer.
 */
export const WEB_ERROR_FIELDS = ['time', 'module', 'level', 'pid', 'tid', 'client', 'error_code', 'connection', 'message', 'server', 'request', 'upstream', 'host', 'referrer'] as const;

/** Apache / nginx LogLevel to the Sigma scale (same steps as syslog severities). */
export function webErrorSeverity(level: string | null): Severity | null {
  switch (level) {
    case 'emerg':
    case 'alert':
    case 'crit':
      return 'critical';
    case 'error':
      return 'high';
    case 'warn':
      return 'medium';
    case 'notice':
      return 'low';
    case 'info':
    case 'debug':
      return 'informational';
    default:
      return level !== null && level.startsWith('trace') ? 'informational' : null;
  }
}

export interface WebErrorOptions {
  tz?: TimeZoneSpec;
}

function base(fields: Fields, timeText: string, tz: TimeZoneSpec | undefined, process: string): ParseResult {
  const core = emptyCore('web.error');
  core.ts = parseTimestamp(timeText, { tz });
  const level = fields.level as string | null;
  core.severity = webErrorSeverity(level);
  core.event_code = (fields.error_code as string | null) ?? level;
  core.process = process;
  core.action = 'web-error';
  core.message = fields.message as string;
  const client = fields.client as string | null;
  if (client) {
    const hp = splitHostPort(client);
    core.src_ip = hp.ip;
    core.src_port = hp.port;
  }
  const out: ParseResult = { fields, core };
  if (core.ts === null) out.warnings = [`error log time ${quoteForReason(timeText)} did not parse`];
  return out;
}

/** `[level]` or `[module:level]` with one of Apache's LogLevel names. */
const APACHE_LEVEL = /^(?:[a-z_0-9]{0,32}:)?(?:emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])$/;

function parseApache(line: string, tz: TimeZoneSpec | undefined): ParseResult {
  const close = line.indexOf(']');
  if (close < 0 || close > 64) return { error: `Apache error log time is not closed with "]": ${quoteForReason(line)}` };
  const timeText = line.slice(1, close);
  const fields: Fields = { time: timeText, module: null, level: null, pid: null, tid: null, client: null, error_code: null, message: '' };
  let i = close + 1;
  // Bracketed groups: [module:level] or [level], [pid N:tid M], [client ip:port].
  for (let k = 0; k < 6; k++) {
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) !== 91) break;
    const end = line.indexOf(']', i);
    if (end < 0 || end - i > 256) break;
    const inner = line.slice(i + 1, end);
    if (inner.startsWith('pid ')) {
      const m = /^pid (\d+)(?::tid (\d+))?/.exec(inner);
      if (m) {
        fields.pid = m[1] as string;
        fields.tid = m[2] ?? null;
      }
    } else if (inner.startsWith('client ')) {
      fields.client = inner.slice(7);
    } else if (fields.level === null && APACHE_LEVEL.test(inner)) {
      const colon = inner.indexOf(':');
      fields.module = colon >= 0 ? inner.slice(0, colon) || null : null;
      fields.level = colon >= 0 ? inner.slice(colon + 1) : inner;
    } else {
      break;
    }
    i = end + 1;
  }
  while (line.charCodeAt(i) === 32) i++;
  let message = line.slice(i);
  const code = /^(AH\d{5}): /.exec(message);
  if (code) {
    fields.error_code = code[1] as string;
    message = message.slice(code[0].length);
  }
  fields.message = message;
  if (fields.level === null) return { error: `Apache error log line has no [level] after the time: ${quoteForReason(line)}` };
  return base(fields, timeText, tz, 'apache');
}

const NGINX_HEAD = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}) \[([a-z]+)\] (\d+)#(\d+): (?:\*(\d+) )?/;
const NGINX_TAIL_KEYS = ['client', 'server', 'request', 'upstream', 'host', 'referrer'];

function parseNginx(line: string, tz: TimeZoneSpec | undefined): ParseResult {
  const m = NGINX_HEAD.exec(line);
  if (!m) return { error: `nginx error log line does not start with "yyyy/mm/dd hh:mm:ss [level] pid#tid:": ${quoteForReason(line)}` };
  const fields: Fields = {
    time: m[1] as string,
    module: null,
    level: m[2] as string,
    pid: m[3] as string,
    tid: m[4] as string,
    client: null,
    error_code: null,
    connection: m[5] ?? null,
    message: '',
    server: null,
    request: null,
    upstream: null,
    host: null,
    referrer: null,
  };
  let rest = line.slice(m[0].length);
  // Trailing ", key: value" pairs, values quoted or bare; peel them from the end.
  const firstKey = rest.search(/, (client|server|request|upstream|host|referrer): /);
  if (firstKey >= 0) {
    const tail = rest.slice(firstKey);
    rest = rest.slice(0, firstKey);
    let i = 0;
    while (i < tail.length) {
      const km = /^, ([a-z_]+): /.exec(tail.slice(i, i + 40));
      if (!km) break;
      const key = km[1] as string;
      i += km[0].length;
      let value: string;
      if (tail.charCodeAt(i) === 34) {
        const q = readQuoted(tail, i);
        if (!q) break;
        value = q.value;
        i = q.end;
      } else {
        let e = tail.indexOf(', ', i);
        if (e < 0) e = tail.length;
        value = tail.slice(i, e);
        i = e;
      }
      if (NGINX_TAIL_KEYS.includes(key)) fields[key] = value;
    }
  }
  fields.message = rest;
  const out = base(fields, fields.time as string, tz, 'nginx');
  if ('core' in out && out.core.src_ip === null && fields.client) out.core.src_ip = canonicalIp(fields.client as string);
  return out;
}

export function parseWebErrorLine(line: string, opts: WebErrorOptions = {}): ParseResult {
  if (line.charCodeAt(0) === 91) return parseApache(line, opts.tz);
  if (line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) return parseNginx(line, opts.tz);
  return { error: `not an Apache or nginx error log line: ${quoteForReason(line)}` };
}
