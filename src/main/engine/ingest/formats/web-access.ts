import type { CoreFields } from '@shared/events';
import { canonicalIp } from './net';
import { parseTimestamp, type TimeZoneSpec } from './time';
import { emptyCore, quoteForReason, type Fields, type ParseResult } from './types';

/**
 * Apache / nginx access logs in the common and combined formats (and the
 * variants that append fields after the user agent, such as nginx's
 * X-Forwarded-For or Traefik's router and duration):
 *
 *   host ident user [10/Oct/2000:13:55:36 -0700] "GET /a?b=1 HTTP/1.1" 200 2326 "referer" "agent" ...
 *
 * These formats have no field names of their own, so the fields take the W3C
 * names Sigma's webserver rules use (cs-method, cs-uri-query, sc-status ...),
 * which lets those rules run on Apache logs unchanged:
 *   c-ip, ident, cs-username, time (as written), request (the quoted line),
 *   cs-method, cs-uri (target as written), cs-uri-stem (path), cs-uri-query
 *   (after "?", without it), cs-version, sc-status, sc-bytes, cs-referer,
 *   cs-user-agent, extra (anything after the user agent, as written).
 */
export const WEB_ACCESS_FIELDS = [
  'c-ip',
  'ident',
  'cs-username',
  'time',
  'request',
  'cs-method',
  'cs-uri',
  'cs-uri-stem',
  'cs-uri-query',
  'cs-version',
  'sc-status',
  'sc-bytes',
  'cs-referer',
  'cs-user-agent',
  'extra',
] as const;

/** A quoted field starting at `i` (on the quote); Apache escapes `"` as `\"`. Returns the value and the index after the closing quote. */
export function readQuoted(line: string, i: number): { value: string; end: number } | null {
  if (line.charCodeAt(i) !== 34) return null;
  let j = i + 1;
  let hasEscape = false;
  const n = line.length;
  while (j < n) {
    const c = line.charCodeAt(j);
    if (c === 92) {
      hasEscape = true;
      j += 2;
      continue;
    }
    if (c === 34) break;
    j++;
  }
  if (j >= n) return null;
  const raw = line.slice(i + 1, j);
  return { value: hasEscape ? raw.replace(/\\(["\\])/g, '$1') : raw, end: j + 1 };
}

function dash(v: string): string | null {
  return v === '-' || v === '' ? null : v;
}

/** HTTP status class to outcome: 1xx-3xx worked, 4xx-5xx did not. */
export function httpOutcome(status: number | null): CoreFields['outcome'] {
  if (status === null) return null;
  return status >= 400 ? 'failure' : status >= 100 ? 'success' : null;
}

/** "GET /a/b?x=1 HTTP/1.1" into method, target, path, query, version (fields stay null for a non-HTTP request line). */
export function splitRequestLine(request: string, fields: Fields): void {
  fields['cs-method'] = null;
  fields['cs-uri'] = null;
  fields['cs-uri-stem'] = null;
  fields['cs-uri-query'] = null;
  fields['cs-version'] = null;
  const sp1 = request.indexOf(' ');
  if (sp1 <= 0 || sp1 > 32) return;
  const method = request.slice(0, sp1);
  if (!/^[A-Za-z_-]+$/.test(method)) return;
  const sp2 = request.lastIndexOf(' ');
  let target: string;
  if (sp2 > sp1 && request.startsWith('HTTP/', sp2 + 1)) {
    target = request.slice(sp1 + 1, sp2);
    fields['cs-version'] = request.slice(sp2 + 1);
  } else {
    target = request.slice(sp1 + 1);
  }
  fields['cs-method'] = method;
  fields['cs-uri'] = target;
  const q = target.indexOf('?');
  fields['cs-uri-stem'] = q >= 0 ? target.slice(0, q) : target;
  fields['cs-uri-query'] = q >= 0 ? target.slice(q + 1) : null;
}

export interface WebAccessOptions {
  /** Zone for timestamps written without an offset (rare in access logs). */
  tz?: TimeZoneSpec;
}

export function parseWebAccessLine(line: string, opts: WebAccessOptions = {}): ParseResult {
  const sp = line.indexOf(' ');
  const open = line.indexOf(' [');
  if (sp <= 0 || open < 0 || open > 512) {
    return { error: `not an access log line (expected "host ident user [time] \\"request\\" status bytes"): ${quoteForReason(line)}` };
  }
  const host = line.slice(0, sp);
  const middle = line.slice(sp + 1, open).trim();
  let ident: string | null = null;
  let user: string | null = null;
  const parts = middle.length > 0 ? middle.split(/ +/) : [];
  if (parts.length === 2) {
    ident = dash(parts[0] as string);
    user = dash(parts[1] as string);
  } else if (parts.length === 1) {
    user = dash(parts[0] as string);
  } else if (parts.length > 2) {
    ident = dash(parts[0] as string);
    user = dash(parts.slice(1).join(' '));
  }
  const close = line.indexOf(']', open + 2);
  if (close < 0 || close - open > 64) return { error: `access log time is not closed with "]": ${quoteForReason(line)}` };
  const timeText = line.slice(open + 2, close);
  let i = close + 1;
  while (line.charCodeAt(i) === 32) i++;
  const req = readQuoted(line, i);
  if (!req) return { error: `access log request is not a quoted string after the time: ${quoteForReason(line.slice(i))}` };
  i = req.end;
  while (line.charCodeAt(i) === 32) i++;
  let end = line.indexOf(' ', i);
  if (end < 0) end = line.length;
  const statusText = line.slice(i, end);
  const status = /^\d{3}$/.test(statusText) ? Number(statusText) : null;
  if (status === null) return { error: `access log status ${quoteForReason(statusText)} is not a 3-digit HTTP status` };
  i = end;
  while (line.charCodeAt(i) === 32) i++;
  end = line.indexOf(' ', i);
  if (end < 0) end = line.length;
  const bytesText = line.slice(i, end);
  const bytes = /^\d{1,15}$/.test(bytesText) ? Number(bytesText) : null;
  if (bytes === null && bytesText !== '-' && bytesText !== '') {
    return { error: `access log size ${quoteForReason(bytesText)} is neither a number nor "-"` };
  }
  i = end;
  while (line.charCodeAt(i) === 32) i++;
  let referer: string | null = null;
  let agent: string | null = null;
  const ref = readQuoted(line, i);
  if (ref) {
    referer = dash(ref.value);
    i = ref.end;
    while (line.charCodeAt(i) === 32) i++;
    const ag = readQuoted(line, i);
    if (ag) {
      agent = dash(ag.value);
      i = ag.end;
      while (line.charCodeAt(i) === 32) i++;
    }
  }
  const extra = i < line.length ? line.slice(i) : null;

  const fields: Fields = {
    'c-ip': host,
    ident,
    'cs-username': user,
    time: timeText,
    request: req.value,
  };
  splitRequestLine(req.value, fields);
  fields['sc-status'] = status;
  fields['sc-bytes'] = bytes;
  fields['cs-referer'] = referer;
  fields['cs-user-agent'] = agent;
  fields.extra = extra;

  const core = emptyCore('web.access');
  core.ts = parseTimestamp(timeText, { tz: opts.tz });
  core.src_ip = canonicalIp(host);
  core.user = user;
  core.event_code = String(status);
  core.protocol = 'http';
  core.action = 'http-request';
  core.outcome = httpOutcome(status);
  core.message = `${req.value} ${status}`;
  const out: ParseResult = { fields, core };
  if (core.ts === null) out.warnings = [`access log time ${quoteForReason(timeText)} did not parse`];
  return out;
}
