import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { corpusMissing, corpusPath } from '../../corpus';
import { queryRows } from '../../../src/main/engine/db/sql';
import { runRules, type RunResult } from '../../../src/main/engine/detect';
import { Engine } from '../../../src/main/engine/service/engine';
import type { ImportSummary } from '../../../src/shared/contract';

/**
 * SigmaHQ's regression samples, from the binary .evtx files, through the
 * real import pipeline: SigmaHQ's rule folders are imported into a case as
 * rule packs, then every sample .evtx is imported; the rules run by
 * themselves after the import, and the rule each info.yml names must have
 * an alert linked to an event of its own file. The same events must also
 * hit in a direct run of the engine. (test/unit/detect/sigmahq-corpus.test.ts
 * does the same from the JSON renderings, without a case.)
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

describe.skipIf(corpusMissing(...SIGMA))('SigmaHQ regression samples from .evtx, imported into a case', () => {
  let tmp: string;
  let engine: Engine;
  let cases: Sample[];
  let summary: ImportSummary;
  /** Evidence id holding each sample's events (a byte-identical file is imported once). */
  const evidenceOf: number[] = [];
  const prevHome = process.env.LOUPE_HOME;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'loupe-sigma-evtx-'));
    process.env.LOUPE_HOME = join(tmp, 'home');
    cases = samples(corpusPath(...SIGMA, 'regression_data'));
    engine = new Engine({ host: 'test' });
    await engine.useCase(join(tmp, 'case'), { mode: 'create' });
    for (const folder of ['rules', 'rules-emerging-threats', 'rules-threat-hunting']) await engine.alerts.importRules(corpusPath(...SIGMA, folder));
    const id = await engine.imports.start({ paths: cases.map((c) => c.evtx) });
    summary = await engine.imports.wait(id);
    const ev = await queryRows(engine.case.conn, 'SELECT id, path, sha256, status FROM evidence');
    for (const c of cases) {
      const row = ev.find((r) => r.path === c.evtx);
      const original = row?.status === 'skipped-duplicate' ? ev.find((r) => r.sha256 === row.sha256 && r.status !== 'skipped-duplicate') : row;
      evidenceOf.push(Number(original?.id ?? -1));
    }
  }, 600_000);

  afterAll(async () => {
    await engine?.close();
    if (prevHome === undefined) delete process.env.LOUPE_HOME;
    else process.env.LOUPE_HOME = prevHome;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('imports every sample file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(summary.state).toBe('finished');
    const failed = summary.files.filter((f) => f.status === 'failed').map((f) => `${f.path}: ${f.message}`);
    expect(failed).toEqual([]);
    expect(evidenceOf.every((id) => id > 0)).toBe(true);
  });

  it('the run after the import raised an alert for every named rule, on an event of its own file', async () => {
    const status = await engine.alerts.status();
    expect(status.lastRun).toMatchObject({ trigger: 'import', scope: 'new', status: 'done' });
    expect(status.lastRun?.failures).toEqual([]);
    const rules = await engine.alerts.rules();
    const missed: string[] = [];
    for (const [i, c] of cases.entries()) {
      for (const r of c.ruleIds) {
        if (rules.byId.get(r)?.correlationOnly) continue;
        const [row] = await queryRows(
          engine.case.conn,
          `SELECT count(*) AS n FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id JOIN events e ON e.id = ae.event_id
           WHERE a.rule_id = $r AND e.evidence_id = $ev`,
          { r, ev: evidenceOf[i] ?? -1 },
        );
        if (Number(row?.n ?? 0) === 0) missed.push(`${c.dir} (${r})`);
      }
    }
    expect(missed).toEqual([]);
  });

  it('a direct run of the engine hits the same events', async () => {
    const rules = await engine.alerts.rules();
    const result: RunResult = await runRules(engine.case.conn, rules.set);
    expect(result.failures).toEqual([]);
    const evOf = new Map((await queryRows(engine.case.conn, 'SELECT id, evidence_id FROM events')).map((r) => [Number(r.id), Number(r.evidence_id)]));
    const hitEvidence = new Map<string, Set<number>>();
    for (const h of [...result.hits, ...result.correlations]) {
      const s = hitEvidence.get(h.ruleId) ?? new Set<number>();
      for (const id of h.eventIds) s.add(evOf.get(id) ?? -1);
      hitEvidence.set(h.ruleId, s);
    }
    const missed: string[] = [];
    cases.forEach((c, i) => {
      for (const r of c.ruleIds) if (!hitEvidence.get(r)?.has(evidenceOf[i] ?? -1)) missed.push(`${c.dir} (${r})`);
    });
    expect(missed).toEqual([]);
  });
});
