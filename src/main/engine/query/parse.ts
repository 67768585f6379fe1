import { tokenize, type Token } from '@shared/query-lexer';

/**
 * The search language's syntax tree. Every node keeps its place in the query
 * so an error can point at the exact characters the analyst typed.
 */
export type QueryNode =
  | { type: 'all' }
  | { type: 'and' | 'or'; items: QueryNode[] }
  | { type: 'not'; item: QueryNode }
  | { type: 'text'; value: string; wild: number[]; phrase: boolean; start: number; end: number }
  | { type: 'term'; field: string; fieldStart: number; fieldEnd: number; match: Match; start: number; end: number };

export type Match =
  | { kind: 'eq'; value: string; wild: number[]; phrase: boolean }
  | { kind: 'cmp'; op: '>' | '>=' | '<' | '<='; value: string }
  | { kind: 'range'; lo: string | null; hi: string | null; loIncl: boolean; hiIncl: boolean }
  | { kind: 'exists' };

/** A mistake in the query, with where it is ([start, end) offsets) and a hint. */
export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
    readonly suggestion?: string,
  ) {
    super(message);
    this.name = 'QuerySyntaxError';
  }
}

const MAX_DEPTH = 64;
const MAX_TERMS = 1_000;

export function parseQuery(input: string): QueryNode {
  const tokens = tokenize(input);
  if (tokens.length === 0) return { type: 'all' };
  const p = new Parser(tokens, input.length);
  const node = p.parseOr(null, 0);
  p.expectEnd();
  return node;
}

class Parser {
  private i = 0;
  private terms = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  expectEnd(): void {
    const t = this.peek();
    if (!t) return;
    if (t.kind === 'rparen') throw new QuerySyntaxError('Unbalanced ")": there is no "(" before it', t.start, t.end, 'remove it or add a "(" earlier');
    throw new QuerySyntaxError(`Unexpected "${t.text}"`, t.start, t.end);
  }

  /** `field` is set inside `field:( ... )`, where bare values belong to that field. */
  parseOr(field: FieldRef | null, depth: number): QueryNode {
    if (depth > MAX_DEPTH) {
      const t = this.peek();
      throw new QuerySyntaxError('The query nests too deeply', t?.start ?? 0, t?.end ?? 0);
    }
    const items = [this.parseAnd(field, depth)];
    while (this.peek()?.kind === 'or') {
      const op = this.peek() as Token;
      this.i++;
      if (!this.startsTerm(this.peek())) throw new QuerySyntaxError(`Expected a search term after "${op.text}"`, op.start, op.end, 'add a term or remove the operator');
      items.push(this.parseAnd(field, depth));
    }
    return items.length === 1 ? (items[0] as QueryNode) : { type: 'or', items };
  }

  private parseAnd(field: FieldRef | null, depth: number): QueryNode {
    const items = [this.parseNot(field, depth)];
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (t.kind === 'and') {
        this.i++;
        if (!this.startsTerm(this.peek())) throw new QuerySyntaxError(`Expected a search term after "${t.text}"`, t.start, t.end, 'add a term or remove the operator');
        items.push(this.parseNot(field, depth));
        continue;
      }
      // Implicit AND: two terms side by side.
      if (this.startsTerm(t)) {
        items.push(this.parseNot(field, depth));
        continue;
      }
      break;
    }
    return items.length === 1 ? (items[0] as QueryNode) : { type: 'and', items };
  }

  private startsTerm(t: Token | undefined): boolean {
    if (!t) return false;
    return t.kind === 'word' || t.kind === 'phrase' || t.kind === 'field' || t.kind === 'lparen' || t.kind === 'not' || t.kind === 'minus' || t.kind === 'error' || t.kind === 'op' || t.kind === 'lbracket';
  }

  private parseNot(field: FieldRef | null, depth: number): QueryNode {
    const t = this.peek();
    if (t && (t.kind === 'not' || t.kind === 'minus')) {
      this.i++;
      if (!this.startsTerm(this.peek())) throw new QuerySyntaxError(`Expected a search term after "${t.text}"`, t.start, t.end, 'add the term to exclude');
      return { type: 'not', item: this.parseNot(field, depth + 1) };
    }
    return this.parsePrimary(field, depth);
  }

  private parsePrimary(field: FieldRef | null, depth: number): QueryNode {
    const t = this.peek();
    if (!t) throw new QuerySyntaxError('The query ends too early', this.length, this.length, 'add a search term');
    if (++this.terms > MAX_TERMS) throw new QuerySyntaxError(`More than ${MAX_TERMS} terms`, t.start, t.end);
    if (t.kind === 'lparen') {
      this.i++;
      const inner = this.parseOr(field, depth + 1);
      const close = this.peek();
      if (close?.kind !== 'rparen') throw new QuerySyntaxError('Missing ")"', t.start, t.end, 'close the "(" opened here');
      this.i++;
      return inner;
    }
    if (t.kind === 'error') throw new QuerySyntaxError('Unterminated quoted phrase', t.start, t.end, 'add the closing "');
    if (t.kind === 'field') {
      if (field) throw new QuerySyntaxError(`A field inside ${field.name}:( ... ) is not allowed`, t.start, t.end);
      this.i += 2; // the field and its colon
      const ref: FieldRef = { name: t.text, start: t.start, end: t.end };
      const v = this.peek();
      if (!v || v.kind === 'rparen' || v.kind === 'and' || v.kind === 'or') {
        throw new QuerySyntaxError(`Expected a value after "${t.text}:"`, t.start, t.end + 1, `for example ${t.text}:value, ${t.text}:"a phrase" or ${t.text}:*`);
      }
      if (v.kind === 'lparen') {
        this.i++;
        const inner = this.parseOr(ref, depth + 1);
        const close = this.peek();
        if (close?.kind !== 'rparen') throw new QuerySyntaxError('Missing ")"', v.start, v.end, 'close the "(" opened here');
        this.i++;
        return inner;
      }
      return this.parseValue(ref);
    }
    if (field) return this.parseValue(field);
    if (t.kind === 'word' || t.kind === 'phrase') {
      this.i++;
      return { type: 'text', value: t.text, wild: t.wild ?? [], phrase: t.kind === 'phrase', start: t.start, end: t.end };
    }
    if (t.kind === 'op' || t.kind === 'lbracket') throw new QuerySyntaxError(`"${t.text}" needs a field before it`, t.start, t.end, 'for example port:>1024 or port:[1 TO 1024]');
    if (t.kind === 'rparen') throw new QuerySyntaxError('Unbalanced ")": there is no "(" before it', t.start, t.end, 'remove it');
    throw new QuerySyntaxError(`Unexpected "${t.text}"`, t.start, t.end);
  }

  private parseValue(field: FieldRef): QueryNode {
    const v = this.peek();
    if (!v) throw new QuerySyntaxError(`Expected a value for ${field.name}`, this.length, this.length);
    const term = (match: Match, end: number): QueryNode => ({ type: 'term', field: field.name, fieldStart: field.start, fieldEnd: field.end, match, start: field.start, end });
    if (v.kind === 'op') {
      this.i++;
      const w = this.peek();
      if (!w || (w.kind !== 'word' && w.kind !== 'phrase')) throw new QuerySyntaxError(`Expected a value after "${v.text}"`, v.start, v.end, `for example ${field.name}:${v.text}100`);
      this.i++;
      return term({ kind: 'cmp', op: v.text as '>' | '>=' | '<' | '<=', value: w.text }, w.end);
    }
    if (v.kind === 'lbracket') {
      this.i++;
      const lo = this.rangeBound();
      const to = this.peek();
      if (to?.kind !== 'to') throw new QuerySyntaxError('Expected "TO" in the range', to?.start ?? v.start, to?.end ?? v.end, `for example ${field.name}:[1 TO 100]`);
      this.i++;
      const hi = this.rangeBound();
      const close = this.peek();
      if (close?.kind !== 'rbracket') throw new QuerySyntaxError('Missing "]" or "}" to close the range', v.start, v.end);
      this.i++;
      return term({ kind: 'range', lo: lo === '*' ? null : lo, hi: hi === '*' ? null : hi, loIncl: v.text === '[', hiIncl: close.text === ']' }, close.end);
    }
    if (v.kind === 'word' && v.text === '*' && (v.wild?.length ?? 0) === 1) {
      this.i++;
      return term({ kind: 'exists' }, v.end);
    }
    if (v.kind === 'word' || v.kind === 'phrase') {
      this.i++;
      return term({ kind: 'eq', value: v.text, wild: v.kind === 'word' ? (v.wild ?? []) : [], phrase: v.kind === 'phrase' }, v.end);
    }
    if (v.kind === 'error') throw new QuerySyntaxError('Unterminated quoted phrase', v.start, v.end, 'add the closing "');
    throw new QuerySyntaxError(`Expected a value for ${field.name}, found "${v.text}"`, v.start, v.end);
  }

  private rangeBound(): string {
    const t = this.peek();
    if (!t || (t.kind !== 'word' && t.kind !== 'phrase')) throw new QuerySyntaxError('Expected a range bound (a value or *)', t?.start ?? this.length, t?.end ?? this.length);
    this.i++;
    return t.text;
  }
}

interface FieldRef {
  name: string;
  start: number;
  end: number;
}
