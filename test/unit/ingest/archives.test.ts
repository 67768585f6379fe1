import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTar, writeTarGz, writeZip, zipBuffer } from '../../fixtures/archives';
import { corpusMissing, corpusPath } from '../../corpus';
import { expectReconciled, freshEngine, importAndWait, sql } from './import-helpers';

const LINES = (n: number, tag = 'line'): string => Array.from({ length: n }, (_, i) => `${tag} ${i + 1} of ${n}`).join('\n') + '\n';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function setup(ingest = {}) {
  const f = await freshEngine(ingest);
  cleanups.push(f.cleanup);
  const input = join(f.dir, 'input');
  mkdirSync(input, { recursive: true });
  return { ...f, input };
}

describe('archives', () => {
  it('opens zip, tar, tar.gz and gz, nested, naming members archive!member with their own hashes', async () => {
    const { engine, input } = await setup();
    const inner = zipBuffer([{ name: 'deep/inner.log', data: LINES(3, 'inner') }]);
    writeZip(join(input, 'outer.zip'), [
      { name: 'a.log', data: LINES(5) },
      { name: 'sub/', data: '' },
      { name: 'nested.zip', data: inner, stored: true },
    ]);
    await writeTarGz(join(input, 'bundle.tar.gz'), [{ name: 'x/b.log', data: LINES(4) }]);
    await writeTar(join(input, 'plain.tar'), [{ name: 'c.log', data: LINES(2) }]);
    writeFileSync(join(input, 'single.log.gz'), gzipSync(LINES(6)));
    const s = await importAndWait(engine, { paths: [input] });
    await expectReconciled(engine, s);
    const byPath = Object.fromEntries(s.files.map((f) => [f.path.slice(input.length + 1), f]));
    expect(byPath['outer.zip']).toMatchObject({ kind: 'container', status: 'imported', format: 'zip' });
    expect(byPath['outer.zip!a.log']).toMatchObject({ status: 'imported', stored: 5 });
    expect(byPath['outer.zip!nested.zip!deep/inner.log']).toMatchObject({ status: 'imported', stored: 3 });
    expect(byPath['bundle.tar.gz!x/b.log']).toMatchObject({ status: 'imported', stored: 4 });
    expect(byPath['plain.tar!c.log']).toMatchObject({ status: 'imported', stored: 2 });
    expect(byPath['single.log.gz!single.log']).toMatchObject({ status: 'imported', stored: 6 });
    const ev = await sql(engine, "SELECT sha256, size, member, origin FROM evidence WHERE path LIKE '%outer.zip!a.log'");
    expect(ev[0]).toMatchObject({ size: LINES(5).length, member: 'a.log', origin: join(input, 'outer.zip') });
    expect(String(ev[0]?.sha256)).toMatch(/^[0-9a-f]{64}$/);
    // Nothing extracted is left behind in the case's scratch folder.
    expect(readdirSync(engine.case.tmpDir).filter((n) => n.startsWith('import-'))).toEqual([]);
  });

  it('refuses zip slip, absolute paths, symlinks and encrypted entries, reporting each, and imports the rest', async () => {
    const { engine, input } = await setup();
    writeZip(join(input, 'evil.zip'), [
      { name: '../../escape.log', data: LINES(1) },
      { name: '/etc/cron.d/evil', data: LINES(1) },
      { name: 'C:/Windows/evil.log', data: LINES(1) },
      { name: 'link', data: '/etc/passwd', stored: true, unixMode: 0o120777 },
      { name: 'secret.log', data: 'ciphertext', encrypted: true, stored: true },
      { name: 'good.log', data: LINES(2) },
    ]);
    await writeTarGz(join(input, 'evil.tar.gz'), [
      { name: '../up.log', data: LINES(1) },
      { name: 'sym', type: 'symlink', linkname: '/etc/shadow' },
      { name: 'hard', type: 'link', linkname: 'good2.log' },
      { name: 'good2.log', data: LINES(3) },
    ]);
    const s = await importAndWait(engine, { paths: [input] });
    await expectReconciled(engine, s);
    const msg = (suffix: string) => s.files.find((f) => f.path.endsWith(suffix));
    expect(msg('evil.zip!../../escape.log')).toMatchObject({ status: 'failed', message: expect.stringMatching(/zip slip/) });
    expect(msg('evil.zip!/etc/cron.d/evil')).toMatchObject({ status: 'failed', message: expect.stringMatching(/absolute path/) });
    expect(msg('evil.zip!C:/Windows/evil.log')).toMatchObject({ status: 'failed', message: expect.stringMatching(/absolute Windows path/) });
    expect(msg('evil.zip!link')).toMatchObject({ status: 'failed', message: expect.stringMatching(/symbolic link/) });
    expect(msg('evil.zip!secret.log')).toMatchObject({ status: 'failed', message: expect.stringMatching(/password-protected/) });
    expect(msg('evil.zip!good.log')).toMatchObject({ status: 'imported', stored: 2 });
    expect(msg('evil.tar.gz!../up.log')).toMatchObject({ status: 'failed', message: expect.stringMatching(/zip slip/) });
    expect(msg('evil.tar.gz!sym')).toMatchObject({ status: 'failed', message: expect.stringMatching(/symbolic link/) });
    expect(msg('evil.tar.gz!hard')).toMatchObject({ status: 'failed', message: expect.stringMatching(/hard link/) });
    expect(msg('evil.tar.gz!good2.log')).toMatchObject({ status: 'imported', stored: 3 });
    expect(msg('evil.zip')).toMatchObject({ status: 'imported', message: expect.stringMatching(/5 refused/) });
  });

  it('does not follow symlinks inside folders', async () => {
    const { engine, input } = await setup();
    writeFileSync(join(input, 'real.log'), LINES(2));
    symlinkSync('/etc/passwd', join(input, 'passwd-link'));
    const s = await importAndWait(engine, { paths: [input] });
    expect(s.files.find((f) => f.path.endsWith('passwd-link'))).toMatchObject({ status: 'failed', message: expect.stringMatching(/symbolic link: not followed/) });
    expect(s.files.find((f) => f.path.endsWith('real.log'))).toMatchObject({ status: 'imported', stored: 2 });
  });

  it('stops a bomb by total expanded bytes, by expansion ratio and by entry count, with a clear message', async () => {
    const { engine, input } = await setup({ limits: { maxTotalBytes: 1_000_000, ratioMinBytes: 100_000, maxRatio: 50, maxEntries: 10, maxDepth: 3 } });
    // Ratio: 5 MB of zeros deflates to ~5 KB (1000:1).
    writeZip(join(input, 'ratio.zip'), [{ name: 'zeros.log', data: Buffer.alloc(5_000_000, 0x30) }]);
    // Lying header: declares a tiny size, inflates to 5 MB: caught while streaming.
    writeZip(join(input, 'liar.zip'), [{ name: 'zeros.log', data: Buffer.alloc(5_000_000, 0x30), declaredSize: 10 }]);
    // gzip ratio, streamed.
    writeFileSync(join(input, 'zeros.gz'), gzipSync(Buffer.alloc(5_000_000, 0x30)));
    // Entry count.
    writeZip(join(input, 'many.zip'), Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.log`, data: 'x\n' })));
    const s = await importAndWait(engine, { paths: [join(input, 'ratio.zip'), join(input, 'liar.zip'), join(input, 'zeros.gz'), join(input, 'many.zip')] });
    const f = (suffix: string) => s.files.find((x) => x.path.endsWith(suffix));
    expect(f('ratio.zip')).toMatchObject({ status: 'failed', message: expect.stringMatching(/would expand .*over the 50:1 limit/) });
    expect(f('liar.zip')).toMatchObject({ status: 'failed', message: expect.stringMatching(/expands more than 50:1|total expanded bytes/) });
    expect(f('zeros.gz')).toMatchObject({ status: 'failed', message: expect.stringMatching(/expands more than 50:1/) });
    expect(f('many.zip')).toMatchObject({ status: 'failed', message: expect.stringMatching(/11 entries, more than the 10 allowed/) });

    const { engine: e2, input: in2 } = await setup({ limits: { maxTotalBytes: 80_000, ratioMinBytes: 1e9, maxRatio: 1e9, maxEntries: 100, maxDepth: 3 } });
    writeZip(join(in2, 'big.zip'), [
      { name: 'one.log', data: LINES(3000) },
      { name: 'two.log', data: LINES(3000) },
    ]);
    const s2 = await importAndWait(e2, { paths: [in2] });
    expect(s2.files.find((x) => x.path.endsWith('big.zip'))).toMatchObject({ status: 'failed', message: expect.stringMatching(/limit on total expanded bytes/) });
    // The member read before the limit stays; the one that crossed it is not in the case.
    expect(s2.files.find((x) => x.path.endsWith('big.zip!one.log'))).toMatchObject({ status: 'imported', stored: 3000 });
    expect(s2.files.some((x) => x.path.endsWith('big.zip!two.log'))).toBe(false);
  });

  it('opens archives nested 3 deep and refuses the 4th level', async () => {
    const { engine, input } = await setup();
    let inner = zipBuffer([{ name: 'core.log', data: LINES(1) }]);
    for (let level = 4; level >= 2; level--) inner = zipBuffer([{ name: `level${level}.zip`, data: inner, stored: true }]);
    writeFileSync(join(input, 'level1.zip'), inner);
    const s = await importAndWait(engine, { paths: [join(input, 'level1.zip')] });
    const paths = s.files.map((f) => [f.path.slice(input.length + 1), f.status]);
    expect(paths).toContainEqual(['level1.zip!level2.zip!level3.zip', 'imported']);
    expect(paths).toContainEqual(['level1.zip!level2.zip!level3.zip!level4.zip', 'failed']);
    expect(s.files.find((f) => f.path.endsWith('level4.zip'))?.message).toMatch(/nested more than 3 levels/);
    expect(s.files.some((f) => f.path.endsWith('core.log'))).toBe(false);
  });

  it('a truncated gzip keeps what was readable and says the member is incomplete', async () => {
    const { engine, input } = await setup();
    const full = gzipSync(Buffer.from(LINES(20000)));
    writeFileSync(join(input, 'cut.log.gz'), full.subarray(0, Math.floor(full.length / 2)));
    const s = await importAndWait(engine, { paths: [input] });
    await expectReconciled(engine, s);
    const member = s.files.find((f) => f.path.endsWith('cut.log.gz!cut.log'));
    expect(member?.status).toBe('incomplete');
    expect(member?.message).toMatch(/damaged or truncated/);
    expect(member?.stored).toBeGreaterThan(1000);
    expect(member?.stored).toBeLessThan(20000);
  });

  it('a gzip with junk after its end or a bad trailer keeps every line it inflated, and says so', async () => {
    const { engine, input } = await setup();
    const full = gzipSync(Buffer.from(LINES(1000)));
    writeFileSync(join(input, 'junk.log.gz'), Buffer.concat([full, Buffer.from('GARBAGE')]));
    const badCrc = Buffer.from(full);
    badCrc[badCrc.length - 8] = (badCrc[badCrc.length - 8] as number) ^ 0xff;
    writeFileSync(join(input, 'crc.log.gz'), badCrc);
    const s = await importAndWait(engine, { paths: [input] });
    await expectReconciled(engine, s);
    for (const name of ['junk.log.gz!junk.log', 'crc.log.gz!crc.log']) {
      const member = s.files.find((f) => f.path.endsWith(name));
      // All 1,000 lines: the last 8 KiB used to be lost with the failing trailer.
      expect(member, name).toMatchObject({ status: 'incomplete', stored: 1000, rejected: 0 });
      expect(member?.message).toMatch(/damaged or truncated after 16,893 decompressed bytes/);
    }
  });

  it('reads a zip with bytes appended after its end record', async () => {
    const { engine, input } = await setup();
    writeZip(join(input, 'trailing.zip'), [{ name: 'a.log', data: LINES(2) }], Buffer.from('\n'));
    const s = await importAndWait(engine, { paths: [input] });
    expect(s.files.find((f) => f.path.endsWith('trailing.zip'))).toMatchObject({ status: 'imported', message: expect.stringMatching(/1 byte after the end of the zip ignored/) });
    expect(s.files.find((f) => f.path.endsWith('trailing.zip!a.log'))).toMatchObject({ status: 'imported', stored: 2 });
  });

  it('a zip member whose data fails its CRC-32 is imported as read and marked incomplete', async () => {
    const { engine, input } = await setup();
    const data = LINES(50);
    const buf = zipBuffer([
      { name: 'flipped.log', data, stored: true },
      { name: 'good.log', data: LINES(3) },
    ]);
    // One bit flipped inside the stored data: every size still matches.
    const at = buf.indexOf(Buffer.from(data)) + 100;
    buf[at] = (buf[at] as number) ^ 0x01;
    writeFileSync(join(input, 'crc.zip'), buf);
    const s = await importAndWait(engine, { paths: [input] });
    await expectReconciled(engine, s);
    expect(s.files.find((f) => f.path.endsWith('crc.zip!flipped.log'))).toMatchObject({
      status: 'incomplete',
      stored: 50,
      message: expect.stringMatching(/fails its CRC-32 check \([0-9a-f]{8} where the archive records [0-9a-f]{8}\): the member is damaged/),
    });
    expect(s.files.find((f) => f.path.endsWith('crc.zip!good.log'))).toMatchObject({ status: 'imported', stored: 3 });
    expect(s.files.find((f) => f.path.endsWith('crc.zip'))).toMatchObject({ status: 'incomplete', message: '1 of its 2 members could be read only in part' });
  });

  it('a damaged zip fails with a message, not a crash', async () => {
    const { engine, input } = await setup();
    writeFileSync(join(input, 'broken.zip'), Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]));
    const s = await importAndWait(engine, { paths: [input] });
    expect(s.files[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/not a readable zip/) });
  });

  describe.skipIf(corpusMissing('ndjson/otrf/datasets/atomic/windows/persistence/host/covenant_persiststartup.tar.gz'))('corpus', () => {
    it("the OTRF .tar.gz, truncated upstream, imports its member and marks the archive incomplete", async () => {
      const { engine, input } = await setup();
      const src = corpusPath('ndjson/otrf/datasets/atomic/windows/persistence/host/covenant_persiststartup.tar.gz');
      copyFileSync(src, join(input, 'covenant.tar.gz'));
      const s = await importAndWait(engine, { paths: [join(input, 'covenant.tar.gz')] });
      await expectReconciled(engine, s);
      expect(s.files[0]).toMatchObject({ kind: 'container', status: 'incomplete', message: expect.stringMatching(/unexpected end of file/) });
      expect(s.files[1]).toMatchObject({ status: 'imported', rejected: 0 });
      expect(s.files[1]?.stored).toBeGreaterThan(1000);
    });
  });
});
