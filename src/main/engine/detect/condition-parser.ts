/**
 * Sigma `condition` expressions: and/or/not, parentheses, `1 of x*`,
 * `all of x*`, `1 of them`, `all of them`. Precedence is the spec's:
 * not binds tighter than and, and tighter than or.
 *
 * Errors are thrown as ConditionError; the pipe aggregations of Sigma v1
 * (`| count() > 5`, `near`) are reported as unsupported, not as errors,
 * because they were valid Sigma once and correlation rules replace them.
 */

export type CondAst =
  | { t: 'and'; xs: CondAst[] }
  | { t: 'or'; xs: CondAst[] }
  | { t: 'not'; x: CondAst }
  | { t: 'ref'; name: string }
  | { t: 'of'; quant: 'one' | 'all'; pattern: string };

export class ConditionError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'ConditionError';
  }
}

type Tok = { k: 'lp' } | { k: 'rp' } | { k: 'word'; v: string };

const MAX_CONDITION_CHARS = 20_000;
const MAX_DEPTH = 200;

function tokenize(src: string): Tok[] {
  if (src.length > MAX_CONDITION_CHARS) throw new ConditionError(`condition is longer than ${MAX_CONDITION_CHARS} characters`);
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(') {
      toks.push({ k: 'lp' });
      i++;
    } else if (ch === ')') {
      toks.push({ k: 'rp' });
      i++;
    } else if (ch === '|') {
      throw new ConditionError('aggregation in condition (Sigma v1 "| count() ..."): use a correlation rule', true);
    } else {
      let j = i;
      while (j < src.length && !/[\s()|]/.test(src[j] as string)) j++;
      toks.push({ k: 'word', v: src.slice(i, j) });
      i = j;
    }
  }
  return toks;
}

export function parseCondition(src: string): CondAst {
  const toks = tokenize(src);
  let pos = 0;
  const peekWord = (): string | undefined => {
    const t = toks[pos];
    return t?.k === 'word' ? t.v.toLowerCase() : undefined;
  };

  const parseOr = (depth: number): CondAst => {
    const xs = [parseAnd(depth)];
    while (peekWord() === 'or') {
      pos++;
      xs.push(parseAnd(depth));
    }
    return xs.length === 1 ? (xs[0] as CondAst) : { t: 'or', xs };
  };
  const parseAnd = (depth: number): CondAst => {
    const xs = [parseNot(depth)];
    while (peekWord() === 'and') {
      pos++;
      xs.push(parseNot(depth));
    }
    return xs.length === 1 ? (xs[0] as CondAst) : { t: 'and', xs };
  };
  const parseNot = (depth: number): CondAst => {
    if (depth > MAX_DEPTH) throw new ConditionError('condition nests too deeply');
    if (peekWord() === 'not') {
      pos++;
      return { t: 'not', x: parseNot(depth + 1) };
    }
    return parsePrimary(depth);
  };
  const parsePrimary = (depth: number): CondAst => {
    const t = toks[pos];
    if (!t) throw new ConditionError('condition ends where a selection name was expected');
    if (t.k === 'lp') {
      pos++;
      const inner = parseOr(depth + 1);
      if (toks[pos]?.k !== 'rp') throw new ConditionError('missing closing parenthesis in condition');
      pos++;
      return inner;
    }
    if (t.k === 'rp') throw new ConditionError('unexpected ")" in condition');
    const w = t.v.toLowerCase();
    if (w === 'and' || w === 'or') throw new ConditionError(`unexpected "${t.v}" in condition`);
    if (w === 'near') throw new ConditionError('"near" (Sigma v1 aggregation) in condition: use a temporal correlation rule', true);
    const next = toks[pos + 1];
    if ((w === '1' || w === 'all' || w === 'any') && next?.k === 'word' && next.v.toLowerCase() === 'of') {
      const target = toks[pos + 2];
      if (target?.k !== 'word') throw new ConditionError(`"${t.v} of" must be followed by a selection name, a pattern or "them"`);
      pos += 3;
      return { t: 'of', quant: w === 'all' ? 'all' : 'one', pattern: target.v };
    }
    if (/^\d+$/.test(w) && next?.k === 'word' && next.v.toLowerCase() === 'of') {
      throw new ConditionError(`"${t.v} of" is not Sigma: only "1 of" and "all of" exist`);
    }
    pos++;
    return { t: 'ref', name: t.v };
  };

  if (toks.length === 0) throw new ConditionError('condition is empty');
  const ast = parseOr(0);
  if (pos < toks.length) {
    const t = toks[pos] as Tok;
    throw new ConditionError(`unexpected ${t.k === 'word' ? `"${t.v}"` : t.k === 'lp' ? '"("' : '")"'} in condition`);
  }
  return ast;
}

/** Selection names a pattern (`selection_*`, `them`) stands for, in detection order. */
export function expandPattern(pattern: string, names: string[]): string[] {
  if (pattern.toLowerCase() === 'them') return names.filter((n) => !n.startsWith('_'));
  if (!pattern.includes('*') && !pattern.includes('?')) return names.filter((n) => n === pattern);
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return names.filter((n) => re.test(n));
}
