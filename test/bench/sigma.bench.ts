import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { corpusPath, hasCorpus } from '../corpus';
import { generateWindowsCase } from '../fixtures/windows-events-gen';
import { buildRuleSet, loadRules, runRules, type RuleSet, type RunResult } from '../../src/main/engine/detect';
import { perSecond, seconds, speedRatio, type Bench, type BenchRow } from './harness';

/**
 * Sigma over 1M generated Windows events (Sysmon 1/3/7/10/11/13, Security,
 * PowerShell 4104; test/fixtures/windows-events-gen.ts).
 *
 * Figures: compile rate of SigmaHQ rules/windows and rules/; the grouped
 * run of rules/windows and of all rules/ (target: under 20 s on 2 cores);
 * and, as the same-run reference, the naive one-query-per-rule execution
 * of the same compiled rules on a fixed sample (every Nth rule, all of them
 * with SIGMA_BENCH_NAIVE=all) against the grouped run of that sample, plus
 * a plain DuckDB scan of the process table with one predicate.
 * CPU seconds are printed beside wall seconds: this machine is shared, and
 * CPU time is what the work cost.
 */

const EVENTS = Number(process.env.SIGMA_BENCH_EVENTS ?? 1_000_000);
const NAIVE = process.env.SIGMA_BENCH_NAIVE ?? '150';

function cpuSeconds(start: NodeJS.CpuUsage): string {
  const d = process.cpuUsage(start);
  return `${((d.user + d.system) / 1e6).toFixed(1)} s CPU`;
}

async function timedRun(conn: DuckDBConnection, rs: RuleSet, mode: 'grouped' | 'per-rule'): Promise<{ res: RunResult; ms: number; cpu: string }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await runRules(conn, rs, { mode });
  return { res, ms: performance.now() - t0, cpu: cpuSeconds(c0) };
}

function sample(rs: RuleSet, every: number): RuleSet {
  const keep = new Set(rs.detections.filter((_, i) => i % every === 0).map((d) => d.record));
  return buildRuleSet(rs.rules.filter((r) => keep.has(r)).map((record) => {
    const det = rs.detections.find((d) => d.record === record);
    return det ? { record, detection: { expr: det.expr, variants: det.variants, fields: det.fields } } : { record };
  }));
}

const bench: Bench = {
  name: 'sigma',
  skip: () => (hasCorpus('sigma', 'SigmaHQ', 'rules') ? undefined : `no SigmaHQ rules at ${corpusPath('sigma', 'SigmaHQ', 'rules')}`),
  async run(log) {
    const rows: BenchRow[] = [];
    const t0 = performance.now();
    const winSet = await loadRules([corpusPath('sigma', 'SigmaHQ', 'rules', 'windows')]);
    const winLoadMs = performance.now() - t0;
    const t1 = performance.now();
    const allSet = await loadRules([corpusPath('sigma', 'SigmaHQ', 'rules')]);
    const allLoadMs = performance.now() - t1;
    log(`rules/windows: ${JSON.stringify(winSet.counts)} in ${seconds(winLoadMs)}; rules/: ${JSON.stringify(allSet.counts)} in ${seconds(allLoadMs)}`);
    rows.push({
      capability: `load + compile SigmaHQ rules/windows (${winSet.rules.length} rules, ${winSet.counts.active} active)`,
      loupe: `${seconds(winLoadMs)}, ${perSecond(winSet.rules.length, winLoadMs, 'rules')}`,
      reference: `rules/ (${allSet.rules.length}): ${seconds(allLoadMs)}`,
      ratio: '',
    });

    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const g0 = performance.now();
    await generateWindowsCase(conn, EVENTS);
    log(`generated ${EVENTS.toLocaleString('en-US')} events in ${seconds(performance.now() - g0)}`);

    const s0 = performance.now();
    await conn.runAndReadAll(`SELECT count(*) FROM src_1 WHERE lower(CommandLine) LIKE '%mimikatz%'`);
    const scanMs = performance.now() - s0;

    const win = await timedRun(conn, winSet, 'grouped');
    const winHits = win.res.hits.reduce((a, h) => a + h.eventIds.length, 0);
    log(`rules/windows grouped: ${seconds(win.ms)} (${win.cpu}), ${win.res.hits.length} rules hit, ${winHits} hits, ${win.res.failures.length} failures`);
    for (const g of [...win.res.timing.groups].sort((a, b) => b.scanMs + b.matchMs - a.scanMs - a.matchMs).slice(0, 6)) {
      log(`  ${g.target}: ${g.rules} rules x ${g.rows.toLocaleString('en-US')} rows: scan ${seconds(g.scanMs)}, match ${seconds(g.matchMs)}`);
    }
    rows.push({
      capability: `run rules/windows (${winSet.counts.active}) over ${EVENTS.toLocaleString('en-US')} events, grouped`,
      loupe: `${seconds(win.ms)} (${win.cpu}), ${perSecond(EVENTS * winSet.counts.active, win.ms, 'event x rule')}`,
      reference: `plain DuckDB scan, 1 predicate over the Sysmon table: ${seconds(scanMs)}`,
      ratio: '',
    });

    const all = await timedRun(conn, allSet, 'grouped');
    rows.push({
      capability: `run all of rules/ (${allSet.counts.active} active) over ${EVENTS.toLocaleString('en-US')} events, grouped`,
      loupe: `${seconds(all.ms)} (${all.cpu})`,
      reference: '',
      ratio: '',
      target: 'under 20 s',
      met: all.ms < 20_000,
    });

    const every = NAIVE === 'all' ? 1 : Math.max(1, Math.round(winSet.detections.length / Number(NAIVE)));
    const sub = sample(winSet, every);
    const grouped = await timedRun(conn, sub, 'grouped');
    const naive = await timedRun(conn, sub, 'per-rule');
    const same = JSON.stringify(grouped.res.hits) === JSON.stringify(naive.res.hits);
    rows.push({
      capability: `${sub.detections.length} rules (every ${every}th of rules/windows): grouped vs one query per rule`,
      loupe: `grouped ${seconds(grouped.ms)} (${grouped.cpu})`,
      reference: `one query per rule: ${seconds(naive.ms)} (${naive.cpu}); same hits: ${same ? 'yes' : 'NO'}`,
      ratio: speedRatio(grouped.ms, naive.ms),
    });
    log('ten slowest rules (one query each):');
    for (const r of [...naive.res.timing.rules].sort((a, b) => b.ms - a.ms).slice(0, 10)) {
      const rec = sub.detections.find((d) => d.record.id === r.ruleId)?.record;
      log(`  ${seconds(r.ms)}  ${rec?.title ?? r.ruleId}  (${rec?.origin.path.split('/').pop() ?? ''})`);
    }
    conn.closeSync();
    inst.closeSync();
    return rows;
  },
};

export default bench;
