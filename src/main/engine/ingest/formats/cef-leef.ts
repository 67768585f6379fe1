import type { CoreFields, Severity } from '@shared/events';
import { canonicalIp, parsePort } from './net';
import { readSyslogPrefix, SyslogClock, type SyslogOptions } from './syslog';
import { epochToIso, parseTimestamp, type TimeZoneSpec } from './time';
import { emptyCore, quoteForReason, RowRecord, type FieldValue, type Fields, type ParseResult } from './types';

/**
 * ArcSight CEF and IBM QRadar LEEF, bare or behind a syslog header.
 *
 * CEF: `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`
 *   header fields escape `|` and `\` with a backslash; the extension is
 *   `key=value` pairs separated by spaces, values may hold spaces, `=` and `\`
 *   are escaped in values, `\n` / `\r` are newlines.
 *   Fields: cef_version, device_vendor, device_product, device_version,
 *   signature_id, name, cef_severity, then every extension key as written
 *   (src, dst, spt, dpt, suser, act, outcome, rt, msg, ...), and
 *   syslog_timestamp / syslog_host when a syslog header precedes it.
 *
 * LEEF 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|attr=v<TAB>attr=v...`
 * LEEF 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|DelimiterChar|attrs` (delimiter
 *   as a character, `^`, or hex `x09` / `0x09`; tab when empty).
 *   Fields: leef_version, vendor, product, product_version, event_id,
 *   delimiter (2.0), then every attribute as written (src, dst, srcPort,
 *   dstPort, usrName, sev, devTime, cat, proto, ...).
 */

/** Splits `count` pipe-delimited header fields from `start`; returns them and where the rest begins. */
function splitHeader(line: string, start: number, count: number): { parts: string[]; rest: number } | null {
  const parts: string[] = [];
  let i = start;
  let cur = '';
  let seg = i;
  const n = line.length;
  while (parts.length < count) {
    if (i >= n) return null;
    const c = line.charCodeAt(i);
    if (c === 92 && i + 1 < n) {
      const e = line.charCodeAt(i + 1);
      if (e === 124 || e === 92) {
        cur += line.slice(seg, i);
        seg = i + 1;
        i += 2;
        continue;
      }
    }
    if (c === 124) {
      parts.push(cur + line.slice(seg, i));
      cur = '';
      i++;
      seg = i;
      continue;
    }
    i++;
  }
  return { parts, rest: i };
}

function isKeyChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45 || c === 91 || c === 93;
}

function unescapeCefValue(v: string): string {
  if (v.indexOf('\\') < 0) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\' && i + 1 < v.length) {
      const e = v[i + 1] as string;
      out += e === 'n' ? '\n' : e === 'r' ? '\r' : e;
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

const MAX_KEY = 64;
const CEF_HEADER_KEYS = new Set(['cef_version', 'device_vendor', 'device_product', 'device_version', 'signature_id', 'name', 'cef_severity', 'syslog_timestamp', 'syslog_host']);

/**
 * CEF extension: a key starts after a space (or at the start), runs over key
 * characters and ends at an unescaped `=`; its value runs to the space before
 * the next key. An `=` not preceded by a valid key (a URL query string) stays
 * part of the value.
 */
export function parseCefExtension(ext: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const n = ext.length;
  let prevKey: string | null = null;
  let prevValueStart = 0;
  // Jump from "=" to "=" (indexOf) instead of visiting every character.
  for (let i = ext.indexOf('='); i >= 0; i = ext.indexOf('=', i + 1)) {
    let b = i - 1;
    while (b >= 0 && ext.charCodeAt(b) === 92) b--;
    if ((i - 1 - b) % 2 === 1) continue; // escaped: \=
    let k = i - 1;
    const stop = Math.max(-1, i - 1 - MAX_KEY);
    while (k > stop && isKeyChar(ext.charCodeAt(k))) k--;
    const keyStart = k + 1;
    if (keyStart === i) continue;
    if (k >= 0 && ext.charCodeAt(k) !== 32) continue;
    if (prevKey !== null) out.push([prevKey, unescapeCefValue(ext.slice(prevValueStart, Math.max(prevValueStart, keyStart - 1)).trimEnd())]);
    prevKey = ext.slice(keyStart, i);
    prevValueStart = i + 1;
  }
  if (prevKey !== null) out.push([prevKey, unescapeCefValue(ext.slice(prevValueStart, n).trimEnd())]);
  return out;
}

/** CEF severity 0-10 (or Low/Medium/High/Very-High) to the Sigma scale, as ArcSight bands it. */
export function cefSeverity(s: string | null | undefined): Severity | null {
  if (s === null || s === undefined || s === '') return null;
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    if (n <= 3) return 'low';
    if (n <= 6) return 'medium';
    if (n <= 8) return 'high';
    if (n <= 10) return 'critical';
    return null;
  }
  switch (s.toLowerCase()) {
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    case 'high':
      return 'high';
    case 'very-high':
    case 'veryhigh':
    case 'very high':
      return 'critical';
    default:
      return null;
  }
}

function outcomeOf(v: string | null | undefined): CoreFields['outcome'] {
  if (!v) return null;
  const s = v.toLowerCase().replace(/^\//, '');
  if (s === 'success' || s === 'succeeded' || s === 'allow' || s === 'allowed') return 'success';
  if (s === 'failure' || s === 'failed' || s === 'fail' || s === 'deny' || s === 'denied' || s === 'blocked') return 'failure';
  return null;
}

/** CEF/LEEF time values: epoch ms (ArcSight's usual), epoch seconds, or a date text. */
function timeOf(v: string | null | undefined, tz: TimeZoneSpec): string | null {
  if (!v) return null;
  if (/^\d{13}$/.test(v)) return epochToIso(v, 'ms');
  if (/^\d{10}(\.\d+)?$/.test(v)) return epochToIso(v, 's');
  // "Sep 19 2023 08:26:10", "Sep 19 2023 08:26:10.123 UTC", ISO
  const trimmed = v.replace(/ (UTC|GMT|Z)$/, '');
  return parseTimestamp(trimmed, { tz: v.length > trimmed.length ? 'UTC' : tz });
}

export interface CefLeefOptions extends SyslogOptions {
  tz?: TimeZoneSpec;
}

function nonEmpty(v: string | undefined): string | null {
  return v !== undefined && v.length > 0 ? v : null;
}

/** Holds the syslog clock so a prefixed file infers its year once. */
export class CefLeefParser {
  private readonly clock: SyslogClock;
  private readonly tz: TimeZoneSpec;

  constructor(opts: CefLeefOptions = {}) {
    this.clock = new SyslogClock(opts);
    this.tz = opts.tz ?? 'UTC';
  }

  private prefix(line: string, at: number): { timestamp: string | null; ts: string | null; host: string | null } {
    if (at === 0) return { timestamp: null, ts: null, host: null };
    return readSyslogPrefix(line.slice(0, Math.min(at, 512)), this.clock) ?? { timestamp: null, ts: null, host: null };
  }

  parseCef(line: string): ParseResult {
    const at = line.indexOf('CEF:');
    if (at < 0 || at > 512) return { error: `no "CEF:" header in the line: ${quoteForReason(line)}` };
    const head = splitHeader(line, at + 4, 7);
    if (!head) return { error: `CEF header needs 7 "|"-separated fields after "CEF:": ${quoteForReason(line.slice(at))}` };
    const [ver, vendor, product, version, sigId, name, sev] = head.parts as [string, string, string, string, string, string, string];
    // Values in column order with `fields` built lazily (RowRecord): a CEF
    // record has 20-40 keys, and a keyed object that size was most of the cost.
    const cols: string[] = ['cef_version', 'device_vendor', 'device_product', 'device_version', 'signature_id', 'name', 'cef_severity'];
    const vals: FieldValue[] = [/^\d+$/.test(ver) ? Number(ver) : ver, vendor, product, version, sigId, name, sev];
    const pre = this.prefix(line, at);
    if (at > 0) {
      cols.push('syslog_timestamp', 'syslog_host');
      vals.push(pre.timestamp, pre.host);
    }
    const byKey = new Map<string, string>();
    for (const [k, v] of parseCefExtension(line.slice(head.rest))) {
      // Extension keys never overwrite the header fields (a key named "name" stays the header's); the first of a repeated key wins.
      if (CEF_HEADER_KEYS.has(k) || byKey.has(k)) continue;
      byKey.set(k, v);
      cols.push(k);
      vals.push(v);
    }
    const get = (k: string): string | null => nonEmpty(byKey.get(k));
    const core = emptyCore('cef');
    core.ts = timeOf(get('rt'), this.tz) ?? timeOf(get('end'), this.tz) ?? timeOf(get('start'), this.tz) ?? pre.ts;
    core.host = get('dvchost') ?? get('dvc') ?? pre.host;
    core.event_code = sigId || null;
    core.severity = cefSeverity(sev);
    const msg = get('msg');
    core.message = msg ? `${name}: ${msg}` : name;
    core.src_ip = canonicalIp(get('src') ?? get('c6a2'));
    core.dst_ip = canonicalIp(get('dst') ?? get('c6a3'));
    core.src_port = parsePort(get('spt'));
    core.dst_port = parsePort(get('dpt'));
    const proto = get('proto') ?? get('app');
    core.protocol = proto ? proto.toLowerCase() : null;
    core.user = get('suser') ?? get('duser');
    core.process = get('sproc') ?? get('dproc') ?? product ?? null;
    const act = get('act');
    core.action = act ? act.toLowerCase() : null;
    core.outcome = outcomeOf(get('outcome')) ?? outcomeOf(act);
    return new RowRecord(cols, vals, core);
  }

  parseLeef(line: string): ParseResult {
    const at = line.indexOf('LEEF:');
    if (at < 0 || at > 512) return { error: `no "LEEF:" header in the line: ${quoteForReason(line)}` };
    const v = splitHeader(line, at + 5, 1);
    if (!v) return { error: 'LEEF header is not "LEEF:Version|..."' };
    const ver = v.parts[0] as string;
    const isV2 = ver.startsWith('2');
    const head = splitHeader(line, at + 5, isV2 ? 6 : 5);
    // LEEF 2.0 writers sometimes leave out the delimiter field's trailing pipe when it is a tab.
    if (!head) return { error: `LEEF ${ver} header needs ${isV2 ? 6 : 5} "|"-separated fields: ${quoteForReason(line.slice(at))}` };
    const [, vendor, product, version, eventId] = head.parts as [string, string, string, string, string];
    let delimiter = '\t';
    const fields: Fields = {};
    const pre = this.prefix(line, at);
    if (at > 0) {
      fields.syslog_timestamp = pre.timestamp;
      fields.syslog_host = pre.host;
    }
    fields.leef_version = ver;
    fields.vendor = vendor;
    fields.product = product;
    fields.product_version = version;
    fields.event_id = eventId;
    if (isV2) {
      const d = head.parts[5] as string;
      fields.delimiter = d;
      if (d.length === 1) delimiter = d;
      else if (/^(0x|x)[0-9a-fA-F]{2,4}$/.test(d)) delimiter = String.fromCharCode(parseInt(d.replace(/^0?x/, ''), 16));
      else if (d.length > 1) return { error: `LEEF 2.0 delimiter ${quoteForReason(d)} is neither one character nor hex (x09)` };
    }
    const attrs = line.slice(head.rest);
    for (const part of attrs.split(delimiter)) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const k = part.slice(0, eq).trim();
      if (k.length === 0 || k.length > MAX_KEY || k in fields) continue;
      fields[k] = part.slice(eq + 1);
    }
    const get = (k: string): string | null => {
      const x = fields[k];
      return typeof x === 'string' && x.length > 0 ? x : null;
    };
    const core = emptyCore('leef');
    core.ts = timeOf(get('devTime'), this.tz) ?? pre.ts;
    core.host = get('identHostName') ?? get('srcHostName') ?? pre.host;
    core.event_code = eventId || null;
    core.severity = cefSeverity(get('sev'));
    const cat = get('cat');
    core.message = cat ? `${eventId}: ${cat}` : eventId;
    core.src_ip = canonicalIp(get('src') ?? get('srcPreNAT'));
    core.dst_ip = canonicalIp(get('dst') ?? get('dstPreNAT'));
    core.src_port = parsePort(get('srcPort'));
    core.dst_port = parsePort(get('dstPort'));
    const proto = get('proto');
    core.protocol = proto ? proto.toLowerCase() : null;
    core.user = get('usrName') ?? get('accountName') ?? get('identUser');
    core.process = product || null;
    const act = get('action');
    core.action = act ? act.toLowerCase() : null;
    core.outcome = outcomeOf(get('outcome')) ?? outcomeOf(act);
    return { fields, core };
  }
}
