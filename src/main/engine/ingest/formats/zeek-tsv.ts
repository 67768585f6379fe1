import { compileRowMapping, JSON_CORE_MAPPINGS, type MapContext, type RowCoreMapper } from './json-map';
import { epochToIso, isoFromMs } from './time';
import { quoteForReason, RowRecord, type FieldValue, type LineParser, type LineResult } from './types';

/**
 * Zeek's ASCII (TSV) logs. The header directives say how to read the rows:
 *   #separator \x09        (the only directive written with a space; \xNN escapes)
 *   #set_separator ,       #empty_field (empty)   #unset_field -
 *   #path conn   #open ... #fields ts uid id.orig_h ...   #types time string addr ...
 * and may appear again mid-file (log rotation appends). Fields keep Zeek's
 * names (`id.orig_h`, ...). Values: unset -> null, empty -> "", time -> ISO
 * UTC text, count/int/port/double/interval -> number, bool -> true/false,
 * set[..]/vector[..] -> JSON array text, strings with \xNN escapes decoded.
 *
 * The pipeline may bulk-load TSV rows with DuckDB's CSV reader instead; it
 * still needs this header parser (zeekHeaderFromLines) for names and types,
 * and the core mapping, which is the zeek family of json-map.ts.
 */

export interface ZeekHeader {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  path: string | null;
  open: string | null;
  fields: string[] | null;
  types: string[] | null;
}

export function newZeekHeader(): ZeekHeader {
  return { separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-', path: null, open: null, fields: null, types: null };
}

/** Decodes Zeek's `\xNN` escapes (and `\\`). */
export function unescapeZeek(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\(x[0-9a-fA-F]{2}|\\)/g, (_m, e: string) => (e === '\\' ? '\\' : String.fromCharCode(parseInt(e.slice(1), 16))));
}

/**
 * Applies one `#` directive line to the header. Returns false when the line is
 * not a known directive (then it is a comment).
 */
export function applyZeekDirective(line: string, h: ZeekHeader): boolean {
  if (line.startsWith('#separator ')) {
    const sep = unescapeZeek(line.slice(11).trim());
    if (sep.length === 0) return false;
    h.separator = sep;
    return true;
  }
  const sep = h.separator;
  const at = line.indexOf(sep);
  if (at < 0) return false;
  const name = line.slice(1, at);
  const value = line.slice(at + sep.length);
  switch (name) {
    case 'set_separator':
      h.setSeparator = unescapeZeek(value);
      return true;
    case 'empty_field':
      h.emptyField = value;
      return true;
    case 'unset_field':
      h.unsetField = value;
      return true;
    case 'path':
      h.path = value;
      return true;
    case 'open':
      h.open = value;
      return true;
    case 'close':
      return true;
    case 'fields':
      h.fields = value.split(sep);
      return true;
    case 'types':
      h.types = value.split(sep);
      return true;
    default:
      return false;
  }
}

/** Reads the header from a file's first lines (for the pipeline's bulk-load path). */
export function zeekHeaderFromLines(lines: Iterable<string>): ZeekHeader {
  const h = newZeekHeader();
  for (const line of lines) {
    if (!line.startsWith('#')) break;
    applyZeekDirective(line, h);
  }
  return h;
}

type Converter = (raw: string) => FieldValue;

/** True when a set's text has characters JSON strings escape (quote, backslash, controls, U+2028/9). */
function needsJsonEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/**
 * Zeek's `time`: epoch seconds with (usually six) decimals, the hottest
 * conversion of a Zeek row, so the common shape is read by hand; anything
 * else goes through epochToIso, and text that is no time at all stays as written.
 */
function zeekTime(raw: string): FieldValue {
  const n = raw.length;
  const dot = raw.indexOf('.');
  if (dot >= 9 && dot <= 11 && n - dot - 1 <= 6 && n > dot + 1) {
    let secs = 0;
    for (let i = 0; i < dot; i++) {
      const c = raw.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return epochToIso(raw, 's') ?? raw;
      secs = secs * 10 + c;
    }
    let frac = 0;
    for (let i = dot + 1; i < dot + 7; i++) {
      const c = i < n ? raw.charCodeAt(i) - 48 : 0;
      if (c < 0 || c > 9) return epochToIso(raw, 's') ?? raw;
      frac = frac * 10 + c;
    }
    const ms = Math.floor(frac / 1000);
    return isoFromMs(secs * 1000 + ms, frac - ms * 1000) ?? raw;
  }
  return epochToIso(raw, 's') ?? raw;
}

function converterFor(type: string | undefined, h: ZeekHeader): Converter {
  const unset = h.unsetField;
  const empty = h.emptyField;
  const wrap =
    (fn: Converter): Converter =>
    (raw) =>
      raw === unset ? null : raw === empty ? '' : fn(raw);
  const t = type ?? 'string';
  if (t === 'time') return wrap(zeekTime);
  if (t === 'count' || t === 'int' || t === 'port' || t === 'double' || t === 'interval') {
    return wrap((raw) => {
      const n = Number(raw);
      return Number.isFinite(n) && raw.length > 0 ? n : raw;
    });
  }
  if (t === 'bool') return wrap((raw) => (raw === 'T' ? true : raw === 'F' ? false : raw));
  if (t.startsWith('set[') || t.startsWith('vector[') || t.startsWith('table[')) {
    const setSep = h.setSeparator;
    return (raw) => {
      if (raw === unset) return null;
      if (raw === empty) return '[]';
      // Most elements need no escaping in JSON: join them by hand, JSON.stringify only otherwise.
      if (!needsJsonEscape(raw)) return `["${raw.split(setSep).join('","')}"]`;
      return JSON.stringify(raw.split(setSep).map(unescapeZeek));
    };
  }
  return wrap(unescapeZeek);
}

/** The columns of Zeek's default conn.log, for rows that lost their header (a truncated file's tail). */
export const ZEEK_DEFAULT_CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
] as const;
const ZEEK_DEFAULT_CONN_TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
];

const ZEEK_UID = /^C[0-9A-Za-z]{8,24}$/;

export interface ZeekTsvOptions {
  /** The log path when the file has no #path (from its name: `conn.log`, `conn.16:00:00-17:00:00.log.gz`). */
  path?: string | null;
}

/** Log paths Zeek and its common packages write, for recognising them in file names. */
export const ZEEK_KNOWN_PATHS = [
  'conn', 'dns', 'http', 'ssl', 'ssh', 'files', 'x509', 'weird', 'notice', 'dhcp', 'dpd', 'smtp', 'ftp', 'kerberos', 'ntlm', 'rdp',
  'dce_rpc', 'smb_files', 'smb_mapping', 'smb_cmd', 'software', 'known_hosts', 'known_services', 'known_certs', 'known_modbus',
  'capture_loss', 'stats', 'loaded_scripts', 'packet_filter', 'tunnel', 'syslog', 'snmp', 'sip', 'modbus', 'ntp', 'ocsp', 'pe',
  'rfb', 'ldap', 'ldap_search', 'radius', 'mysql', 'irc', 'socks', 'intel', 'signatures', 'reporter', 'dnp3', 'traceroute',
  'quic', 'open_conn', 'open_http', 'open_ssl', 'conn_long', 'analyzer', 'netcontrol', 'notice_alarm', 'websocket', 'x509_ocsp',
] as const;

/**
 * Zeek's path from a log file name: the longest known path that stands as a
 * whole token (`conn.log`, `dns.15:00:00-16:00:00.log.gz`, `SCRANTON_conn.log`,
 * `conn_json.log` -> conn, `smb_files.log` -> smb_files). Null when none fits.
 */
export function zeekPathFromFileName(name: string): string | null {
  const base = (name.split(/[\\/]/).pop() ?? name).toLowerCase();
  let best: string | null = null;
  for (const p of ZEEK_KNOWN_PATHS) {
    if (best !== null && p.length <= best.length) continue;
    for (let at = base.indexOf(p); at >= 0; at = base.indexOf(p, at + 1)) {
      const before = at === 0 ? '' : (base[at - 1] ?? '');
      const after = base[at + p.length] ?? '';
      if ((before === '' || /[._-]/.test(before)) && (after === '' || /[._-]/.test(after))) {
        best = p;
        break;
      }
    }
  }
  return best;
}

export class ZeekTsvParser implements LineParser {
  readonly format = 'zeek-tsv' as const;
  readonly header: ZeekHeader = newZeekHeader();
  private converters: Converter[] | null = null;
  private names: string[] | null = null;
  private readonly pathHint: string | null;

  constructor(opts: ZeekTsvOptions = {}) {
    this.pathHint = opts.path ?? null;
  }

  /** Column names in effect (null until a #fields line, or the conn default for headerless rows). */
  get fieldNames(): readonly string[] | null {
    return this.names;
  }

  private mapper: RowCoreMapper | null = null;
  private ctx: MapContext = {};

  private rebuild(): void {
    const h = this.header;
    if (!h.fields) return;
    this.names = h.fields;
    this.converters = h.fields.map((_n, i) => converterFor(h.types?.[i], h));
    // The zeek family of the JSON mapping, resolved against this header once.
    this.mapper = compileRowMapping(JSON_CORE_MAPPINGS.zeek, h.fields);
    this.ctx = { path: h.path ?? this.pathHint };
  }

  line(text: string): LineResult {
    if (text.charCodeAt(0) === 35) {
      if (applyZeekDirective(text, this.header)) {
        if (text.startsWith('#fields') || text.startsWith('#types') || text.startsWith('#separator') || text.startsWith('#set_separator') || text.startsWith('#empty_field') || text.startsWith('#unset_field')) this.rebuild();
        return { skip: 'Zeek header directive' };
      }
      return { skip: 'comment' };
    }
    if (text.length === 0) return { skip: 'blank line' };
    const values = text.split(this.header.separator);
    let warning: string | null = null;
    if (this.names === null) {
      // A header-less tail of a conn.log (truncated copy): recognisable by its shape.
      if (values.length === ZEEK_DEFAULT_CONN_FIELDS.length && ZEEK_UID.test(values[1] ?? '') && /^\d{9,10}\.\d+$/.test(values[0] ?? '')) {
        this.header.fields = [...ZEEK_DEFAULT_CONN_FIELDS];
        this.header.types = [...ZEEK_DEFAULT_CONN_TYPES];
        this.header.path = this.header.path ?? this.pathHint ?? 'conn';
        this.rebuild();
        // Said once, on the first row read this way.
        warning = "no #fields header: read with Zeek's default conn.log columns";
      } else {
        return { error: 'Zeek row before any #fields header: column names unknown (is the start of the file missing?)' };
      }
    }
    const names = this.names as string[];
    const conv = this.converters as Converter[];
    if (values.length !== names.length) {
      return { error: `Zeek row has ${values.length} columns but #fields names ${names.length}${values.length < names.length ? ' (truncated line?)' : ''}: ${quoteForReason(text)}` };
    }
    const row: FieldValue[] = new Array<FieldValue>(names.length);
    for (let i = 0; i < names.length; i++) row[i] = (conv[i] as Converter)(values[i] as string);
    const core = (this.mapper as RowCoreMapper)(row, this.ctx);
    const rec = new RowRecord(names, row, core);
    if (warning) rec.warnings = [warning];
    return rec;
  }

  end(): LineResult[] {
    return [];
  }
}
