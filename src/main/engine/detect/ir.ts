/**
 * The detection IR: a boolean tree over atoms, each atom one test of one
 * field (or of the keyword targets when `field` is null). It is what the
 * parser produces and what the SQL compiler binds to a source's columns;
 * nothing here knows about SQL or about a case.
 *
 * String values are already lower-cased when `cased` is false, so the
 * compiler compares them against lower(column) computed once per row.
 */

export type StrOp = 'eq' | 'prefix' | 'suffix' | 'contains' | 'like';
export type CmpOp = 'lt' | 'lte' | 'gt' | 'gte' | 'eq';
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

export type Atom =
  /** String match. For `like`, value is a LIKE pattern escaped with backslash. */
  | { k: 'str'; field: string | null; op: StrOp; value: string; cased: boolean }
  /** Regular expression (RE2 syntax; flags i/m/s from the `re` sub-modifiers). */
  | { k: 're'; field: string | null; pattern: string; flags: string }
  /** A plain number: equal as a number on numeric columns, as canonical text otherwise. */
  | { k: 'numeq'; field: string; value: number }
  /** lt/lte/gt/gte (numbers), or a time part (`|hour` ...) compared with op. */
  | { k: 'cmp'; field: string; op: CmpOp; value: number; part?: TimePart }
  /** Field is null or absent. */
  | { k: 'null'; field: string }
  /** Field is present (not null). */
  | { k: 'exists'; field: string }
  /** IP inside a network: IPv4 as a 32-bit integer range, IPv6 as 8 hextets with a prefix length. */
  | { k: 'cidr'; field: string; family: 4; lo: number; hi: number }
  | { k: 'cidr'; field: string; family: 6; hextets: number[]; prefix: number }
  /** Compare a field with another field of the same event. */
  | { k: 'fieldref'; field: string; other: string; op: 'eq' | 'prefix' | 'suffix' | 'contains'; cased: boolean };

export type Expr =
  | { t: 'and'; xs: Expr[] }
  | { t: 'or'; xs: Expr[] }
  | { t: 'not'; x: Expr }
  | { t: 'atom'; a: Atom }
  | { t: 'const'; v: boolean };

export const TRUE: Expr = { t: 'const', v: true };
export const FALSE: Expr = { t: 'const', v: false };

export function and(xs: Expr[]): Expr {
  return xs.length === 1 ? (xs[0] as Expr) : { t: 'and', xs };
}

export function or(xs: Expr[]): Expr {
  return xs.length === 1 ? (xs[0] as Expr) : { t: 'or', xs };
}

export function not(x: Expr): Expr {
  return { t: 'not', x };
}

export function atom(a: Atom): Expr {
  return { t: 'atom', a };
}

/** Every field name an expression tests (fieldref targets included). */
export function fieldsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.t) {
    case 'and':
    case 'or':
      for (const x of e.xs) fieldsOf(x, out);
      break;
    case 'not':
      fieldsOf(e.x, out);
      break;
    case 'atom':
      if (e.a.field !== null) out.add(e.a.field);
      if (e.a.k === 'fieldref') out.add(e.a.other);
      break;
    case 'const':
      break;
  }
  return out;
}

/** Does the expression contain a keyword atom (field null)? Keywords need the events table. */
export function hasKeywords(e: Expr): boolean {
  switch (e.t) {
    case 'and':
    case 'or':
      return e.xs.some(hasKeywords);
    case 'not':
      return hasKeywords(e.x);
    case 'atom':
      return e.a.field === null;
    case 'const':
      return false;
  }
}

/**
 * Constant folding after binding: atoms on absent fields have become
 * constants, and a rule that folds to FALSE cannot match that source.
 */
export function fold(e: Expr): Expr {
  switch (e.t) {
    case 'and': {
      const xs: Expr[] = [];
      for (const x of e.xs.map(fold)) {
        if (x.t === 'const') {
          if (!x.v) return FALSE;
          continue;
        }
        xs.push(x);
      }
      return xs.length === 0 ? TRUE : and(xs);
    }
    case 'or': {
      const xs: Expr[] = [];
      for (const x of e.xs.map(fold)) {
        if (x.t === 'const') {
          if (x.v) return TRUE;
          continue;
        }
        xs.push(x);
      }
      return xs.length === 0 ? FALSE : or(xs);
    }
    case 'not': {
      const x = fold(e.x);
      if (x.t === 'const') return { t: 'const', v: !x.v };
      if (x.t === 'not') return x.x;
      return not(x);
    }
    default:
      return e;
  }
}
