import { domainToASCII } from 'node:url';
import { parseCidr, parseIp, type ParsedIp } from '../net/ip-address';
import { IntervalSet } from './ip-ranges';
import { excerpt, type RejectedLine } from './ipsum';

/**
 * Custom IOC lists: the analyst's own indicators (from a report, a sharing
 * group, a previous case) as text or CSV. Each line yields at most one
 * indicator: an IP, a CIDR, a domain or a file hash (MD5, SHA-1, SHA-256).
 *
 * Feeds are often "defanged" so nobody clicks them (1.2.3[.]4,
 * hxxps://evil[.]com/x): those are refanged. A URL yields its host. A CSV
 * with a header row names its indicator column (indicator, ioc, value,
 * observable, ip, domain, hash...); otherwise the first column is read.
 */

export const IOC_KINDS = ['ip', 'cidr', 'domain', 'md5', 'sha1', 'sha256'] as const;
export type IocKind = (typeof IOC_KINDS)[number];

export interface Indicator {
  kind: IocKind;
  /** Canonical: IP text, network/prefix, lower-case ASCII domain, lower-case hex. */
  value: string;
}

export interface IocParse {
  indicators: Indicator[];
  counts: Record<IocKind, number>;
  lines: number;
  duplicates: number;
  rejected: number;
  rejectedSamples: RejectedLine[];
}

const MAX_LINE = 8192;
const MAX_SAMPLES = 50;
const HEADER_NAMES = new Set(['indicator', 'ioc', 'iocs', 'value', 'observable', 'ip', 'ips', 'address', 'domain', 'domains', 'hostname', 'host', 'hash', 'md5', 'sha1', 'sha256', 'cidr', 'network', 'data']);

function refang(s: string): string {
  return s
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[:\]/g, ':')
    .replace(/^hxxp/i, 'http')
    .replace(/^fxp/i, 'ftp');
}

function splitCsv(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (c === delim) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function detectDelimiter(line: string): string | null {
  for (const d of [',', '\t', ';', '|']) if (line.includes(d)) return d;
  return null;
}

/** Lower-case ASCII (punycode) domain, or null when the text is not a plausible domain name. */
export function normaliseDomain(input: string): string | null {
  let s = input.trim().replace(/\.$/, '');
  if (s.startsWith('*.')) s = s.slice(2);
  if (s.length === 0 || s.length > 253 || !s.includes('.')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\s/\\@:?#\u0000-\u001f]/.test(s)) return null;
  const ascii = /^[\x20-\x7e]*$/.test(s) ? s.toLowerCase() : domainToASCII(s);
  if (!ascii) return null;
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || !/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(label)) return null;
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return null; // an all-numeric TLD is an IP-ish typo, not a domain
  return ascii;
}

const HASH_KIND: Record<number, IocKind> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/** Classify one field; `why` explains a refusal. */
export function classifyIndicator(field: string): Indicator | { why: string } {
  let s = refang(field.trim()).replace(/^["']|["']$/g, '');
  if (s.length === 0) return { why: 'empty' };
  const prefixed = /^(md5|sha-?1|sha-?256)\s*[:=]\s*(.+)$/i.exec(s);
  if (prefixed) s = prefixed[2]!.trim();
  if (/^[0-9a-f]+$/i.test(s)) {
    const kind = HASH_KIND[s.length];
    if (kind) return { kind, value: s.toLowerCase() };
  }
  if (s.includes('/') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    const cidr = parseCidr(s);
    if (cidr) {
      const hostRoute = cidr.prefix === (cidr.family === 4 ? 32 : 128);
      return hostRoute ? { kind: 'ip', value: cidr.canonical.replace(/\/\d+$/, '') } : { kind: 'cidr', value: cidr.canonical };
    }
  }
  const ip = parseIp(s);
  if (ip) return { kind: 'ip', value: ip.canonical };
  let host = s;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(s);
  if (url) {
    host = url[1]!.replace(/^[^@]*@/, '');
    const bracketed = /^\[([^\]]+)\]/.exec(host);
    const hostIp = parseIp(bracketed ? bracketed[1]! : host.replace(/:\d+$/, ''));
    if (hostIp) return { kind: 'ip', value: hostIp.canonical };
    host = host.replace(/:\d+$/, '');
  }
  const domain = normaliseDomain(host);
  if (domain) return { kind: 'domain', value: domain };
  return { why: /^[0-9a-f]+$/i.test(s) ? `hex of length ${s.length} is not an MD5, SHA-1 or SHA-256` : 'not an IP, CIDR, domain or hash' };
}

/** Parse IOC list text. Comments (#, //) and blank lines are skipped; everything else is an indicator or a counted rejection. */
export function parseIocList(text: string): IocParse {
  const counts: Record<IocKind, number> = { ip: 0, cidr: 0, domain: 0, md5: 0, sha1: 0, sha256: 0 };
  const seen = new Set<string>();
  const indicators: Indicator[] = [];
  let lines = 0;
  let duplicates = 0;
  let rejected = 0;
  const rejectedSamples: RejectedLine[] = [];
  const reject = (line: number, reason: string, raw: string): void => {
    rejected++;
    if (rejectedSamples.length < MAX_SAMPLES) rejectedSamples.push({ line, reason, excerpt: excerpt(raw) });
  };
  let delim: string | null | undefined;
  let column = 0;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    lines++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed.length === 0 || trimmed.startsWith('#') || trimmed.startsWith('//')) continue;
    if (line.length > MAX_LINE) {
      reject(lines, `line longer than ${MAX_LINE} characters`, line);
      continue;
    }
    if (delim === undefined) {
      // The first content line decides the layout: a header names the column.
      delim = detectDelimiter(trimmed);
      if (delim) {
        const cells = splitCsv(trimmed, delim).map((c) => c.toLowerCase());
        const named = cells.findIndex((c) => HEADER_NAMES.has(c));
        if (named !== -1 && !cells.some((c) => !('why' in classifyIndicator(c)))) {
          column = named;
          continue;
        }
      }
    }
    const field = delim ? (splitCsv(trimmed, delim)[column] ?? '') : trimmed;
    // A plain text list may carry a trailing comment or note: "1.2.3.4  # scanner", "1.2.3.4,scanner".
    const value = delim ? field : (field.split(/[\s,;|]+/)[0] ?? '');
    const got = classifyIndicator(value);
    if ('why' in got) {
      reject(lines, got.why, line);
      continue;
    }
    const key = `${got.kind}\u0000${got.value}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    counts[got.kind]++;
    indicators.push(got);
  }
  return { indicators, counts, lines, duplicates, rejected, rejectedSamples };
}

/** One list's indicators, indexed for lookups. */
export class IocIndex {
  private readonly ips = new Set<string>();
  private readonly cidrs = new IntervalSet();
  private readonly domains = new Set<string>();
  private readonly hashes = new Set<string>();

  constructor(
    readonly name: string,
    indicators: Iterable<Indicator>,
  ) {
    for (const ind of indicators) {
      switch (ind.kind) {
        case 'ip':
          this.ips.add(ind.value);
          break;
        case 'cidr': {
          const c = parseCidr(ind.value);
          if (c) this.cidrs.add(c.family, c.first, c.last);
          break;
        }
        case 'domain':
          this.domains.add(ind.value);
          break;
        default:
          this.hashes.add(ind.value);
      }
    }
  }

  hasIp(ip: ParsedIp): boolean {
    return this.ips.has(ip.canonical) || this.cidrs.has(ip);
  }

  /** The domain itself or any parent domain is listed (evil.com covers a.evil.com). */
  hasDomain(domain: string): boolean {
    const d = normaliseDomain(domain);
    if (!d) return false;
    for (let at = 0; at !== -1 && at < d.length; ) {
      if (this.domains.has(d.slice(at))) return true;
      const dot = d.indexOf('.', at);
      at = dot === -1 ? -1 : dot + 1;
    }
    return false;
  }

  hasHash(hash: string): boolean {
    return this.hashes.has(hash.trim().toLowerCase());
  }
}
