import { canonicalIp, parsePort } from './net';
import { parseTimestamp, type TimeZoneSpec } from './time';
import type { CoreFields } from '@shared/events';
import { emptyCore, quoteForReason, type Fields, type LineParser, type LineResult } from './types';
import { httpOutcome } from './web-access';

/**
 * IIS (and other W3C extended) logs: `#Fields:` names the space-separated
 * columns and may change mid-file (IIS writes a new header block on restart),
 * so the parser is stateful. Fields keep the directive's names exactly
 * (`cs-uri-stem`, `cs(User-Agent)`, `sc-status` ...); `-` is null; numeric
 * status/size/time-taken columns become numbers. IIS writes `date`/`time`
 * in UTC unless the server was configured otherwise (then pass `tz`).
 *
 * The Windows Firewall log (pfirewall.log) is the same format with its own
 * columns (`action protocol src-ip dst-ip src-port dst-port ... path pid`,
 * times in local time: pass `tz`): told by those columns, its lines are
 * connections, dataset windows.firewall, outcome failure for DROP.
 */

const NUMERIC = new Set(['sc-status', 'sc-substatus', 'sc-win32-status', 'sc-bytes', 'cs-bytes', 'time-taken', 's-port']);

export interface IisOptions {
  tz?: TimeZoneSpec;
}

export class IisW3cParser implements LineParser {
  readonly format = 'iis-w3c' as const;
  private columns: string[] | null = null;
  private readonly tz: TimeZoneSpec;

  constructor(opts: IisOptions = {}) {
    this.tz = opts.tz ?? 'UTC';
  }

  /** The current `#Fields:` columns (null before the first directive). */
  get fieldNames(): readonly string[] | null {
    return this.columns;
  }

  line(text: string): LineResult {
    if (text.charCodeAt(0) === 35) {
      if (text.startsWith('#Fields:')) {
        const cols = text.slice(8).trim().split(/\s+/).filter((c) => c.length > 0);
        if (cols.length === 0 || cols.length > 200) return { error: 'W3C #Fields directive names no usable columns' };
        this.columns = cols;
        return { skip: 'W3C #Fields directive' };
      }
      return { skip: 'W3C directive' };
    }
    if (text.trim().length === 0) return { skip: 'blank line' };
    const cols = this.columns;
    if (cols === null) return { error: 'W3C log line before any #Fields directive: column names unknown' };
    const values = text.split(' ');
    if (values.length !== cols.length) {
      return { error: `W3C log line has ${values.length} values but #Fields names ${cols.length} columns: ${quoteForReason(text)}` };
    }
    const fields: Fields = {};
    for (let k = 0; k < cols.length; k++) {
      const name = cols[k] as string;
      const v = values[k] as string;
      if (v === '-') fields[name] = null;
      else if (NUMERIC.has(name) && /^-?\d{1,15}$/.test(v)) fields[name] = Number(v);
      else fields[name] = v;
    }
    const firewall = 'src-ip' in fields && 'dst-ip' in fields && 'action' in fields;
    const core = emptyCore(firewall ? 'windows.firewall' : 'web.access');
    const date = fields.date as string | null | undefined;
    const time = fields.time as string | null | undefined;
    const warnings: string[] = [];
    if (date && time) {
      core.ts = parseTimestamp(`${date} ${time}`, { tz: this.tz });
      if (core.ts === null) warnings.push(`W3C date/time ${quoteForReason(`${date} ${time}`)} did not parse`);
    } else if (typeof fields['date-time'] === 'string') {
      core.ts = parseTimestamp(fields['date-time'], { tz: this.tz });
    }
    if (firewall) {
      firewallCore(fields, core);
      return warnings.length ? { fields, core, warnings } : { fields, core };
    }
    core.src_ip = canonicalIp(fields['c-ip'] as string | null);
    core.dst_ip = canonicalIp(fields['s-ip'] as string | null);
    core.dst_port = parsePort(fields['s-port'] as number | null);
    core.user = (fields['cs-username'] as string | null) ?? null;
    core.host = (fields['s-computername'] as string | null) ?? (fields['s-sitename'] as string | null) ?? null;
    const status = typeof fields['sc-status'] === 'number' ? fields['sc-status'] : null;
    core.event_code = status === null ? null : String(status);
    core.outcome = httpOutcome(status);
    core.protocol = 'http';
    core.action = 'http-request';
    const method = (fields['cs-method'] as string | null) ?? '';
    const stem = (fields['cs-uri-stem'] as string | null) ?? '';
    const query = fields['cs-uri-query'] as string | null;
    core.message = `${method} ${stem}${query ? `?${query}` : ''} ${status ?? ''}`.trim();
    core.process = 'iis';
    return warnings.length ? { fields, core, warnings } : { fields, core };
  }

  end(): LineResult[] {
    return [];
  }
}

/** A Windows Firewall line: ALLOW / DROP / OPEN / CLOSE of a connection (or INFO-EVENTS-LOST). */
function firewallCore(fields: Fields, core: CoreFields): void {
  const text = (k: string): string | null => {
    const v = fields[k];
    return v === null || v === undefined ? null : String(v);
  };
  const action = text('action');
  const protocol = text('protocol');
  core.src_ip = canonicalIp(text('src-ip'));
  core.dst_ip = canonicalIp(text('dst-ip'));
  core.src_port = parsePort(text('src-port'));
  core.dst_port = parsePort(text('dst-port'));
  core.protocol = protocol === null ? null : protocol.toLowerCase();
  core.event_code = action;
  core.action = action === null ? null : action.toLowerCase();
  core.outcome = action === 'DROP' ? 'failure' : action === 'ALLOW' ? 'success' : null;
  core.process = 'windows-firewall';
  const path = text('path');
  const from = `${text('src-ip') ?? '?'}${text('src-port') ? `:${text('src-port')}` : ''}`;
  const to = `${text('dst-ip') ?? '?'}${text('dst-port') ? `:${text('dst-port')}` : ''}`;
  core.message = `${action ?? ''} ${protocol ?? ''} ${from} -> ${to}${path ? ` ${path}` : ''}`.replace(/ +/g, ' ').trim();
}
