import { expandPattern, parseCondition, ConditionError, type CondAst } from './condition-parser';
import { and, atom, FALSE, not, or, type Atom, type CmpOp, type Expr, type TimePart } from './ir';
import {
  base64Offsets,
  encodeUtf16,
  expandPlaceholders,
  literalSegments,
  ModifierError,
  parseCidr,
  parseWildcards,
  segmentsToMatch,
  windash,
  type Encoding,
  type Segment,
} from './value-modifiers';

/**
 * Sigma `detection` section -> IR. Errors are split in two kinds because the
 * analyst needs to know which is which: a RuleError means the rule is
 * malformed; an unsupported ModifierError/ConditionError means valid Sigma
 * this engine cannot run (yet), with the feature named.
 */

export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

const STRING_OPS = ['contains', 'startswith', 'endswith'] as const;
const CMP_MODS = ['lt', 'lte', 'gt', 'gte'] as const;
const TIME_MODS: TimePart[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];
const ENCODINGS: Encoding[] = ['utf16le', 'utf16be', 'utf16', 'wide'];
const KNOWN_MODIFIERS = new Set<string>([
  ...STRING_OPS,
  ...CMP_MODS,
  ...TIME_MODS,
  ...ENCODINGS,
  'all',
  're',
  'i',
  'm',
  's',
  'cidr',
  'base64',
  'base64offset',
  'windash',
  'exists',
  'cased',
  'neq',
  'fieldref',
  'expand',
]);

const MAX_VALUES_PER_ITEM = 20_000;

export interface BuildOptions {
  placeholders?: Record<string, string[]>;
}

type Scalar = string | number | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a map' : typeof v;
}

/** Compile one `field|mod|mod: value(s)` item. `field` null means keywords. */
export function compileItem(field: string | null, mods: string[], raw: unknown, opts: BuildOptions): Expr {
  for (const m of mods) {
    if (!KNOWN_MODIFIERS.has(m)) throw new UnsupportedError(`modifier "${m}"`);
  }
  const has = (m: string): boolean => mods.includes(m);
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) throw new RuleError(`${field ?? 'keywords'}: empty value list`);
  if (values.length > MAX_VALUES_PER_ITEM) throw new UnsupportedError(`${field}: over ${MAX_VALUES_PER_ITEM} values in one item`);
  for (const v of values) if (!isScalar(v)) throw new RuleError(`${field ?? 'keywords'}: value is ${describe(v)}, expected a string, number, boolean or null`);
  const vals = values as Scalar[];
  const joinAll = has('all');
  const combine = (xs: Expr[]): Expr => (joinAll ? and(xs) : or(xs));

  if (has('exists')) {
    if (field === null) throw new RuleError('exists needs a field');
    const v = vals[0];
    if (vals.length !== 1 || typeof v !== 'boolean') throw new RuleError(`${field}|exists: value must be true or false`);
    const e = atom({ k: 'exists', field });
    return v ? e : not(e);
  }

  const strOps = STRING_OPS.filter(has);
  if (strOps.length > 1) throw new RuleError(`${field}: ${strOps.join(' and ')} cannot be combined`);
  const strOp = strOps[0];
  const cased = has('cased');
  const neq = has('neq');

  let perValue: (v: Scalar) => Expr;

  const cmpMod = CMP_MODS.find(has);
  const timePart = TIME_MODS.find(has);
  if (has('fieldref')) {
    if (field === null) throw new RuleError('fieldref needs a field');
    perValue = (v) => {
      if (typeof v !== 'string' || !v) throw new RuleError(`${field}|fieldref: value must be a field name`);
      const op = strOp === 'contains' ? 'contains' : strOp === 'startswith' ? 'prefix' : strOp === 'endswith' ? 'suffix' : 'eq';
      return atom({ k: 'fieldref', field, other: v, op, cased });
    };
  } else if (cmpMod || timePart) {
    if (field === null) throw new RuleError(`${cmpMod ?? timePart} needs a field`);
    const op: CmpOp = cmpMod ?? 'eq';
    perValue = (v) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw new RuleError(`${field}|${cmpMod ?? timePart}: value ${JSON.stringify(v)} is not a number`);
      const a: Atom = timePart ? { k: 'cmp', field, op, value: n, part: timePart } : { k: 'cmp', field, op, value: n };
      return atom(a);
    };
  } else if (has('cidr')) {
    if (field === null) throw new RuleError('cidr needs a field');
    perValue = (v) => {
      if (typeof v !== 'string') throw new RuleError(`${field}|cidr: value must be a network like 10.0.0.0/8`);
      try {
        return atom({ field, k: 'cidr', ...parseCidr(v) } as Atom);
      } catch (e) {
        throw new RuleError(e instanceof Error ? e.message : String(e));
      }
    };
  } else if (has('re')) {
    const flags = ['i', 'm', 's'].filter(has).join('');
    perValue = (v) => {
      if (typeof v !== 'string') throw new RuleError(`${field ?? 'keywords'}|re: value must be a string`);
      checkRe2(v);
      return atom({ k: 're', field, pattern: v, flags });
    };
  } else {
    perValue = (v) => stringValue(field, v, mods, strOp, cased, opts);
  }

  if (neq) {
    if (field === null) throw new RuleError('neq needs a field');
    // "differs from every value": the field must be there, and match none of them.
    return and([atom({ k: 'exists', field }), not(or(vals.map(perValue)))]);
  }
  return combine(vals.map(perValue));
}

function stringValue(field: string | null, v: Scalar, mods: string[], strOp: string | undefined, cased: boolean, opts: BuildOptions): Expr {
  if (v === null) {
    if (field === null) throw new RuleError('keywords cannot be null');
    return atom({ k: 'null', field });
  }
  const encodes = mods.some((m) => m === 'base64' || m === 'base64offset' || ENCODINGS.includes(m as Encoding));
  if (typeof v === 'number' && field !== null && !strOp && !encodes && !mods.includes('windash')) {
    return atom({ k: 'numeq', field, value: v });
  }
  let texts = [String(v)];
  if (mods.includes('expand')) {
    try {
      texts = texts.flatMap((t) => expandPlaceholders(t, opts.placeholders));
    } catch (e) {
      if (e instanceof ModifierError) throw e.unsupported ? new UnsupportedError(e.message) : new RuleError(e.message);
      throw e;
    }
  }
  // Each candidate is a list of segments; the value-rewriting modifiers run in the order written.
  let cands: Segment[][] = [];
  for (const t of texts) {
    let segsList: Segment[][] = [encodes ? literalSegments(t) : parseWildcards(t)];
    let bytes: Buffer[] | undefined;
    for (const m of mods) {
      if (m === 'windash') {
        try {
          segsList = segsList.flatMap(windash);
        } catch (e) {
          if (e instanceof ModifierError) throw new UnsupportedError(e.message);
          throw e;
        }
      } else if (ENCODINGS.includes(m as Encoding)) {
        bytes = (bytes ?? segsList.map(segsText).map((s) => Buffer.from(s, 'utf8'))).map((b) => encodeUtf16(b, m as Encoding));
      } else if (m === 'base64') {
        const src = bytes ?? segsList.map(segsText).map((s) => Buffer.from(s, 'utf8'));
        segsList = src.map((b) => literalSegments(b.toString('base64')));
        bytes = undefined;
      } else if (m === 'base64offset') {
        const src = bytes ?? segsList.map(segsText).map((s) => Buffer.from(s, 'utf8'));
        segsList = src.flatMap((b) => base64Offsets(b).map(literalSegments));
        bytes = undefined;
      }
    }
    if (bytes) segsList = bytes.map((b) => literalSegments(b.toString('latin1')));
    cands = cands.concat(segsList);
  }
  const exprs = cands.map((segs) => {
    let s = segs;
    if (field === null || strOp === 'contains') s = ['*', ...s, '*'];
    else if (strOp === 'startswith') s = [...s, '*'];
    else if (strOp === 'endswith') s = ['*', ...s];
    s = s.filter((x, i) => !(x === '*' && s[i - 1] === '*'));
    // Base64 output is case-sensitive by nature: lowering it would match other bytes.
    const m = segmentsToMatch(s, !(cased || encodes));
    if (m.op === 'any') return field === null ? atom({ k: 'str', field, op: 'like', value: '%', cased: true }) : atom({ k: 'exists', field });
    return atom({ k: 'str', field, op: m.op, value: m.value, cased: cased || encodes });
  });
  return or(exprs);
}

function segsText(segs: Segment[]): string {
  return segs.map((s) => (typeof s === 'string' ? s : s.lit)).join('');
}

/** RE2 (DuckDB's regex engine) has no lookaround, backreferences or atomic groups: say so before a query fails. */
export function checkRe2(pattern: string): void {
  if (/\(\?<?[=!]/.test(pattern)) throw new UnsupportedError('regex lookaround (RE2 has none)');
  if (/\(\?>/.test(pattern)) throw new UnsupportedError('regex atomic group (RE2 has none)');
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(pattern)) throw new UnsupportedError('regex backreference (RE2 has none)');
  if (/[*+?}]\+/.test(pattern.replace(/\\./g, 'x').replace(/\[[^\]]*\]/g, 'x'))) throw new UnsupportedError('regex possessive quantifier (RE2 has none)');
  try {
    new RegExp(pattern.replace(/\(\?[imsU]+\)/g, '').replace(/\(\?P</g, '(?<'), 'u');
  } catch {
    try {
      new RegExp(pattern.replace(/\(\?[imsU]+\)/g, '').replace(/\(\?P</g, '(?<'));
    } catch (e) {
      throw new RuleError(`invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** A selection (map, list of maps, or keyword list) -> IR. */
export function compileSelection(name: string, def: unknown, opts: BuildOptions): Expr {
  if (Array.isArray(def)) {
    if (def.length === 0) throw new RuleError(`selection "${name}" is an empty list`);
    if (def.every(isScalar)) return compileItem(null, [], def, opts);
    if (def.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d))) {
      return or(def.map((d) => compileMap(name, d as Record<string, unknown>, opts)));
    }
    throw new RuleError(`selection "${name}" mixes plain values and maps`);
  }
  if (def !== null && typeof def === 'object') return compileMap(name, def as Record<string, unknown>, opts);
  if (typeof def === 'string' || typeof def === 'number') return compileItem(null, [], [def], opts);
  throw new RuleError(`selection "${name}" is ${describe(def)}`);
}

function compileMap(name: string, map: Record<string, unknown>, opts: BuildOptions): Expr {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new RuleError(`selection "${name}" is an empty map`);
  return and(
    keys.map((key) => {
      const [field, ...mods] = key.split('|');
      return compileItem(field ? field : null, mods, map[key], opts);
    }),
  );
}

/** The whole detection section -> one IR tree. */
export function buildDetection(detection: Record<string, unknown>, opts: BuildOptions = {}): Expr {
  const cond = detection.condition;
  const names = Object.keys(detection).filter((k) => k !== 'condition' && k !== 'timeframe');
  if (names.length === 0) throw new RuleError('detection has no selections');
  const conditions: string[] = typeof cond === 'string' ? [cond] : Array.isArray(cond) && cond.every((c) => typeof c === 'string') ? (cond as string[]) : [];
  if (conditions.length === 0) throw new RuleError('detection.condition must be a string or a list of strings');
  if (detection.timeframe !== undefined && conditions.some((c) => c.includes('|'))) {
    throw new UnsupportedError('aggregation with timeframe (Sigma v1): use a correlation rule');
  }
  const cache = new Map<string, Expr>();
  const sel = (n: string): Expr => {
    let e = cache.get(n);
    if (!e) {
      e = compileSelection(n, detection[n], opts);
      cache.set(n, e);
    }
    return e;
  };
  const toExpr = (c: CondAst): Expr => {
    switch (c.t) {
      case 'and':
        return and(c.xs.map(toExpr));
      case 'or':
        return or(c.xs.map(toExpr));
      case 'not':
        return not(toExpr(c.x));
      case 'ref':
        if (!names.includes(c.name)) throw new RuleError(`condition names "${c.name}", which is not a selection`);
        return sel(c.name);
      case 'of': {
        const matched = expandPattern(c.pattern, names);
        if (matched.length === 0) throw new RuleError(`"${c.pattern}" in condition matches no selection`);
        const xs = matched.map(sel);
        return c.quant === 'all' ? and(xs) : or(xs);
      }
    }
  };
  const exprs = conditions.map((c) => {
    try {
      return toExpr(parseCondition(c));
    } catch (e) {
      if (e instanceof ConditionError) throw e.unsupported ? new UnsupportedError(e.message) : new RuleError(e.message);
      throw e;
    }
  });
  return exprs.length === 0 ? FALSE : or(exprs);
}
