import type { DuckDBConnection } from '@duckdb/node-api';
import type { OpOutput, OpParsedInput, RulePack, RuleSummary, RunSummary } from '@shared/contract';
import { SEVERITIES, type Severity } from '@shared/events';
import { LoupeError } from '@shared/errors';
import type { Case } from '../case/case';
import { queryRows, queryValue } from '../db/sql';
import { explainRule, runRules, timespanSeconds, type RuleRecord, type RuleSet, type RunResult } from '../detect';
import { intelStore, refreshCaseIntel } from '../intel';
import type { PushBus } from '../service/push';
import { mergeHits, pruneAlerts, recomputeAlerts } from './alert-merge';
import { alertEvents, getAlertRow, levelCounts, listAlerts, listSuppressions, toSuppression, triage } from './alert-queries';
import { BUILTIN_PACK_ID, loadCaseRules, persistRules, readRuleText, type CaseRules } from './case-rules';
import { importPack, removePack } from './rule-packs';
import { deleteSuppressed, type ValueSuppression } from './suppression-sql';

/**
 * Detections of the open case: its rule set (built-in pack + imported
 * packs, cached per case), rule runs (after each import over the new
 * events, or on demand over all of them), alerts, triage and suppressions.
 * Runs are queued one at a time and use their own connection, so the UI
 * keeps reading the case while they work.
 */

export interface AlertServiceOptions {
  /** Refresh the case's IP enrichment before each run so `loupe.*ipsum*` rules see current intel. Default true. */
  refreshIntel?: boolean;
}

export type RunTrigger = 'import' | 'manual';

export interface RunRequest {
  trigger: RunTrigger;
  scope: 'new' | 'all' | 'rule';
  ruleId?: string;
}

const WATERMARK_KEY = 'detect_watermark';
/** How far before the new events a correlation looks back at most (events), see correlateAcrossRuns. */
const LOOKBACK_MAX_EVENTS = 500_000;
const MAX_FAILURES_SHOWN = 100;
/** TEMP table a run leaves its detection hits in for the merge (RunOptions.hitsInto). */
const RUN_HITS = 'loupe_run_hits';

interface Cached {
  kase: Case;
  rules: CaseRules;
}

function levelOf(r: RuleRecord): Severity | null {
  return r.level && (SEVERITIES as readonly string[]).includes(r.level) ? r.level : null;
}

/** The detections and correlations a run needs for `roots`: correlations pull in what they reference. */
export function ruleSubset(set: RuleSet, roots: Set<string>): RuleSet {
  const needed = new Set<string>();
  const corrById = new Map(set.correlations.map((c) => [c.record.id, c]));
  const visit = (id: string, depth: number): void => {
    if (needed.has(id) || depth > set.correlations.length + 1) return;
    needed.add(id);
    for (const r of corrById.get(id)?.refs ?? []) visit(r.id, depth + 1);
  };
  for (const id of roots) visit(id, 0);
  return {
    ...set,
    detections: set.detections.filter((d) => needed.has(d.record.id)),
    correlations: set.correlations.filter((c) => needed.has(c.record.id)),
  };
}

export class AlertService {
  private cache: Cached | null = null;
  private loading: { kase: Case; promise: Promise<CaseRules> } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private running: AbortController | null = null;
  private readonly refreshIntel: boolean;

  constructor(
    private readonly getCase: () => Case,
    private readonly push: PushBus,
    options: AlertServiceOptions = {},
  ) {
    this.refreshIntel = options.refreshIntel ?? true;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** The case's rule set, loaded once per open case (and again after packs change). */
  async rules(): Promise<CaseRules> {
    const kase = this.getCase();
    if (this.cache && this.cache.kase === kase && !kase.isClosed) return this.cache.rules;
    // Concurrent callers (a view listing rules while a run starts) share one load.
    if (this.loading && this.loading.kase === kase) return this.loading.promise;
    const promise = (async () => {
      const rules = await loadCaseRules(kase.conn, kase.dir);
      await persistRules(kase.conn, rules);
      if (!kase.isClosed) this.cache = { kase, rules };
      return rules;
    })();
    this.loading = { kase, promise };
    try {
      return await promise;
    } finally {
      if (this.loading?.promise === promise) this.loading = null;
    }
  }

  /** Forget the loaded rule set (packs changed); the next use reloads it. */
  invalidate(): void {
    this.cache = null;
    this.loading = null;
  }

  /**
   * An incremental run only sees the new events, so a correlation whose events
   * straddle two imports (or two live batches: five failed logons in one, five in
   * the next) would never fire. Correlations and the rules they count therefore
   * run again from the oldest event that can share a time window with the new
   * ones: events are ordered by id only within a file, so the look-back starts at
   * the lowest id whose time falls in the window, which may take in more events
   * than needed but never fewer. Alerts merge on (rule, group), so a window found
   * again updates its alert instead of making a second one. At most
   * LOOKBACK_MAX_EVENTS events before the new ones are looked at again.
   */
  private async correlateAcrossRuns<T>(
    conn: DuckDBConnection,
    subset: RuleSet,
    after: number,
    signal: AbortSignal,
    merge: (corr: RunResult['correlations']) => Promise<T>,
  ): Promise<T | null> {
    if (subset.correlations.length === 0) return null;
    let spanSeconds = 0;
    for (const c of subset.correlations) spanSeconds = Math.max(spanSeconds, timespanSeconds(c.section.timespan));
    const from = await queryValue<number>(
      conn,
      `SELECT min(id) FROM events WHERE id <= $after AND ts >= (SELECT min(ts) FROM events WHERE id > $after) - to_seconds($span::DOUBLE)`,
      { after, span: spanSeconds },
    );
    if (from === undefined || from === null) return null; // no older event shares a window with the new ones
    // Bounded: live sources run this every second, and an hour-long window over a
    // busy listener must not rescan millions of events each time.
    const start = Math.max(Number(from), after + 1 - LOOKBACK_MAX_EVENTS);
    if (start > after) return null;
    const correlated = ruleSubset(subset, new Set(subset.correlations.map((c) => c.record.id)));
    const res = await runRules(conn, correlated, { watermark: start - 1, signal });
    return res.correlations.length > 0 ? merge(res.correlations) : null;
  }

  private async enabledMap(conn: DuckDBConnection): Promise<Map<string, boolean>> {
    const rows = await queryRows(conn, 'SELECT rule_id, enabled FROM rule_settings');
    return new Map(rows.map((r) => [String(r.rule_id), r.enabled === true]));
  }

  private async suppressionsOf(conn: DuckDBConnection): Promise<{ rules: Set<string>; values: ValueSuppression[] }> {
    const rows = await queryRows(conn, 'SELECT id, rule_id, field, value FROM suppressions ORDER BY id');
    const rules = new Set<string>();
    const values: ValueSuppression[] = [];
    for (const r of rows) {
      if (r.field === null) {
        if (r.rule_id !== null) rules.add(String(r.rule_id));
      } else {
        values.push({ id: Number(r.id), ruleId: r.rule_id === null ? null : String(r.rule_id), field: String(r.field), value: String(r.value ?? '') });
      }
    }
    return { rules, values };
  }

  /** Queue a run; resolves with its summary once it (and the runs before it) are done. */
  run(req: RunRequest): Promise<RunSummary> {
    const next = this.queue.then(() => this.doRun(req));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The post-import hook: the enabled rules over the events no run has
   * examined yet. A re-import replaced some events first, so links to events
   * that are gone are pruned before the run.
   */
  async afterImport(): Promise<RunSummary> {
    return this.run({ trigger: 'import', scope: 'new' });
  }

  /** After evidence (and its events) was deleted: drop the links to vanished events, fix the alerts. */
  afterEvidenceRemoved(): Promise<{ links: number; alertsDeleted: number }> {
    const next = this.queue.then(async () => {
      const conn = this.getCase().conn;
      const r = await pruneAlerts(conn);
      if (r.links > 0) {
        const lc = await levelCounts(conn);
        this.push.emit('alertsUpdated', { runId: 0, trigger: 'manual', total: lc.total, counts: lc.counts, alertsNew: 0, alertsUpdated: 0 });
      }
      return r;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  cancel(): boolean {
    if (!this.running) return false;
    this.running.abort();
    return true;
  }

  private async doRun(req: RunRequest): Promise<RunSummary> {
    const kase = this.getCase();
    const rules = await this.rules();
    const conn = await kase.connect();
    const controller = new AbortController();
    this.running = controller;
    const t0 = performance.now();
    const runId = Number((await queryValue<number>(conn, 'SELECT coalesce(max(id), 0) + 1 FROM detect_runs')) ?? 1);
    const summary: RunSummary = {
      runId,
      trigger: req.trigger,
      scope: req.scope,
      ruleId: req.ruleId ?? null,
      afterEvent: null,
      throughEvent: null,
      rules: 0,
      hits: 0,
      suppressed: 0,
      alertsNew: 0,
      alertsUpdated: 0,
      failures: [],
      ms: 0,
      status: 'done',
      message: null,
      counts: (await levelCounts(conn)).counts,
    };
    await conn.run(`INSERT INTO detect_runs (id, started_at, trigger, scope, rule_id, status) VALUES ($id, now(), $t, $s, $r, 'running')`, {
      id: runId,
      t: req.trigger,
      s: req.scope,
      r: req.ruleId ?? null,
    });
    let error: unknown = null;
    try {
      const enabled = await this.enabledMap(conn);
      const supp = await this.suppressionsOf(conn);
      const set = rules.set;
      const roots = new Set<string>();
      if (req.scope === 'rule') {
        const rec = req.ruleId ? rules.byId.get(req.ruleId) : undefined;
        if (!rec) throw new LoupeError('NOT_FOUND', `No rule ${req.ruleId ?? ''} in this case's rule set`);
        if (rec.status !== 'active') throw new LoupeError('REFUSED', `Rule ${rec.id} is ${rec.status}: ${rec.reason}`);
        roots.add(rec.id);
      } else {
        for (const d of set.detections) if (enabled.get(d.record.id) !== false && !supp.rules.has(d.record.id) && !d.record.correlationOnly) roots.add(d.record.id);
        for (const c of set.correlations) if (enabled.get(c.record.id) !== false && !supp.rules.has(c.record.id)) roots.add(c.record.id);
      }
      if (req.trigger === 'import') await pruneAlerts(conn);
      const subset = ruleSubset(set, roots);
      summary.rules = subset.detections.length + subset.correlations.length;
      const wmText = await queryValue<string>(conn, 'SELECT value FROM meta WHERE key = $k', { k: WATERMARK_KEY });
      const watermark = wmText === undefined || wmText === null ? null : Number(wmText);
      const last = await queryValue<number>(conn, 'SELECT max(id) FROM events');
      const through = last === undefined || last === null ? null : Number(last);
      const after = req.scope === 'new' ? watermark : null;
      summary.afterEvent = after;
      summary.throughEvent = through;
      if (through !== null && (after === null || through > after) && summary.rules > 0) {
        if (this.refreshIntel) {
          try {
            await refreshCaseIntel(conn, intelStore());
          } catch (e) {
            // Rules that read the enrichment see the previous one; the others lose nothing.
            summary.message = `IP intel not refreshed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
          }
        }
        // The hits stay in DuckDB until they are alerts: millions after a big import.
        const res: RunResult = await runRules(conn, subset, { ...(after !== null ? { watermark: after } : {}), signal: controller.signal, hitsInto: RUN_HITS });
        summary.failures = res.failures.slice(0, MAX_FAILURES_SHOWN);
        const byId = rules.byId;
        const merged = await mergeHits(conn, {
          hitsTable: RUN_HITS,
          correlations: res.correlations,
          alerting: (id) => roots.has(id) && !supp.rules.has(id) && byId.get(id)?.correlationOnly !== true,
          meta: (id) => {
            const r = byId.get(id);
            return { title: r?.title || id, level: r ? levelOf(r) : null, tags: r?.tags ?? [] };
          },
          suppressions: supp.values,
          runId,
        }).finally(() => conn.run(`DROP TABLE IF EXISTS ${RUN_HITS}`));
        summary.hits = merged.links;
        summary.suppressed = merged.suppressed;
        summary.alertsNew = merged.alertsNew;
        summary.alertsUpdated = merged.alertsUpdated;
        if (after !== null) {
          const late = await this.correlateAcrossRuns(conn, subset, after, controller.signal, (corr) =>
            mergeHits(conn, {
              hitsTable: null,
              correlations: corr,
              alerting: (id) => roots.has(id) && !supp.rules.has(id),
              meta: (id) => {
                const r = byId.get(id);
                return { title: r?.title || id, level: r ? levelOf(r) : null, tags: r?.tags ?? [] };
              },
              suppressions: supp.values,
              runId,
            }),
          );
          if (late) {
            summary.hits += late.links;
            summary.suppressed += late.suppressed;
            summary.alertsNew += late.alertsNew;
            summary.alertsUpdated += late.alertsUpdated;
          }
        }
      }
      // Single-rule runs leave the watermark: the other rules have not seen those events.
      if (req.scope !== 'rule' && through !== null && (watermark === null || through > watermark)) {
        await conn.run('INSERT OR REPLACE INTO meta VALUES ($k, $v)', { k: WATERMARK_KEY, v: String(through) });
      }
    } catch (e) {
      const cancelled = controller.signal.aborted;
      summary.status = cancelled ? 'cancelled' : 'failed';
      summary.message = cancelled ? 'cancelled by the analyst' : e instanceof Error ? (e.message.split('\n')[0] ?? 'failed') : String(e);
      // The analyst's own mistakes (unknown rule) go back as errors; a run that broke is a finding of the summary.
      if (e instanceof LoupeError && !cancelled) error = e;
    }
    try {
      await this.finishRun(conn, summary, t0);
    } finally {
      kase.release(conn);
      this.running = null;
    }
    if (error) throw error;
    const lc = await levelCounts(kase.conn);
    summary.counts = lc.counts;
    this.push.emit('alertsUpdated', { runId, trigger: req.trigger, total: lc.total, counts: lc.counts, alertsNew: summary.alertsNew, alertsUpdated: summary.alertsUpdated });
    return summary;
  }

  private async finishRun(conn: DuckDBConnection, s: RunSummary, t0: number): Promise<void> {
    s.ms = Math.round(performance.now() - t0);
    await conn.run(
      `UPDATE detect_runs SET finished_at = now(), after_event = $a, through_event = $t, rules = $rules, hits = $hits, alerts_new = $n,
         alerts_updated = $u, suppressed = $sup, failures = $f, ms = $ms, status = $st, message = $msg WHERE id = $id`,
      {
        id: s.runId,
        a: s.afterEvent,
        t: s.throughEvent,
        rules: s.rules,
        hits: s.hits,
        n: s.alertsNew,
        u: s.alertsUpdated,
        sup: s.suppressed,
        f: JSON.stringify(s.failures),
        ms: s.ms,
        st: s.status,
        msg: s.message,
      },
    );
  }

  // ---------------------------------------------------------------- alerts

  async listAlerts(input: OpParsedInput<'listAlerts'>): Promise<OpOutput<'listAlerts'>> {
    return listAlerts(this.getCase().conn, input);
  }

  async getAlert(input: OpParsedInput<'getAlert'>): Promise<OpOutput<'getAlert'>> {
    const conn = this.getCase().conn;
    const alert = await getAlertRow(conn, input.id);
    const rules = await this.rules();
    // The rule's text, not its compiled SQL: getRule explains it when the analyst asks.
    const rule = rules.byId.has(alert.ruleId) ? await this.getRule(alert.ruleId, { explain: false }) : null;
    return { alert, rule, events: await alertEvents(conn, input.id, input.offset, input.limit) };
  }

  async triage(input: OpParsedInput<'triageAlerts'>): Promise<number> {
    return triage(this.getCase().conn, input);
  }

  // ---------------------------------------------------------------- suppressions

  async addSuppression(input: OpParsedInput<'addSuppression'>): Promise<OpOutput<'addSuppression'>> {
    const conn = this.getCase().conn;
    if (input.ruleId !== undefined && !(await this.rules()).byId.has(input.ruleId)) {
      const known = await queryValue<number>(conn, 'SELECT count(*) FROM alerts WHERE rule_id = $r', { r: input.ruleId });
      if (!known) throw new LoupeError('NOT_FOUND', `No rule ${input.ruleId} in this case`);
    }
    const id = Number((await queryValue<number>(conn, 'SELECT coalesce(max(id), 0) + 1 FROM suppressions')) ?? 1);
    await conn.run('INSERT INTO suppressions VALUES ($id, $rule, $field, $value, $note, now())', {
      id,
      rule: input.ruleId ?? null,
      field: input.field ?? null,
      value: input.value ?? null,
      note: input.note ?? null,
    });
    const row = (await queryRows(conn, 'SELECT id, rule_id, field, value, note, created_at FROM suppressions WHERE id = $id', { id }))[0];
    if (!row) throw new LoupeError('INTERNAL', 'the suppression was not stored');
    let removedLinks = 0;
    let removedAlerts = 0;
    if (input.retroactive) {
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run('CREATE OR REPLACE TEMP TABLE loupe_supp_links AS SELECT ae.alert_id, ae.event_id, a.rule_id FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id');
        const before = Number((await queryValue<number>(conn, 'SELECT count(*) FROM loupe_supp_links')) ?? 0);
        if (input.field !== undefined) {
          await deleteSuppressed(conn, 'loupe_supp_links', { id, ruleId: input.ruleId ?? null, field: input.field, value: input.value ?? '' });
        } else {
          await conn.run('DELETE FROM loupe_supp_links WHERE rule_id = $r', { r: input.ruleId ?? '' });
        }
        const after = Number((await queryValue<number>(conn, 'SELECT count(*) FROM loupe_supp_links')) ?? 0);
        removedLinks = before - after;
        if (removedLinks > 0) {
          await conn.run(
            `CREATE OR REPLACE TEMP TABLE loupe_supp_gone AS SELECT ae.alert_id, ae.event_id FROM alert_events ae
             WHERE NOT EXISTS (SELECT 1 FROM loupe_supp_links l WHERE l.alert_id = ae.alert_id AND l.event_id = ae.event_id)`,
          );
          await conn.run('DELETE FROM alert_events WHERE (alert_id, event_id) IN (SELECT (alert_id, event_id) FROM loupe_supp_gone)');
          removedAlerts = (await recomputeAlerts(conn, 'SELECT DISTINCT alert_id FROM loupe_supp_gone')).deleted;
        }
        await conn.run('COMMIT');
      } catch (e) {
        await conn.run('ROLLBACK');
        throw e;
      } finally {
        await conn.run('DROP TABLE IF EXISTS loupe_supp_links');
        await conn.run('DROP TABLE IF EXISTS loupe_supp_gone');
      }
      if (removedLinks > 0) {
        const lc = await levelCounts(conn);
        this.push.emit('alertsUpdated', { runId: 0, trigger: 'manual', total: lc.total, counts: lc.counts, alertsNew: 0, alertsUpdated: 0 });
      }
    }
    return { suppression: toSuppression(row), removedLinks, removedAlerts };
  }

  async removeSuppression(id: number): Promise<boolean> {
    const r = await this.getCase().conn.run('DELETE FROM suppressions WHERE id = $id', { id });
    return Number(r.rowsChanged) > 0;
  }

  async listSuppressions(): Promise<OpOutput<'listSuppressions'>> {
    return { suppressions: await listSuppressions(this.getCase().conn) };
  }

  // ---------------------------------------------------------------- rules

  async status(): Promise<OpOutput<'getDetectionStatus'>> {
    const conn = this.getCase().conn;
    const rules = await this.rules();
    const wm = await queryValue<string>(conn, 'SELECT value FROM meta WHERE key = $k', { k: WATERMARK_KEY });
    const last = await queryValue<number>(conn, 'SELECT max(id) FROM events');
    const lastRun = (await queryRows(conn, 'SELECT * FROM detect_runs WHERE status <> $r ORDER BY id DESC LIMIT 1', { r: 'running' }))[0];
    const lc = await levelCounts(conn);
    return {
      watermark: wm === undefined || wm === null ? null : Number(wm),
      lastEventId: last === undefined || last === null ? null : Number(last),
      running: this.busy,
      lastRun: lastRun
        ? {
            runId: Number(lastRun.id),
            trigger: lastRun.trigger === 'import' ? 'import' : 'manual',
            scope: lastRun.scope === 'new' ? 'new' : lastRun.scope === 'rule' ? 'rule' : 'all',
            ruleId: lastRun.rule_id === null ? null : String(lastRun.rule_id),
            afterEvent: lastRun.after_event === null ? null : Number(lastRun.after_event),
            throughEvent: lastRun.through_event === null ? null : Number(lastRun.through_event),
            rules: Number(lastRun.rules ?? 0),
            hits: Number(lastRun.hits ?? 0),
            suppressed: Number(lastRun.suppressed ?? 0),
            alertsNew: Number(lastRun.alerts_new ?? 0),
            alertsUpdated: Number(lastRun.alerts_updated ?? 0),
            failures: safeFailures(lastRun.failures),
            ms: Number(lastRun.ms ?? 0),
            status: lastRun.status === 'failed' ? 'failed' : lastRun.status === 'cancelled' ? 'cancelled' : 'done',
            message: lastRun.message === null ? null : String(lastRun.message),
            counts: lc.counts,
          }
        : null,
      alerts: lc.total,
      counts: lc.counts,
      rules: rules.set.counts,
      builtinPack: rules.builtinDir,
    };
  }

  async listRules(input: OpParsedInput<'listRules'>): Promise<OpOutput<'listRules'>> {
    await this.rules();
    const conn = this.getCase().conn;
    const where: string[] = [];
    const params: Record<string, string | number | boolean> = {};
    const inList = (name: string, col: string, values: readonly string[] | undefined): void => {
      if (!values?.length) return;
      where.push(`${col} IN (${values.map((v, i) => ((params[`${name}${i}`] = v), `$${name}${i}`)).join(', ')})`);
    };
    inList('st', 'r.status', input.statuses);
    inList('lv', 'r.level', input.levels);
    if (input.packId !== undefined) {
      params.pack = input.packId;
      where.push('r.pack_id = $pack');
    }
    if (input.enabled !== undefined) {
      params.en = input.enabled;
      where.push('coalesce(s.enabled, true) = $en');
    }
    if (input.text) {
      params.text = input.text.toLowerCase();
      where.push('(contains(lower(r.id), $text) OR contains(lower(r.title), $text) OR contains(lower(r.path), $text) OR contains(lower(r.reason), $text))');
    }
    const from = `FROM rules r LEFT JOIN rule_settings s ON s.rule_id = r.id ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const total = Number((await queryValue<number>(conn, `SELECT count(*) ${from}`, params)) ?? 0);
    const rows = await queryRows(
      conn,
      `SELECT r.*, coalesce(s.enabled, true) AS enabled,
              EXISTS (SELECT 1 FROM suppressions x WHERE x.rule_id = r.id AND x.field IS NULL) AS suppressed,
              (SELECT count(*) FROM alerts a WHERE a.rule_id = r.id) AS alerts
       ${from} ORDER BY CASE r.status WHEN 'error' THEN 0 WHEN 'unsupported' THEN 1 ELSE 2 END, r.pack_id, r.path, r.doc LIMIT $lim OFFSET $off`,
      { ...params, lim: input.limit, off: input.offset },
    );
    const c = (await queryRows(conn, `SELECT r.status, coalesce(s.enabled, true) AS enabled, count(*) AS n FROM rules r LEFT JOIN rule_settings s ON s.rule_id = r.id GROUP BY ALL`)) ?? [];
    const counts = { active: 0, unsupported: 0, error: 0, enabled: 0, disabled: 0 };
    for (const r of c) {
      const n = Number(r.n);
      if (r.status === 'active' || r.status === 'unsupported' || r.status === 'error') counts[r.status] += n;
      if (r.enabled === true) counts.enabled += n;
      else counts.disabled += n;
    }
    const reasons = (
      await queryRows(conn, `SELECT status, reason, count(*) AS n FROM rules WHERE status <> 'active' GROUP BY ALL ORDER BY n DESC, reason LIMIT 20`)
    ).map((r) => ({ status: r.status === 'error' ? ('error' as const) : ('unsupported' as const), reason: String(r.reason), count: Number(r.n) }));
    return { total, rules: rows.map(toRuleSummary), counts, reasons };
  }

  async getRule(id: string, opts: { explain?: boolean } = {}): Promise<OpOutput<'getRule'>> {
    const rules = await this.rules();
    const rec = rules.byId.get(id);
    if (!rec) throw new LoupeError('NOT_FOUND', `No rule ${id} in this case's rule set`);
    const conn = this.getCase().conn;
    const row = (
      await queryRows(
        conn,
        `SELECT r.*, coalesce(s.enabled, true) AS enabled,
                EXISTS (SELECT 1 FROM suppressions x WHERE x.rule_id = r.id AND x.field IS NULL) AS suppressed,
                (SELECT count(*) FROM alerts a WHERE a.rule_id = r.id) AS alerts
         FROM rules r LEFT JOIN rule_settings s ON s.rule_id = r.id WHERE r.id = $id ORDER BY r.pack_id LIMIT 1`,
        { id },
      )
    )[0];
    if (!row) throw new LoupeError('NOT_FOUND', `No rule ${id} in this case's rule set`);
    const summary = toRuleSummary(row);
    let sql: OpOutput<'getRule'>['sql'] = [];
    let notApplicable: OpOutput<'getRule'>['notApplicable'] = [];
    if (rec.status === 'active' && opts.explain !== false) {
      const ex = await explainRule(conn, rules.set, id);
      sql = ex.statements;
      const tables = new Map((await queryRows(conn, 'SELECT id, table_name FROM sources')).map((r) => [Number(r.id), String(r.table_name)]));
      notApplicable = ex.notApplicable.slice(0, 200).map((n) => ({ source: tables.get(n.sourceId) ?? `source ${n.sourceId}`, target: n.target, reason: n.reason }));
    }
    return {
      ...summary,
      description: rec.description ?? null,
      author: rec.author ?? null,
      sigmaStatus: rec.sigmaStatus ?? null,
      logsource: rec.logsource ? Object.fromEntries(Object.entries(rec.logsource).filter(([, v]) => typeof v === 'string')) : null,
      references: rec.references,
      falsepositives: rec.falsepositives,
      yaml: await readRuleText(rec),
      sql,
      notApplicable,
    };
  }

  async setEnabled(ids: string[], enabled: boolean): Promise<number> {
    const rules = await this.rules();
    const conn = this.getCase().conn;
    let changed = 0;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const id of new Set(ids)) {
        if (!rules.byId.has(id)) throw new LoupeError('NOT_FOUND', `No rule ${id} in this case's rule set`);
        const was = await queryValue<boolean>(conn, 'SELECT enabled FROM rule_settings WHERE rule_id = $id', { id });
        if ((was ?? true) !== enabled) changed++;
        await conn.run('INSERT OR REPLACE INTO rule_settings VALUES ($id, $en, now())', { id, en: enabled });
      }
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK');
      throw e;
    }
    return changed;
  }

  async importRules(path: string): Promise<OpOutput<'importRules'>> {
    const kase = this.getCase();
    const pack = await importPack(kase.conn, kase.dir, path);
    this.invalidate();
    const rules = await this.rules();
    const info = (await this.packs()).find((p) => p.id === pack.id);
    if (!info) throw new LoupeError('INTERNAL', 'the imported pack was not loaded');
    void rules;
    return { pack: info, counts: info.counts };
  }

  async removePack(id: number): Promise<boolean> {
    const kase = this.getCase();
    const removed = await removePack(kase.conn, kase.dir, id);
    if (removed) this.invalidate();
    return removed;
  }

  async packs(): Promise<RulePack[]> {
    const rules = await this.rules();
    const counts = new Map<number, { active: number; unsupported: number; error: number; rules: number }>();
    for (const r of rules.set.rules) {
      const id = rules.packOf(r);
      const c = counts.get(id) ?? { active: 0, unsupported: 0, error: 0, rules: 0 };
      c[r.status]++;
      c.rules++;
      counts.set(id, c);
    }
    const out: RulePack[] = [];
    if (rules.builtinDir) {
      const c = counts.get(BUILTIN_PACK_ID) ?? { active: 0, unsupported: 0, error: 0, rules: 0 };
      out.push({ id: BUILTIN_PACK_ID, name: 'Loupe built-in rules', kind: 'builtin', origin: rules.builtinDir, files: c.rules, rules: c.rules, counts: { active: c.active, unsupported: c.unsupported, error: c.error }, importedAt: null });
    }
    for (const p of rules.packs) {
      const c = counts.get(p.id) ?? { active: 0, unsupported: 0, error: 0, rules: 0 };
      out.push({ id: p.id, name: p.name, kind: p.kind, origin: p.origin, files: p.files, rules: c.rules, counts: { active: c.active, unsupported: c.unsupported, error: c.error }, importedAt: p.importedAt });
    }
    return out;
  }
}

function safeFailures(v: unknown): RunSummary['failures'] {
  if (typeof v !== 'string') return [];
  try {
    const parsed = JSON.parse(v) as RunSummary['failures'];
    return Array.isArray(parsed) ? parsed.slice(0, MAX_FAILURES_SHOWN) : [];
  } catch {
    return [];
  }
}

function toRuleSummary(r: Record<string, unknown>): RuleSummary {
  const lv = typeof r.level === 'string' && (SEVERITIES as readonly string[]).includes(r.level) ? (r.level as Severity) : null;
  const kind = r.kind === 'correlation' ? 'correlation' : r.kind === 'filter' ? 'filter' : 'detection';
  const status = r.status === 'active' ? 'active' : r.status === 'unsupported' ? 'unsupported' : 'error';
  return {
    id: String(r.id),
    title: String(r.title ?? ''),
    packId: Number(r.pack_id),
    path: String(r.path),
    line: r.line === null || r.line === undefined ? null : Number(r.line),
    status,
    reason: String(r.reason ?? ''),
    kind,
    level: lv,
    tags: Array.isArray(r.tags) ? r.tags.map(String) : [],
    targets: Array.isArray(r.targets) ? r.targets.map(String) : [],
    enabled: r.enabled !== false,
    correlationOnly: r.correlation_only === true,
    suppressed: r.suppressed === true,
    alerts: Number(r.alerts ?? 0),
  };
}
