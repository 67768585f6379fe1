import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { corpusMissing, corpusPath } from '../../corpus';
import { appendSource, evtxRecords } from '../../fixtures/case-loader';
import { runRules, type RunResult } from '../../../src/main/engine/detect';
import { newCase, type TestCase } from './helpers';

/**
 * SigmaHQ's regression samples, from the binary .evtx files: each file is
 * read with our EVTX reader into its own field table of a real case (the
 * layout an import produces), SigmaHQ's rule folders are imported into the
 * case as rule packs, and the rule each info.yml names must fire on an
 * event of its file, both as a hit of the engine and as an alert.
 * (test/unit/detect/sigmahq-corpus.test.ts does the same from the JSON
 * renderings, without the case.)
 */

const SIGMA = ['sigma', 'SigmaHQ'];

interface Sample {
  dir: string;
  evtx: string;
  ruleIds: string[];
}

function samples(root: string): Sample[] {
  const out: Sample[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 12) return;
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full, depth + 1);
      else if (name === 'info.yml') {
        const info = parse(readFileSync(full, 'utf8')) as { rule_metadata?: { id: string }[]; regression_tests_info?: { type?: string; path?: string }[] };
        for (const t of info.regression_tests_info ?? []) {
          if (t.type !== 'evtx' || !t.path) continue;
          const file = join(dir, t.path.split('/').pop() ?? '');
          if (existsSync(file)) out.push({ dir: dir.slice(root.length + 1), evtx: file, ruleIds: (info.rule_metadata ?? []).map((m) => m.id) });
        }
      }
    }
  };
  walk(root, 0);
  return out;
}

describe.skipIf(corpusMissing(...SIGMA))('SigmaHQ regression samples from .evtx, in a case', () => {
  let tc: TestCase;
  let cases: Sample[];
  const idsOf: number[][] = [];
  let result: RunResult;

  beforeAll(async () => {
    cases = samples(corpusPath(...SIGMA, 'regression_data'));
    tc = await newCase();
    for (const c of cases) {
      const records = await evtxRecords(c.evtx);
      idsOf.push(await appendSource(tc.kase.conn, 'evtx', records, c.evtx));
    }
    for (const folder of ['rules', 'rules-emerging-threats', 'rules-threat-hunting']) await tc.alerts.importRules(corpusPath(...SIGMA, folder));
    const rules = await tc.alerts.rules();
    result = await runRules(tc.kase.conn, rules.set);
  }, 300_000);

  afterAll(() => tc?.close());

  it('reads every sample file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(idsOf.every((ids) => ids.length > 0)).toBe(true);
    expect(result.failures).toEqual([]);
  });

  it('fires every named rule on an event of its own file', () => {
    const hits = new Map<string, Set<number>>();
    for (const h of [...result.hits, ...result.correlations]) {
      const s = hits.get(h.ruleId) ?? new Set<number>();
      for (const id of h.eventIds) s.add(id);
      hits.set(h.ruleId, s);
    }
    const missed: string[] = [];
    cases.forEach((c, i) => {
      for (const r of c.ruleIds) if (!(idsOf[i] ?? []).some((id) => hits.get(r)?.has(id))) missed.push(`${c.dir} (${r})`);
    });
    expect(missed).toEqual([]);
  });

  it('the case run turns them into alerts linked to those events', async () => {
    const summary = await tc.alerts.run({ trigger: 'manual', scope: 'all' });
    expect(summary.status).toBe('done');
    const rules = await tc.alerts.rules();
    const missed: string[] = [];
    for (const [i, c] of cases.entries()) {
      for (const r of c.ruleIds) {
        if (rules.byId.get(r)?.correlationOnly) continue;
        const rows = (
          await tc.kase.conn.runAndReadAll(
            `SELECT count(*) FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id WHERE a.rule_id = $r AND ae.event_id BETWEEN $lo AND $hi`,
            { r, lo: Math.min(...(idsOf[i] ?? [0])), hi: Math.max(...(idsOf[i] ?? [0])) },
          )
        ).getRows();
        if (Number(rows[0]?.[0] ?? 0) === 0) missed.push(`${c.dir} (${r})`);
      }
    }
    expect(missed).toEqual([]);
  }, 120_000);
});
