import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../../src/shared/contract';
import { call } from '../../../src/main/engine/service/dispatch';
import type { Engine } from '../../../src/main/engine/service/engine';
import { writeZip } from '../../fixtures/archives';
import { corpusMissing, corpusPath } from '../../corpus';
import { expectReconciled, fieldTable, freshEngine, importAndWait, sql } from './import-helpers';

describe.skipIf(corpusMissing('evtx/evtx-rs-samples'))('EVTX through the pipeline', () => {
  let engine: Engine;
  let dir: string;
  let cleanup: () => void;
  let summary: ImportSummary;
  beforeAll(async () => {
    ({ engine, dir, cleanup } = await freshEngine());
    // One EVTX loose, one damaged, one inside a zip.
    const zip = writeZip(join(dir, 'triage.zip'), [{ name: 'C/Windows/System32/winevt/Logs/Sysmon.evtx', data: readFileSync(corpusPath('evtx/evtx-rs-samples/sysmon.evtx')), stored: false }]);
    summary = await importAndWait(engine, {
      paths: [corpusPath('evtx/evtx-rs-samples/security.evtx'), corpusPath('evtx/evtx-rs-samples/sample_with_a_bad_chunk_magic.evtx'), zip],
    });
  }, 120_000);
  afterAll(() => cleanup());

  it('imports every record, reconciled, with System and EventData fields as columns under their own names', async () => {
    await expectReconciled(engine, summary);
    const sec = summary.files.find((f) => f.path.endsWith('security.evtx'));
    expect(sec).toMatchObject({ format: 'evtx', status: 'imported', rejected: 0 });
    expect(sec?.stored).toBeGreaterThan(2000);
    const cols = (await sql(engine, `SELECT column_name FROM information_schema.columns WHERE table_name = '${await fieldTable(engine, sec?.evidenceId as number)}'`)).map((r) => r.column_name);
    expect(cols).toEqual(expect.arrayContaining(['EventRecordID', 'EventID', 'Channel', 'Computer', 'Provider_Guid', 'TargetUserName', 'SubjectUserName', 'LogonType', 'rid']));
    const [logon] = await sql(engine, `SELECT dataset, action, outcome, "user", host FROM events WHERE evidence_id = ${sec?.evidenceId} AND event_code = '4624' LIMIT 1`);
    expect(logon).toMatchObject({ dataset: 'windows.security', action: 'logon', outcome: 'success' });
  });

  it('forced onto a file that is no EVTX, the import fails and says why; a damaged signature alone does not', async () => {
    const f = await freshEngine();
    try {
      const text = join(f.dir, 'auth.log');
      writeFileSync(text, 'Mar  1 10:00:00 web1 sshd[1]: Accepted password for root from 203.0.113.5 port 4000 ssh2\n'.repeat(50));
      // The file header's signature wiped: its chunks are still found.
      const wiped = readFileSync(corpusPath('evtx/evtx-rs-samples/security.evtx'));
      wiped.fill(0, 0, 8);
      writeFileSync(join(f.dir, 'wiped.evtx'), wiped);
      const s = await importAndWait(f.engine, { paths: [text, join(f.dir, 'wiped.evtx')], format: 'evtx' });
      await expectReconciled(f.engine, s);
      expect(s.files[0]).toMatchObject({ status: 'failed', seen: 0, message: expect.stringMatching(/not an EVTX file: no "ElfFile" signature and no readable chunk in its 4,450 bytes/) });
      const sec = summary.files.find((x) => x.path.endsWith('security.evtx'));
      expect(s.files[1]).toMatchObject({ status: 'imported', stored: sec?.stored });
    } finally {
      f.cleanup();
    }
  });

  it('a damaged EVTX reports the records it lost with their byte offsets', async () => {
    const bad = summary.files.find((f) => f.path.endsWith('sample_with_a_bad_chunk_magic.evtx'));
    expect(bad?.status).toBe('imported');
    expect(bad?.rejected).toBeGreaterThan(0);
    expect(bad?.seen).toBe((bad?.stored ?? 0) + (bad?.rejected ?? 0));
    const errs = await call(engine.handlers, 'getIngestErrors', { evidenceId: bad?.evidenceId as number, kind: 'rejected' });
    expect(errs.total).toBe(bad?.rejected);
    expect(errs.rows[0]).toMatchObject({ posKind: 'byte', kind: 'rejected', reason: expect.stringMatching(/record/) });
    const warnings = await call(engine.handlers, 'getIngestErrors', { evidenceId: bad?.evidenceId as number, kind: 'warning' });
    expect(warnings.rows.some((r) => /chunk/.test(r.reason))).toBe(true);
  });

  it('EventData names differing only in case (which DuckDB structs cannot hold) load record by record, both kept', async () => {
    // read_json is made to read it (a file this small goes to the JS reader anyway), to see it refuse and the fallback.
    const { engine: e2, cleanup: c2 } = await freshEngine({ jsonJsMaxBytes: 0 });
    try {
      const s = await importAndWait(e2, { paths: [corpusPath('evtx/EVTX-ATTACK-SAMPLES/Defense Evasion/DE_1102_security_log_cleared.evtx')] });
      await expectReconciled(e2, s);
      expect(s.files[0]).toMatchObject({ format: 'evtx', status: 'imported', rejected: 0 });
      const id = s.files[0]?.evidenceId as number;
      const [ev] = await sql(e2, `SELECT format_reason FROM evidence WHERE id = ${id}`);
      expect(String(ev?.format_reason)).toMatch(/records loaded one by one/);
      const cols = (await sql(e2, `SELECT column_name FROM information_schema.columns WHERE table_name = '${await fieldTable(e2, id)}'`)).map((r) => String(r.column_name));
      const pid = cols.filter((c) => c.toLowerCase().startsWith('processid'));
      expect(pid.length).toBeGreaterThanOrEqual(2);
      expect(pid.some((c) => c.endsWith('#2'))).toBe(true);
      expect(cols).toContain('Channel');
    } finally {
      c2();
    }
  });

  it('an EVTX inside an archive is read as EVTX, Sysmon fields included', async () => {
    const member = summary.files.find((f) => f.path.endsWith('triage.zip!C/Windows/System32/winevt/Logs/Sysmon.evtx'));
    expect(member).toMatchObject({ format: 'evtx', status: 'imported', rejected: 0 });
    const [proc] = await sql(engine, `SELECT e.dataset, e.action, e.process, s."CommandLine" AS cmd FROM events e JOIN "${await fieldTable(engine, member?.evidenceId as number)}" s ON s.rid = e.rid WHERE e.evidence_id = ${member?.evidenceId} AND e.event_code = '1' LIMIT 1`);
    expect(proc).toMatchObject({ dataset: 'sysmon', action: 'process-start' });
    expect(String(proc?.cmd).length).toBeGreaterThan(0);
  });
});
