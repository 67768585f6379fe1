/**
 * The search language's tokens. Shared by the engine (which parses them) and
 * the query bar (which colours them), so what the analyst sees highlighted is
 * exactly what the engine reads.
 */
export type TokenKind =
  | 'field' // `CommandLine` in `CommandLine:foo` (the colon is its own token)
  | 'colon'
  | 'word' // a bare value or free-text word; may hold * and ? wildcards
  | 'phrase' // "quoted text"; text holds the unescaped content
  | 'op' // > >= < <=
  | 'and'
  | 'or'
  | 'not'
  | 'to'
  | 'lparen'
  | 'rparen'
  | 'lbracket' // [ (inclusive) or { (exclusive)
  | 'rbracket'
  | 'minus' // leading - means NOT
  | 'error'; // an unterminated phrase

export interface Token {
  kind: TokenKind;
  /** The value: unescaped for words and phrases, the name for fields. */
  text: string;
  /** Offsets in the query string: [start, end). */
  start: number;
  end: number;
  /** Words only: positions (in `text`) of unescaped * and ? wildcards. */
  wild?: number[];
}

const FIELD_RE = /^[A-Za-z_@][A-Za-z0-9_.@-]*/;
const MAX_QUERY_LENGTH = 20_000;

/** Characters that end a bare word. A colon does not (IPv6 values hold colons). */
function isBreak(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '(' || ch === ')' || ch === '"' || ch === '[' || ch === ']' || ch === '{' || ch === '}';
}

/** A field name that needs no quotes in a query. */
export function isPlainFieldName(name: string): boolean {
  return FIELD_RE.exec(name)?.[0] === name;
}

/** A field name as it must be typed: bare when plain, else quoted. */
export function quoteFieldName(name: string): string {
  return isPlainFieldName(name) ? name : `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function tokenize(input: string): Token[] {
  const s = input.length > MAX_QUERY_LENGTH ? input.slice(0, MAX_QUERY_LENGTH) : input;
  const out: Token[] = [];
  let i = 0;
  // After `field:` the value may hold colons (IPv6, URLs); elsewhere a word
  // that looks like `name:` starts a field.
  let afterColon = false;
  let depth = 0; // inside [ ... ]: `TO` is a keyword there only
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      // `host: foo` still means host:foo; any other gap ends the value.
      const last = out[out.length - 1];
      if (last?.kind !== 'colon' && last?.kind !== 'op') afterColon = false;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')') {
      out.push({ kind: ch === '(' ? 'lparen' : 'rparen', text: ch, start, end: ++i });
      afterColon = false;
      continue;
    }
    if (ch === '[' || ch === '{') {
      out.push({ kind: 'lbracket', text: ch, start, end: ++i });
      depth++;
      afterColon = false;
      continue;
    }
    if (ch === ']' || ch === '}') {
      out.push({ kind: 'rbracket', text: ch, start, end: ++i });
      depth = Math.max(0, depth - 1);
      afterColon = false;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let text = '';
      let closed = false;
      while (j < s.length) {
        const c = s[j] as string;
        if (c === '\\' && j + 1 < s.length) {
          text += s[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          j++;
          break;
        }
        text += c;
        j++;
      }
      // "Source IP":10.0.0.1 -- a quoted field name (CSV headers and JSON keys may hold spaces).
      if (closed && !afterColon && depth === 0 && s[j] === ':' && text.length > 0) {
        out.push({ kind: 'field', text, start, end: j });
        out.push({ kind: 'colon', text: ':', start: j, end: j + 1 });
        i = j + 1;
        afterColon = true;
        continue;
      }
      out.push({ kind: closed ? 'phrase' : 'error', text, start, end: j });
      i = j;
      afterColon = false;
      continue;
    }
    if (afterColon && (ch === '>' || ch === '<')) {
      const two = s[i + 1] === '=';
      out.push({ kind: 'op', text: two ? `${ch}=` : ch, start, end: (i += two ? 2 : 1) });
      continue; // the value follows, still after the colon
    }
    if (ch === '-' && !afterColon && (out.length === 0 || isOperatorBoundary(out[out.length - 1]))) {
      const next = s[i + 1];
      if (next !== undefined && next !== ' ' && next !== '-') {
        out.push({ kind: 'minus', text: '-', start, end: ++i });
        continue;
      }
    }
    if (!afterColon) {
      const m = FIELD_RE.exec(s.slice(i));
      if (m && s[i + m[0].length] === ':' && depth === 0) {
        out.push({ kind: 'field', text: m[0], start, end: i + m[0].length });
        i += m[0].length;
        out.push({ kind: 'colon', text: ':', start: i, end: i + 1 });
        i++;
        afterColon = true;
        continue;
      }
    }
    // A bare word: up to whitespace or a break character; backslash escapes.
    let j = i;
    let text = '';
    const wild: number[] = [];
    while (j < s.length && !isBreak(s[j] as string)) {
      const c = s[j] as string;
      if (c === '\\' && j + 1 < s.length) {
        text += s[j + 1];
        j += 2;
        continue;
      }
      if (c === '*' || c === '?') wild.push(text.length);
      text += c;
      j++;
    }
    const word = s.slice(i, j);
    const upper = word.toUpperCase();
    const wasAfterColon = afterColon;
    afterColon = false;
    if (!wasAfterColon && (upper === 'AND' || upper === 'OR' || upper === 'NOT' || word === '&&' || word === '||')) {
      const kind = upper === 'AND' || word === '&&' ? 'and' : upper === 'OR' || word === '||' ? 'or' : 'not';
      out.push({ kind, text: word, start, end: j });
    } else if (depth > 0 && upper === 'TO') {
      out.push({ kind: 'to', text: word, start, end: j });
    } else {
      out.push({ kind: 'word', text, start, end: j, ...(wild.length > 0 ? { wild } : {}) });
    }
    i = j;
  }
  return out;
}

function isOperatorBoundary(t: Token | undefined): boolean {
  return t === undefined || t.kind === 'lparen' || t.kind === 'and' || t.kind === 'or' || t.kind === 'not' || t.kind === 'word' || t.kind === 'phrase' || t.kind === 'rparen' || t.kind === 'rbracket';
}
