import { describe, expect, it } from 'vitest';
import { CORE_COLUMNS } from '../../../src/shared/events';
import { CSV_CORE_MAPPINGS } from '../../../src/main/engine/ingest/formats/csv';
import {
  detectJsonFamily,
  expandEventData,
  flattenRecord,
  JSON_CORE_MAPPINGS,
  mapJsonRecord,
  type CoreMapping,
  type MapExpr,
} from '../../../src/main/engine/ingest/formats/json-map';
import { corpusMissing } from '../../corpus';
import { corpusFiles, zipMemberHeads } from './corpus-read';

describe('Windows events as JSON', () => {
  it('maps a 4624 logon: dataset, user, source, action, outcome, severity', () => {
    const c = mapJsonRecord({
      EventID: 4624,
      Channel: 'Security',
      Hostname: 'WORKSTATION5',
      Level: '0',
      TimeCreated: '2020-10-19 10:46:42.027',
      TargetUserName: 'pgustavo',
      SubjectUserName: 'WORKSTATION5$',
      IpAddress: '::ffff:172.18.39.6',
      IpPort: '49712',
      LogonType: '3',
    });
    expect(c).toEqual({
      ts: '2020-10-19T10:46:42.027Z',
      dataset: 'windows.security',
      host: 'WORKSTATION5',
      event_code: '4624',
      severity: 'informational',
      message: 'Security 4624',
      src_ip: '172.18.39.6',
      src_port: 49712,
      dst_ip: null,
      dst_port: null,
      protocol: null,
      user: 'pgustavo',
      process: null,
      action: 'logon',
      outcome: 'success',
    });
  });

  it('skips "-" and empty values to the next candidate, and reads nested EventData', () => {
    const c = mapJsonRecord({ EventID: 4625, Channel: 'security', Computer: 'DC1', EventData: { TargetUserName: '-', SubjectUserName: 'bob', IpAddress: '10.0.0.9' } });
    expect(c).toMatchObject({ dataset: 'windows.security', user: 'bob', src_ip: '10.0.0.9', action: 'logon-failed', outcome: 'failure' });
  });

  it('maps Sysmon, PowerShell and other channels', () => {
    expect(
      mapJsonRecord({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd /c whoami', User: 'CORP\\alice', UtcTime: '2021-06-11 09:07:15.635' }),
    ).toMatchObject({ dataset: 'sysmon', action: 'process-start', process: 'C:\\Windows\\System32\\cmd.exe', user: 'CORP\\alice', message: 'cmd /c whoami', ts: '2021-06-11T09:07:15.635Z' });
    expect(mapJsonRecord({ EventID: 3, Channel: 'Microsoft-Windows-Sysmon/Operational', SourceIp: '10.0.0.1', DestinationIp: '8.8.8.8', DestinationPort: 53, Protocol: 'udp' })).toMatchObject({
      action: 'network-connection',
      src_ip: '10.0.0.1',
      dst_ip: '8.8.8.8',
      dst_port: 53,
      protocol: 'udp',
    });
    expect(mapJsonRecord({ EventID: 4104, Channel: 'Microsoft-Windows-PowerShell/Operational', Computer: 'x' }).dataset).toBe('windows.powershell');
    expect(mapJsonRecord({ EventID: 800, Channel: 'Windows PowerShell', Computer: 'x' }).dataset).toBe('windows.powershell');
    expect(mapJsonRecord({ EventID: 106, Channel: 'Microsoft-Windows-TaskScheduler/Operational', Computer: 'x' }).dataset).toBe('windows.taskscheduler');
    expect(mapJsonRecord({ EventID: 1116, Channel: 'Microsoft-Windows-Windows Defender/Operational', Computer: 'x' }).dataset).toBe('windows.windows-defender');
    expect(mapJsonRecord({ EventID: 7045, Channel: 'System', Computer: 'x', Level: 4 })).toMatchObject({ dataset: 'windows.system', action: 'service-installed' });
  });

  it('maps Level and the audit keywords', () => {
    const lvl = (Level: string | number): unknown => mapJsonRecord({ EventID: 1, Channel: 'Application', Computer: 'x', Level }).severity;
    expect([1, 2, 3, 4, 0, '5'].map(lvl)).toEqual(['critical', 'high', 'medium', 'informational', 'informational', 'informational']);
    expect(mapJsonRecord({ EventID: 4663, Channel: 'Security', Computer: 'x', Keywords: '0x8010000000000000' }).outcome).toBe('failure');
    expect(mapJsonRecord({ EventID: 4663, Channel: 'Security', Computer: 'x', Keywords: -9214364837600034816 }).outcome).toBe('success');
    expect(mapJsonRecord({ EventID: 4663, Channel: 'Security', Computer: 'x', EventType: 'AUDIT_FAILURE' }).outcome).toBe('failure');
  });

  it('expands EventData given as JSON text or Windows XML', () => {
    const json = flattenRecord({ EventID: 3, Channel: 'Microsoft-Windows-Sysmon/Operational', EventData: '{"Image":"C:\\\\a.exe","DestinationPort":443}' });
    expect(json).toMatchObject({ 'EventData.Image': 'C:\\a.exe', 'EventData.DestinationPort': 443 });
    expect(mapJsonRecord(json)).toMatchObject({ process: 'C:\\a.exe', dst_port: 443 });
    expect(expandEventData('<EventData xmlns="x"><Data Name="TargetUserName">bob &amp; co</Data><Data Name="Empty" /><Data Name="IpAddress">10.1.1.1</Data></EventData>')).toEqual({
      TargetUserName: 'bob & co',
      Empty: null,
      IpAddress: '10.1.1.1',
    });
    expect(expandEventData('not data')).toEqual({});
    expect(expandEventData('{broken')).toEqual({});
  });
});

describe('Suricata EVE and Zeek JSON', () => {
  it('maps an alert: dataset, severity 1..3, signature, addresses', () => {
    const c = mapJsonRecord({
      timestamp: '2016-07-13T22:42:07.573103+0000',
      flow_id: 1842518484266121,
      event_type: 'alert',
      src_ip: '82.165.177.154',
      src_port: 80,
      dest_ip: '10.16.1.11',
      dest_port: 54186,
      proto: 'TCP',
      app_proto: 'http',
      alert: { action: 'allowed', signature_id: 2100498, signature: 'GPL ATTACK_RESPONSE id check returned root', severity: 2 },
      http: { status: 200 },
    });
    expect(c).toMatchObject({
      ts: '2016-07-13T22:42:07.573103Z',
      dataset: 'suricata.alert',
      event_code: 'alert',
      severity: 'medium',
      message: 'GPL ATTACK_RESPONSE id check returned root',
      src_ip: '82.165.177.154',
      dst_port: 54186,
      protocol: 'http',
      action: 'alert',
      outcome: null,
    });
    expect(mapJsonRecord({ event_type: 'alert', timestamp: 't', src_ip: '1.1.1.1', alert: { severity: 1, action: 'blocked' } })).toMatchObject({ severity: 'high', outcome: 'failure' });
    expect(mapJsonRecord({ event_type: 'alert', timestamp: 't', src_ip: '1.1.1.1', alert: { severity: 3 } }).severity).toBe('low');
  });

  it('summarises dns and flow records, ignoring app_proto "failed"', () => {
    expect(mapJsonRecord({ event_type: 'dns', timestamp: 't', src_ip: '1.1.1.1', proto: 'UDP', dns: { type: 'query', rrname: 'example.com', rrtype: 'A' } })).toMatchObject({
      dataset: 'suricata.dns',
      message: 'example.com A',
      protocol: 'udp',
      action: 'dns-query',
    });
    expect(mapJsonRecord({ event_type: 'flow', timestamp: 't', src_ip: '1.1.1.1', proto: 'TCP', app_proto: 'failed', flow: { state: 'closed' } })).toMatchObject({
      message: 'TCP failed closed',
      protocol: 'tcp',
    });
  });

  it('reads both Zeek JSON spellings and a path from context', () => {
    const dotted = mapJsonRecord({ _path: 'ssh', ts: '2018-03-24T17:16:39.739898Z', uid: 'C1', 'id.orig_h': '10.0.0.227', 'id.orig_p': 59849, 'id.resp_h': '10.47.8.50', 'id.resp_p': 22, auth_success: false });
    expect(dotted).toMatchObject({ dataset: 'zeek.ssh', src_ip: '10.0.0.227', dst_port: 22, protocol: 'ssh', outcome: 'failure', action: 'ssh-login' });
    const under = mapJsonRecord({ '@stream': 'conn', ts: 1588205198.89971, uid: 'C2', id_orig_h: '10.0.1.4', id_orig_p: 64842, id_resp_h: '10.0.0.4', id_resp_p: 53, proto: 'udp' });
    expect(under).toMatchObject({ ts: '2020-04-30T00:06:38.899710Z', dataset: 'zeek.conn', src_ip: '10.0.1.4', dst_port: 53, protocol: 'udp' });
    const nested = mapJsonRecord({ ts: 1.5, uid: 'C3', id: { orig_h: '1.1.1.1', orig_p: 1, resp_h: '2.2.2.2', resp_p: 2 } }, { family: 'zeek', path: 'conn' });
    expect(nested).toMatchObject({ dataset: 'zeek.conn', src_ip: '1.1.1.1', dst_ip: '2.2.2.2' });
    expect(detectJsonFamily({ ts: 1, uid: 'C', id: { orig_h: 'x' } })).toBe('zeek');
  });

  it('maps a systemd journal export (journalctl -o json): microsecond times, priority, auth facility', () => {
    const rec = {
      __CURSOR: 's=1;i=2',
      __REALTIME_TIMESTAMP: '1668381071123456',
      _HOSTNAME: 'web1',
      SYSLOG_FACILITY: '10',
      SYSLOG_IDENTIFIER: 'sshd',
      _COMM: 'sshd',
      _EXE: '/usr/sbin/sshd',
      _PID: '4242',
      PRIORITY: '6',
      MESSAGE: 'Failed password for root from 203.0.113.9 port 52311 ssh2',
    };
    expect(detectJsonFamily(rec)).toBe('journald');
    expect(mapJsonRecord(rec)).toMatchObject({
      ts: '2022-11-13T23:11:11.123456Z',
      dataset: 'linux.auth',
      host: 'web1',
      event_code: 'sshd',
      severity: 'informational',
      message: 'Failed password for root from 203.0.113.9 port 52311 ssh2',
      process: '/usr/sbin/sshd',
    });
    // The source's own time first; no facility: the system log; priority 3 is an error.
    const kernel = mapJsonRecord({ __REALTIME_TIMESTAMP: '1668381071000000', _SOURCE_REALTIME_TIMESTAMP: '1668381070500000', MESSAGE: 'oops', PRIORITY: '3', _TRANSPORT: 'kernel' });
    expect(kernel).toMatchObject({ ts: '2022-11-13T23:11:10.500Z', dataset: 'linux.syslog', severity: 'high', process: null });
  });

  it('falls back to the generic family with loose names', () => {
    const c = mapJsonRecord({ '@timestamp': '2022-02-18T17:34:57Z', 'Source IP': '177.131.167.145', UserName: 'bob', Message: 'hello', level: 'WARNING' });
    expect(c).toMatchObject({ dataset: 'json', ts: '2022-02-18T17:34:57.000Z', src_ip: '177.131.167.145', user: 'bob', message: 'hello', severity: 'medium' });
  });
});

/** The mapping description must stay translatable to SQL: these are the rules the SQL generator relies on. */
describe('the mapping as data', () => {
  const all: Array<[string, CoreMapping]> = [...Object.entries(JSON_CORE_MAPPINGS), ...Object.entries(CSV_CORE_MAPPINGS)];

  const walk = (e: MapExpr, visit: (x: MapExpr) => void): void => {
    visit(e);
    switch (e.kind) {
      case 'first':
        e.of.forEach((x) => walk(x, visit));
        break;
      case 'lookup':
        walk(e.of, visit);
        if (e.otherwise) walk(e.otherwise, visit);
        break;
      case 'switch':
        walk(e.on, visit);
        Object.values(e.cases).forEach((x) => walk(x, visit));
        if (e.otherwise) walk(e.otherwise, visit);
        break;
      case 'concat':
        e.parts.forEach((p) => typeof p !== 'string' && walk(p, visit));
        break;
      case 'lower':
      case 'replace':
      case 'band':
        walk(e.of, visit);
        break;
      default:
        break;
    }
  };

  it.each(all)('%s: one expression per core column, references only to earlier columns, SQL-safe patterns', (_name, m) => {
    expect(Object.keys(m.columns).sort()).toEqual([...CORE_COLUMNS].sort());
    CORE_COLUMNS.forEach((col, i) => {
      walk(m.columns[col], (x) => {
        if (x.kind === 'core') expect(CORE_COLUMNS.indexOf(x.column)).toBeLessThan(i);
        if (x.kind === 'field') {
          expect(x.names.length).toBeGreaterThan(0);
          for (const n of x.names) expect(n.length).toBeGreaterThan(0);
        }
        if (x.kind === 'lookup') for (const k of Object.keys(x.table)) expect(k).toBe(k.toLowerCase());
        if (x.kind === 'switch') for (const k of Object.keys(x.cases)) expect(k).toBe(k.toLowerCase());
        if (x.kind === 'replace') {
          expect(() => new RegExp(x.pattern)).not.toThrow();
          // RE2 (DuckDB) has no lookaround and no backreferences in patterns.
          expect(x.pattern).not.toMatch(/\(\?<?[=!]|\\[1-9]/);
        }
      });
    });
  });
});

describe.skipIf(corpusMissing('ndjson'))('OTRF datasets', () => {
  it('maps every Windows record of every OTRF zip with a time, a dataset and an event code', () => {
    const zips = corpusFiles().filter((f) => f.startsWith('ndjson/otrf/') && f.endsWith('.zip'));
    let n = 0;
    const datasets = new Set<string>();
    for (const z of zips) {
      for (const m of zipMemberHeads(z, 4 << 20)) {
        if (!m.name.endsWith('.json')) continue;
        const lines = m.head.toString('utf8').split('\n');
        lines.pop(); // may be cut by the 4 MiB head
        for (const l of lines) {
          if (!l.trim()) continue;
          const obj = JSON.parse(l) as Record<string, unknown>;
          if (detectJsonFamily(obj) !== 'windows') continue;
          const c = mapJsonRecord(flattenRecord(obj), 'windows');
          n++;
          datasets.add(c.dataset);
          if (c.ts === null || c.event_code === null) throw new Error(`${z}!${m.name}: unmapped record ${l.slice(0, 200)}`);
        }
      }
    }
    expect(n).toBeGreaterThan(15_000);
    expect([...datasets]).toEqual(expect.arrayContaining(['windows.security', 'sysmon', 'windows.powershell', 'windows.system', 'windows.application']));
  });
});
