/** Hash routes between views, with the search (query and time range) they carry. */

export interface SearchTarget {
  query: string;
  from?: string | null;
  to?: string | null;
}

function withParams(route: string, params: Record<string, string | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `#/${route}?${s}` : `#/${route}`;
}

export function searchHref(t: SearchTarget): string {
  return withParams('search', { q: t.query.trim(), from: t.from, to: t.to });
}

export function dashboardHref(t: SearchTarget): string {
  return withParams('dashboard', { q: t.query.trim(), from: t.from, to: t.to });
}

export function alertsHref(params: Record<string, string | null | undefined> = {}): string {
  return withParams('alerts', params);
}

export function go(href: string): void {
  window.location.hash = href.slice(1);
}

/** A parameter of the current hash route (`#/search?q=...`). */
export function hashParam(name: string): string | null {
  const q = window.location.hash.split('?')[1];
  return q ? new URLSearchParams(q).get(name) : null;
}
