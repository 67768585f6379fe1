import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutNulPadding } from '../../../src/main/engine/ingest/parse-file';
import { enginesPerTest, expectReconciled, importAndWait, sql } from './import-helpers';

/**
 * A log preallocated, or extended by a crash before its data reached the
 * disk, holds blocks of NULs between good lines. Found by fuzzing: such a
 * file (and a short file with one stray NUL) was refused whole as binary.
 */
const line = (i: number): string => `Mar  1 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} web1 sshd[${1000 + i}]: Failed password for root from 203.0.113.${i % 250} port ${40000 + i} ssh2`;

describe('NUL padding in a log', () => {
  const fresh = enginesPerTest();

  it('is cut from the ends of a line only', () => {
    expect(withoutNulPadding('\0\0\0abc\0\0')).toBe('abc');
    expect(withoutNulPadding('a\0b')).toBe('a\0b');
    expect(withoutNulPadding('\0\0')).toBe('');
  });

  it('loses no line around it, and every NUL run is told as a warning', async () => {
    const f = await fresh();
    const file = join(f.dir, 'auth.log');
    const before = Array.from({ length: 50 }, (_, i) => line(i)).join('\n');
    const after = Array.from({ length: 350 }, (_, i) => line(50 + i)).join('\n');
    // Line 51 starts after 6,000 NULs (inside the sniffed sample) (a crash); the file ends in NULs (preallocated).
    writeFileSync(file, Buffer.concat([Buffer.from(`${before}\n`), Buffer.alloc(6000, 0), Buffer.from(`${after}\n`), Buffer.alloc(3000, 0)]));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ format: 'auth-log', status: 'imported', stored: 400, rejected: 0 });
    const warns = await sql(f.engine, `SELECT pos::INTEGER AS pos, reason FROM ingest_errors WHERE kind = 'warning' ORDER BY pos`);
    expect(warns).toEqual([
      { pos: 51, reason: '6,000 NUL bytes of padding removed around this line' },
      { pos: 401, reason: '3,000 NUL bytes of padding and nothing else: not a record' },
    ]);
    const [first] = await sql(f.engine, `SELECT raw, user FROM events WHERE pos = 51`);
    expect(first).toEqual({ raw: line(50), user: 'root' });
  });

  it('a short file with one stray NUL is imported, not refused', async () => {
    const f = await fresh();
    const file = join(f.dir, 'hosts.csv');
    // Latin-1 (a byte that is not UTF-8), where the cut is tighter.
    writeFileSync(file, Buffer.from(`host,ip,role\n${Array.from({ length: 20 }, (_, i) => `h${i},10.0.0.${i},${i === 7 ? 'd\0b' : 'caf\u00e9'}`).join('\n')}\n`, 'latin1'));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ format: 'csv', status: 'imported', stored: 20, rejected: 0 });
  });

  it('in JSON lines (an eve.json after a power loss): read_json refuses the file, the JS reader loses no record', async () => {
    // jsonJsMaxBytes 0: as a file over 1 MiB, it goes to read_json first.
    const f = await fresh({ jsonJsMaxBytes: 0 });
    const file = join(f.dir, 'eve.json');
    const rec = (i: number): string => JSON.stringify({ timestamp: `2024-03-01T10:00:${String(i % 60).padStart(2, '0')}.000000+0000`, flow_id: 1000 + i, event_type: 'dns', src_ip: '10.0.0.1', dest_ip: '10.0.0.53', proto: 'UDP' });
    const part = (from: number, n: number): string => Array.from({ length: n }, (_, i) => rec(from + i)).join('\n');
    writeFileSync(file, Buffer.concat([Buffer.from(`${part(0, 100)}\n`), Buffer.alloc(8192, 0), Buffer.from(`${part(100, 100)}\n`)]));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ format: 'suricata-eve', status: 'imported', stored: 200, rejected: 0 });
    const warns = await sql(f.engine, `SELECT pos::INTEGER AS pos, reason FROM ingest_errors WHERE kind = 'warning'`);
    expect(warns).toEqual([{ pos: 101, reason: '8,192 NUL bytes of padding removed around this line' }]);
  });
});
