import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IPSUM_URL, IntelStore, intelStore } from '../../../src/main/engine/intel';
import { loadAsnCsv } from '../../../src/main/engine/intel/embedded';
import { corpusMissing, corpusPath } from '../../corpus';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'loupe-intel-'));
  dirs.push(d);
  return d;
}
function tempStore(): IntelStore {
  return new IntelStore({ dir: join(tempDir(), 'intel'), embeddedAsnDir: null });
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A generated IPsum list: n addresses in 198.18.0.0/15-free public space with scores 1..10. */
function generatedIpsum(n: number, date = 'Tue, 04 Jun 2024 03:00:01 +0200'): string {
  const lines = ['# IPsum Threat Intelligence Feed', '# (generated for a test)', '#', `# Last update: ${date}`, '#', '# IP\tnumber of (black)lists', '#'];
  for (let i = 0; i < n; i++) lines.push(`45.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\t${(i % 10) + 1}`);
  return `${lines.join('\n')}\n`;
}

describe('IPsum import', () => {
  it('imports a file, reports version date and entry count, and scores IPs', async () => {
    const store = tempStore();
    const file = join(tempDir(), 'ipsum.txt');
    writeFileSync(file, generatedIpsum(1000));
    const st = await store.importIpsum(file);
    expect(st).toMatchObject({ id: 'ipsum', state: 'ok', entries: 1000, rejected: 0, version: '2024-06-04T01:00:01.000Z', versionFrom: 'feed-header' });
    expect(store.lookup('45.0.0.2')).toMatchObject({ ipsum: 3, malicious: true });
    expect(store.lookup('45.0.0.1')).toMatchObject({ ipsum: 2, malicious: false });
    expect(store.lookup('46.0.0.1')).toMatchObject({ ipsum: 0, malicious: false });
  });

  it('falls back to the file mtime when the list has no date', async () => {
    const store = tempStore();
    const file = join(tempDir(), 'nodate.txt');
    writeFileSync(file, '1.2.3.4\t5\n');
    const st = await store.importIpsum(file);
    expect(st.versionFrom).toBe('file-mtime');
    expect(st.version).toMatch(/^\d{4}-/);
  });

  it('refuses a file that is not an IPsum list and keeps the old one', async () => {
    const store = tempStore();
    const good = join(tempDir(), 'good.txt');
    writeFileSync(good, generatedIpsum(10));
    await store.importIpsum(good);
    const bad = join(tempDir(), 'bad.txt');
    writeFileSync(bad, '<html><body>Not found</body></html>\n');
    await expect(store.importIpsum(bad)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/is not an IPsum list/) });
    expect(store.status().sources.find((s) => s.id === 'ipsum')?.entries).toBe(10);
    await expect(store.importIpsum(join(tempDir(), 'missing.txt'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.skipIf(corpusMissing('intel', 'ipsum', 'ipsum.txt'))('imports the real feed', async () => {
    const store = tempStore();
    const st = await store.importIpsum(corpusPath('intel', 'ipsum', 'ipsum.txt'));
    expect(st).toMatchObject({ entries: 120_430, version: '2026-08-22T01:00:29.000Z' });
    expect(store.lookup('77.90.185.20')).toMatchObject({ ipsum: 10, malicious: true });
  });
});

describe('IPsum update over HTTP', () => {
  let server: Server;
  let base = '';
  let body = generatedIpsum(500, 'Wed, 05 Jun 2024 03:00:01 +0200');
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ipsum.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(body);
      } else if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><body>captive portal</body></html>');
      } else if (req.url === '/hang') {
        // Never answers: the client's deadline must fire.
      } else {
        res.writeHead(404);
        res.end('no');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function storeWithOldList(): Promise<IntelStore> {
    const store = tempStore();
    const file = join(tempDir(), 'old.txt');
    writeFileSync(file, generatedIpsum(20));
    await store.importIpsum(file);
    return store;
  }

  it('downloads and replaces the list from a configured URL', async () => {
    const store = await storeWithOldList();
    await store.updateSettings({ ipsumUrl: `${base}/ipsum.txt` });
    const st = await store.updateIpsum();
    expect(st).toMatchObject({ entries: 500, version: '2024-06-05T01:00:01.000Z', origin: `${base}/ipsum.txt`, detail: 'downloaded' });
    body = generatedIpsum(600, 'Thu, 06 Jun 2024 03:00:01 +0200');
    expect((await store.updateIpsum({ url: `${base}/ipsum.txt` })).entries).toBe(600);
  });

  it('is OFFLINE when nothing listens, and keeps the old list', async () => {
    const store = await storeWithOldList();
    // Bind then close a port so the address is known to refuse connections.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await expect(store.updateIpsum({ url: `http://127.0.0.1:${port}/ipsum.txt` })).rejects.toMatchObject({
      code: 'OFFLINE',
      message: expect.stringMatching(/cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): IPsum was not updated; the list from 2024-06-04 \(20 IPs\) is kept/),
    });
    expect(store.lookup('45.0.0.19').ipsum).toBe(10);
  });

  it('is OFFLINE when the server does not answer in time', async () => {
    const store = await storeWithOldList();
    const t0 = performance.now();
    await expect(store.updateIpsum({ url: `${base}/hang`, timeoutMs: 300 })).rejects.toMatchObject({ code: 'OFFLINE', message: expect.stringMatching(/no answer within 0\.3 s/) });
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(store.status().sources.find((s) => s.id === 'ipsum')?.entries).toBe(20);
  });

  it('refuses an HTTP error or a page that is not a list, keeping the old list', async () => {
    const store = await storeWithOldList();
    await expect(store.updateIpsum({ url: `${base}/missing` })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/HTTP 404.*is kept/) });
    await expect(store.updateIpsum({ url: `${base}/html` })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/not an IPsum list.*is kept/) });
    expect(store.status().sources.find((s) => s.id === 'ipsum')?.entries).toBe(20);
  });

  it('defaults to the upstream URL', () => {
    expect(tempStore().settings().ipsumUrl).toBe(DEFAULT_IPSUM_URL);
  });
});

describe('IOC lists in the store', () => {
  it('adds, replaces, looks up and removes named lists', async () => {
    const store = tempStore();
    const f1 = join(tempDir(), 'apt.txt');
    writeFileSync(f1, ['198.51.100.0/24', '203.0.113.7', 'c2.bad.example', 'd41d8cd98f00b204e9800998ecf8427e', 'junk line'].join('\n'));
    const st = await store.addIocList(f1, 'APT-X report');
    expect(st).toMatchObject({ id: 'ioc:APT-X report', kind: 'ioc', entries: 4, rejected: 1, detail: '1 ip, 1 cidr, 1 domain, 1 md5' });
    expect(st.rejectedSamples?.[0]).toMatchObject({ line: 5 });
    const f2 = join(tempDir(), 'mine.csv');
    writeFileSync(f2, 'indicator,note\n198.51.100.9,x\n');
    await store.addIocList(f2, 'mine');
    expect(store.lookup('198.51.100.9')).toMatchObject({ malicious: true, iocLists: ['APT-X report', 'mine'] });
    expect(store.lookup('203.0.113.7').iocLists).toEqual(['APT-X report']);
    expect(store.iocListsForDomain('x.c2.bad.example')).toEqual(['APT-X report']);
    expect(store.iocListsForHash('D41D8CD98F00B204E9800998ECF8427E')).toEqual(['APT-X report']);
    // Same name (any case) replaces the list.
    writeFileSync(f1, '192.0.2.1\n');
    await store.addIocList(f1, 'apt-x REPORT');
    expect(store.lookup('203.0.113.7').iocLists).toEqual([]);
    expect(store.lookup('192.0.2.1').iocLists).toEqual(['apt-x REPORT']);
    await store.removeIocList('APT-X report');
    expect(store.lookup('192.0.2.1').iocLists).toEqual([]);
    await expect(store.removeIocList('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a file with no indicator and bad names', async () => {
    const store = tempStore();
    const f = join(tempDir(), 'empty.txt');
    writeFileSync(f, '# nothing\nhello\n');
    await expect(store.addIocList(f, 'x')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/holds no IP, CIDR, domain or hash \(line 2/) });
    writeFileSync(f, '1.2.3.4\n');
    await expect(store.addIocList(f, '  ')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(store.addIocList(f, 'a\nb')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('settings, stamp and lookups', () => {
  it('changes the malicious threshold and the stamp with it', async () => {
    const store = tempStore();
    const file = join(tempDir(), 'ipsum.txt');
    writeFileSync(file, generatedIpsum(10));
    await store.importIpsum(file);
    const s1 = store.stamp();
    expect(store.lookup('45.0.0.1')).toMatchObject({ ipsum: 2, malicious: false });
    await store.updateSettings({ maliciousThreshold: 2 });
    expect(store.lookup('45.0.0.1').malicious).toBe(true);
    expect(store.stamp()).not.toBe(s1);
    await expect(store.updateSettings({ maliciousThreshold: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(store.updateSettings({ ipsumUrl: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('sees changes another process made to the folder', async () => {
    const dir = join(tempDir(), 'intel');
    const a = new IntelStore({ dir, embeddedAsnDir: null });
    const b = new IntelStore({ dir, embeddedAsnDir: null });
    expect(b.lookup('45.0.0.5').ipsum).toBeNull();
    const file = join(tempDir(), 'ipsum.txt');
    writeFileSync(file, generatedIpsum(10));
    await a.importIpsum(file);
    expect(b.lookup('45.0.0.5').ipsum).toBe(6);
    expect(b.stamp()).toBe(a.stamp());
  });

  it('prints exactly the documented lookup shape, with null where unknown', () => {
    const r = tempStore().lookup('10.1.2.3');
    expect(Object.keys(r)).toEqual(['ip', 'scope', 'country', 'city', 'asn', 'asOrg', 'ipsum', 'malicious', 'iocLists']);
    expect(r).toEqual({ ip: '10.1.2.3', scope: 'private', country: null, city: null, asn: null, asOrg: null, ipsum: null, malicious: false, iocLists: [] });
    expect(() => tempStore().lookup('999.1.1.1')).toThrow(/not an IP address/);
  });

  it('survives a corrupt manifest', async () => {
    const dir = join(tempDir(), 'intel');
    const store = new IntelStore({ dir, embeddedAsnDir: null });
    const file = join(tempDir(), 'ipsum.txt');
    writeFileSync(file, generatedIpsum(10));
    await store.importIpsum(file);
    writeFileSync(join(dir, 'ipsum', 'manifest.json'), '{ not json');
    const fresh = new IntelStore({ dir, embeddedAsnDir: null });
    expect(fresh.status().sources.find((s) => s.id === 'ipsum')?.state).toBe('missing');
    expect(fresh.lookup('45.0.0.5').ipsum).toBeNull();
  });

  it('intelStore() lives under LOUPE_HOME', () => {
    const home = tempDir();
    const before = process.env.LOUPE_HOME;
    process.env.LOUPE_HOME = home;
    try {
      expect(intelStore().dir).toBe(join(home, 'intel'));
    } finally {
      if (before === undefined) delete process.env.LOUPE_HOME;
      else process.env.LOUPE_HOME = before;
    }
  });
});

describe('embedded ASN table (ip-location-db CSV layout)', () => {
  it('loads numeric ranges, answers lookups and counts bad lines', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'asn-ipv4-num.csv'),
      ['16777216,16777471,13335,"Cloudflare, Inc."', '134744064,134744319,15169,Google LLC', 'x,y,1,bad', '134744100,134744200,1,overlap', '167772160,167772159,5,reversed', ''].join('\n'),
    );
    writeFileSync(join(dir, 'asn-ipv6-num.csv'), `${(0x2606_4700n << 96n).toString()},${((0x2606_4700n << 96n) | ((1n << 96n) - 1n)).toString()},13335,"Cloudflare ""CF"""\n`);
    writeFileSync(join(dir, 'package.json'), '{"name":"@ip-location-db/asn","version":"2.3.2024060412"}');
    const t = loadAsnCsv([
      { path: join(dir, 'asn-ipv4-num.csv'), family: 4 },
      { path: join(dir, 'asn-ipv6-num.csv'), family: 6 },
    ]);
    expect(t.rows).toBe(4);
    expect(t.rejected).toBe(3); // not numeric, reversed, and the overlapping range
    const store = new IntelStore({ dir: join(tempDir(), 'intel'), embeddedAsnDir: dir, embeddedCountryPath: null });
    expect(store.lookup('1.0.0.7')).toMatchObject({ asn: 13335, asOrg: 'Cloudflare, Inc.', country: null });
    expect(store.lookup('8.8.8.8')).toMatchObject({ asn: 15169, asOrg: 'Google LLC' });
    expect(store.lookup('2606:4700::1111')).toMatchObject({ asn: 13335, asOrg: 'Cloudflare "CF"' });
    expect(store.lookup('9.9.9.9').asn).toBeNull();
    const st = store.status().sources.find((s) => s.id === 'embedded:asn');
    expect(st).toMatchObject({ state: 'ok', entries: 3, rejected: 3, version: '2024-06-04T12:00:00.000Z', versionFrom: 'package' });
    expect(store.status().sources.find((s) => s.id === 'embedded:country')?.state).toBe('missing');
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toContain('asn');
  });
});
