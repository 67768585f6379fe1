import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../../src/main/engine/ingest/sniff';
import { enginesPerTest, expectReconciled, importAndWait, sql } from './import-helpers';

/**
 * Lines ended by a lone CR (classic Mac OS, some old appliances): found by
 * fuzzing, such a file was one line over the 1 MiB limit, rejected whole.
 */
const AUTH = Array.from({ length: 3000 }, (_, i) => `Mar  1 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} web1 sshd[${1000 + i}]: Failed password for root from 203.0.113.${i % 250} port ${40000 + i} ssh2`);
const ZEEK = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum',
  ...Array.from({ length: 500 }, (_, i) => `${1700000000 + i}.000000\tC${i}\t10.0.0.${i % 250}\t${50000 + i}\t192.168.0.1\t443\ttcp`),
];

describe('lines ended by a lone CR', () => {
  const fresh = enginesPerTest();

  it('are sniffed as lines', () => {
    const s = sniffFormat(Buffer.from(AUTH.join('\r')));
    expect(s).toMatchObject({ format: 'auth-log', crOnly: true });
    expect(sniffFormat(Buffer.from(AUTH.join('\r\n'))).crOnly).toBeUndefined();
  });

  it.each([
    ['auth.log', 'auth.log', AUTH, 3000],
    ['Zeek TSV', 'conn.log', ZEEK, 500],
  ])('import as lines: %s', async (_what, name, lines, n) => {
    const f = await fresh();
    const file = join(f.dir, name);
    writeFileSync(file, `${lines.join('\r')}\r`);
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ status: 'imported', stored: n, rejected: 0 });
    const [last] = await sql(f.engine, `SELECT max(pos)::INTEGER AS pos FROM events`);
    expect(last?.pos).toBe(lines.length);
  });
});
