import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCase } from '../../fixtures/detect-case';
import { buildRuleSet, loadRules, parseRuleText, runRules } from '../../../src/main/engine/detect';
import { proc, rule, run } from './helpers';
import { writeZip } from '../../fixtures/zip-writer';

const tmp = mkdtempSync(join(tmpdir(), 'loupe-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parameterisation', () => {
  const evil = `x'); DROP TABLE events; --`;
  it('a value with quotes and semicolons is bound, never spliced', async () => {
    const det = `    sel:\n        CommandLine|contains: "${evil}"\n        Image: "a\\"b;c'd"\n    condition: sel`;
    const res = await run(rule(det), [{ dataset: 'sysmon', rows: [proc({ CommandLine: `pre ${evil} post`, Image: `a"b;c'd` }), proc({ CommandLine: 'benign', Image: 'x' })] }]);
    expect(res.result.failures).toEqual([]);
    expect(res.rows()).toEqual([0]);
  });
  it('field names with quotes are quoted identifiers', async () => {
    const det = `    sel:\n        'we"ird': 'v'\n    condition: sel`;
    const res = await run(rule(det), [{ dataset: 'sysmon', rows: [proc({ 'we"ird': 'v' }), proc({ 'we"ird': 'w' })] }]);
    expect(res.rows()).toEqual([0]);
  });
  it('the events table survives an injection attempt in every value position', async () => {
    const fx = await buildCase([{ dataset: 'sysmon', rows: [proc({ CommandLine: 'a' })] }]);
    try {
      const det = `    sel:\n        CommandLine|re: "'); DROP TABLE events; --"\n        Image|startswith: "'; DELETE FROM events; --"\n    condition: sel`;
      await runRules(fx.conn, buildRuleSet(parseRuleText(rule(det), 'x.yml')));
      const n = (await fx.conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]?.[0];
      expect(Number(n)).toBe(1);
    } finally {
      fx.close();
    }
  });
});

describe('execution', () => {
  const yaml = [
    rule(`    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel`).replace('00000000-0000-0000-0000-000000000001', 'r-cmd'),
    rule(`    sel:\n        CommandLine|contains: whoami\n    condition: sel`).replace('00000000-0000-0000-0000-000000000001', 'r-who'),
    rule(`    sel:\n        EventID: 4625\n    condition: sel`, 'product: windows\n    service: security').replace('00000000-0000-0000-0000-000000000001', 'r-4625'),
  ];
  const sources = [
    { dataset: 'sysmon', rows: [proc({ Image: 'C:\\cmd.exe', CommandLine: 'cmd /c whoami' }), proc({ Image: 'C:\\x.exe', CommandLine: 'whoami' }), proc({ Image: 'C:\\y.exe', CommandLine: 'y' })] },
    { dataset: 'windows.security', rows: [{ Channel: 'Security', EventID: 4625 }, { Channel: 'Security', EventID: 4624 }] },
  ];

  it('grouped and per-rule modes return the same hits', async () => {
    const grouped = await run(yaml, sources);
    const naive = await run(yaml, sources, { mode: 'per-rule' });
    expect(grouped.result.hits).toEqual(naive.result.hits);
    expect(grouped.rows('r-cmd')).toEqual([0]);
    expect(grouped.rows('r-who')).toEqual([0, 1]);
    expect(grouped.rows('r-4625')).toEqual([3]);
    expect(naive.result.timing.rules.map((r) => r.ruleId).sort()).toEqual(['r-4625', 'r-cmd', 'r-who']);
    expect(grouped.result.timing.groups.length).toBe(2);
  });

  it('the candidate index does not change the result', async () => {
    const a = await run(yaml, sources, { index: 'always' });
    const b = await run(yaml, sources, { index: 'never' });
    expect(a.result.hits).toEqual(b.result.hits);
    expect(a.result.hits.length).toBe(3);
  });

  it('chunking does not change the result', async () => {
    const a = await run(yaml, sources, { chunkSize: 1 });
    const b = await run(yaml, sources, { chunkSize: 100 });
    expect(a.result.hits).toEqual(b.result.hits);
  });

  it('only events above the watermark are examined', async () => {
    const rs = buildRuleSet(yaml.flatMap((t, i) => parseRuleText(t, `r${i}.yml`)));
    const fx = await buildCase(sources);
    try {
      const all = await runRules(fx.conn, rs);
      expect(all.hits.map((h) => h.ruleId).sort()).toEqual(['r-4625', 'r-cmd', 'r-who']);
      const wm = fx.ids[0]?.[0] ?? 0; // everything after the first event
      const fresh = await runRules(fx.conn, rs, { watermark: wm });
      expect(fresh.hits.find((h) => h.ruleId === 'r-cmd')).toBeUndefined();
      expect(fresh.hits.find((h) => h.ruleId === 'r-who')?.eventIds).toEqual([wm + 1]);
      const later = await buildCase([{ dataset: 'sysmon', rows: [proc({ Image: 'D:\\cmd.exe' })] }], fx.conn);
      const last = fx.ids[1]?.[1] ?? 0;
      const inc = await runRules(fx.conn, rs, { watermark: last });
      expect(inc.hits).toEqual([{ ruleId: 'r-cmd', eventIds: later.ids[0], count: 1 }]);
      expect(inc.stats.sources).toBe(3);
      // Left in a table instead: the same pairs, counts only in JavaScript.
      // A set without detection rules leaves an empty table.
      expect((await runRules(fx.conn, buildRuleSet([]), { hitsInto: 'hits_none' })).hits).toEqual([]);
      expect((await fx.conn.runAndReadAll('SELECT count(*) FROM hits_none')).getRows()[0]?.[0]).toBe(0n);
      for (const watermark of [undefined, wm, last]) {
        const res = await runRules(fx.conn, rs, watermark !== undefined ? { watermark } : {});
        const kept = await runRules(fx.conn, rs, { ...(watermark !== undefined ? { watermark } : {}), hitsInto: 'hits_kept' });
        expect(kept.hits).toEqual(res.hits.map((h) => ({ ruleId: h.ruleId, eventIds: [], count: h.eventIds.length })).sort((a, b) => a.ruleId.localeCompare(b.ruleId)));
        const rows = (await fx.conn.runAndReadAll('SELECT rule_id, event_id FROM hits_kept ORDER BY 1, 2')).getRows().map(([r, id]) => [String(r), Number(id)]);
        expect(rows).toEqual(res.hits.flatMap((h) => h.eventIds.map((id) => [h.ruleId, id])).sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])));
      }
    } finally {
      fx.close();
    }
  });

  it('a rule DuckDB rejects at run time fails alone; the others still run', async () => {
    // RE2 rejects a repeat count over 1000; our static check does not know that limit.
    const bad = rule(`    sel:\n        CommandLine|re: 'a{2000}'\n    condition: sel`).replace('00000000-0000-0000-0000-000000000001', 'r-bad');
    const res = await run([...yaml, bad], sources);
    expect(res.result.failures).toEqual([expect.objectContaining({ ruleId: 'r-bad', reason: expect.any(String) })]);
    expect(res.rows('r-who')).toEqual([0, 1]);
  });

  it('a cancelled run stops', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(run(yaml, sources, { signal: ac.signal })).rejects.toThrow(/cancel/);
  });
});

describe('loading', () => {
  it('folders recursively, multi-document files, zips; every document gets a status', async () => {
    const dir = join(tmp, 'rules');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.yml'), rule(`    sel:\n        a: 1\n    condition: sel`));
    writeFileSync(join(dir, 'sub', 'b.yaml'), `${rule(`    sel:\n        b: 1\n    condition: sel`).replace('0001', '0002')}---\n${rule(`    sel:\n        c: 1\n    condition: nope`).replace('0001', '0003')}`);
    writeFileSync(join(dir, 'sub', 'broken.yml'), 'title: [\n');
    writeFileSync(join(dir, 'README.md'), '# not a rule');
    const zip = join(tmp, 'pack.zip');
    writeZip(zip, [
      { name: 'pack/z1.yml', data: rule(`    sel:\n        z: 1\n    condition: sel`).replace('0001', '0004') },
      { name: 'pack/notes.txt', data: 'x' },
    ]);
    const rs = await loadRules([dir, zip]);
    expect(rs.counts).toEqual({ active: 3, unsupported: 0, error: 2 });
    expect(rs.ignoredFiles).toBe(2);
    const broken = rs.rules.find((r) => r.origin.path.endsWith('broken.yml'));
    expect(broken).toMatchObject({ status: 'error', origin: { line: expect.any(Number) } });
    expect(rs.rules.find((r) => r.origin.path.includes('pack.zip!pack/z1.yml'))?.status).toBe('active');
  });

  it('bounds: oversized files and zip members are errors, not reads', async () => {
    const big = join(tmp, 'big.yml');
    writeFileSync(big, `title: x\n# ${'a'.repeat(5000)}\n`);
    const zip = join(tmp, 'big.zip');
    writeZip(zip, [{ name: 'big.yml', data: `title: x\n# ${'a'.repeat(5000)}\n` }]);
    const rs = await loadRules([big, zip], { maxFileBytes: 1000 });
    expect(rs.rules.map((r) => r.status)).toEqual(['error', 'error']);
    expect(rs.rules[0]?.reason).toMatch(/limit/);
  });

  it('a damaged zip and a missing path are reported', async () => {
    const bad = join(tmp, 'bad.zip');
    writeFileSync(bad, 'PK\u0003\u0004 not really a zip');
    const rs = await loadRules([bad, join(tmp, 'missing')]);
    expect(rs.rules.map((r) => r.status)).toEqual(['error', 'error']);
  });

  it('duplicate ids: the second is an error naming the first', () => {
    const t = rule(`    sel:\n        a: 1\n    condition: sel`);
    const rs = buildRuleSet([...parseRuleText(t, 'one.yml'), ...parseRuleText(t, 'two.yml')]);
    expect(rs.rules.map((r) => r.status)).toEqual(['active', 'error']);
    expect(rs.rules[1]?.reason).toMatch(/one\.yml/);
  });

  it('Sigma v1 action: global documents merge into the following ones', () => {
    const text = `action: global\ntitle: shared\nlogsource:\n    product: windows\ndetection:\n    condition: sel\n---\nid: g1\nlogsource:\n    service: security\ndetection:\n    sel:\n        EventID: 1\n---\nid: g2\nlogsource:\n    service: system\ndetection:\n    sel:\n        EventID: 2\n`;
    const rs = buildRuleSet(parseRuleText(text, 'g.yml'));
    expect(rs.rules.map((r) => [r.id, r.status, r.title, r.logsource])).toEqual([
      ['g1', 'active', 'shared', { product: 'windows', service: 'security' }],
      ['g2', 'active', 'shared', { product: 'windows', service: 'system' }],
    ]);
  });
});
