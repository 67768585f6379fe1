import { quoteFieldName } from './query-lexer';

/**
 * Search terms built from values (a drill-down, a pivot, an entity's query):
 * shared by the UI and the engine so both quote a value the same way.
 */

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A search term for a value: bare when safe, quoted and escaped otherwise (the field too). */
export function termFor(field: string, value: unknown): string {
  const v = text(value);
  const safe = /^[A-Za-z0-9_.:\-/@]+$/.test(v) && !/^(and|or|not|to)$/i.test(v);
  return `${quoteFieldName(field)}:${safe ? v : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`}`;
}

/** AND a term onto a query; an OR query is wrapped so the new term applies to all of it. */
export function andTerm(query: string, term: string): string {
  const q = query.trim();
  if (!q) return term;
  return /\bOR\b/i.test(q) ? `(${q}) AND ${term}` : `${q} AND ${term}`;
}

/** Add a filter to a query (pivot): `field:"v"` or `NOT field:"v"`, ANDed on. */
export function addFilter(query: string, field: string, value: unknown, exclude: boolean): string {
  return andTerm(query, `${exclude ? 'NOT ' : ''}${termFor(field, value)}`);
}

/** Several values of one field: `field:(a OR b)`. */
export function anyOf(field: string, values: unknown[]): string {
  if (values.length === 1) return termFor(field, values[0]);
  const prefix = `${quoteFieldName(field)}:`;
  return `${prefix}(${values.map((v) => termFor(field, v).slice(prefix.length)).join(' OR ')})`;
}
