import type { CsvFlavor, FormatName, JsonFamily } from '@shared/formats';
import { detectCsvHeader } from './formats/csv';
import { parseIdsSlgLine, parseSlgAccessLine } from './formats/ids-slg';
import { detectJsonFamily } from './formats/json-map';
import { parseSyslogLine, SyslogClock } from './formats/syslog';
import { parseWebAccessLine } from './formats/web-access';
import { parseWebErrorLine } from './formats/web-error';

/**
 * What a file is, from its first bytes (up to SNIFF_BYTES), not its name: the
 * name only breaks ties between formats the content allows equally. Magic
 * numbers first (EVTX, archives, known binaries), then the text encoding
 * (BOM, UTF-16 without BOM, UTF-8 validity, else Latin-1), then the content:
 * JSON shapes, header directives (Zeek, W3C), CEF/LEEF, and finally each line
 * format's own parser voting over the sample lines. Lines starting with `#`
 * are comments for the vote (fail2ban's `# failJSON:` annotations, ipsum's
 * header), so they neither help nor hurt a format.
 */

export type TextEncodingName = 'utf8' | 'utf16le' | 'utf16be' | 'latin1';

export interface SniffResult {
  format: FormatName;
  /** 0..1: how sure; below 0.5 the import view should ask the analyst. */
  confidence: number;
  /** Why, in words for the analyst. */
  reason: string;
  encoding: TextEncodingName;
  /** Bytes of byte-order mark to skip before decoding (0, 2 or 3). */
  bom: number;
  /** CSV/TSV: the delimiter, the header names (null = no header row) and the timeline tool. */
  csv?: { delimiter: string; columns: string[] | null; flavor: CsvFlavor };
  /** JSON formats: which core mapping family the records belong to. */
  jsonFamily?: JsonFamily;
  /** Zeek: the log path from #path or `_path` (else the pipeline can use the file name). */
  zeekPath?: string | null;
  /** JSON: one object holding the records in an array under this key (`{"Records": [...]}`, json-unwrap.ts). */
  jsonUnwrap?: string;
  /** Lines end with a lone CR (classic Mac OS): no LF in the sample, some CR. */
  crOnly?: boolean;
  /**
   * JSON: Windows records carry `EventData` as text (a JSON string or XML, as
   * Azure Sentinel exports do). Only the JS reader expands it into its fields.
   */
  eventDataText?: boolean;
}

/** `"EventData": "<...` (also escaped, `\u003c`) or `"EventData": "{...`: the event's data as text, not as an object. */
const RE_EVENTDATA_TEXT = /"EventData"\s*:\s*"\s*(?:[<{]|\\u003[cC])/;

/** How much of a file sniffing reads. */
export const SNIFF_BYTES = 64 * 1024;
const MAX_SAMPLE_LINES = 200;

interface Magic {
  bytes: number[];
  offset: number;
  format: FormatName;
  reason: string;
}

const MAGICS: Magic[] = [
  { bytes: [...Buffer.from('ElfFile\0')], offset: 0, format: 'evtx', reason: 'EVTX file header "ElfFile"' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], offset: 0, format: 'zip', reason: 'ZIP local file header "PK\\3\\4"' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], offset: 0, format: 'zip', reason: 'empty ZIP archive' },
  { bytes: [0x1f, 0x8b], offset: 0, format: 'gzip', reason: 'gzip magic 1F 8B' },
  { bytes: [...Buffer.from('ustar')], offset: 257, format: 'tar', reason: 'tar "ustar" magic at offset 257' },
];

const BINARY_MAGICS: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0xd4, 0xc3, 0xb2, 0xa1], what: 'a pcap capture' },
  { bytes: [0xa1, 0xb2, 0xc3, 0xd4], what: 'a pcap capture' },
  { bytes: [0x4d, 0x3c, 0xb2, 0xa1], what: 'a pcap capture (ns)' },
  { bytes: [0x0a, 0x0d, 0x0d, 0x0a], what: 'a pcapng capture' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data (not supported: decompress it first)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data (not supported: decompress it first)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive (not supported)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data (not supported)' },
  { bytes: [...Buffer.from('SQLite format 3\0')], what: 'an SQLite database' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an ELF executable' },
  { bytes: [0x4d, 0x5a], what: 'a Windows executable (MZ)' },
  { bytes: [...Buffer.from('%PDF')], what: 'a PDF document' },
  { bytes: [...Buffer.from('regf')], what: 'a Windows registry hive' },
  { bytes: [...Buffer.from('MDMP')], what: 'a Windows minidump' },
];

function startsWith(b: Buffer, bytes: number[], offset: number): boolean {
  if (b.length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[offset + i] !== bytes[i]) return false;
  return true;
}

/** True when every complete byte sequence is valid UTF-8. */
function isValidUtf8(b: Buffer, truncated: boolean): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2;
    else if (c >= 0xf0 && c <= 0xf4) need = 3;
    else return false;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      // A sequence cut by the end of the sample is fine when the sample is a prefix.
      if (d === undefined) return truncated;
      if ((d & 0xc0) !== 0x80) return false;
    }
    i += need + 1;
  }
  return true;
}

function detectEncoding(b: Buffer, truncated: boolean): { encoding: TextEncodingName; bom: number; note: string } {
  if (startsWith(b, [0xef, 0xbb, 0xbf], 0)) return { encoding: 'utf8', bom: 3, note: 'UTF-8 with BOM' };
  if (startsWith(b, [0xff, 0xfe], 0)) return { encoding: 'utf16le', bom: 2, note: 'UTF-16LE with BOM' };
  if (startsWith(b, [0xfe, 0xff], 0)) return { encoding: 'utf16be', bom: 2, note: 'UTF-16BE with BOM' };
  // UTF-16 without BOM: ASCII text leaves every other byte zero.
  const probe = Math.min(b.length, 1024) & ~1;
  if (probe >= 8) {
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < probe; i += 2) {
      if (b[i] === 0) evenZero++;
      if (b[i + 1] === 0) oddZero++;
    }
    const half = probe / 2;
    if (oddZero > half * 0.6 && evenZero < half * 0.05) return { encoding: 'utf16le', bom: 0, note: 'UTF-16LE (no BOM)' };
    if (evenZero > half * 0.6 && oddZero < half * 0.05) return { encoding: 'utf16be', bom: 0, note: 'UTF-16BE (no BOM)' };
  }
  if (isValidUtf8(b, truncated)) return { encoding: 'utf8', bom: 0, note: 'UTF-8' };
  return { encoding: 'latin1', bom: 0, note: 'not valid UTF-8: read as Latin-1' };
}

/** Decodes bytes as sniff decided (the pipeline uses the same decoders). */
export function decodeText(b: Buffer, encoding: TextEncodingName, bom: number): string {
  const body = bom > 0 ? b.subarray(bom) : b;
  switch (encoding) {
    case 'utf8':
      return body.toString('utf8');
    case 'latin1':
      return body.toString('latin1');
    case 'utf16le':
      return body.toString('utf16le');
    case 'utf16be': {
      const even = body.length & ~1;
      const swapped = Buffer.from(body.subarray(0, even));
      swapped.swap16();
      return swapped.toString('utf16le');
    }
  }
}

/** A run of this many NULs is padding, not content. */
const NUL_PADDING_RUN = 16;

/**
 * How binary a decoded sample looks, leaving NUL padding aside: a log file
 * that was preallocated, or extended by a crash before its data reached the
 * disk, holds blocks of NULs between good lines, and those lines are
 * evidence. `score` is the share of the other characters that are controls
 * (other than tab/newline/CR/FF/ESC), U+FFFD or scattered NULs; `padding`
 * counts the NULs in runs.
 */
function sampleDamage(text: string): { score: number; padding: number } {
  const n = Math.min(text.length, 16384);
  let bad = 0;
  let padding = 0;
  let run = 0;
  let lines = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : -1;
    if (c === 0) {
      run++;
      continue;
    }
    if (c === 10) lines++;
    if (run > 0) {
      if (run >= NUL_PADDING_RUN) padding += run;
      else bad += run;
      run = 0;
    }
    if (c >= 0 && ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) || c === 0xfffd)) bad++;
  }
  const content = n - padding;
  // Padding sits between lines of a log: a few words among NULs (a database's
  // sparse pages) are no text at all.
  if (padding > 0 && (content < 64 || lines < 2)) return { score: 1, padding };
  return { score: content === 0 ? 1 : bad / content, padding };
}

// ------------------------------------------------------------------ JSON shapes

interface JsonScan {
  objects: string[];
  /** Some object spanned lines or shared a line with another. */
  multiLine: boolean;
  /** Text other than whitespace between objects. */
  garbage: boolean;
  /** The sample ended inside an object. */
  openAtEnd: boolean;
}

/** Walks top-level `{...}` values with a string-aware brace counter (linear, no recursion). */
function scanJsonObjects(text: string, maxObjects: number): JsonScan {
  const out: JsonScan = { objects: [], multiLine: false, garbage: false, openAtEnd: false };
  const n = text.length;
  let i = 0;
  let lastEndLine = -1;
  let line = 0;
  while (i < n && out.objects.length < maxObjects) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 44 /* tolerate separators between objects */) {
      i++;
      continue;
    }
    if (c !== 123) {
      out.garbage = true;
      // skip to next line
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    const startLine = line;
    if (startLine === lastEndLine) out.multiLine = true;
    let depth = 0;
    let inStr = false;
    let j = i;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (inStr) {
        if (d === 92) j++;
        else if (d === 34) inStr = false;
        continue;
      }
      if (d === 34) inStr = true;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) break;
      } else if (d === 10) {
        line++;
        out.multiLine = true;
      }
    }
    if (j >= n) {
      out.openAtEnd = true;
      break;
    }
    out.objects.push(text.slice(i, j + 1));
    lastEndLine = line;
    i = j + 1;
  }
  return out;
}

function parseObjects(texts: string[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const t of texts) {
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      /* counted by the caller as a miss */
    }
  }
  return out;
}

function familyVote(objs: Array<Record<string, unknown>>): { family: JsonFamily; share: number } {
  const counts = new Map<JsonFamily, number>();
  for (const o of objs) {
    const fam = detectJsonFamily(o);
    counts.set(fam, (counts.get(fam) ?? 0) + 1);
  }
  let best: JsonFamily = 'generic';
  let bestN = 0;
  for (const [fam, n] of counts) if (n > bestN || (n === bestN && best === 'generic')) [best, bestN] = [fam, n];
  return { family: best, share: objs.length ? bestN / objs.length : 0 };
}

function zeekPathOf(objs: Array<Record<string, unknown>>): string | null {
  for (const o of objs) {
    const p = o._path ?? o['@stream'];
    if (typeof p === 'string') return p;
  }
  return null;
}

/** `{"Records": [ {...`: one object whose single key holds the records (AWS CloudTrail and other exports). */
const RE_WRAPPER = /^\{\s*"([^"\\]{1,64})"\s*:\s*\[\s*(?=\{)/;
const FAMILY_NOTES: Partial<Record<JsonFamily, string>> = { cloudtrail: 'AWS CloudTrail' };

function sniffWrapped(t: string, base: Omit<SniffResult, 'format' | 'confidence' | 'reason'>): SniffResult | null {
  const m = RE_WRAPPER.exec(t);
  if (!m) return null;
  const key = m[1] as string;
  const elements = parseObjects(scanJsonObjects(t.slice(m[0].length), 50).objects);
  if (elements.length === 0) return null;
  const fam = familyVote(elements);
  const note = FAMILY_NOTES[fam.family];
  return {
    ...base,
    format: 'json-concat',
    confidence: 0.9,
    reason: `one JSON object holding its records in the array "${key}"${note ? ` (${note})` : ''}: read element by element`,
    jsonFamily: fam.family,
    jsonUnwrap: key,
  };
}

function sniffJson(text: string, truncated: boolean, base: Omit<SniffResult, 'format' | 'confidence' | 'reason'>): SniffResult | null {
  const t = text.trimStart();
  if (t.startsWith('[')) {
    const inner = t.slice(1).trimStart();
    if (!truncated) {
      try {
        const v = JSON.parse(t) as unknown;
        if (Array.isArray(v)) {
          const objs = v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x));
          if (objs.length === 0 && v.length > 0) {
            return { ...base, format: 'json-array', confidence: 0.5, reason: 'a JSON array of plain values, not records' };
          }
          const fam = familyVote(objs.slice(0, 50));
          return { ...base, format: 'json-array', confidence: 0.95, reason: `a JSON array of ${v.length} records`, jsonFamily: fam.family };
        }
      } catch {
        /* fall through to the prefix check */
      }
    }
    // Larger than the sample: trust it when its first element is a JSON object.
    if (truncated && inner.startsWith('{')) {
      const scan = scanJsonObjects(inner, 20);
      const objs = parseObjects(scan.objects);
      if (objs.length === 0) return null;
      const fam = familyVote(objs);
      return { ...base, format: 'json-array', confidence: 0.85, reason: 'starts with a JSON array of objects', jsonFamily: fam.family };
    }
    return null;
  }
  if (!t.startsWith('{')) return null;
  const wrapped = sniffWrapped(t, base);
  if (wrapped) return wrapped;
  const scan = scanJsonObjects(t, 400);
  const objs = parseObjects(scan.objects);
  if (objs.length === 0) {
    if (scan.openAtEnd && truncated) {
      return { ...base, format: 'json-concat', confidence: 0.6, reason: 'one JSON object larger than the sniffed sample' };
    }
    return null;
  }
  const parsedShare = objs.length / scan.objects.length;
  if (parsedShare < 0.8) return null;
  const fam = familyVote(objs);
  const mixed = scan.garbage;
  const conf = Math.max(0.5, Math.min(0.99, parsedShare * (mixed ? 0.8 : 1)));
  if (scan.multiLine) {
    return {
      ...base,
      format: 'json-concat',
      confidence: conf,
      reason: `${objs.length} JSON objects spanning lines (pretty-printed or concatenated)${mixed ? ', with non-JSON text between them' : ''}`,
      jsonFamily: fam.family,
      ...(fam.family === 'zeek' ? { zeekPath: zeekPathOf(objs) } : {}),
    };
  }
  if (fam.family === 'suricata' && fam.share >= 0.8) {
    return { ...base, format: 'suricata-eve', confidence: conf, reason: 'JSON lines with event_type, flow_id and timestamp (Suricata EVE)', jsonFamily: 'suricata' };
  }
  if (fam.family === 'zeek' && fam.share >= 0.8) {
    return {
      ...base,
      format: 'zeek-json',
      confidence: conf,
      reason: 'JSON lines with Zeek fields (ts, uid, id.orig_h / _path)',
      jsonFamily: 'zeek',
      zeekPath: zeekPathOf(objs),
    };
  }
  return {
    ...base,
    format: 'ndjson',
    confidence: conf,
    reason: `JSON lines (${objs.length} objects sampled${fam.family === 'windows' ? ', Windows events' : fam.family === 'journald' ? ', systemd journal export' : ''})${mixed ? ' with some non-JSON lines' : ''}`,
    jsonFamily: fam.family,
  };
}

// ------------------------------------------------------------------ line votes

type LineKind = 'syslog-3164' | 'syslog-5424' | 'linux-audit' | 'web-access' | 'web-error' | 'ids-slg' | 'slg-access' | 'cef' | 'leef';

const RE_5424 = /^<\d{1,3}>\d{1,2} (?:\d{4}-\d{2}-\d{2}T|- )/;
const RE_AUDIT = /^(?:node=\S+ )?type=\S+ msg=audit\(\d{1,11}(?:\.\d{1,6})?:\d+\):/;
const RE_CEF = /(?:^|\s)CEF:\d+\|/;
const RE_LEEF = /(?:^|\s)LEEF:[12]\.\d\|/;
const RE_SLG_ENDPOINT_KEY = /^(Date|Event Type|Scan Type|User|Computer|File Name|File Path|File Hash|Threat Name|Action Taken|Malware Found|Reason|File\/Process|Update Type|Update Version):( |$)/;
const RE_ZEEK_ROW = /^\d{9,10}\.\d{1,9}\tC[0-9A-Za-z]{8,24}\t/;

function classifyLine(line: string, clock: SyslogClock): { kind: LineKind; auth?: boolean } | null {
  const head = line.length > 4096 ? line.slice(0, 4096) : line;
  if (RE_CEF.test(head.slice(0, 600))) return { kind: 'cef' };
  if (RE_LEEF.test(head.slice(0, 600))) return { kind: 'leef' };
  if (RE_5424.test(head)) return { kind: 'syslog-5424' };
  const c = head.charCodeAt(0);
  if ((c === 116 || c === 110) && RE_AUDIT.test(head)) return { kind: 'linux-audit' };
  if (c === 91) {
    if ('core' in parseWebErrorLine(head)) return { kind: 'web-error' };
    if ('core' in parseSlgAccessLine(head)) return { kind: 'slg-access' };
    return null;
  }
  if (c >= 48 && c <= 57) {
    if (head.includes(' --> ') && 'core' in parseIdsSlgLine(head)) return { kind: 'ids-slg' };
    if ('core' in parseWebAccessLine(head)) return { kind: 'web-access' };
    if ('core' in parseWebErrorLine(head)) return { kind: 'web-error' };
    // rsyslog RFC 3339 timestamps
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(head)) {
      const r = parseSyslogLine(head, clock);
      if ('core' in r && r.fields.program) return { kind: 'syslog-3164', auth: r.core.dataset === 'linux.auth' };
    }
    return null;
  }
  if ((c >= 65 && c <= 90) || c === 60) {
    const r = parseSyslogLine(head, clock);
    if ('core' in r) return { kind: 'syslog-3164', auth: r.core.dataset === 'linux.auth' };
    return null;
  }
  // IPv6 clients in access logs start with a hex letter or ':'
  if ((c >= 97 && c <= 102) || c === 58) {
    if ('core' in parseWebAccessLine(head)) return { kind: 'web-access' };
  }
  return null;
}

const KIND_REASON: Record<LineKind, string> = {
  'syslog-3164': 'syslog lines ("Mmm dd hh:mm:ss host program: message")',
  'syslog-5424': 'RFC 5424 syslog lines ("<PRI>1 timestamp host app ...")',
  'linux-audit': 'Linux audit records ("type=... msg=audit(seconds:serial): ...")',
  'web-access': 'web access log lines (common/combined)',
  'web-error': 'web server error log lines',
  'ids-slg': 'IDS lines of the Security Log Generator',
  'slg-access': 'access lines of the Security Log Generator',
  cef: 'CEF records',
  leef: 'LEEF records',
};

function splitSampleLines(text: string, truncated: boolean): string[] {
  const lines = text.split('\n');
  if (truncated && lines.length > 1) lines.pop();
  const out: string[] = [];
  for (const l of lines) {
    const s = l.endsWith('\r') ? l.slice(0, -1) : l;
    out.push(s);
    if (out.length >= MAX_SAMPLE_LINES * 4) break;
  }
  return out;
}

function extOf(name: string | undefined): string {
  if (!name) return '';
  const base = name.split(/[\\/]/).pop() ?? '';
  const m = /\.([A-Za-z0-9]+)$/.exec(base);
  return m ? (m[1] as string).toLowerCase() : '';
}

/**
 * Sniffs a file from its first bytes (pass up to SNIFF_BYTES; pass the whole
 * file when it is smaller, so the last line counts). `name` only breaks ties.
 */
export function sniffFormat(head: Buffer, name?: string): SniffResult {
  const truncated = head.length >= SNIFF_BYTES;
  const buf = head.length > SNIFF_BYTES ? head.subarray(0, SNIFF_BYTES) : head;
  for (const m of MAGICS) {
    if (startsWith(buf, m.bytes, m.offset)) return { format: m.format, confidence: 1, reason: m.reason, encoding: 'utf8', bom: 0 };
  }
  if (buf.length === 0) return { format: 'text', confidence: 0.1, reason: 'empty file', encoding: 'utf8', bom: 0 };
  for (const m of BINARY_MAGICS) {
    if (startsWith(buf, m.bytes, 0)) {
      // "MZ" and "BZh" also begin ordinary words: only trust them when the rest is not text.
      const weak = m.bytes.length <= 3;
      if (!weak || sampleDamage(buf.subarray(0, 4096).toString('latin1')).score > 0.05) {
        return { format: 'binary', confidence: 0.95, reason: `binary: ${m.what}`, encoding: 'utf8', bom: 0 };
      }
    }
  }
  const enc = detectEncoding(buf, truncated);
  const decoded = decodeText(buf, enc.encoding, enc.bom);
  // Lines ended by a lone CR (classic Mac OS) are sniffed, and then read, as lines.
  const crOnly = !decoded.includes('\n') && decoded.includes('\r');
  const text = crOnly ? decoded.replaceAll('\r', '\n') : decoded;
  const base = { encoding: enc.encoding, bom: enc.bom, ...(crOnly ? { crOnly: true } : {}) };
  const { score: ctrl, padding } = sampleDamage(text);
  if (ctrl > 0.02 || (enc.encoding === 'latin1' && ctrl > 0.005)) {
    const what = padding > 0 && ctrl === 1 ? `mostly NUL bytes (${padding.toLocaleString('en-US')} of the sample's ${Math.min(text.length, 16384).toLocaleString('en-US')} characters), no lines of text` : `${(ctrl * 100).toFixed(1)}% control characters in the sample${padding > 0 ? ' (NUL padding aside)' : ''}`;
    return { ...base, format: 'binary', confidence: Math.min(1, 0.6 + ctrl * 4), reason: `binary: ${what}`, encoding: 'utf8', bom: 0 };
  }
  const enc8 = (enc.encoding === 'utf8' ? '' : ` (${enc.note})`) + (padding > 0 ? ` (${padding.toLocaleString('en-US')} NUL bytes of padding in the sample)` : '');

  const json = sniffJson(text, truncated, base);
  if (json) return { ...json, reason: json.reason + enc8, ...(RE_EVENTDATA_TEXT.test(text) ? { eventDataText: true } : {}) };

  const lines = splitSampleLines(text, truncated);
  const first = lines.find((l) => l.trim().length > 0) ?? '';
  if (first.startsWith('#separator ') || (first.startsWith('#') && lines.slice(0, 8).some((l) => l.startsWith('#fields\t')))) {
    const pathLine = lines.slice(0, 12).find((l) => l.startsWith('#path'));
    return {
      ...base,
      format: 'zeek-tsv',
      confidence: 0.99,
      reason: 'Zeek TSV header (#separator, #fields)' + enc8,
      zeekPath: pathLine ? (pathLine.slice(6).trim() || null) : null,
    };
  }
  if (lines.slice(0, 8).some((l) => l.startsWith('#Fields:')) && lines.slice(0, 8).some((l) => /^#(Software|Version|Date):/.test(l))) {
    return { ...base, format: 'iis-w3c', confidence: 0.98, reason: 'W3C extended log header (#Software/#Version, #Fields)' + enc8 };
  }
  if (lines.slice(0, 8).some((l) => l.startsWith('#Fields:'))) {
    return { ...base, format: 'iis-w3c', confidence: 0.85, reason: 'W3C #Fields directive' + enc8 };
  }

  // Line votes: every non-blank, non-# line goes to the first format that reads it.
  const clock = new SyslogClock({ notAfter: Date.UTC(2100, 0, 1) });
  const votes = new Map<LineKind, number>();
  let considered = 0;
  let authLines = 0;
  let endpointKeys = 0;
  let endpointDates = 0;
  let zeekRows = 0;
  for (const l of lines) {
    if (considered >= MAX_SAMPLE_LINES) break;
    if (l.trim().length === 0 || l.startsWith('#')) continue;
    considered++;
    if (RE_SLG_ENDPOINT_KEY.test(l)) {
      endpointKeys++;
      if (l.startsWith('Date: ')) endpointDates++;
    }
    if (RE_ZEEK_ROW.test(l)) zeekRows++;
    const k = classifyLine(l, clock);
    if (k) {
      votes.set(k.kind, (votes.get(k.kind) ?? 0) + 1);
      if (k.auth) authLines++;
    }
  }
  if (considered === 0) {
    return { ...base, format: 'text', confidence: 0.3, reason: 'only comments or blank lines in the sample' + enc8 };
  }
  if (endpointDates > 0 && endpointKeys / considered >= 0.9) {
    return { ...base, format: 'slg-endpoint', confidence: endpointKeys / considered, reason: 'multi-line "Key: Value" endpoint records opened by "Date:" (Security Log Generator)' + enc8 };
  }
  if (zeekRows / considered >= 0.9) {
    return { ...base, format: 'zeek-tsv', confidence: 0.6, reason: 'Zeek conn rows without a header (the start of the file is missing)' + enc8, zeekPath: null };
  }
  let bestKind: LineKind | null = null;
  let bestVotes = 0;
  for (const [k, v] of votes) {
    if (v > bestVotes) {
      bestKind = k;
      bestVotes = v;
    }
  }
  const share = bestVotes / considered;
  if (bestKind !== null && share >= 0.6) {
    let format: FormatName = bestKind;
    let reason = `${Math.round(share * 100)}% of ${considered} sampled lines are ${KIND_REASON[bestKind]}`;
    if (bestKind === 'syslog-3164' && authLines / bestVotes >= 0.5) {
      format = 'auth-log';
      reason += `, ${Math.round((authLines / bestVotes) * 100)}% of them from sshd/sudo/su/PAM and other auth programs`;
    }
    return { ...base, format, confidence: Math.min(0.99, share), reason: reason + enc8 };
  }

  // CSV / TSV: a header row and consistent columns.
  const nonComment = lines.filter((l) => !l.startsWith('#'));
  const csv = detectCsvHeader(nonComment);
  const ext = extOf(name);
  if (csv && (csv.columns !== null || ext === 'csv' || ext === 'tsv')) {
    const isTsv = csv.delimiter === '\t';
    const format: FormatName = isTsv ? 'tsv' : 'csv';
    const flavorNote = csv.flavor === 'generic' ? '' : ` (${csv.flavor} timeline)`;
    const cols = csv.columns ? `${csv.columns.length} columns` : 'no header row';
    const conf = csv.columns ? (csv.flavor !== 'generic' ? 0.95 : 0.8) : 0.5;
    return { ...base, format, confidence: conf, reason: `${isTsv ? 'tab' : `"${csv.delimiter}"`}-separated values with ${cols}${flavorNote}` + enc8, csv };
  }

  if (bestKind !== null && share >= 0.3) {
    return {
      ...base,
      format: 'text',
      confidence: 0.4,
      reason: `plain text; only ${Math.round(share * 100)}% of sampled lines are ${KIND_REASON[bestKind]}, imported line by line` + enc8,
    };
  }
  return { ...base, format: 'text', confidence: 0.5, reason: 'text without a recognised structure: one event per line' + enc8 };
}
