import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntelStore, MmdbError, MmdbSource, kindOfDatabaseType } from '../../../src/main/engine/intel';
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
