import { canonicalIp } from './net';
import { epochToIso } from './time';
import { emptyCore, quoteForReason, type Fields, type ParseResult } from './types';

/**
 * Linux audit records, as auditd writes /var/log/audit/audit.log:
 *
 *   [node=<host> ]type=<TYPE> msg=audit(<seconds>.<ms>:<serial>): key=value ...
 *
 * One line is one record; the records of one kernel event (SYSCALL, EXECVE,
 * CWD, PATH, PROCTITLE ...) share the `audit(...)` stamp, kept as `serial`
 * so they can be pulled together. Sigma's `product: linux, service: auditd`
 * rules read them record by record (`type: EXECVE`, `a0: ...`), which is how
 * they are stored: dataset `linux.auditd`, every key a column under its name.
 *
 * Values as auditd writes them:
 * - `"quoted"` text (auditd never puts a `"` inside: such values are hex);
 * - user-space records nest their own pairs in `msg='op=... acct="root" res=failed'`:
 *   the pairs inside become fields too (a key already seen keeps its first value);
 * - unquoted hex for text with spaces or special characters (EXECVE arguments
 *   `a0`, `a1` ..., `proctitle` with NUL between arguments, `cmd`, `name`, ...):
 *   decoded when it is text, so `a1: '-vv'` matches whatever auditd chose;
 *   SYSCALL's `a0`..`a3` are register values in hex and stay as written;
 * - the ENRICHED log format appends, after a 0x1d byte, interpreted values in
 *   upper case (`SYSCALL=execve AUID="alice"`). Sigma rules use those names
 *   (`SYSCALL: mknod`); DuckDB column names ignore case, so where one meets a
 *   raw key (`syscall=59`) the raw value moves to `<key>_raw` (`syscall_raw`).
 *
 * Core: ts from the stamp (Unix seconds: UTC), host = node, event_code = type,
 * user = acct, else the interpreted AUID/UID, else auid (unless unset) or uid,
 * process = exe or comm, src_ip = addr (or hostname when it is an address),
 * outcome from res= / success=, action = op= or the type in lower case.
 */

const HEAD = /^(?:node=(\S+) )?type=(\S+) msg=audit\((\d{1,11}(?:\.\d{1,6})?):(\d+)\):\s?/;
const HEX = /^(?:[0-9A-F]{2})+$/;
/** Keys auditd writes hex-encoded when their text needs it (auditing userspace's "encoded" fields). */
const ENCODED_KEYS = new Set(['proctitle', 'cmd', 'name', 'cwd', 'comm', 'exe', 'path', 'data', 'acct', 'new', 'old', 'ocomm', 'watch', 'dir', 'file', 'key', 'vm']);
const EXECVE_ARG = /^a\d+(?:\[\d+\])?$/;
const GS = '\u001d';
/** auid / uid 4294967295 (or -1): not set (no login session). */
const UNSET_ID = new Set(['4294967295', '-1']);
const DATASET = 'linux.auditd';

export function parseLinuxAuditLine(line: string): ParseResult {
  const h = HEAD.exec(line);
  if (!h) return { error: `not a Linux audit record (expected "type=... msg=audit(seconds:serial):"): ${quoteForReason(line)}` };
  const [head, node, type, stamp, serial] = h as unknown as [string, string | undefined, string, string, string];
  const body = line.slice(head.length);
  const gs = body.indexOf(GS);
  const plain = gs >= 0 ? body.slice(0, gs) : body;
  const enriched = gs >= 0 ? body.slice(gs + 1) : '';

  const fields: Fields = {};
  if (node !== undefined) fields.node = node;
  fields.type = type;
  fields.msg = `audit(${stamp}:${serial})`;
  fields.serial = serial;
  readPairs(plain, type, fields, true);
  if (enriched) {
    const interpreted: Fields = {};
    readPairs(enriched, type, interpreted, false);
    for (const [key, value] of Object.entries(interpreted)) {
      const same = Object.keys(fields).find((k) => k !== key && k.toLowerCase() === key.toLowerCase());
      if (same !== undefined) {
        fields[`${same}_raw`] = fields[same] ?? null;
        delete fields[same];
      }
      fields[key] = value;
    }
  }

  const core = emptyCore(DATASET);
  core.ts = epochToIso(stamp, 's');
  core.host = node ?? null;
  core.event_code = type;
  core.message = (gs >= 0 ? `${plain} ${enriched}` : plain).trim() || null;
  core.user = text(fields, 'acct') ?? id(fields, 'AUID') ?? id(fields, 'UID') ?? id(fields, 'auid') ?? id(fields, 'uid');
  core.process = text(fields, 'exe') ?? text(fields, 'comm');
  core.src_ip = canonicalIp(text(fields, 'addr')) ?? canonicalIp(text(fields, 'hostname'));
  core.action = text(fields, 'op') ?? type.toLowerCase().replaceAll('_', '-');
  const res = (text(fields, 'res') ?? text(fields, 'success'))?.toLowerCase();
  core.outcome = res === 'success' || res === 'yes' ? 'success' : res === 'failed' || res === 'no' ? 'failure' : null;
  return { fields, core };
}

/** A field's text, or null when absent, empty or one of auditd's "no value" marks. */
function text(fields: Fields, key: string): string | null {
  const v = fields[key];
  return typeof v === 'string' && v.length > 0 && v !== '?' && v !== '(none)' && v !== '(null)' ? v : null;
}

/** A user or login id, or null when unset (4294967295 or -1: no login session). */
function id(fields: Fields, key: string): string | null {
  const v = text(fields, key);
  return v !== null && !UNSET_ID.has(v) ? v : null;
}

/**
 * The `key=value` pairs of `text` into `into` (the first value of a key
 * wins); tokens without `=` (AVC's `denied { read } for`) are skipped, and a
 * nested `msg='...'` is read for its own pairs. A scanner rather than a
 * global regex: three times faster on 25-pair SYSCALL records.
 */
function readPairs(text: string, type: string, into: Fields, nest: boolean): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) return;
    const sp = text.indexOf(' ', i);
    if (sp >= 0 && sp < eq) {
      i = sp + 1;
      continue;
    }
    const key = text.slice(i, eq);
    const q = text.charCodeAt(eq + 1);
    let value: string;
    if (q === 34 || q === 39) {
      // "text" (auditd never puts a quote inside), or 'nested pairs'.
      const close = text.indexOf(q === 34 ? '"' : "'", eq + 2);
      const end = close < 0 ? n : close;
      value = text.slice(eq + 2, end);
      i = end + 1;
      if (q === 39) {
        if (nest) readPairs(value, type, into, false);
        continue;
      }
    } else {
      const end = sp < 0 ? n : sp;
      value = decoded(key, text.slice(eq + 1, end), type);
      i = end;
    }
    if (key.length > 0 && !(key in into)) into[key] = value;
  }
}

/** A bare value auditd hex-encoded, as text; anything else as written. */
function decoded(key: string, value: string, type: string): string {
  if (value.length < 2 || !HEX.test(value)) return value;
  const encoded = type === 'EXECVE' ? EXECVE_ARG.test(key) : ENCODED_KEYS.has(key);
  if (!encoded) return value;
  const bytes = Buffer.from(value, 'hex');
  // proctitle separates the arguments with NUL.
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bytes[i] = 32;
  const s = bytes.toString('utf8');
  // Not text (invalid UTF-8 or control characters): keep the hex.
  // eslint-disable-next-line no-control-regex
  return s.includes('\uFFFD') || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(s) ? value : s.trimEnd();
}
