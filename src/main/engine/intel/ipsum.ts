import { parseIp } from '../net/ip-address';

/**
 * IPsum (github.com/stamparm/ipsum): a daily feed of IPs with the number of
 * public blocklists each appears on. Format: `#` comment lines (one says
 * "Last update: <RFC 2822 date>"), then `IP<TAB>count` per line.
 */

export interface RejectedLine {
  line: number;
  reason: string;
  /** At most 200 characters of the line. */
  excerpt: string;
}

export interface IpsumParse {
  /** Canonical IP -> number of lists. */
  scores: Map<string, number>;
  /** The feed's own date ("# Last update: ..."), or null when the header has none. */
  feedDate: Date | null;
  lines: number;
  rejected: number;
  rejectedSamples: RejectedLine[];
  duplicates: number;
}

export const MAX_IPSUM_BYTES = 64 * 1024 * 1024;
const MAX_SAMPLES = 50;
const MAX_SCORE = 1000;

export function excerpt(line: string): string {
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function headerDate(comment: string): Date | null {
  const m = /^#\s*Last update:\s*(.+)$/i.exec(comment);
  if (!m) return null;
  const d = new Date(m[1]!.trim());
  return Number.isFinite(d.getTime()) ? d : null;
}

/**
 * Parse an IPsum list. Every line that is neither a comment nor an entry is
 * counted with its number and reason. A repeated IP keeps its highest count.
 */
export function parseIpsum(text: string): IpsumParse {
  const scores = new Map<string, number>();
  let feedDate: Date | null = null;
  let lines = 0;
  let rejected = 0;
  let duplicates = 0;
  const rejectedSamples: RejectedLine[] = [];
  const reject = (line: number, reason: string, raw: string): void => {
    rejected++;
    if (rejectedSamples.length < MAX_SAMPLES) rejectedSamples.push({ line, reason, excerpt: excerpt(raw) });
  };
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    lines++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    if (line.charCodeAt(0) === 35 /* # */) {
      feedDate ??= headerDate(line);
      continue;
    }
    const tab = line.search(/[\t ]/);
    const ipText = tab === -1 ? line : line.slice(0, tab);
    const countText = tab === -1 ? '' : line.slice(tab + 1).trim();
    const ip = parseIp(ipText);
    if (!ip) {
      reject(lines, 'not an IP address', line);
      continue;
    }
    // A bare IP (the levels/N.txt layout) counts as being on one list.
    const count = countText === '' ? 1 : /^\d{1,4}$/.test(countText) ? Number(countText) : NaN;
    if (!Number.isInteger(count) || count < 1 || count > MAX_SCORE) {
      reject(lines, `list count "${excerpt(countText)}" is not a number from 1 to ${MAX_SCORE}`, line);
      continue;
    }
    const prev = scores.get(ip.canonical);
    if (prev !== undefined) {
      duplicates++;
      if (prev >= count) continue;
    }
    scores.set(ip.canonical, count);
  }
  return { scores, feedDate, lines, rejected, rejectedSamples, duplicates };
}

/**
 * Whether a parse looks like an IPsum list at all: a download that returned
 * an HTML error page or a truncated body must not replace a good list.
 */
export function ipsumProblem(p: IpsumParse): string | null {
  if (p.scores.size === 0) return p.rejected > 0 ? `no valid entries (${p.rejected} lines rejected; first: line ${p.rejectedSamples[0]?.line}: ${p.rejectedSamples[0]?.reason})` : 'no entries';
  const bad = p.rejected / (p.rejected + p.scores.size);
  if (p.rejected > 10 && bad > 0.01) return `${p.rejected} of ${p.rejected + p.scores.size} entry lines are not "IP<TAB>count" (first: line ${p.rejectedSamples[0]?.line}: ${p.rejectedSamples[0]?.reason})`;
  return null;
}
