import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntelStore, MmdbError, MmdbSource, checkMmdb, formatIp, formatIpv4, kindOfDatabaseType, parseCidr, parseIp } from '../../../src/main/engine/intel';
import { findRecord, ipv4StartNode } from '../../../src/main/engine/intel/mmdb-check';
import { embeddedCountryPath } from '../../../src/main/engine/intel/embedded';
import { corpusMissing, corpusPath } from '../../corpus';

const TEST_DATA = ['geoip', 'MaxMind-DB', 'test-data'];
const BAD_DATA = ['geoip', 'MaxMind-DB', 'bad-data'];
const db = (name: string): string => corpusPath(...TEST_DATA, name);

const dirs: string[] = [];
function tempStore(): IntelStore {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-geo-'));
  dirs.push(dir);
  return new IntelStore({ dir, embeddedAsnDir: null });
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kindOfDatabaseType', () => {
  it('maps MaxMind and DB-IP type names to kinds', () => {
    expect(kindOfDatabaseType('GeoIP2-City')).toBe('city');
    expect(kindOfDatabaseType('GeoLite2-City')).toBe('city');
    expect(kindOfDatabaseType('GeoIP2-Enterprise')).toBe('city');
    expect(kindOfDatabaseType('DBIP-City-Lite')).toBe('city');
    expect(kindOfDatabaseType('GeoLite2-Country')).toBe('country');
    expect(kindOfDatabaseType('country ipvAll')).toBe('country');
    expect(kindOfDatabaseType('GeoLite2-ASN')).toBe('asn');
    expect(kindOfDatabaseType('GeoIP2-ISP')).toBe('asn');
    expect(kindOfDatabaseType('DBIP-ASN-Lite (compat=GeoLite2-ASN)')).toBe('asn');
    expect(kindOfDatabaseType('GeoIP2-Anonymous-IP')).toBeNull();
    expect(kindOfDatabaseType('Test')).toBeNull();
  });
});

describe.skipIf(corpusMissing(...TEST_DATA))('MaxMind test databases', () => {
  it('City answers the README’s good IPs', () => {
    const city = MmdbSource.open(db('GeoIP2-City-Test.mmdb'));
    expect(city.kind).toBe('city');
    expect(city.lookup('81.2.69.142')).toMatchObject({ country: 'GB', city: 'London' });
    expect(city.lookup('89.160.20.112')).toMatchObject({ country: 'SE', city: 'Linköping' });
    expect(city.lookup('216.160.83.56')).toMatchObject({ country: 'US', city: 'Milton' });
    expect(city.lookup('175.16.199.0')).toMatchObject({ country: 'CN', city: 'Changchun' });
    expect(city.lookup('2.125.160.216')).toMatchObject({ country: 'GB', city: 'Boxford' });
    expect(city.lookup('67.43.156.0')).toMatchObject({ country: 'BT', city: null });
    expect(city.lookup('8.8.8.8')).toBeNull();
    expect(city.info.networks).toBeGreaterThan(200);
    expect(city.describe().buildEpoch).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('ASN answers AS number and organisation', () => {
    const asn = MmdbSource.open(db('GeoLite2-ASN-Test.mmdb'));
    expect(asn.kind).toBe('asn');
    expect(asn.lookup('1.0.0.1')).toEqual({ country: null, city: null, asn: 15169, asOrg: 'Google Inc.' });
    expect(asn.lookup('1.128.0.1')).toMatchObject({ asn: 1221, asOrg: 'Telstra Pty Ltd' });
    expect(asn.lookup('67.43.156.0')).toMatchObject({ asn: 35908, asOrg: null });
    const isp = MmdbSource.open(db('GeoIP2-ISP-Test.mmdb'));
    expect(isp.kind).toBe('asn');
    expect(isp.lookup('1.128.0.1')).toMatchObject({ asn: 1221 });
  });

  it('refuses a database of the wrong kind or an unsupported type', () => {
    expect(() => MmdbSource.open(db('GeoLite2-ASN-Test.mmdb'), { expectedKind: 'city' })).toThrow(/GeoLite2-ASN database \(ASN\), not a City database/);
    expect(() => MmdbSource.open(db('GeoIP2-City-Test.mmdb'), { expectedKind: 'asn' })).toThrow(/GeoIP2-City database \(City\), not an ASN database/);
    expect(() => MmdbSource.open(db('GeoIP2-Anonymous-IP-Test.mmdb'))).toThrow(/"GeoIP2-Anonymous-IP" is not a City, Country or ASN database/);
    expect(() => MmdbSource.open(db('GeoIP2-Domain-Test.mmdb'))).toThrow(MmdbError);
  });

  it('refuses the test databases with broken pointers or node counts', () => {
    expect(() => MmdbSource.open(db('MaxMind-DB-test-broken-pointers-24.mmdb'))).toThrow(/corrupt MaxMind DB data/);
    expect(() => MmdbSource.open(db('GeoIP2-City-Test-Invalid-Node-Count.mmdb'))).toThrow(/node_count 100000 does not fit/);
  });

  it('the most specific database answers: City > Country > embedded', async () => {
    const store = tempStore();
    // 2001:220:: is AU in the embedded data, SE in the Country test DB (a /128) and KR in the City test DB (a /32).
    const embedded = store.lookup('2001:220::').country;
    expect(embedded).not.toBeNull();
    expect(store.lookup('67.43.156.0').country).not.toBe('BT');
    await store.addMmdb(db('GeoIP2-Country-Test.mmdb'));
    expect(store.lookup('2001:220::').country).toBe('SE');
    expect(store.lookup('67.43.156.0').country).toBe('BT');
    await store.addMmdb(db('GeoIP2-City-Test.mmdb'));
    expect(store.lookup('2001:220::')).toMatchObject({ country: 'KR' });
    expect(store.lookup('81.2.69.142')).toMatchObject({ country: 'GB', city: 'London' });
    // An IP none of the MaxMind test DBs hold still gets the embedded answer.
    expect(store.lookup('8.8.8.8').country).toBe('US');
    // The ASN database supplies AS fields; no lookup at all for non-public scopes.
    await store.addMmdb(db('GeoLite2-ASN-Test.mmdb'), 'asn');
    expect(store.lookup('1.128.0.1')).toMatchObject({ asn: 1221, asOrg: 'Telstra Pty Ltd' });
    expect(store.lookup('10.0.0.1')).toMatchObject({ scope: 'private', country: null, asn: null });
  });

  it('a wrong-kind add leaves the folder as it was', async () => {
    const store = tempStore();
    await expect(store.addMmdb(db('GeoLite2-ASN-Test.mmdb'), 'city')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/not a City database/) });
    expect(store.status().sources.find((s) => s.id === 'geoip:city')?.state).toBe('missing');
  });
});

describe.skipIf(corpusMissing(...TEST_DATA))('direct search-tree walk agrees with the maxmind reader', () => {
  const files = readdirSync(corpusPath(...TEST_DATA)).filter((f) => f.endsWith('.mmdb') && !/Broken|Invalid|broken/.test(f));

  /** Deterministic addresses: every network start of the source data plus random IPv4 and IPv6. */
  function addresses(): string[] {
    const out: string[] = [];
    let seed = 99;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 600; i++) out.push(formatIpv4(next()));
    for (let i = 0; i < 300; i++) {
      const top = [0x2001, 0x2002, 0x2a02, 0x0000, 0xffff][i % 5]!;
      out.push(`${top.toString(16)}:${(next() & 0xffff).toString(16)}:${(next() & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`);
    }
    // The networks of the MaxMind-DB-test-* databases (their README) and their IPv4-in-IPv6 aliases.
    for (const a of ['1.1.1.1', '1.1.1.3', '1.1.1.5', '1.1.1.9', '1.1.1.17', '1.1.1.32', '1.1.1.33']) out.push(a, `::${a}`, `::ffff:${a}`);
    out.push('::1:ffff:ffff', '::2:0:0', '::2:0:3f', '::2:0:40', '::2:0:50', '::2:0:58', '::2:0:59', '2002:101:101::', '2001:220::', '89.160.20.112');
    // Every network start (and its neighbour) of the GeoIP2/GeoLite2 source data.
    const src = corpusPath('geoip', 'MaxMind-DB', 'source-data');
    for (const f of readdirSync(src).filter((x) => x.endsWith('.json'))) {
      const nets = JSON.parse(readFileSync(join(src, f), 'utf8')) as Array<Record<string, unknown>>;
      for (const rec of nets) {
        for (const net of Object.keys(rec)) {
          const c = parseCidr(net);
          if (!c) continue;
          out.push(formatIp(c.family, c.first), formatIp(c.family, c.last));
        }
      }
    }
    return out;
  }

  const hits = new Map<string, number>();
  afterAll(() => {
    // The comparison means something only where addresses hit data.
    expect(hits.get('GeoIP2-City-Test.mmdb')).toBeGreaterThan(3);
    expect(hits.get('MaxMind-DB-test-mixed-32.mmdb')).toBeGreaterThan(3);
    expect(hits.get('MaxMind-DB-test-ipv4-28.mmdb')).toBeGreaterThan(1);
    expect(hits.get('MaxMind-DB-test-ipv6-24.mmdb')).toBeGreaterThan(0);
    expect([...hits.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });

  const list = addresses();
  it.each(files)('%s', (file) => {
    const buf = readFileSync(corpusPath(...TEST_DATA, file));
    const { reader, tree, info } = checkMmdb(buf, { walk: false });
    const start = ipv4StartNode(buf, tree, info.ipVersion);
    const byRecord = new Map<number, string>();
    let withData = 0;
    for (const text of list) {
      const ip = parseIp(text)!;
      const v = ip.value;
      const rec =
        ip.family === 4
          ? findRecord(buf, tree, start, info.ipVersion, Number(v), null)
          : findRecord(buf, tree, start, info.ipVersion, null, [Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)]);
      let data: unknown;
      try {
        data = reader.get(ip.canonical);
      } catch {
        continue; // a record the reader cannot decode says nothing about the walk
      }
      expect(rec > tree.nodeCount, `${file} ${text}`).toBe(data !== null);
      if (data === null) continue;
      withData++;
      const json = JSON.stringify(data, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
      const seen = byRecord.get(rec);
      if (seen !== undefined) expect(json, `${file} ${text} shares record ${rec}`).toBe(seen);
      else byRecord.set(rec, json);
    }
    hits.set(file, withData);
  });
});

describe.skipIf(corpusMissing(...BAD_DATA))('corrupt databases (MaxMind-DB bad-data)', () => {
  const files = readdirSync(corpusPath(...BAD_DATA), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mmdb'));

  it('finds the bad-data files', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s is refused with a clear error, never a crash', async (file) => {
    const store = tempStore();
    const err = await store.addMmdb(corpusPath(...BAD_DATA, file)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BAD_INPUT' });
    expect((err as Error).message).toMatch(/corrupt MaxMind DB|not a \.mmdb file|is not a City, Country or ASN database/);
  });

  it('structurally corrupt files are caught by the check itself, not only by their type', () => {
    const structural = ['maxminddb-golang/cyclic-data-structure.mmdb', 'libmaxminddb/libmaxminddb-separator-record-max-left.mmdb', 'libmaxminddb/libmaxminddb-oversized-map.mmdb', 'maxminddb-python/bad-unicode-in-map-key.mmdb'];
    for (const f of structural) expect(() => MmdbSource.open(corpusPath(...BAD_DATA, f)), f).toThrow(/corrupt MaxMind DB/);
  });
});

describe('not a database at all', () => {
  it('refuses text, gzip and empty files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-geo-'));
    dirs.push(dir);
    const txt = join(dir, 'x.mmdb');
    writeFileSync(txt, 'hello world\n');
    expect(() => MmdbSource.open(txt)).toThrow(/not a \.mmdb file/);
    const gz = join(dir, 'y.mmdb.gz');
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    expect(() => MmdbSource.open(gz)).toThrow(/gzip/);
    const empty = join(dir, 'z.mmdb');
    writeFileSync(empty, '');
    expect(() => MmdbSource.open(empty)).toThrow(MmdbError);
    expect(() => MmdbSource.open(join(dir, 'missing.mmdb'))).toThrow(/cannot read/);
  });
});

describe.skipIf(embeddedCountryPath() === null)('embedded country database', () => {
  it('answers country with no setup', () => {
    const store = tempStore();
    expect(store.lookup('8.8.8.8')).toMatchObject({ scope: 'public', country: 'US' });
    expect(store.lookup('2a00:1450:4001::1').country).not.toBeNull();
    // IPv4-mapped input is looked up as IPv4 (the embedded DB has no mapped subtree).
    expect(store.lookup('::ffff:8.8.8.8')).toMatchObject({ ip: '8.8.8.8', country: 'US' });
    const st = store.status().sources.find((s) => s.id === 'embedded:country');
    expect(st).toMatchObject({ state: 'ok', embedded: true, versionFrom: 'build-epoch' });
    expect(st?.entries).toBeGreaterThan(100_000);
  });
});
