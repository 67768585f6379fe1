import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../../../src/shared/contract';
import { CORE_COLUMNS } from '../../../src/shared/events';
import type { Engine } from '../../../src/main/engine/service/engine';
import { corpusMissing, corpusPath } from '../../corpus';
import { expectReconciled, fieldTable, freshEngine, importAndWait, sql } from './import-helpers';

/**
 * Zeek TSV has two readers: DuckDB's read_csv with SQL conversions (the fast
 * path for clean files) and the format layer's JavaScript parser (the
 * reference, and the fallback for damaged files). On the same files they
 * must store the same field values and the same events core.
 */
const FILES = [
  'zeek/rita/test_data/proxy/conn.log',
  'zeek/rita/test_data/proxy/dns.log',
  'zeek/rita/test_data/proxy/http.log',
  'zeek/rita/test_data/proxy/ssl.log',
  'zeek/rita/test_data/proxy/files.log',
  'zeek/rita/test_data/proxy/x509.log',
  'zeek/rita/test_data/proxy/weird.log',
  'zeek/rita/test_data/proxy/dhcp.log',
  'zeek/rita/test_data/open_conns/open/open_conn.log',
  'zeek/brimdata-zed/conn.log',
  'zeek/zed-sample-data/zeek-default/ssh.log.gz',
  'zeek/zed-sample-data/zeek-default/smb_files.log.gz',
  'zeek/zed-sample-data/zeek-default/software.log.gz',
];

describe.skipIf(corpusMissing('zeek/rita/test_data/proxy'))('Zeek TSV: read_csv path and JavaScript parser agree', () => {
  let fast: { engine: Engine; cleanup: () => void; summary: ImportSummary };
  let slow: { engine: Engine; cleanup: () => void; summary: ImportSummary };
  beforeAll(async () => {
    // Files over 50 kB get tables of their own (rows numbered from their place in
    // the table), the rest share one (rows numbered as read): both ways are compared.
    const a = await freshEngine({ shareMaxBytes: 50_000 });
    const b = await freshEngine({ duckdbReaders: false });
    const paths = FILES.map((f) => corpusPath(f));
    fast = { ...a, summary: await importAndWait(a.engine, { paths }) };
    slow = { ...b, summary: await importAndWait(b.engine, { paths }) };
  }, 300_000);
  afterAll(() => {
    fast?.cleanup();
    slow?.cleanup();
  });

  it('both reconcile, and the fast path was taken for the clean files', async () => {
    await expectReconciled(fast.engine, fast.summary);
    await expectReconciled(slow.engine, slow.summary);
    const reasons = await sql(fast.engine, "SELECT path, format_reason FROM evidence WHERE format = 'zeek-tsv'");
    const parsedInJs = reasons.filter((r) => String(r.format_reason).includes('parsed one by one'));
    expect(parsedInJs.map((r) => r.path)).toEqual([]);
  });

  for (const file of FILES) {
    it(file, async () => {
      const leaf = (s: ImportSummary) => s.files.find((f) => f.kind === 'file' && f.path.startsWith(corpusPath(file))) as ImportSummary['files'][number];
      const a = leaf(fast.summary);
      const b = leaf(slow.summary);
      expect(a.format).toBe('zeek-tsv');
      expect([a.seen, a.stored, a.rejected]).toEqual([b.seen, b.stored, b.rejected]);
      // Small files share field tables (source-tables.ts), which other files of the
      // run may have widened: compare the file's own rows, without columns it leaves empty.
      const ta = await fieldTable(fast.engine, a.evidenceId);
      const tb = await fieldTable(slow.engine, b.evidenceId);
      const colsOf = async (e: Engine, t: string) => (await sql(e, `SELECT column_name FROM information_schema.columns WHERE table_name = '${t}' ORDER BY ordinal_position`)).map((r) => String(r.column_name));
      expect(new Set(await colsOf(fast.engine, ta))).toEqual(new Set(await colsOf(slow.engine, tb)));
      const rowsOf = async (e: Engine, t: string, id: number) =>
        (await sql(e, `SELECT * EXCLUDE (rid, evidence_id) FROM "${t}" WHERE evidence_id = ${id} ORDER BY rid`)).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)));
      const sa = await rowsOf(fast.engine, ta, a.evidenceId);
      const sb = await rowsOf(slow.engine, tb, b.evidenceId);
      expect(sa.length).toBe(a.stored);
      expect(sa).toEqual(sb);
      const core = ['pos', ...CORE_COLUMNS].map((c) => `"${c}"`).join(', ');
      const ea = await sql(fast.engine, `SELECT ${core} FROM events WHERE evidence_id = ${a.evidenceId} ORDER BY rid`);
      const eb = await sql(slow.engine, `SELECT ${core} FROM events WHERE evidence_id = ${b.evidenceId} ORDER BY rid`);
      expect(ea).toEqual(eb);
    });
  }
});
