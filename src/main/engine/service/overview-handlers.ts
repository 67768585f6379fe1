import type { IntelOverview } from '@shared/overview-contract';
import type { Case } from '../case/case';
import type { ImportedHook } from '../ingest/import-service';
import { caseIntelStatus, intelStore, refreshCaseIntel, type IntelStore } from '../intel';
import { DashboardBuilder, ensureCaseIntel, ensureOverview, entityProfile, ipFacts, listEntities } from '../overview';
import { compileQuery } from '../query/compile';
import { loadCatalog } from '../query/fields';
import type { QueryRunner } from '../query/runner';
import type { Handlers } from './handlers';

type OverviewOps =
  | 'dashboard'
  | 'entity'
  | 'listEntities'
  | 'intelStatus'
  | 'intelLookup'
  | 'intelImportIpsum'
  | 'intelUpdateIpsum'
  | 'intelAddMmdb'
  | 'intelRemoveMmdb'
  | 'intelAddIocList'
  | 'intelRemoveIocList'
  | 'intelUpdateSettings';

async function timed<T extends object>(fn: () => Promise<T>): Promise<T & { tookMs: number }> {
  const t0 = performance.now();
  const v = await fn();
  return { ...v, tookMs: Math.round((performance.now() - t0) * 10) / 10 };
}

/**
 * The overview's handlers: dashboard panels, entity pages, and the intel
 * settings. Reads run through the query runner (cancellable, timed out);
 * before a read the case's derived tables (IP intel, the dashboard rollup)
 * are brought up to date, which costs nothing when they already are.
 */
export function overviewHandlers(
  owner: { readonly case: Case; readonly hasCase: boolean; onImported?(hook: ImportedHook): void },
  runner: QueryRunner,
  store: () => IntelStore = intelStore,
): Pick<Handlers, OverviewOps> {
  // After each import: enrich the new IPs and fold the new events into the
  // dashboard's rollup, so the first dashboard after an import is instant
  // (and rules that read IP intel see the new IPs).
  owner.onImported?.(async (e) => {
    await ensureOverview(e.case, store());
  });
  const overview = async (): Promise<IntelOverview> => {
    const s = store();
    const st = s.status();
    const kase = owner.hasCase ? await caseIntelStatus(owner.case.conn, s) : null;
    return {
      dir: st.dir,
      settings: st.settings,
      sources: st.sources.map((x) => ({
        id: x.id,
        kind: x.kind,
        name: x.name,
        state: x.state,
        embedded: x.embedded,
        version: x.version,
        versionFrom: x.versionFrom,
        entries: x.entries,
        rejected: x.rejected,
        file: x.file,
        origin: x.origin,
        importedAt: x.importedAt,
        detail: x.detail,
        licence: x.licence,
        attribution: x.attribution,
      })),
      case: kase ? { ips: kase.ips, enriched: kase.enriched, malicious: kase.malicious, iocHits: kase.iocHits, enrichedAt: kase.enrichedAt, stale: kase.stale } : null,
    };
  };
  /** After any intel change: re-enrich the open case (the ips table is kept; only enrichment is redone), then report. */
  const changed = async (): Promise<IntelOverview> => {
    if (owner.hasCase) await refreshCaseIntel(owner.case.conn, store());
    return overview();
  };

  return {
    dashboard: (i) =>
      timed(async () => {
        const c = owner.case;
        await ensureOverview(c, store());
        return runner.run(c, i, async (conn) => {
          const catalog = await loadCatalog(conn, c);
          const q = await compileQuery(conn, catalog, i.query, { from: i.from, to: i.to });
          const b = new DashboardBuilder(conn, store(), q, { query: i.query, from: i.from, to: i.to, panels: i.panels, top: i.top });
          const panels = await b.build();
          return { ...panels, timings: b.timings };
        });
      }),
    entity: (i) =>
      timed(async () => {
        const c = owner.case;
        await ensureCaseIntel(c, store());
        return runner.run(c, { queryId: 'entity' }, async (conn) => entityProfile(conn, await loadCatalog(conn, c), store(), i));
      }),
    listEntities: (i) =>
      timed(async () => {
        const c = owner.case;
        await ensureOverview(c, store());
        return runner.run(c, { queryId: `entities-${i.kind}` }, (conn) => listEntities(conn, store(), i));
      }),
    intelStatus: async () => overview(),
    intelLookup: async ({ ip }) => {
      const s = store();
      const r = s.lookup(ip);
      return { ip: r.ip, ...ipFacts(s, r.ip) };
    },
    intelImportIpsum: async ({ path }) => {
      await store().importIpsum(path);
      return changed();
    },
    intelUpdateIpsum: async ({ url }) => {
      await store().updateIpsum(url ? { url } : {});
      return changed();
    },
    intelAddMmdb: async ({ path, kind }) => {
      await store().addMmdb(path, kind);
      return changed();
    },
    intelRemoveMmdb: async ({ kind }) => {
      await store().removeMmdb(kind);
      return changed();
    },
    intelAddIocList: async ({ path, name }) => {
      await store().addIocList(path, name);
      return changed();
    },
    intelRemoveIocList: async ({ name }) => {
      await store().removeIocList(name);
      return changed();
    },
    intelUpdateSettings: async (patch) => {
      await store().updateSettings({
        ...(patch.maliciousThreshold !== undefined ? { maliciousThreshold: patch.maliciousThreshold } : {}),
        ...(patch.ipsumUrl !== undefined ? { ipsumUrl: patch.ipsumUrl } : {}),
      });
      return changed();
    },
  };
}
