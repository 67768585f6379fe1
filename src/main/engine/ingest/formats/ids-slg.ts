import type { Severity } from '@shared/events';
import { canonicalIp, splitHostPort } from './net';
import { parseTimestamp, type TimeZoneSpec } from './time';
import { emptyCore, quoteForReason, type Fields, type LineParser, type LineResult, type ParseResult, type ParsedRecord } from './types';
import { httpOutcome } from './web-access';

/**
 * The three logs of the Security Log Generator (cruikshank25), written by
 * Python's logging module in local time (pass the analyst's `tz`):
 *
 * ids-slg (IDS and the older "security" logger):
 *   `2023-01-01 12:00:00,123 - ids_logger_1 - low_severity - TCP - 1.2.3.4:1234 --> 5.6.7.8:80 - SYN - Port scanning`
 *   fields: timestamp, logger, severity, protocol, source, destination, flag, attack_type
 *
 * slg-access:
 *   `[2023-07-23 21:03:47,072] - access_logger_1 - 1.2.3.4 - david "GET a/b HTTP/1.1 202 90178 http://referrer" "agent"`
 *   fields: timestamp, logger, c-ip, cs-username, request, cs-method, cs-uri, cs-uri-stem,
 *   cs-uri-query, cs-version, sc-status, sc-bytes, cs-referer, cs-user-agent
 *
 * slg-endpoint: multi-line `Key: Value` records opened by a `Date:` line; the
 * fields are the keys as written (Date, Event Type, Scan Type, User, Computer,
 * File Name, File Path, File Hash, Threat Name, Action Taken, ...).
 */
export const IDS_SLG_FIELDS = ['timestamp', 'logger', 'severity', 'protocol', 'source', 'destination', 'flag', 'attack_type'] as const;
export const SLG_ACCESS_FIELDS = [
  'timestamp',
  'logger',
  'c-ip',
  'cs-username',
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
] as const;

/** `low_severity` .. `critical_severity` (the generator's four levels) to the Sigma scale. */
export function slgSeverity(s: string): Severity | null {
  const base = s.endsWith('_severity') ? s.slice(0, -9) : s;
  switch (base.toLowerCase()) {
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    case 'high':
      return 'high';
    case 'critical':
      return 'critical';
    case 'info':
    case 'informational':
      return 'informational';
    default:
      return null;
  }
}

export interface SlgOptions {
  tz?: TimeZoneSpec;
}

export function parseIdsSlgLine(line: string, opts: SlgOptions = {}): ParseResult {
  const parts = line.split(' - ', 8);
  if (parts.length < 7) {
    return { error: `not a Security Log Generator IDS line (expected 7 " - "-separated parts: time, logger, severity, protocol, flow, flag, attack): ${quoteForReason(line)}` };
  }
  const [timeText, logger, sevText, proto, flow, flag] = parts as [string, string, string, string, string, string];
  // The attack name is the rest of the line, whatever it contains.
  const headLen = timeText.length + logger.length + sevText.length + proto.length + flow.length + flag.length + 6 * 3;
  const attack = line.slice(headLen);
  const arrow = flow.indexOf(' --> ');
  if (arrow < 0) return { error: `IDS flow ${quoteForReason(flow)} is not "src:port --> dst:port"` };
  const srcText = flow.slice(0, arrow);
  const dstText = flow.slice(arrow + 5);
  const src = splitHostPort(srcText);
  const dst = splitHostPort(dstText);
  const fields: Fields = {
    timestamp: timeText,
    logger,
    severity: sevText,
    protocol: proto,
    source: srcText,
    destination: dstText,
    flag,
    attack_type: attack,
  };
  const core = emptyCore('ids');
  core.ts = parseTimestamp(timeText, { tz: opts.tz });
  core.severity = slgSeverity(sevText);
  core.protocol = proto.toLowerCase();
  core.src_ip = src.ip;
  core.src_port = src.port;
  core.dst_ip = dst.ip;
  core.dst_port = dst.port;
  core.event_code = attack;
  core.action = 'alert';
  core.process = logger;
  core.message = `${attack} (${proto} ${flag})`;
  const out: ParseResult = { fields, core };
  if (core.ts === null) out.warnings = [`IDS time ${quoteForReason(timeText)} did not parse`];
  return out;
}

export function parseSlgAccessLine(line: string, opts: SlgOptions = {}): ParseResult {
  if (line.charCodeAt(0) !== 91) return { error: `not a Security Log Generator access line (expected "[time] - logger - ip - user \\"request\\""): ${quoteForReason(line)}` };
  const close = line.indexOf('] - ');
  if (close < 0 || close > 40) return { error: `access line time is not closed with "] - ": ${quoteForReason(line)}` };
  const timeText = line.slice(1, close);
  const rest = line.slice(close + 4);
  const p1 = rest.indexOf(' - ');
  const p2 = p1 < 0 ? -1 : rest.indexOf(' - ', p1 + 3);
  const q1 = rest.indexOf(' "');
  if (p1 < 0 || p2 < 0 || q1 < p2) return { error: `access line is not "logger - ip - user \\"request\\"": ${quoteForReason(line)}` };
  const logger = rest.slice(0, p1);
  const ip = rest.slice(p1 + 3, p2);
  const user = rest.slice(p2 + 3, q1);
  const q2 = rest.indexOf('"', q1 + 2);
  if (q2 < 0) return { error: 'access line request is not closed with a quote' };
  const request = rest.slice(q1 + 2, q2);
  const after = rest.slice(q2 + 1).trim();
  const agent = after.startsWith('"') && after.endsWith('"') && after.length >= 2 ? after.slice(1, -1) : after || null;
  // Inside the quotes: METHOD TARGET VERSION STATUS BYTES REFERRER (the referrer may contain spaces).
  const m = /^(\S+) (\S+) (\S+) (\d{3}) (\d{1,15}|-) ?(.*)$/.exec(request);
  const fields: Fields = { timestamp: timeText, logger, 'c-ip': ip, 'cs-username': user || null, request };
  if (m) {
    const target = m[2] as string;
    const q = target.indexOf('?');
    fields['cs-method'] = m[1] as string;
    fields['cs-uri'] = target;
    fields['cs-uri-stem'] = q >= 0 ? target.slice(0, q) : target;
    fields['cs-uri-query'] = q >= 0 ? target.slice(q + 1) : null;
    fields['cs-version'] = m[3] as string;
    fields['sc-status'] = Number(m[4]);
    fields['sc-bytes'] = m[5] === '-' ? null : Number(m[5]);
    fields['cs-referer'] = m[6] || null;
  } else {
    return { error: `access line request ${quoteForReason(request)} is not "METHOD TARGET VERSION STATUS BYTES REFERRER"` };
  }
  fields['cs-user-agent'] = agent;
  const core = emptyCore('web.access');
  core.ts = parseTimestamp(timeText, { tz: opts.tz });
  core.src_ip = canonicalIp(ip);
  core.user = user || null;
  const status = fields['sc-status'] as number;
  core.event_code = String(status);
  core.outcome = httpOutcome(status);
  core.protocol = 'http';
  core.action = 'http-request';
  core.process = logger;
  core.message = `${fields['cs-method'] as string} ${fields['cs-uri'] as string} ${status}`;
  const out: ParseResult = { fields, core };
  if (core.ts === null) out.warnings = [`access time ${quoteForReason(timeText)} did not parse`];
  return out;
}

const MAX_RECORD_LINES = 64;

function endpointSeverity(eventType: string): Severity {
  const t = eventType.toLowerCase();
  if (t.includes('malware detected') || t.includes('threat')) return 'high';
  if (t.includes('disabled') || t.includes('exception')) return 'medium';
  return 'informational';
}

/** Multi-line endpoint records: each `Date:` line opens a record, the next one (or the end) closes it. */
export class SlgEndpointParser implements LineParser {
  readonly format = 'slg-endpoint' as const;
  private fields: Fields | null = null;
  private lines: string[] = [];
  private startLine = 0;
  private readonly tz: TimeZoneSpec;

  constructor(opts: SlgOptions = {}) {
    this.tz = opts.tz ?? 'UTC';
  }

  line(text: string, lineNo: number): LineResult {
    const t = text.trimEnd();
    if (t.length === 0) return { skip: 'blank line' };
    const colon = t.indexOf(': ');
    const key = colon > 0 && colon <= 40 ? t.slice(0, colon) : t.endsWith(':') && t.length <= 41 ? t.slice(0, -1) : null;
    if (key === null || !/^[A-Za-z][A-Za-z /_-]*$/.test(key)) {
      return { error: `endpoint log line is not "Key: Value": ${quoteForReason(t)}` };
    }
    const value = colon > 0 ? t.slice(colon + 2) : '';
    if (key === 'Date') {
      const done = this.flush();
      this.fields = { Date: value };
      this.lines = [t];
      this.startLine = lineNo;
      return done ?? { skip: 'endpoint record opened' };
    }
    if (this.fields === null) return { error: `endpoint log line before any "Date:" line: ${quoteForReason(t)}` };
    if (this.lines.length >= MAX_RECORD_LINES) return { error: `endpoint record longer than ${MAX_RECORD_LINES} lines: line dropped` };
    this.fields[key] = value;
    this.lines.push(t);
    return { skip: 'endpoint record continues' };
  }

  end(): LineResult[] {
    const r = this.flush();
    return r ? [r] : [];
  }

  private flush(): ParsedRecord | null {
    const fields = this.fields;
    if (fields === null) return null;
    this.fields = null;
    const core = emptyCore('endpoint');
    const date = fields.Date as string;
    core.ts = parseTimestamp(date, { tz: this.tz });
    const eventType = (fields['Event Type'] as string | undefined) ?? '';
    core.event_code = eventType || null;
    core.action = eventType ? eventType.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') : null;
    core.severity = eventType ? endpointSeverity(eventType) : null;
    core.user = (fields.User as string | undefined) ?? null;
    core.host = (fields.Computer as string | undefined) ?? null;
    core.process = ((fields['File Name'] ?? fields['File/Process']) as string | undefined) ?? null;
    const detail = [fields['Threat Name'], fields['File Path'] ?? fields['File/Process'], fields['Action Taken'] ?? fields.Reason, fields['Scan Type'], fields['Update Type']]
      .filter((v): v is string => typeof v === 'string' && v.length > 0)
      .join(', ');
    core.message = detail ? `${eventType}: ${detail}` : eventType;
    const rec: ParsedRecord = { fields, core, pos: this.startLine, raw: this.lines.join('\n') };
    if (core.ts === null) rec.warnings = [`endpoint Date ${quoteForReason(date)} did not parse`];
    this.lines = [];
    return rec;
  }
}
