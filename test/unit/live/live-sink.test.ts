import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveFixture, searchTotal, sendTcp, sendUdp, until, type LiveFixture } from './helpers';

let f: LiveFixture;
beforeEach(async () => {
  f = await liveFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const AUTH = '<38>Nov  1 10:00:01 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.7 port 40022 ssh2';
const CEF = '<134>Nov  1 10:00:02 fw01 CEF:0|Palo Alto|PAN-OS|10.1|threat|THREAT|7|rt=Nov 01 2026 10:00:02 src=10.1.2.3 dst=192.168.1.9 spt=5555 dpt=443 proto=TCP act=deny suser=bob msg=blocked';
const R5424 = '<165>1 2026-11-01T10:00:03.123Z app01 billing 77 ID47 [meta@32473 iut="3" eventSource="Application"] invoice 991 paid';
const TEXT = 'no header at all, just words from a device';
const JSON_MSG = '{"event_type":"alert","timestamp":"2026-11-01T10:00:04Z","src_ip":"10.9.9.9","dest_ip":"10.0.0.1","flow_id":1,"alert":{"signature":"ET TEST"}}';

describe('live listener into the case', () => {
  it('stores messages through the import parsers, searchable within 2 s, one evidence row and field table', async () => {
    const info = await f.op('startListener', { udp: 0, tcp: 0 });
    expect(info.state).toBe('running');
    expect(info.listener?.host).toBe('127.0.0.1');
    const udp = info.bound?.udp as number;
    const tcp = info.bound?.tcp as number;
    const sent = Date.now();
    await sendUdp(udp, [AUTH, CEF]);
    await sendTcp(tcp, `${R5424}\n${TEXT}\n${Buffer.byteLength(JSON_MSG)} ${JSON_MSG}`);
    const waited = await until(async () => (await searchTotal(f, '')) === 5, 'five searchable events', 2000);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(waited).toBeLessThan(2000);

    const rows = await f.sql('SELECT dataset, host, "user", src_ip, evidence_id, raw FROM events ORDER BY id');
    const byDataset = new Map(rows.map((r) => [String(r.dataset), r]));
    expect([...byDataset.keys()].sort()).toEqual(['cef', 'linux.auth', 'linux.syslog', 'suricata.alert', 'text'].sort());
    expect(byDataset.get('linux.auth')).toMatchObject({ host: 'web01', user: 'admin', src_ip: '203.0.113.7', raw: AUTH });
    expect(byDataset.get('cef')).toMatchObject({ host: 'fw01', src_ip: '10.1.2.3', user: 'bob' });
    expect(byDataset.get('linux.syslog')).toMatchObject({ host: 'app01' });
    // A message without a header of its own: the sender is its host.
    expect(byDataset.get('text')).toMatchObject({ host: '127.0.0.1' });
    expect(byDataset.get('suricata.alert')?.raw).toBeNull();
    expect(new Set(rows.map((r) => r.evidence_id))).toEqual(new Set([info.evidenceId]));

    // Field search on original names and on where it came from.
    expect(await searchTotal(f, 'program:sshd')).toBe(1);
    expect(await searchTotal(f, '_transport:udp')).toBe(2);
    expect(await searchTotal(f, 'device_vendor:"Palo Alto"')).toBe(1);

    const ev = await f.sql('SELECT status, seen, stored, rejected FROM evidence WHERE id = $id', { id: info.evidenceId });
    expect(ev[0]).toMatchObject({ status: 'importing', seen: 5, stored: 5, rejected: 0 });
    const list = await f.op('listLiveSources', {});
    expect(list.sources).toHaveLength(1);
    expect(list.sources[0]?.counters).toMatchObject({ received: 5, stored: 5, rejected: 0, dropped: 0, backlog: 0 });

    const stopped = await f.op('stopLiveSource', { id: info.id });
    expect(stopped.state).toBe('stopped');
    expect((await f.sql('SELECT status FROM evidence WHERE id = $id', { id: info.evidenceId }))[0]?.status).toBe('imported');

    // Starting the same ports again carries on with the same source, evidence and table.
    const again = await f.op('startListener', { udp: 0, tcp: 0 });
    expect(again.id).toBe(info.id);
    await sendTcp(again.bound?.tcp as number, `${AUTH}\n`);
    await until(async () => (await searchTotal(f, '')) === 6, 'the sixth event');
    expect((await f.sql('SELECT count(DISTINCT evidence_id) AS n, max(id) - min(id) + 1 AS span, count(*) AS c FROM events'))[0]).toMatchObject({ n: 1, span: 6, c: 6 });
  });
});
