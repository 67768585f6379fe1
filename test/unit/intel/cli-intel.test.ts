import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusMissing, corpusPath } from '../../corpus';

const ROOT = resolve(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'src', 'main', 'hosts', 'cli', 'main.ts');
const home = mkdtempSync(join(tmpdir(), 'loupe-cli-intel-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function loupe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...process.env, LOUPE_CLI_MAIN: '1', LOUPE_HOME: home }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

const MMDB = ['geoip', 'MaxMind-DB', 'test-data'];

describe('loupe intel (CLI)', () => {
  it('lookup --json prints exactly the documented document', async () => {
    const r = await loupe('intel', 'lookup', '192.168.7.7', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"ip":"192.168.7.7","scope":"private","country":null,"city":null,"asn":null,"asOrg":null,"ipsum":null,"malicious":false,"iocLists":[]}\n');
  });

  it('lookup of a non-IP is a handled error (exit 1, JSON error)', async () => {
    const r = await loupe('intel', 'lookup', '1.2.3.04', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'BAD_INPUT', message: 'not an IP address: 1.2.3.04' } });
  });

  it.skipIf(corpusMissing(...MMDB))('add-mmdb, add-ioc, import-ipsum, then lookup and status', async () => {
    expect((await loupe('intel', 'add-mmdb', corpusPath(...MMDB, 'GeoIP2-City-Test.mmdb'))).code).toBe(0);
    const wrong = await loupe('intel', 'add-mmdb', corpusPath(...MMDB, 'GeoLite2-ASN-Test.mmdb'), '--kind', 'city', '--json');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).error.message).toMatch(/GeoLite2-ASN database \(ASN\), not a City database/);
    expect((await loupe('intel', 'add-mmdb', corpusPath(...MMDB, 'GeoLite2-ASN-Test.mmdb'), '--kind', 'asn')).code).toBe(0);
    const ioc = join(home, 'ioc.txt');
    writeFileSync(ioc, '81.2.69.0/24\n');
    const added = await loupe('intel', 'add-ioc', ioc, '--name', 'case 42', '--json');
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'case 42', entries: 1 });
    const ipsum = join(home, 'ipsum.txt');
    writeFileSync(ipsum, '# Last update: Tue, 04 Jun 2024 03:00:01 +0200\n81.2.69.142\t4\n');
    expect((await loupe('intel', 'import-ipsum', ipsum)).code).toBe(0);

    const r = await loupe('intel', 'lookup', '81.2.69.142', '--json');
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['ip', 'scope', 'country', 'city', 'asn', 'asOrg', 'ipsum', 'malicious', 'iocLists']);
    // asn/asOrg: not in the ASN test DB; the embedded ASN table answers when that package is installed.
    expect(doc).toMatchObject({ ip: '81.2.69.142', scope: 'public', country: 'GB', city: 'London', ipsum: 4, malicious: true, iocLists: ['case 42'] });
    expect(JSON.parse((await loupe('intel', 'lookup', '1.128.0.1', '--json')).stdout)).toMatchObject({ asn: 1221, asOrg: 'Telstra Pty Ltd' });

    const st = JSON.parse((await loupe('intel', 'status', '--json')).stdout) as { sources: Array<{ id: string; state: string; entries: number | null; version: string | null }> };
    const byId = new Map(st.sources.map((s) => [s.id, s]));
    expect(byId.get('ipsum')).toMatchObject({ state: 'ok', entries: 1, version: '2024-06-04T01:00:01.000Z' });
    expect(byId.get('geoip:city')).toMatchObject({ state: 'ok' });
    expect(byId.get('geoip:asn')?.entries).toBeGreaterThan(0);
    expect(byId.get('ioc:case 42')).toMatchObject({ state: 'ok', entries: 1 });

    const human = await loupe('intel', 'status');
    expect(human.stdout).toMatch(/IPsum\s+2024-06-04\s+1/);
  });

  it('update-ipsum offline is an OFFLINE error and settings persist', async () => {
    const set = await loupe('intel', 'settings', '--threshold', '5', '--ipsum-url', 'http://127.0.0.1:9/ipsum.txt', '--json');
    expect(JSON.parse(set.stdout)).toMatchObject({ maliciousThreshold: 5, ipsumUrl: 'http://127.0.0.1:9/ipsum.txt' });
    const r = await loupe('intel', 'update-ipsum', '--timeout', '5', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'OFFLINE' });
    const usage = await loupe('intel', 'add-mmdb', 'x.mmdb', '--kind', 'planet', '--json');
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/planet.*city, country, asn/) });
  });
});
