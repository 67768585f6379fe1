/**
 * A small, safe Markdown subset for case notes: parsed into a tree that the
 * report renders to escaped HTML and the UI renders to React elements, so no
 * note text ever reaches the page as markup. Notes quote hostile log lines,
 * so raw HTML in a note is text, and links are only http(s) or mailto.
 *
 * Supported: ATX headings, paragraphs, emphasis (* _), strong (** __),
 * strikethrough (~~), code spans, fenced code blocks, block quotes, ordered
 * and bullet lists (nested by indentation), pipe tables, horizontal rules,
 * hard line breaks (two trailing spaces or a backslash), links [t](url),
 * autolinks <url> and bare http(s) URLs, backslash escapes.
 */

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'em' | 'strong' | 'del'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] }
  | { t: 'br' };

export type Block =
  | { t: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; c: Inline[] }
  | { t: 'para'; c: Inline[] }
  | { t: 'code'; lang: string; v: string }
  | { t: 'quote'; c: Block[] }
  | { t: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { t: 'table'; align: Array<'left' | 'center' | 'right' | null>; head: Inline[][]; rows: Inline[][][] }
  | { t: 'hr' };

/** Longest note text parsed; the rest is cut (a note is prose, not a log dump). */
export const MARKDOWN_MAX_CHARS = 200_000;
const MAX_DEPTH = 8;
const MAX_TABLE_COLUMNS = 50;

export function parseMarkdown(text: string): Block[] {
  const src = text.length > MARKDOWN_MAX_CHARS ? text.slice(0, MARKDOWN_MAX_CHARS) : text;
  const lines = src.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  return parseBlocks(lines, 0);
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const HR = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^( {0,3})([-*+])\s+(.*)$/;
const ORDERED = /^( {0,3})(\d{1,9})[.)]\s+(.*)$/;
const TABLE_DELIM = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === '';
}

function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || BULLET.test(line) || ORDERED.test(line);
}

function parseBlocks(lines: string[], depth: number): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] as string;
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] as string).trimStart().startsWith(marker)) body.push(lines[i++] as string);
      i++; // the closing fence (or past the end)
      out.push({ t: 'code', lang: (fence[2] ?? '').slice(0, 40), v: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push({ t: 'heading', level: (heading[1] as string).length as 1 | 2 | 3 | 4 | 5 | 6, c: parseInline(heading[2] ?? '', depth) });
      i++;
      continue;
    }
    if (HR.test(line)) {
      out.push({ t: 'hr' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const m = QUOTE.exec(lines[i] as string);
        inner.push(m ? (m[1] ?? '') : (lines[i] as string));
        i++;
      }
      out.push(depth >= MAX_DEPTH ? { t: 'para', c: [{ t: 'text', v: inner.join('\n') }] } : { t: 'quote', c: parseBlocks(inner, depth + 1) });
      continue;
    }
    const listStart = BULLET.exec(line) ?? ORDERED.exec(line);
    if (listStart) {
      const r = parseList(lines, i, depth);
      out.push(r.block);
      i = r.next;
      continue;
    }
    if (line.includes('|') && TABLE_DELIM.test(lines[i + 1] ?? '') && (lines[i + 1] ?? '').includes('-')) {
      const r = parseTable(lines, i, depth);
      if (r) {
        out.push(r.block);
        i = r.next;
        continue;
      }
    }
    const para: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && (para.length === 0 || !startsBlock(lines[i] as string))) para.push(lines[i++] as string);
    out.push({ t: 'para', c: parseInline(para.join('\n'), depth) });
  }
  return out;
}

function parseList(lines: string[], from: number, depth: number): { block: Block; next: number } {
  const first = (BULLET.exec(lines[from] as string) ?? ORDERED.exec(lines[from] as string)) as RegExpExecArray;
  const ordered = !BULLET.test(lines[from] as string);
  const start = ordered ? Math.min(Number(first[2]), 1_000_000_000) : 1;
  const items: string[][] = [];
  let i = from;
  while (i < lines.length) {
    const line = lines[i] as string;
    const m = ordered ? ORDERED.exec(line) : BULLET.exec(line);
    if (!m) break;
    // The item's own text starts at contentCol; lines indented at least
    // `need` spaces continue it (2 is enough, as most people nest lists).
    const contentCol = line.length - (m[3] as string).length;
    const need = Math.min(contentCol, 2);
    const item = [m[3] as string];
    i++;
    while (i < lines.length) {
      const next = lines[i] as string;
      if (isBlank(next)) {
        // A blank line continues the item only when indented content follows.
        const after = lines[i + 1];
        if (after !== undefined && !isBlank(after) && leadingSpaces(after) >= need) {
          item.push('');
          i++;
          continue;
        }
        break;
      }
      const sp = leadingSpaces(next);
      if (sp >= need) {
        item.push(next.slice(Math.min(sp, contentCol)));
        i++;
        continue;
      }
      if (startsBlock(next)) break;
      item.push(next.trimStart()); // lazy continuation of the paragraph
      i++;
    }
    items.push(item);
    // Blank lines between items of the same list.
    let j = i;
    while (j < lines.length && isBlank(lines[j])) j++;
    const resume = j < lines.length ? (ordered ? ORDERED : BULLET).exec(lines[j] as string) : null;
    if (j > i && resume) i = j;
  }
  const blocks = items.map((it) => (depth >= MAX_DEPTH ? [{ t: 'para' as const, c: [{ t: 'text' as const, v: it.join('\n') }] }] : parseBlocks(it, depth + 1)));
  return { block: { t: 'list', ordered, start, items: blocks }, next: i };
}

function leadingSpaces(s: string): number {
  const m = /^ */.exec(s);
  return m ? m[0].length : 0;
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k] as string;
    if (ch === '\\' && s[k + 1] === '|') {
      cur += '|';
      k++;
    } else if (ch === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells.slice(0, MAX_TABLE_COLUMNS);
}

function parseTable(lines: string[], from: number, depth: number): { block: Block; next: number } | null {
  const head = splitRow(lines[from] as string);
  const delim = splitRow(lines[from + 1] as string);
  if (delim.length !== head.length) return null;
  const align = delim.map((d) => {
    const l = d.startsWith(':');
    const r = d.endsWith(':');
    return l && r ? 'center' : r ? 'right' : l ? 'left' : null;
  });
  const rows: Inline[][][] = [];
  let i = from + 2;
  while (i < lines.length && !isBlank(lines[i]) && (lines[i] as string).includes('|')) {
    const cells = splitRow(lines[i] as string);
    rows.push(head.map((_, k) => parseInline(cells[k] ?? '', depth)));
    i++;
  }
  return { block: { t: 'table', align, head: head.map((h) => parseInline(h, depth)), rows }, next: i };
}

/** Only these reach an href; anything else (javascript:, data:, file:) stays text. */
export function safeHref(url: string): string | null {
  const u = url.trim();
  if (/^(https?:\/\/|mailto:)[^\s<>"']+$/i.test(u)) return u;
  return null;
}

const ESCAPABLE = new Set('\\`*_{}[]()#+-.!|~<>'.split(''));

/**
 * Inline parser. Each opening delimiter searches forward for its closer; when
 * a marker has no closer after position p it has none after any later
 * position either, so that failure is remembered and unmatched markers never
 * make the scan quadratic.
 */
export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const noCloser = new Map<string, number>();
  const flush = () => {
    if (buf) out.push({ t: 'text', v: buf });
    buf = '';
  };
  const findCloser = (marker: string, from: number): number => {
    const failedAt = noCloser.get(marker);
    if (failedAt !== undefined && from >= failedAt) return -1;
    const at = text.indexOf(marker, from);
    if (at < 0) noCloser.set(marker, from);
    return at;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      const nx = text[i + 1] as string;
      if (nx === '\n') {
        flush();
        out.push({ t: 'br' });
        i += 2;
        continue;
      }
      if (ESCAPABLE.has(nx)) {
        buf += nx;
        i += 2;
        continue;
      }
    }
    if (ch === '\n') {
      if (buf.endsWith('  ')) {
        buf = buf.replace(/ +$/, '');
        flush();
        out.push({ t: 'br' });
      } else buf += '\n';
      i++;
      continue;
    }
    if (ch === '`') {
      let n = 1;
      while (text[i + n] === '`') n++;
      const marker = '`'.repeat(n);
      const close = findCloser(marker, i + n);
      if (close >= 0) {
        flush();
        let code = text.slice(i + n, close).replace(/\n/g, ' ');
        if (code.length > 1 && code.startsWith(' ') && code.endsWith(' ')) code = code.slice(1, -1);
        out.push({ t: 'code', v: code });
        i = close + n;
        continue;
      }
      buf += marker;
      i += n;
      continue;
    }
    if (depth < MAX_DEPTH && (ch === '*' || ch === '_' || ch === '~')) {
      const double = text[i + 1] === ch;
      if (ch === '~' && !double) {
        buf += ch;
        i++;
        continue;
      }
      const marker = double ? ch + ch : ch;
      // An opener must be followed by non-space; `_` inside a word (snake_case) is text.
      const nextCh = text[i + marker.length];
      const prevCh = i > 0 ? text[i - 1] : ' ';
      const intraword = ch === '_' && /[A-Za-z0-9]/.test(prevCh ?? ' ');
      if (nextCh !== undefined && !/\s/.test(nextCh) && !intraword) {
        let close = findCloser(marker, i + marker.length + 1);
        // The closer must follow non-space; skip closers that do not qualify, boundedly.
        let guard = 0;
        while (close >= 0 && /\s/.test(text[close - 1] ?? ' ') && guard++ < 50) close = findCloser(marker, close + marker.length);
        if (close >= 0 && !(ch === '_' && /[A-Za-z0-9]/.test(text[close + marker.length] ?? ' '))) {
          flush();
          const inner = parseInline(text.slice(i + marker.length, close), depth + 1);
          out.push({ t: ch === '~' ? 'del' : double ? 'strong' : 'em', c: inner });
          i = close + marker.length;
          continue;
        }
      }
      buf += marker;
      i += marker.length;
      continue;
    }
    if (ch === '[' && depth < MAX_DEPTH) {
      const closeBracket = findCloser('](', i + 1);
      if (closeBracket >= 0) {
        const closeParen = text.indexOf(')', closeBracket + 2);
        const label = text.slice(i + 1, closeBracket);
        const url = closeParen >= 0 ? text.slice(closeBracket + 2, closeParen).trim() : '';
        if (closeParen >= 0 && !label.includes('\n') && !/\s/.test(url) && url.length <= 2048 && !label.includes('](')) {
          flush();
          const href = safeHref(url);
          const inner = parseInline(label, depth + 1);
          if (href) out.push({ t: 'link', href, c: inner });
          else out.push(...inner, { t: 'text', v: ` (${url})` });
          i = closeParen + 1;
          continue;
        }
      }
    }
    if (ch === '<') {
      const close = text.indexOf('>', i + 1);
      if (close > i && close - i < 2048) {
        const inner = text.slice(i + 1, close);
        const href = safeHref(inner);
        if (href) {
          flush();
          out.push({ t: 'link', href, c: [{ t: 'text', v: inner }] });
          i = close + 1;
          continue;
        }
      }
    }
    if ((ch === 'h' || ch === 'H') && /^https?:\/\//i.test(text.slice(i, i + 8)) && !/[A-Za-z0-9]/.test(text[i - 1] ?? ' ')) {
      const m = /^https?:\/\/[^\s<>"'`]+/i.exec(text.slice(i, i + 2048));
      if (m) {
        // Trailing punctuation belongs to the sentence, not the URL.
        const url = m[0].replace(/[.,;:!?)\]]+$/, '');
        flush();
        out.push({ t: 'link', href: url, c: [{ t: 'text', v: url }] });
        i += url.length;
        continue;
      }
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}

/** Plain text of inline content (titles, previews, search). */
export function inlineText(nodes: Inline[]): string {
  return nodes.map((n) => (n.t === 'text' || n.t === 'code' ? n.v : n.t === 'br' ? '\n' : inlineText(n.c))).join('');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

export interface MarkdownHtmlOptions {
  /**
   * 'anchor': links become <a href> (http, https, mailto only).
   * 'text': the label followed by the URL in parentheses, no anchor: for a
   * report that must carry no external URL a click could follow.
   */
  links?: 'anchor' | 'text';
  /** Shift headings down so a note's "# Title" sits under the report's own headings. */
  headingOffset?: number;
}

export function markdownToHtml(text: string, opts: MarkdownHtmlOptions = {}): string {
  return blocksToHtml(parseMarkdown(text), opts);
}

export function blocksToHtml(blocks: Block[], opts: MarkdownHtmlOptions = {}): string {
  return blocks.map((b) => blockHtml(b, opts)).join('\n');
}

function blockHtml(b: Block, opts: MarkdownHtmlOptions): string {
  switch (b.t) {
    case 'heading': {
      const level = Math.min(6, b.level + (opts.headingOffset ?? 0));
      return `<h${level}>${inlineHtml(b.c, opts)}</h${level}>`;
    }
    case 'para':
      return `<p>${inlineHtml(b.c, opts)}</p>`;
    case 'code':
      return `<pre><code>${escapeHtml(b.v)}</code></pre>`;
    case 'quote':
      return `<blockquote>${blocksToHtml(b.c, opts)}</blockquote>`;
    case 'hr':
      return '<hr>';
    case 'list': {
      const tag = b.ordered ? 'ol' : 'ul';
      const start = b.ordered && b.start !== 1 ? ` start="${b.start}"` : '';
      return `<${tag}${start}>${b.items.map((it) => `<li>${itemHtml(it, opts)}</li>`).join('')}</${tag}>`;
    }
    case 'table': {
      const al = (k: number) => (b.align[k] ? ` style="text-align:${b.align[k]}"` : '');
      const head = b.head.map((c, k) => `<th${al(k)}>${inlineHtml(c, opts)}</th>`).join('');
      const rows = b.rows.map((r) => `<tr>${r.map((c, k) => `<td${al(k)}>${inlineHtml(c, opts)}</td>`).join('')}</tr>`).join('');
      return `<table class="md-table"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
    }
  }
}

/** A list item of one paragraph renders tight (no <p>), as people expect. */
function itemHtml(blocks: Block[], opts: MarkdownHtmlOptions): string {
  if (blocks.length === 1 && blocks[0]?.t === 'para') return inlineHtml(blocks[0].c, opts);
  return blocksToHtml(blocks, opts);
}

function inlineHtml(nodes: Inline[], opts: MarkdownHtmlOptions): string {
  return nodes
    .map((n) => {
      switch (n.t) {
        case 'text':
          return escapeHtml(n.v);
        case 'code':
          return `<code>${escapeHtml(n.v)}</code>`;
        case 'br':
          return '<br>';
        case 'em':
          return `<em>${inlineHtml(n.c, opts)}</em>`;
        case 'strong':
          return `<strong>${inlineHtml(n.c, opts)}</strong>`;
        case 'del':
          return `<del>${inlineHtml(n.c, opts)}</del>`;
        case 'link': {
          const label = inlineHtml(n.c, opts);
          if (opts.links === 'text') return inlineText(n.c) === n.href ? `<span class="url">${escapeHtml(n.href)}</span>` : `${label} <span class="url">(${escapeHtml(n.href)})</span>`;
          return `<a href="${escapeHtml(n.href)}" rel="noopener noreferrer">${label}</a>`;
        }
      }
    })
    .join('');
}
