import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOGON_ACTIONS, PANEL_IDS, type PanelId } from '../../src/shared/overview-contract';
import { queryRows } from '../../src/main/engine/db/sql';
import { intelStore } from '../../src/main/engine/intel';
import { ensureCaseIntel, refreshIntelAggregates, refreshRollup } from '../../src/main/engine/overview';
import { call } from '../../src/main/engine/service/dispatch';
import { Engine } from '../../src/main/engine/service/engine';
import { addTestAlerts } from '../fixtures/alert-tables';
import { SCENARIO_TRUTH as T } from '../fixtures/scenario';
import { cachedScenario } from './scenario-cache';
import { seconds, speedRatio, type Bench, type BenchRow } from './harness';

/**
 * Every dashboard panel on a generated case of 10M events (LOUPE_BENCH_EVENTS
 * to change), as the UI asks for them (two requests), beside the same
 * aggregations written by hand in plain SQL over the events, run in the same
 * process on the same database. The whole case is answered from the rollup;
 * a search is counted live, so its figures are the ones to compare with the
 * hand-written SQL most closely.
 *
 * The case is generated once into .tmp/bench and reused while its size and
 * seed match; its intel (a story IOC list), a few alerts and the rollup are
 * added on the first run.
 */
const EVENTS = Number(process.env.LOUPE_BENCH_EVENTS ?? 10_000_000);
const RUNS = Number(process.env.LOUPE_BENCH_RUNS ?? 5);
const ROOT = resolve(__dirname, '..', '..');
const DIR = join(ROOT, '.tmp', 'bench', `dashboard-${EVENTS}`);
const HOME = join(ROOT, '.tmp', 'bench', 'home');

/** The panels in the two requests the Dashboard view sends (dashboard-view.tsx). */
const BATCHES: PanelId[][] = [
  ['summary', 'eventsOverTime', 'severity', 'topHosts', 'topProcesses', 'topUsers', 'logonsByUser', 'logonsBySrcIp', 'webStatus'],
  ['topSrcIps', 'topDstIps', 'malicious', 'countries', 'alertsOverTime', 'alertTypes', 'topUrls'],
];

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

/** The dashboard's aggregations as someone would write them by hand, over `events e WHERE <where>`. */
function handSql(where: string, urlTables: { table: string; field: string; sourceId: number }[]): string[] {
  const f = `FROM events e WHERE ${where}`;
  const logon = `e.action IN (${LOGON_ACTIONS.map((a) => `'${a}'`).join(', ')}) AND e.outcome IN ('success', 'failure')`;
  const top = (col: string) => `SELECT ${col} AS v, count(*) AS n ${f} AND ${col} IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 10`;
  const logons = (col: string) =>
    `SELECT ${col} AS v, count(*) FILTER (WHERE e.outcome = 'success') AS s, count(*) FILTER (WHERE e.outcome = 'failure') AS fl ${f} AND ${logon} AND ${col} IS NOT NULL GROUP BY 1 ORDER BY fl DESC, s DESC LIMIT 10`;
  const urls = urlTables.map((u) => `SELECT u."${u.field}" AS v FROM events e JOIN ${u.table} u ON u.rid = e.rid WHERE e.source_id = ${u.sourceId} AND ${where}`).join(' UNION ALL ');
  return [
    `SELECT count(*), count(*) FILTER (WHERE e.ts IS NULL), min(e.ts), max(e.ts) ${f}`,
    `SELECT e.dataset, count(*) ${f} GROUP BY 1`,
    `SELECT count(DISTINCT e.host), count(DISTINCT e."user") ${f}`,
    `SELECT count(DISTINCT ip) FROM (SELECT e.src_ip AS ip ${f} UNION ALL SELECT e.dst_ip ${f})`,
    `SELECT floor(epoch_ms(e.ts) / 3600000) AS b, e.dataset, count(*) ${f} GROUP BY ALL`,
    `SELECT e.severity, count(*) ${f} GROUP BY 1`,
    top('e.host'),
    top('e.process'),
    top('e."user"'),
    logons('e."user"'),
    logons('e.src_ip'),
    `SELECT e.event_code, count(*) ${f} AND e.dataset = 'web.access' GROUP BY 1`,
    top('e.src_ip'),
    top('e.dst_ip'),
    `SELECT count(*) ${f} AND (e.src_ip IN (SELECT ip FROM malicious_ips) OR e.dst_ip IN (SELECT ip FROM malicious_ips))`,
    `SELECT en.country, count(*), count(DISTINCT e.src_ip) FROM events e JOIN ip_enrichment en ON en.ip = e.src_ip WHERE ${where} AND en.country IS NOT NULL GROUP BY 1`,
    `SELECT floor(epoch_ms(e.ts) / 3600000) AS b, a.level, count(DISTINCT e.id) FROM events e JOIN alert_events ae ON ae.event_id = e.id JOIN alerts a ON a.id = ae.alert_id WHERE ${where} GROUP BY ALL`,
    `SELECT a.rule_id, count(DISTINCT e.id) AS n FROM events e JOIN alert_events ae ON ae.event_id = e.id JOIN alerts a ON a.id = ae.alert_id WHERE ${where} GROUP BY 1 ORDER BY n DESC LIMIT 10`,
    `SELECT e.message, count(*) AS n ${f} AND e.action = 'alert' GROUP BY 1 ORDER BY n DESC LIMIT 10`,
    ...(urls ? [`SELECT v, count(*) AS n FROM (${urls}) WHERE v IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 10`] : []),
  ];
}

const bench: Bench = {
  name: 'dashboard',
  async run(log) {
    await cachedScenario(DIR, EVENTS, 2, log);
    process.env.LOUPE_HOME = HOME;
    const store = intelStore();
    if (!store.status().sources.some((s) => s.id === 'ioc:story')) {
      const f = join(HOME, 'story.txt');
      mkdirSync(HOME, { recursive: true });
      writeFileSync(f, `${T.c2.ip}\n${T.bruteForce.ip}\n`);
      await store.addIocList(f, 'story');
    }
    const engine = new Engine({ host: 'test' });
    await engine.useCase(DIR, { mode: 'open' });
    const c = engine.case;
    const conn = c.conn;
    const rows: BenchRow[] = [];
    const label = `(${(EVENTS / 1e6).toFixed(0)}M events)`;
    try {
      const hasAlerts = (await queryRows(conn, `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'alerts'`))[0]?.n;
      if (!hasAlerts) {
        await addTestAlerts(conn, [
          { id: 1, ruleId: 'bench-brute', title: 'Brute force', level: 'high', events: `src_ip = '${T.bruteForce.ip}' AND action = 'logon-failed'` },
          { id: 2, ruleId: 'bench-enc', title: 'Encoded PowerShell', level: 'critical', events: `message LIKE '%-enc %' AND dataset = 'sysmon'` },
          { id: 3, ruleId: 'bench-scan', title: 'Nmap scan', level: 'medium', events: `dataset = 'suricata.alert' AND message LIKE '%Nmap%'` },
        ]);
      }
      const intel = performance.now();
      const enriched = await ensureCaseIntel(c, store);
      if (enriched) log(`IP intel computed for the case in ${seconds(performance.now() - intel)} (once; the import pipeline does this)`);

      // The rollup, built from scratch as after one big import, beside the same GROUP BYs run once by hand.
      const urlTables = (await queryRows(conn, `SELECT s.id, s.table_name FROM sources s WHERE s.id IN (SELECT DISTINCT source_id FROM events WHERE dataset = 'web.access')`)).map((r) => ({
        table: String(r.table_name),
        field: 'uri',
        sourceId: Number(r.id),
      }));
      const build = await refreshRollup(c, { force: true });
      await refreshIntelAggregates(c);
      const handOnce = performance.now();
      for (const s of handSql('TRUE', urlTables)) await conn.runAndReadAll(s);
      const handMs = performance.now() - handOnce;
      log(`rollup built in ${seconds(build.ms)} (the hand-written aggregations once: ${seconds(handMs)})`);
      rows.push({
        capability: `dashboard rollup, built once after an import ${label}`,
        loupe: seconds(build.ms),
        reference: `every aggregation by hand, once: ${seconds(handMs)}`,
        ratio: speedRatio(build.ms, handMs),
      });

      const dashboard = (input: Record<string, unknown>) => async () => {
        for (const panels of BATCHES) await call(engine.handlers, 'dashboard', { ...input, panels });
      };
      const hand = (where: string) => async () => {
        for (const s of handSql(where, urlTables)) await conn.runAndReadAll(s);
      };
      const add = async (capability: string, input: Record<string, unknown>, where: string, target?: number) => {
        const a = await median(dashboard(input));
        const b = await median(hand(where));
        log(`${capability}: ${ms(a)} (by hand ${ms(b)})`);
        rows.push({
          capability: `${capability} ${label}`,
          loupe: ms(a),
          reference: `the same aggregations by hand: ${ms(b)}`,
          ratio: speedRatio(a, b),
          ...(target !== undefined ? { target: `< ${target} ms`, met: a < target } : {}),
        });
      };
      await add(`whole case: all ${PANEL_IDS.length} panels in the UI's two requests`, {}, 'TRUE', 1000);
      for (const [i, panels] of BATCHES.entries()) {
        const a = await median(() => call(engine.handlers, 'dashboard', { panels }));
        log(`  request ${i + 1} (${panels.join(', ')}): ${ms(a)}`);
      }
      await add(`search ip:${T.bruteForce.ip} (51 events)`, { query: `ip:${T.bruteForce.ip}` }, `(e.src_ip = '${T.bruteForce.ip}' OR e.dst_ip = '${T.bruteForce.ip}')`);
      await add('search host:DC01.corp.example (about 6% of events)', { query: 'host:DC01.corp.example' }, `e.host = 'DC01.corp.example'`);
      await add('time range: 12 hours (about 17% of events)', { from: '2024-03-12T00:00:00Z', to: '2024-03-12T12:00:00Z' }, `e.ts >= '2024-03-12 00:00:00' AND e.ts < '2024-03-12 12:00:00'`);
      await add('search dataset:windows.security (30% of events)', { query: 'dataset:windows.security' }, `e.dataset = 'windows.security'`);
    } finally {
      await engine.close();
    }
    return rows;
  },
};

export default bench;
