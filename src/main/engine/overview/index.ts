import type { Case } from '../case/case';
import { queryOne, queryRows } from '../db/sql';
import { refreshCaseIntel, type IntelStore } from '../intel';
import { refreshAlertAggregates, refreshIntelAggregates } from './intel-aggregates';
import { refreshRollup } from './rollup';

/**
 * The analyst's overview: dashboard panels (dashboard.ts) over a rollup of
 * the case (rollup.ts) or over a search, entity pages (entities.ts), and the
 * derived figures they share. See docs/overview.md.
 */
export { DashboardBuilder, setMaterialiseMax, type DashboardRequest } from './dashboard';
export { DIMENSIONS, dimensionCounts, LOGON, type Dimension, type DimRow, type EventSet } from './dimensions';
export { entityProfile, entityQuery, listEntities } from './entities';
export { refreshAlertAggregates, refreshIntelAggregates } from './intel-aggregates';
export { ipFacts } from './ip-facts';
export { refreshRollup, rollupState, type RollupRefresh, type RollupState } from './rollup';

/**
 * Bring the case's IP intel up to date only when it is behind: new events
 * since its watermark, or intel that changed since it was enriched. The
 * import pipeline normally does this after each import; a demo case or an
 * intel change made elsewhere is caught here.
 */
export async function ensureCaseIntel(c: Case, store: IntelStore): Promise<boolean> {
  store.refresh();
  const state = await queryRows(c.conn, `SELECT key, value FROM intel_state WHERE key IN ('ips_watermark', 'enrich_stamp')`).catch(() => null);
  const hi = await queryOne(c.conn, `SELECT max(id) AS hi FROM events`);
  const get = (k: string) => state?.find((r) => r.key === k)?.value ?? null;
  const maxId = hi?.hi === null || hi?.hi === undefined ? null : String(hi.hi);
  if (state !== null && get('ips_watermark') === maxId && get('enrich_stamp') === store.stamp()) return false;
  if (state !== null && maxId === null && get('enrich_stamp') === store.stamp()) return false;
  await refreshCaseIntel(c.conn, store);
  return true;
}

/** Everything an overview needs before it reads: intel, the rollup, the figures derived from intel and alerts. */
export async function ensureOverview(c: Case, store: IntelStore): Promise<{ intel: boolean; rollupMs: number; read: number }> {
  const intel = await ensureCaseIntel(c, store);
  const r = await refreshRollup(c);
  await refreshIntelAggregates(c);
  await refreshAlertAggregates(c);
  return { intel, rollupMs: r.ms, read: r.read };
}
