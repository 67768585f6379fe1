import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  IntelStore,
  caseIntelStatus,
  cidrMatchSql,
  enrichIps,
  ensureIntelSchema,
  iocDomainMatchSql,
  iocHashMatchSql,
  maliciousIpSql,
  rebuildIps,
  refreshCaseIntel,
  syncIps,
} from '../../../src/main/engine/intel';
import { writeEnrichment } from '../../../src/main/engine/intel/enrichment-writer';
import { createEventsTable, insertEvents, type TestEvent } from '../../fixtures/intel-events';
import { corpusMissing, corpusPath } from '../../corpus';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'loupe-case-intel-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

async function ipsumStore(lines: string[]): Promise<IntelStore> {
  const dir = tempDir();
  const store = new IntelStore({ dir: join(dir, 'intel'), embeddedAsnDir: null });
  const f = join(dir, 'ipsum.txt');
  writeFileSync(f, `# Last update: Tue, 04 Jun 2024 03:00:01 +0200\n${lines.join('\n')}\n`);
  await store.importIpsum(f);
  return store;
}

let conn: DuckDBConnection;
let db: DuckDBInstance;
beforeEach(async () => {
  db = await DuckDBInstance.create(join(tempDir(), 'case.duckdb'));
  conn = await db.connect();
  await createEventsTable(conn);
});

const T = (h: number): string => `2024-03-01 ${String(h).padStart(2, '0')}:00:00`;

describe('ips table', () => {
  it('collects distinct src/dst IPs with first/last seen and counts', async () => {
    const ev: TestEvent[] = [
      { ts: T(1), src_ip: '10.0.0.5', dst_ip: '203.0.113.9' },
      { ts: T(3), src_ip: '203.0.113.9', dst_ip: '10.0.0.5' },
      { ts: T(2), src_ip: '10.0.0.5', dst_ip: '10.0.0.5' }, // same IP both sides: one event
      { ts: null, src_ip: '2001:db8::1', dst_ip: null },
      { ts: T(4), src_ip: null, dst_ip: '' },
    ];
    await insertEvents(conn, ev);
    const r = await syncIps(conn);
    expect(r).toMatchObject({ events: 5, newIps: 3, totalIps: 3, watermark: '5' });
    expect(await rows(conn, `SELECT ip, strftime(first_seen, '%H') AS f, strftime(last_seen, '%H') AS l, events, src_events, dst_events FROM ips ORDER BY ip`)).toEqual([
      { ip: '10.0.0.5', f: '01', l: '03', events: '3', src_events: '2', dst_events: '2' },
      { ip: '2001:db8::1', f: null, l: null, events: '1', src_events: '1', dst_events: '0' },
      { ip: '203.0.113.9', f: '01', l: '03', events: '2', src_events: '1', dst_events: '1' },
    ]);
  });

  it('reads only events past the watermark on the next import', async () => {
    await insertEvents(conn, [{ ts: T(5), src_ip: '198.51.100.1', dst_ip: '10.0.0.1' }]);
    await syncIps(conn);
    expect(await syncIps(conn)).toMatchObject({ events: 0, newIps: 0 });
    await insertEvents(conn, [
      { ts: T(1), src_ip: '198.51.100.1', dst_ip: '10.0.0.2' },
      { ts: T(9), src_ip: '198.51.100.1', dst_ip: '10.0.0.1' },
    ]);
    expect(await syncIps(conn)).toMatchObject({ events: 2, newIps: 1, totalIps: 3, watermark: '3' });
    expect(await rows(conn, `SELECT strftime(first_seen, '%H') AS f, strftime(last_seen, '%H') AS l, events FROM ips WHERE ip = '198.51.100.1'`)).toEqual([{ f: '01', l: '09', events: '3' }]);
    // Counts equal a full recount: the incremental path adds up.
    const full = await rows(conn, `SELECT ip, events FROM ips ORDER BY ip`);
    await rebuildIps(conn);
    expect(await rows(conn, `SELECT ip, events FROM ips ORDER BY ip`)).toEqual(full);
  });

  it('keeps ips unique without a key when two connections sync the same events at once', async () => {
    // ips has no primary key: uniqueness rests on the intel_state watermark row both runs
    // rewrite in their transaction, so an overlapping run fails to commit instead of adding rows.
    const other = await db.connect();
    await ensureIntelSchema(conn);
    await ensureIntelSchema(other);
    const unique = async (): Promise<void> => {
      expect(await rows(conn, `SELECT count(*) - count(DISTINCT ip) AS dup FROM ips`)).toEqual([{ dup: '0' }]);
      const counted = await rows(conn, `SELECT ip, events FROM ips ORDER BY ip`);
      await rebuildIps(conn);
      expect(await rows(conn, `SELECT ip, events FROM ips ORDER BY ip`)).toEqual(counted);
    };
    for (const round of [1, 2]) {
      // Round 1 takes the first-import INSERT, round 2 the MERGE into existing rows.
      await insertEvents(
        conn,
        Array.from({ length: 200 }, (_, i) => ({ ts: T(round), src_ip: `198.51.100.${i % 50}`, dst_ip: `10.${round}.0.${i % 7}` })),
      );
      const settled = await Promise.allSettled([syncIps(conn), syncIps(other)]);
      expect(settled.some((r) => r.status === 'fulfilled')).toBe(true);
      for (const r of settled) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/conflict|constraint|duplicate/i);
      await unique();
    }
    other.closeSync();
  });

  it('drops the primary key of a schema-1 ips table, keeping its rows', async () => {
    await conn.run(`CREATE TABLE intel_state (key VARCHAR PRIMARY KEY, value VARCHAR)`);
    await conn.run(`INSERT INTO intel_state VALUES ('schema_version', '1'), ('ips_watermark', '1')`);
    await conn.run(`CREATE TABLE ips (ip VARCHAR PRIMARY KEY, first_seen TIMESTAMP, last_seen TIMESTAMP, events BIGINT NOT NULL, src_events BIGINT NOT NULL, dst_events BIGINT NOT NULL)`);
    await conn.run(`INSERT INTO ips VALUES ('198.51.100.1', '${T(1)}', '${T(1)}', 1, 1, 0)`);
    await insertEvents(conn, [
      { ts: T(1), src_ip: '198.51.100.1', dst_ip: null },
      { ts: T(2), src_ip: '198.51.100.1', dst_ip: '10.0.0.1' },
    ]);
    expect(await syncIps(conn)).toMatchObject({ events: 1, newIps: 1, totalIps: 2 });
    expect(await rows(conn, `SELECT count(*) AS n FROM duckdb_constraints() WHERE table_name = 'ips' AND constraint_type = 'PRIMARY KEY'`)).toEqual([{ n: '0' }]);
    expect(await rows(conn, `SELECT ip, events FROM ip_intel ORDER BY ip`)).toEqual([
      { ip: '10.0.0.1', events: '1' },
      { ip: '198.51.100.1', events: '2' },
    ]);
    await expect(conn.run(`INSERT INTO ips VALUES (NULL, NULL, NULL, 0, 0, 0)`)).rejects.toThrow(/NOT NULL/i);
  });

  it('refuses a database without an events table', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const bare = await db.connect();
    await expect(syncIps(bare)).rejects.toMatchObject({ code: 'NOT_A_CASE' });
  });
});

describe('enrichment', () => {
  it('enriches new IPs only, and everything again when the intel changes', async () => {
    const store = await ipsumStore(['45.1.1.1\t5', '45.1.1.2\t1']);
    await insertEvents(conn, [
      { ts: T(1), src_ip: '45.1.1.1', dst_ip: '10.0.0.1' },
      { ts: T(2), src_ip: '45.1.1.2', dst_ip: 'not-an-ip' },
    ]);
    const first = await refreshCaseIntel(conn, store);
    expect(first.enrich).toMatchObject({ enriched: 4, full: true });
    expect(await rows(conn, `SELECT ip, family, ip_num, scope, ipsum, malicious, ioc_lists FROM ip_intel ORDER BY ip`)).toEqual([
      { ip: '10.0.0.1', family: 4, ip_num: '167772161', scope: 'private', ipsum: 0, malicious: false, ioc_lists: [] },
      { ip: '45.1.1.1', family: 4, ip_num: String(45 * 2 ** 24 + 1 * 2 ** 16 + 1 * 256 + 1), scope: 'public', ipsum: 5, malicious: true, ioc_lists: [] },
      { ip: '45.1.1.2', family: 4, ip_num: String(45 * 2 ** 24 + 1 * 2 ** 16 + 1 * 256 + 2), scope: 'public', ipsum: 1, malicious: false, ioc_lists: [] },
      { ip: 'not-an-ip', family: null, ip_num: null, scope: 'invalid', ipsum: null, malicious: false, ioc_lists: [] },
    ]);
    // Nothing new: nothing looked up.
    expect((await refreshCaseIntel(conn, store)).enrich).toMatchObject({ enriched: 0, full: false });
    // A new import: only its new IP.
    await insertEvents(conn, [{ ts: T(3), src_ip: '45.1.1.1', dst_ip: '192.0.2.77' }]);
    expect((await refreshCaseIntel(conn, store)).enrich).toMatchObject({ enriched: 1, full: false });
    // The intel changes (threshold 1): everything is redone from the ips table, events untouched.
    await store.updateSettings({ maliciousThreshold: 1 });
    expect((await caseIntelStatus(conn, store)).stale).toBe(true);
    const redo = await refreshCaseIntel(conn, store);
    expect(redo.sync.events).toBe(0);
    expect(redo.enrich).toMatchObject({ enriched: 5, full: true });
    expect(await rows(conn, `SELECT ip FROM malicious_ips ORDER BY ip`)).toEqual([{ ip: '45.1.1.1' }, { ip: '45.1.1.2' }]);
    expect(await caseIntelStatus(conn, store)).toMatchObject({ ips: 5, enriched: 5, malicious: 2, iocHits: 0, stale: false });
  });

  it('enriches in slices of the pending IPs, with the same rows whatever the slice', async () => {
    const store = await ipsumStore(['45.1.1.1\t5', '45.1.1.3\t2']);
    await insertEvents(
      conn,
      Array.from({ length: 11 }, (_, i) => ({ ts: T(i + 1), src_ip: `45.1.1.${i + 1}`, dst_ip: i % 3 === 0 ? `10.0.0.${i}` : null })),
    );
    await syncIps(conn);
    await ensureIntelSchema(conn);
    expect(await writeEnrichment(conn, store, 1000, 3)).toBe(15);
    const sliced = await rows(conn, `SELECT ip, family, ip_num, scope, ipsum, malicious FROM ip_intel ORDER BY ip`);
    await conn.run('DELETE FROM ip_enrichment');
    expect(await writeEnrichment(conn, store, 1000)).toBe(15);
    expect(await rows(conn, `SELECT ip, family, ip_num, scope, ipsum, malicious FROM ip_intel ORDER BY ip`)).toEqual(sliced);
    expect(sliced.filter((r) => r.family === 4)).toHaveLength(15);
    expect(sliced.find((r) => r.ip === '45.1.1.3')).toMatchObject({ ipsum: 2 });
  });

  it('answers "which events touched a known-bad IP?" and shows IOC hits per event', async () => {
    const store = await ipsumStore(['45.9.9.9\t7']);
    const ioc = join(tempDir(), 'ioc.txt');
    writeFileSync(ioc, '10.66.0.0/16\nevil.example\n');
    await store.addIocList(ioc, 'internal-compromised');
    await insertEvents(conn, [
      { ts: T(1), src_ip: '10.0.0.1', dst_ip: '45.9.9.9' },
      { ts: T(2), src_ip: '10.0.0.1', dst_ip: '8.8.8.8' },
      { ts: T(3), src_ip: '10.66.3.4', dst_ip: '8.8.8.8' },
      { ts: T(4), src_ip: null, dst_ip: null },
    ]);
    const r = await refreshCaseIntel(conn, store);
    expect(r.enrich.indicators).toBe(2);
    expect(await rows(conn, `SELECT id FROM malicious_events ORDER BY id`)).toEqual([{ id: '1' }, { id: '3' }]);
    expect(await rows(conn, `SELECT event_id, malicious, src_malicious, dst_malicious, dst_ipsum, src_ioc_lists, ioc_lists FROM event_intel ORDER BY event_id`)).toEqual([
      { event_id: '1', malicious: true, src_malicious: false, dst_malicious: true, dst_ipsum: 7, src_ioc_lists: [], ioc_lists: [] },
      { event_id: '2', malicious: false, src_malicious: false, dst_malicious: false, dst_ipsum: 0, src_ioc_lists: [], ioc_lists: [] },
      { event_id: '3', malicious: true, src_malicious: true, dst_malicious: false, dst_ipsum: 0, src_ioc_lists: ['internal-compromised'], ioc_lists: ['internal-compromised'] },
      { event_id: '4', malicious: false, src_malicious: false, dst_malicious: false, dst_ipsum: null, src_ioc_lists: [], ioc_lists: [] },
    ]);
    expect(await rows(conn, `SELECT id FROM events WHERE ${maliciousIpSql('dst_ip')} ORDER BY id`)).toEqual([{ id: '1' }]);
  });

  it('copies the IOC lists into the case only when they change, and matches domains and hashes', async () => {
    const store = await ipsumStore(['45.9.9.9\t1']);
    const ioc = join(tempDir(), 'ioc.txt');
    writeFileSync(ioc, ['evil.example', 'D41D8CD98F00B204E9800998ECF8427E', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', '2001:db8:bad::/48'].join('\n'));
    await store.addIocList(ioc, 'L1');
    await insertEvents(conn, [{ ts: T(1), src_ip: '2001:db8:bad::5', dst_ip: '2001:db8:600d::1' }]);
    expect((await refreshCaseIntel(conn, store)).enrich.indicators).toBe(4);
    expect((await enrichIps(conn, store)).indicators).toBe(0);
    expect(await rows(conn, `SELECT list_name, kind, value, family, first_num IS NOT NULL AS ranged FROM ioc_indicators ORDER BY kind, value`)).toEqual([
      { list_name: 'L1', kind: 'cidr', value: '2001:db8:bad::/48', family: 6, ranged: true },
      { list_name: 'L1', kind: 'domain', value: 'evil.example', family: null, ranged: false },
      { list_name: 'L1', kind: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', family: null, ranged: false },
      { list_name: 'L1', kind: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', family: null, ranged: false },
    ]);
    expect(await rows(conn, `SELECT ip, ioc_lists FROM ip_intel ORDER BY ip`)).toEqual([
      { ip: '2001:db8:600d::1', ioc_lists: [] },
      { ip: '2001:db8:bad::5', ioc_lists: ['L1'] },
    ]);

    // A field table the way the data model stores them (original names as columns).
    await conn.run(`CREATE TABLE src_1 (rid BIGINT, "query" VARCHAR, "Hashes" VARCHAR)`);
    await conn.run(`INSERT INTO src_1 VALUES
      (1, 'www.evil.example', NULL),
      (2, 'EVIL.EXAMPLE.', 'SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,MD5=00000000000000000000000000000000'),
      (3, 'notevil.example', 'MD5=D41D8CD98F00B204E9800998ECF8427E,SHA256=' || repeat('0', 64)),
      (4, 'evil.example.com', 'MD5=D41D8CD98F00B204E9800998ECF8427E0'),
      (5, NULL, NULL)`);
    expect(await rows(conn, `SELECT rid FROM src_1 WHERE ${iocDomainMatchSql('"query"', 'src_1')} ORDER BY rid`)).toEqual([{ rid: '1' }, { rid: '2' }]);
    expect(await rows(conn, `SELECT rid FROM src_1 WHERE ${iocHashMatchSql('"Hashes"', 'src_1')} ORDER BY rid`)).toEqual([{ rid: '2' }, { rid: '3' }]);
    expect(await rows(conn, `SELECT rid FROM src_1 WHERE ${iocDomainMatchSql('"query"', 'src_1', 'other list')} ORDER BY rid`)).toEqual([]);
    // Display helpers for a handful of rows.
    expect(await rows(conn, `SELECT rid, ioc_domain_lists("query") AS d, ioc_hash_lists("Hashes") AS h FROM src_1 ORDER BY rid`)).toEqual([
      { rid: '1', d: ['L1'], h: null },
      { rid: '2', d: ['L1'], h: ['L1'] },
      { rid: '3', d: null, h: ['L1'] },
      { rid: '4', d: null, h: null },
      { rid: '5', d: null, h: null },
    ]);
    // Replacing the list re-copies it.
    writeFileSync(ioc, 'other.example\n');
    await store.addIocList(ioc, 'L1');
    expect((await enrichIps(conn, store)).indicators).toBe(1);
    expect(await rows(conn, `SELECT rid FROM src_1 WHERE ${iocDomainMatchSql('"query"', 'src_1')}`)).toEqual([]);
    expect(await rows(conn, `SELECT ip FROM ip_intel WHERE len(ioc_lists) > 0`)).toEqual([]);
  });

  it('filters by CIDR through the enrichment table and on any column', async () => {
    const store = await ipsumStore(['45.9.9.9\t1']);
    await insertEvents(conn, [
      { ts: T(1), src_ip: '10.1.2.3', dst_ip: '2001:db8::10' },
      { ts: T(2), src_ip: '10.200.0.1', dst_ip: '2001:db9::1' },
      { ts: T(3), src_ip: '192.168.1.1', dst_ip: '172.16.5.4' },
    ]);
    await refreshCaseIntel(conn, store);
    const q = async (where: string): Promise<string[]> => (await rows(conn, `SELECT id FROM events WHERE ${where} ORDER BY id`)).map((r) => String(r.id));
    expect(await q(cidrMatchSql('src_ip', ['10.1.0.0/16'], { viaIpsTable: true }))).toEqual(['1']);
    expect(await q(cidrMatchSql('src_ip', ['10.0.0.0/8']))).toEqual(['1', '2']);
    expect(await q(cidrMatchSql('dst_ip', ['2001:db8::/32']))).toEqual(['1']);
    expect(await q(`(${cidrMatchSql('src_ip', ['192.168.0.0/16', '10.200.0.0/16'])})`)).toEqual(['2', '3']);
    expect(await q(cidrMatchSql('dst_ip', ['172.16.0.0/12', '2001:db9::/32'], { viaIpsTable: true }))).toEqual(['2', '3']);
    expect(() => cidrMatchSql('src_ip', ['10.0.0.0/33'])).toThrow(/not an IP address or CIDR/);
    expect(cidrMatchSql('src_ip', [])).toBe('false');
    expect(await rows(conn, `SELECT ioc_domain_suffixes('A.Evil.com.') AS a, ioc_domain_suffixes('localhost') AS b, len(ioc_domain_suffixes(repeat('x.', 500) || 'evil.com')) AS c, ioc_domain_suffixes(repeat('x.', 500) || 'evil.com')[1] AS d`)).toEqual([
      { a: ['evil.com', 'a.evil.com'], b: [], c: '31', d: 'evil.com' },
    ]);
    expect(await rows(conn, `SELECT ipv4_num('10.1.2.3') AS a, ipv4_num('010.1.2.3') AS b, ipv4_num('::1') AS c, ipv4_num(NULL) AS d`)).toEqual([{ a: '167838211', b: null, c: null, d: null }]);
  });

  it.skipIf(corpusMissing('geoip', 'MaxMind-DB', 'test-data'))('stores geo, AS and several IOC lists per IP as lookups answer them', async () => {
    const store = await ipsumStore(['89.160.20.112\t2']);
    const mm = (f: string): string => corpusPath('geoip', 'MaxMind-DB', 'test-data', f);
    await store.addMmdb(mm('GeoIP2-City-Test.mmdb'));
    await store.addMmdb(mm('GeoLite2-ASN-Test.mmdb'));
    const a = join(tempDir(), 'a.txt');
    writeFileSync(a, '89.160.0.0/16\n');
    await store.addIocList(a, 'zeta list');
    await store.addIocList(a, 'alpha list');
    await insertEvents(conn, [
      { ts: T(1), src_ip: '89.160.20.112', dst_ip: '81.2.69.142' },
      { ts: T(2), src_ip: '::ffff:175.16.199.0', dst_ip: '1.128.0.1' },
    ]);
    await refreshCaseIntel(conn, store);
    expect(await rows(conn, `SELECT ip, scope, country, city, asn, as_org, ipsum, ioc_lists, malicious FROM ip_intel ORDER BY ip`)).toEqual([
      { ip: '1.128.0.1', scope: 'public', country: expect.any(String), city: null, asn: 1221, as_org: 'Telstra Pty Ltd', ipsum: 0, ioc_lists: [], malicious: false },
      { ip: '81.2.69.142', scope: 'public', country: 'GB', city: 'London', asn: null, as_org: null, ipsum: 0, ioc_lists: [], malicious: false },
      { ip: '89.160.20.112', scope: 'public', country: 'SE', city: 'Linköping', asn: 29518, as_org: 'Bredband2 AB', ipsum: 2, ioc_lists: ['alpha list', 'zeta list'], malicious: true },
      // A parser that kept the mapped form still gets the IPv4 answers (the key stays as stored).
      { ip: '::ffff:175.16.199.0', scope: 'public', country: 'CN', city: 'Changchun', asn: null, as_org: null, ipsum: 0, ioc_lists: [], malicious: false },
    ]);
    expect(await rows(conn, `SELECT family, ip_num FROM ip_enrichment WHERE ip = '::ffff:175.16.199.0'`)).toEqual([{ family: 4, ip_num: String(175 * 2 ** 24 + 16 * 2 ** 16 + 199 * 256) }]);
  });

  it('serialises concurrent refreshes on one connection (no double counting, no duplicate rows)', async () => {
    const store = await ipsumStore(['45.9.9.9\t9']);
    await insertEvents(conn, [
      { ts: T(1), src_ip: '45.9.9.9', dst_ip: '10.0.0.1' },
      { ts: T(2), src_ip: '45.9.9.8', dst_ip: '10.0.0.1' },
    ]);
    const settled = await Promise.all([refreshCaseIntel(conn, store), refreshCaseIntel(conn, store), refreshCaseIntel(conn, store)]);
    expect(settled.map((r) => r.sync.events).sort()).toEqual([0, 0, 2]);
    expect(await rows(conn, `SELECT ip, events FROM ips ORDER BY ip`)).toEqual([
      { ip: '10.0.0.1', events: '2' },
      { ip: '45.9.9.8', events: '1' },
      { ip: '45.9.9.9', events: '1' },
    ]);
    expect(await rows(conn, `SELECT count(*) AS n, count(DISTINCT ip) AS d FROM ip_enrichment`)).toEqual([{ n: '3', d: '3' }]);
  });

  it('rolls back a failed enrichment, leaving the previous one', async () => {
    const store = await ipsumStore(['45.9.9.9\t9']);
    await insertEvents(conn, [{ ts: T(1), src_ip: '45.9.9.9', dst_ip: null }]);
    await refreshCaseIntel(conn, store);
    const broken = Object.create(store) as IntelStore;
    broken.enrich = () => {
      throw new Error('boom');
    };
    await insertEvents(conn, [{ ts: T(2), src_ip: '45.9.9.8', dst_ip: null }]);
    await syncIps(conn);
    await expect(enrichIps(conn, broken, { force: true })).rejects.toThrow('boom');
    expect(await rows(conn, `SELECT ip, malicious FROM ip_enrichment ORDER BY ip`)).toEqual([{ ip: '45.9.9.9', malicious: true }]);
    expect((await enrichIps(conn, store)).enriched).toBe(1);
  });
});
