import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLineParser } from '../../../src/main/engine/ingest/formats';
import { parseIdsSlgLine, parseSlgAccessLine, SlgEndpointParser } from '../../../src/main/engine/ingest/formats/ids-slg';
import { corpusMissing, corpusPath } from '../../corpus';
import { feed, ok, rejected } from './helpers';

const SLG = 'ids/security-log-generator';

describe('Security Log Generator IDS lines', () => {
  it('reads severity, protocol, flow, flag and attack', () => {
    const r = ok(parseIdsSlgLine('2023-07-23 21:36:36,227 - ids_logger_1 - critical_severity - TCP - 61.72.88.110:57020 --> 179.34.191.24:18059 - SYN - Denial of service (DoS)'));
    expect(r.fields).toEqual({
      timestamp: '2023-07-23 21:36:36,227',
      logger: 'ids_logger_1',
      severity: 'critical_severity',
      protocol: 'TCP',
      source: '61.72.88.110:57020',
      destination: '179.34.191.24:18059',
      flag: 'SYN',
      attack_type: 'Denial of service (DoS)',
    });
    expect(r.core).toMatchObject({
      ts: '2023-07-23T21:36:36.227Z',
      dataset: 'ids',
      severity: 'critical',
      protocol: 'tcp',
      src_ip: '61.72.88.110',
      src_port: 57020,
      dst_ip: '179.34.191.24',
      dst_port: 18059,
      event_code: 'Denial of service (DoS)',
      action: 'alert',
      message: 'Denial of service (DoS) (TCP SYN)',
    });
  });

  it('keeps " - " inside the attack name and reads the local zone', () => {
    const r = ok(parseIdsSlgLine('2023-01-01 12:00:00,123 - ids_logger_1 - low_severity - UDP - 1.2.3.4:1 --> 5.6.7.8:2 - ACK - A - B', { tz: 'Europe/Berlin' }));
    expect(r.fields.attack_type).toBe('A - B');
    expect(r.core.ts).toBe('2023-01-01T11:00:00.123Z');
  });

  it('rejects other shapes with a reason', () => {
    expect(rejected(parseIdsSlgLine('2023-01-01 12:00:00,123 - ids_logger_1 - low'))).toMatch(/7 " - "-separated parts/);
    expect(rejected(parseIdsSlgLine('2023-01-01 12:00:00,123 - l - low_severity - TCP - 1.2.3.4 5.6.7.8 - SYN - x'))).toMatch(/flow/);
  });

  it.skipIf(corpusMissing(SLG))('reads every IDS and security log line of the corpus', () => {
    for (const f of ['logs/ids.log', 'history/ids_log_sample.log', 'history/security_log_sample.log']) {
      const text = readFileSync(corpusPath(SLG, f), 'utf8');
      const { records, errors } = feed(createLineParser('ids-slg'), text);
      expect(errors).toEqual([]);
      expect(records.length).toBe(text.split('\n').filter((l) => l.trim()).length);
      expect(records.every((r) => r.core.severity !== null && r.core.src_ip !== null && r.core.dst_port !== null && r.core.ts !== null)).toBe(true);
    }
  });
});

describe('Security Log Generator access lines', () => {
  it('splits the quoted request-with-status and keeps spaces in the referrer', () => {
    const r = ok(
      parseSlgAccessLine(
        '[2023-01-12 12:20:47,973] - access_logger_1 - 191.246.244.134 - justin "TRACE blog HTTPS/2.0 400 37140 http://mcclain.netblog.htm?userparam=Stacey Nichols&id2=40142" "Mozilla/5.0 (Windows NT 6.1)"',
      ),
    );
    expect(r.fields).toMatchObject({ 'c-ip': '191.246.244.134', 'cs-username': 'justin', 'cs-method': 'TRACE', 'cs-uri': 'blog', 'cs-version': 'HTTPS/2.0', 'sc-status': 400, 'sc-bytes': 37140, 'cs-referer': 'http://mcclain.netblog.htm?userparam=Stacey Nichols&id2=40142', 'cs-user-agent': 'Mozilla/5.0 (Windows NT 6.1)' });
    expect(r.core).toMatchObject({ ts: '2023-01-12T12:20:47.973Z', dataset: 'web.access', user: 'justin', src_ip: '191.246.244.134', outcome: 'failure' });
  });

  it.skipIf(corpusMissing(SLG))('reads every access line of the corpus', () => {
    for (const f of ['logs/access.log', 'history/log_samples/access_log_sample.log']) {
      const text = readFileSync(corpusPath(SLG, f), 'utf8');
      const { records, errors } = feed(createLineParser('slg-access'), text);
      expect(errors).toEqual([]);
      expect(records.length).toBe(text.split('\n').filter((l) => l.trim()).length);
    }
  });
});

describe('Security Log Generator endpoint records', () => {
  it('joins Key: Value lines into one record, reported at its first line', () => {
    const text = [
      'Date: 2023-07-23 21:25:18,578 ',
      'Event Type: Malware Detected',
      'File Name: explorer.exe',
      'File Path: C:\\Users\\ashley\\explorer.exe',
      "Threat Name: ['Backdoor.Win32.Example']",
      'Action Taken: Quarantine',
      'User: daniel',
      'Computer: XLWZAYAO25',
      'Date: 2023-07-23 21:25:18,623 ',
      'Event Type: Scan Started',
      'Scan Type: Quick Scan',
      'User: john',
      'Computer: BNZBIDYJ82',
    ].join('\n');
    const { records, errors } = feed(new SlgEndpointParser(), text);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(2);
    expect(records[0]?.pos).toBe(1);
    expect(records[1]?.pos).toBe(9);
    expect(records[0]?.raw?.split('\n')).toHaveLength(8);
    expect(records[0]?.fields).toMatchObject({ 'Event Type': 'Malware Detected', 'File Name': 'explorer.exe', 'Action Taken': 'Quarantine' });
    expect(records[0]?.core).toMatchObject({ ts: '2023-07-23T21:25:18.578Z', dataset: 'endpoint', action: 'malware-detected', severity: 'high', user: 'daniel', host: 'XLWZAYAO25', process: 'explorer.exe' });
    expect(records[1]?.core).toMatchObject({ action: 'scan-started', severity: 'informational' });
  });

  it('rejects lines outside a record and non Key: Value lines', () => {
    const { errors } = feed(new SlgEndpointParser(), 'User: nobody\nDate: 2023-01-01 00:00:00,000\nthis is not a pair\n');
    expect(errors.map((e) => e.line)).toEqual([1, 3]);
  });

  it.skipIf(corpusMissing(SLG))('reads the endpoint log: one record per Date line', () => {
    const text = readFileSync(corpusPath(SLG, 'logs/endpoint.log'), 'utf8');
    const { records, errors } = feed(createLineParser('slg-endpoint'), text);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(text.split('\n').filter((l) => l.startsWith('Date: ')).length);
    expect(records.every((r) => r.core.ts !== null && r.core.action !== null)).toBe(true);
  });
});
