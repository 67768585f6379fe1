import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_COLUMNS, type CoreFields } from '../../../src/shared/events';
import { Case } from '../../../src/main/engine/case/case';
import { queryRows } from '../../../src/main/engine/db/sql';
import { insertEvidence } from '../../../src/main/engine/ingest/evidence-store';
import { flattenRecord, mapFlatRecord, type JsonFamily } from '../../../src/main/engine/ingest/format-support';
import { loadJsonWithDuckDB } from '../../../src/main/engine/ingest/json-loader';
import { tempDir } from '../../helpers';

/**
 * The JSON core mapping is written once, as data, and run two ways: compiled
 * to SQL for DuckDB (the fast path) and evaluated in JavaScript (the
 * record-by-record fallback). The same records must give the same core.
 */
const RECORDS: Record<JsonFamily, Array<Record<string, unknown>>> = {
  windows: [
    { EventID: 4625, Channel: 'Security', Hostname: 'DC01.corp', TimeCreated: '2024-03-01T10:00:00.123Z', Level: '0', TargetUserName: 'bob', IpAddress: '192.168.001.010', IpPort: '51515', LogonType: '3' },
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: 'WS1', UtcTime: '2024-03-01 10:00:01.000', Image: 'C:\\Windows\\cmd.exe', CommandLine: 'cmd /c whoami', EventData: { ParentImage: 'explorer.exe' } },
    { EventID: 4104, Channel: 'Microsoft-Windows-PowerShell/Operational', Hostname: 'WS2', TimeCreated: 'garbage', ScriptBlockText: 'IEX (New-Object Net.WebClient)', Level: '3' },
    { EventID: 4624, Channel: 'Security', Hostname: 'DC01', '@timestamp': '2024-03-01T10:00:02Z', SubjectUserName: '-', TargetUserName: 'alice', IpAddress: '-' },
  ],
  suricata: [
    { timestamp: '2018-03-24T05:35:05.558745+0000', flow_id: 1, event_type: 'alert', src_ip: '10.0.0.5', src_port: 4444, dest_ip: '8.8.8.8', dest_port: 53, proto: 'UDP', app_proto: 'dns', alert: { signature: 'ET TEST', severity: 1, action: 'allowed' } },
    { timestamp: '2018-03-24T05:35:06.000000+0000', flow_id: 2, event_type: 'http', src_ip: '2001:0db8::0001', src_port: 80, dest_ip: '10.0.0.6', dest_port: 51000, proto: 'TCP', app_proto: 'http', http: { hostname: 'example.com', url: '/x', http_method: 'GET', status: 404 } },
    { timestamp: '2018-03-24T05:35:07Z', event_type: 'flow', src_ip: '10.0.0.7', dest_ip: '10.0.0.8', proto: 'TCP', app_proto: 'failed', flow: { state: 'closed' } },
  ],
  zeek: [
    { _path: 'conn', ts: 1521912990.521263, uid: 'C1', 'id.orig_h': '10.0.0.1', 'id.orig_p': 5353, 'id.resp_h': '224.0.0.251', 'id.resp_p': 5353, proto: 'udp', service: 'dns', conn_state: 'S0', history: 'D' },
    { _path: 'dns', ts: 1521912991.5, uid: 'C2', 'id.orig_h': '10.0.0.2', 'id.orig_p': 1000, 'id.resp_h': '10.0.0.53', 'id.resp_p': 53, query: 'example.org', qtype_name: 'A', rcode_name: 'NXDOMAIN' },
    { '@stream': 'http', ts: '2020-05-01T04:48:00.000Z', uid: 'C3', id_orig_h: '10.0.0.3', id_orig_p: 2000, id_resp_h: '10.0.0.80', id_resp_p: 80, method: 'GET', host: 'h', uri: '/', status_code: 200, username: 'u1' },
  ],
  journald: [
    { __REALTIME_TIMESTAMP: '1668381071123456', _HOSTNAME: 'web1', SYSLOG_FACILITY: '10', SYSLOG_IDENTIFIER: 'sshd', _EXE: '/usr/sbin/sshd', PRIORITY: '5', MESSAGE: 'Failed password for root' },
    { __REALTIME_TIMESTAMP: '1668381072000000', _SOURCE_REALTIME_TIMESTAMP: '1668381071500000', _TRANSPORT: 'kernel', PRIORITY: '2', MESSAGE: 'Out of memory' },
  ],
  cloudtrail: [
    {
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', principalId: 'AIDA1', arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012', userName: 'alice' },
      eventTime: '2024-03-01T10:00:00Z',
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.7',
      responseElements: { ConsoleLogin: 'Failure' },
      errorMessage: 'Failed authentication',
      recipientAccountId: '123456789012',
    },
    { userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/r/i-0abc' }, eventTime: '2024-03-01T10:05:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', awsRegion: 'eu-west-1', sourceIPAddress: 'ec2.amazonaws.com', errorCode: 'Client.UnauthorizedOperation' },
    { userIdentity: { type: 'Root', accountId: '123456789012' }, eventTime: '2024-03-01T10:06:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.9' },
  ],
  generic: [
    { '@timestamp': '2024-01-01T00:00:00Z', host: 'h1', level: 'warning', message: 'disk almost full', user: 'root', src_ip: '1.2.3.4', action: 'Write' },
    { time: 1704067200000, hostname: 'h2', severity: 'err', msg: 'boom', outcome: 'FAILED' },
    { message: 'no time at all', ip: 'not-an-ip', src_port: '99999' },
  ],
};

let tmp: ReturnType<typeof tempDir>;
let kase: Case;
beforeAll(async () => {
  tmp = tempDir('loupe-coresql-');
  kase = await Case.create(join(tmp.dir, 'case'));
  mkdirSync(join(tmp.dir, 'in'));
});
afterAll(() => {
  kase.close();
  tmp.cleanup();
});

function normalise(col: keyof CoreFields, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (col === 'ts') return new Date(String(v)).toISOString();
  return v;
}

describe('JSON core mapping: SQL and JavaScript agree', () => {
  let evidenceId = 0;
  for (const family of Object.keys(RECORDS) as JsonFamily[]) {
    it(family, async () => {
      const id = ++evidenceId;
      const file = join(tmp.dir, 'in', `${family}.json`);
      writeFileSync(file, RECORDS[family].map((r) => JSON.stringify(r)).join('\n'));
      const conn = await kase.connect();
      try {
        await insertEvidence(conn, { id, parentId: null, importId: 1, path: file, origin: file, member: null, kind: 'file', sha256: null, size: 0, mtime: null, tz: null, status: 'importing' });
        const r = await loadJsonWithDuckDB({ conn, file, shape: 'ndjson', family, zeekPath: null, tz: null, evidenceId: id, idBase: id * 1000, maxColumns: 500, finalize: async () => undefined });
        expect(r).toMatchObject({ ok: true, rows: RECORDS[family].length });
        const rows = await queryRows(conn, `SELECT * FROM events WHERE evidence_id = ${id} ORDER BY pos`);
        RECORDS[family].forEach((rec, i) => {
          const js = mapFlatRecord(flattenRecord(rec), family);
          const sqlRow = rows[i] as Record<string, unknown>;
          for (const col of CORE_COLUMNS) expect(normalise(col, sqlRow[col]), `${family} record ${i + 1} ${col}`).toEqual(normalise(col, js[col]));
        });
      } finally {
        kase.release(conn);
      }
    });
  }
});
