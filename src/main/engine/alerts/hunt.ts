import { LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { insertRuleEvents } from './alert-merge';
import type { RuleCounts } from '@shared/contract';
import { SEVERITIES, type Severity } from '@shared/events';
import type { Case } from '../case/case';
import { queryRows } from '../db/sql';
import { loadRules, runRules } from '../detect';
import type { CaseRules } from './case-rules';

/**
 * What `loupe hunt` prints: one row per rule that has alerts (events
 * counted once per rule), highest level first, and the counts of the rule
 * set that ran. The shape is the CLI's documented --json document.
 */

export interface HuntRow {
  ruleId: string;
  title: string;
  level: Severity | null;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface HuntResult {
  alerts: HuntRow[];
  rules: RuleCounts;
}

const RANK = `CASE level WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'informational' THEN 1 ELSE 0 END`;

function row(r: Record<string, unknown>): HuntRow {
  const level = typeof r.level === 'string' && (SEVERITIES as readonly string[]).includes(r.level) ? (r.level as Severity) : null;
  return {
    ruleId: String(r.rule_id),
    title: String(r.title),
    level,
    count: Number(r.n),
    firstSeen: r.first === null || r.first === undefined ? null : String(r.first),
    lastSeen: r.last === null || r.last === undefined ? null : String(r.last),
  };
}

/** The alerts stored in the case, per rule. */
export async function huntCase(kase: Case, rules: CaseRules): Promise<HuntResult> {
  const rows = await queryRows(
    kase.conn,
    `SELECT rule_id, title, level, n, first, last FROM (
       SELECT a.rule_id, arg_max(a.title, a.updated_at) AS title, any_value(a.level) AS level,
              count(DISTINCT ae.event_id) AS n, min(e.ts) AS first, max(e.ts) AS last
       FROM alerts a JOIN alert_events ae ON ae.alert_id = a.id JOIN events e ON e.id = ae.event_id
       GROUP BY a.rule_id)
     ORDER BY ${RANK} DESC, n DESC, title`,
  );
  return { alerts: rows.map(row), rules: { ...rules.set.counts } };
}

/** Rules from paths, run over every event of the case; printed, not stored. */
export async function huntWithRules(kase: Case, paths: string[]): Promise<HuntResult> {
  const set = await loadRules(paths);
  const conn = await kase.connect();
  try {
    // The detection hits go straight into the table the counts are read from.
    const res = await runRules(conn, set, { hitsInto: 'loupe_hunt' });
    const byRule = new Map(set.rules.map((r) => [r.id, r]));
    const correlationOnly = set.rules.filter((r) => r.correlationOnly).map((r) => r.id);
    if (correlationOnly.length > 0) await conn.run('DELETE FROM loupe_hunt WHERE rule_id IN (SELECT unnest($ids))', { ids: listValue(correlationOnly) }, { ids: LIST(VARCHAR) });
    for (const c of res.correlations) {
      if (c.eventIds.length > 0 && !byRule.get(c.ruleId)?.correlationOnly) await insertRuleEvents(conn, 'loupe_hunt', c.ruleId, c.eventIds);
    }
    const rows = await queryRows(
      conn,
      `SELECT h.rule_id, count(DISTINCT h.event_id) AS n, min(e.ts) AS first, max(e.ts) AS last
       FROM loupe_hunt h JOIN events e ON e.id = h.event_id GROUP BY h.rule_id`,
    );
    await conn.run('DROP TABLE IF EXISTS loupe_hunt');
    const alerts = rows.map((r) => {
      const rec = byRule.get(String(r.rule_id));
      return row({ ...r, title: rec?.title || String(r.rule_id), level: rec?.level ?? null });
    });
    const rank = (l: Severity | null): number => (l ? SEVERITIES.indexOf(l) : -1);
    alerts.sort((a, b) => rank(b.level) - rank(a.level) || b.count - a.count || a.title.localeCompare(b.title));
    return { alerts, rules: { ...set.counts } };
  } finally {
    kase.release(conn);
  }
}
