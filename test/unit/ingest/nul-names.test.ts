import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enginesPerTest, expectReconciled, fieldTable, importAndWait, sql } from './import-helpers';

/**
 * A NUL in a field name (one flipped byte in a LEEF key, a Zeek #fields line,
 * a CSV header, or "\u0000" in a JSON key) used to end DuckDB's reading of
 * the CREATE TABLE mid-identifier and fail the whole file. The name keeps
 * U+FFFD in its place, as values do.
 */
const CASES: Array<[string, string, string]> = [
  // (A few lines of text with one NUL among them: a small file full of NULs is sniffed as binary.)
  ['LEEF', 'a.leef', Array.from({ length: 40 }, (_, i) => `LEEF:1.0|Acme|FW|1.0|${i}|src=10.0.0.${i + 1}\t${i === 3 ? 'src\0Port' : 'srcPort'}=${1000 + i}\tmsg=connection from a host on the inside`).join('\n')],
  ['CSV', 'a.csv', `time,us\0er,action,detail\n${Array.from({ length: 40 }, (_, i) => `2024-03-01T10:00:${String(i).padStart(2, '0')}Z,bob,login,a long enough detail of what happened`).join('\n')}`],
  [
    'Zeek TSV',
    'conn.log',
    ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn', '#fields\tts\tuid\tna\0me', '#types\ttime\tstring\tstring', ...Array.from({ length: 5 }, (_, i) => `170000000${i}.0\tC${i}\tx`)].join('\n'),
  ],
  ['JSON lines', 'a.ndjson', Array.from({ length: 5 }, (_, i) => `{"ts":"2024-03-01T10:00:0${i}Z","\\u0000b":${i}}`).join('\n')],
];

describe('a NUL in a field name', () => {
  const fresh = enginesPerTest();

  it.each(CASES)('in %s: the file imports, the column named with U+FFFD', async (_what, name, text) => {
    const f = await fresh();
    const file = join(f.dir, name);
    writeFileSync(file, `${text}\n`);
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ status: 'imported', stored: name.endsWith('.ndjson') || name.endsWith('.log') ? 5 : 40, rejected: 0 });
    const table = await fieldTable(f.engine, s.files[0]?.evidenceId as number);
    const cols = (await sql(f.engine, `SELECT column_name FROM information_schema.columns WHERE table_name = $t`, { t: table })).map((r) => String(r.column_name));
    expect(cols.some((c) => c.includes('\uFFFD'))).toBe(true);
  });
});
