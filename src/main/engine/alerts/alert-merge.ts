import { BIGINT, LIST, listValue, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import type { Severity } from '@shared/events';
import type { CorrelationHit } from '../detect';
import { quoteIdent } from '../db/sql';
import { deleteSuppressed, type ValueSuppression } from './suppression-sql';

/**
 * Merging a run's hits into the case's alerts.
 *
 * Hits become links (rule, group key, event id) in a TEMP table; value
 * suppressions delete the links they cover; each (rule, group key) without
 * an alert gets one; links already stored are dropped (anti join), so
 * running the same events twice adds nothing; the alerts that gained links
 * have their count and first/last seen moved by exactly those links. A
 * detection rule's hits are grouped per host (`host:<name>`), a
 * correlation's per its group-by values.
 */

export interface RuleMeta {
  title: string;
  level: Severity | null;
  tags: string[];
}

export interface MergeInput {
  /** The TEMP table (rule_id, event_id) a run left its detection hits in (RunOptions.hitsInto), if any. */
  hitsTable: string | null;
  correlations: CorrelationHit[];
  /** Whether a rule's hits become alerts (enabled, not suppressed, not correlation-only). */
  alerting: (ruleId: string) => boolean;
  meta: (ruleId: string) => RuleMeta;
  suppressions: ValueSuppression[];
  runId: number;
}

export interface MergeResult {
  /** Links found (after the alerting filter, before suppressions). */
  links: number;
  suppressed: number;
  alertsNew: number;
  alertsUpdated: number;
}

const LINKS = 'loupe_alert_links';
const FRESH = 'loupe_alert_fresh';
const META = 'loupe_alert_meta';

/** A correlation's group as a stable key: the values in field order of the rule's group-by. */
export function groupKey(group: Record<string, string | null>): string {
  return JSON.stringify(Object.keys(group).sort().map((k) => [k, group[k] ?? null]));
}

async function count(conn: DuckDBConnection, table: string): Promise<number> {
  return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]?.[0] ?? 0);
}

/** Correlation hits per INSERT statement. */
const CORRELATION_BATCH = 1000;
/** Event ids per INSERT statement: one list of a million ids cost hundreds of MB as bound DuckDB values. */
const ID_BATCH = 65_536;

/** Insert (rule id, event id) rows into a two-column TEMP table, a slice of ids per statement. */
export async function insertRuleEvents(conn: DuckDBConnection, table: string, ruleId: string, ids: readonly number[]): Promise<void> {
  for (let at = 0; at < ids.length; at += ID_BATCH) {
    await conn.run(`INSERT INTO ${table} SELECT $rule, unnest($ids)`, { rule: ruleId, ids: listValue(ids.slice(at, at + ID_BATCH)) }, { rule: VARCHAR, ids: LIST(BIGINT) });
  }
}

export async function mergeHits(conn: DuckDBConnection, input: MergeInput): Promise<MergeResult> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${LINKS} (rule_id VARCHAR, kind VARCHAR, group_key VARCHAR, group_json VARCHAR, peak BIGINT, event_id BIGINT)`);
  try {
    const ruleIds = new Set<string>();
    if (input.hitsTable !== null) {
      // The hits stay in DuckDB: only the alerting rules' rows are linked.
      const table = quoteIdent(input.hitsTable);
      const inTable = (await conn.runAndReadAll(`SELECT DISTINCT rule_id FROM ${table}`)).getRows().map(([r]) => String(r));
      const alerting = inTable.filter((id) => input.alerting(id));
      for (const id of alerting) ruleIds.add(id);
      if (alerting.length > 0) {
        await conn.run(
          `INSERT INTO ${LINKS} SELECT b.rule_id, 'rule', 'host:' || coalesce(e.host, ''), NULL, NULL, b.event_id
           FROM ${table} b JOIN events e ON e.id = b.event_id WHERE b.rule_id IN (SELECT unnest($rules))`,
          { rules: listValue(alerting) },
          { rules: LIST(VARCHAR) },
        );
      }
    }
    // Correlation hits in batches (a statement per hit cost seconds with thousands of windows),
    // each of at most ID_BATCH event ids: a brute force's 1.5M ids bound at once cost hundreds of MB.
    const corr = input.correlations.filter((c) => input.alerting(c.ruleId) && c.eventIds.length > 0);
    for (const c of corr) ruleIds.add(c.ruleId);
    let batch: { c: CorrelationHit; ids: number[] }[] = [];
    let batchIds = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const part = batch;
      batch = [];
      batchIds = 0;
      await conn.run(
        `INSERT INTO ${LINKS} SELECT rule, 'correlation', key, json, peak, unnest(ids)
         FROM (SELECT unnest($rule) AS rule, unnest($key) AS key, unnest($json) AS json, unnest($peak) AS peak, unnest($ids) AS ids)`,
        {
          rule: listValue(part.map(({ c }) => c.ruleId)),
          key: listValue(part.map(({ c }) => groupKey(c.group))),
          json: listValue(part.map(({ c }) => JSON.stringify(c.group))),
          peak: listValue(part.map(({ c }) => c.count)),
          ids: listValue(part.map(({ ids }) => listValue(ids))),
        },
        { rule: LIST(VARCHAR), key: LIST(VARCHAR), json: LIST(VARCHAR), peak: LIST(BIGINT), ids: LIST(LIST(BIGINT)) },
      );
    };
    for (const c of corr) {
      // A hit with more ids than a statement takes is split: its rows are the same links either way.
      for (let at = 0; at < c.eventIds.length; at += ID_BATCH) {
        const ids = c.eventIds.slice(at, at + ID_BATCH);
        if (batch.length >= CORRELATION_BATCH || batchIds + ids.length > ID_BATCH) await flush();
        batch.push({ c, ids });
        batchIds += ids.length;
      }
    }
    await flush();
    const links = await count(conn, LINKS);
    let suppressed = 0;
    for (const s of input.suppressions) {
      if (s.ruleId !== null && !ruleIds.has(s.ruleId)) continue;
      suppressed += await deleteSuppressed(conn, LINKS, s);
    }
    if (links - suppressed === 0) return { links, suppressed, alertsNew: 0, alertsUpdated: 0 };

    const metaIds = [...ruleIds];
    const metas = metaIds.map((id) => input.meta(id));
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${META} AS SELECT unnest($id) AS rule_id, unnest($title) AS title, unnest($level) AS level, unnest($tags) AS tags`,
      { id: listValue(metaIds), title: listValue(metas.map((m) => m.title)), level: listValue(metas.map((m) => m.level)), tags: listValue(metas.map((m) => listValue(m.tags))) },
      { id: LIST(VARCHAR), title: LIST(VARCHAR), level: LIST(VARCHAR), tags: LIST(LIST(VARCHAR)) },
    );
    await conn.run('BEGIN TRANSACTION');
    try {
      const before = Number((await conn.runAndReadAll('SELECT coalesce(max(id), 0) FROM alerts')).getRows()[0]?.[0] ?? 0);
      const inserted = await conn.run(
        `INSERT INTO alerts (id, rule_id, kind, title, level, tags, group_key, group_json, host, event_count, peak, status, created_at, updated_at, first_run, last_run)
         SELECT $base + row_number() OVER (ORDER BY g.rule_id, g.group_key), g.rule_id, g.kind, m.title, m.level, m.tags, g.group_key, g.group_json,
                CASE WHEN g.kind = 'rule' THEN nullif(substr(g.group_key, 6), '') END, 0, NULL, 'new', now(), now(), $run, $run
         FROM (SELECT rule_id, kind, group_key, any_value(group_json) AS group_json FROM ${LINKS} GROUP BY ALL) g
         JOIN ${META} m ON m.rule_id = g.rule_id
         WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.rule_id = g.rule_id AND a.group_key = g.group_key)`,
        { base: before, run: input.runId },
      );
      const alertsNew = Number(inserted.rowsChanged);
      // Links not stored yet, each once.
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${FRESH} AS
         SELECT DISTINCT a.id AS alert_id, l.event_id FROM ${LINKS} l JOIN alerts a ON a.rule_id = l.rule_id AND a.group_key = l.group_key
         WHERE NOT EXISTS (SELECT 1 FROM alert_events ae WHERE ae.alert_id = a.id AND ae.event_id = l.event_id)`,
      );
      await conn.run(`INSERT INTO alert_events SELECT alert_id, event_id FROM ${FRESH}`);
      const touched = await conn.run(
        `UPDATE alerts SET event_count = event_count + f.n, first_ts = least(first_ts, f.first), last_ts = greatest(last_ts, f.last),
                updated_at = now(), last_run = $run, title = m.title, level = m.level, tags = m.tags,
                peak = CASE WHEN alerts.kind = 'correlation' THEN greatest(alerts.peak, p.peak) END
         FROM (SELECT x.alert_id, count(*) AS n, min(e.ts) AS first, max(e.ts) AS last FROM ${FRESH} x JOIN events e ON e.id = x.event_id GROUP BY 1) f,
              ${META} m,
              (SELECT a.id, max(l.peak) AS peak FROM ${LINKS} l JOIN alerts a ON a.rule_id = l.rule_id AND a.group_key = l.group_key GROUP BY 1) p
         WHERE alerts.id = f.alert_id AND m.rule_id = alerts.rule_id AND p.id = alerts.id`,
        { run: input.runId },
      );
      // An alert created for links that all turned out to be known (cannot happen) or whose events vanished: none left empty.
      await conn.run('DELETE FROM alerts WHERE event_count = 0 AND first_run = $run', { run: input.runId });
      await conn.run('COMMIT');
      return { links, suppressed, alertsNew, alertsUpdated: Math.max(0, Number(touched.rowsChanged) - alertsNew) };
    } catch (e) {
      await conn.run('ROLLBACK');
      throw e;
    }
  } finally {
    for (const t of [LINKS, FRESH, META]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  }
}

/**
 * Recompute count and first/last seen of some alerts from their stored
 * links (after links were removed: a suppression, deleted evidence), and
 * delete the alerts left without any. `ids` is a SELECT of alert ids.
 */
export async function recomputeAlerts(conn: DuckDBConnection, ids: string, params: Record<string, string | number> = {}): Promise<{ updated: number; deleted: number }> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE loupe_alert_recount AS SELECT DISTINCT id FROM (${ids}) t(id)`, params);
  try {
    const upd = await conn.run(
      `UPDATE alerts SET event_count = coalesce(s.n, 0), first_ts = s.first, last_ts = s.last, updated_at = now()
       FROM (SELECT r.id, count(e.id) AS n, min(e.ts) AS first, max(e.ts) AS last FROM loupe_alert_recount r
             LEFT JOIN alert_events ae ON ae.alert_id = r.id LEFT JOIN events e ON e.id = ae.event_id GROUP BY r.id) s
       WHERE alerts.id = s.id`,
    );
    const del = await conn.run('DELETE FROM alerts WHERE event_count = 0 AND id IN (SELECT id FROM loupe_alert_recount)');
    await conn.run('DELETE FROM alert_events WHERE alert_id IN (SELECT id FROM loupe_alert_recount) AND alert_id NOT IN (SELECT id FROM alerts)');
    return { updated: Number(upd.rowsChanged), deleted: Number(del.rowsChanged) };
  } finally {
    await conn.run('DROP TABLE IF EXISTS loupe_alert_recount');
  }
}

/**
 * After events were deleted (evidence removed): drop the links to events
 * that no longer exist and fix or delete the alerts that had them.
 */
export async function pruneAlerts(conn: DuckDBConnection): Promise<{ links: number; alertsDeleted: number }> {
  await conn.run('CREATE OR REPLACE TEMP TABLE loupe_alert_gone AS SELECT alert_id, event_id FROM alert_events ae WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = ae.event_id)');
  try {
    const n = await count(conn, 'loupe_alert_gone');
    if (n === 0) return { links: 0, alertsDeleted: 0 };
    await conn.run('DELETE FROM alert_events WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = alert_events.event_id)');
    const r = await recomputeAlerts(conn, 'SELECT DISTINCT alert_id FROM loupe_alert_gone');
    return { links: n, alertsDeleted: r.deleted };
  } finally {
    await conn.run('DROP TABLE IF EXISTS loupe_alert_gone');
  }
}
