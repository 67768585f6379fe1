import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLineParser } from '../../../src/main/engine/ingest/formats';
import { IisW3cParser } from '../../../src/main/engine/ingest/formats/iis-w3c';
import { sniffFormat } from '../../../src/main/engine/ingest/sniff';
import { parseWebAccessLine } from '../../../src/main/engine/ingest/formats/web-access';
import { parseWebErrorLine } from '../../../src/main/engine/ingest/formats/web-error';
import { corpusMissing, corpusPath } from '../../corpus';
import { feed, ok, rejected } from './helpers';

describe('Apache / nginx access logs', () => {
  it('reads a combined line into Sigma webserver field names', () => {
    const r = ok(
      parseWebAccessLine(
        '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png?x=1&y=2 HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/" "Mozilla/5.0 (Macintosh)"',
      ),
    );
    expect(r.fields).toMatchObject({
      'c-ip': '83.149.9.216',
      ident: null,
      'cs-username': null,
      'cs-method': 'GET',
      'cs-uri': '/presentations/logstash-monitorama-2013/images/kibana-search.png?x=1&y=2',
      'cs-uri-stem': '/presentations/logstash-monitorama-2013/images/kibana-search.png',
      'cs-uri-query': 'x=1&y=2',
      'cs-version': 'HTTP/1.1',
      'sc-status': 200,
      'sc-bytes': 203023,
      'cs-referer': 'http://semicomplete.com/presentations/',
      'cs-user-agent': 'Mozilla/5.0 (Macintosh)',
      extra: null,
    });
    expect(r.core).toMatchObject({ ts: '2015-05-17T10:05:03.000Z', dataset: 'web.access', src_ip: '83.149.9.216', event_code: '200', protocol: 'http', action: 'http-request', outcome: 'success' });
  });

  it('reads the common format, users, "-" sizes and failures', () => {
    const r = ok(parseWebAccessLine('192.168.105.83 - tomcat [11/Jul/2018:08:41:28 +0300] "GET /manager/html HTTP/1.1" 401 -'));
    expect(r.fields).toMatchObject({ 'cs-username': 'tomcat', 'sc-bytes': null, 'cs-referer': null, 'cs-user-agent': null });
    expect(r.core).toMatchObject({ ts: '2018-07-11T05:41:28.000Z', user: 'tomcat', outcome: 'failure' });
  });

  it('unescapes \\" in the request, keeps empty and non-HTTP requests, and extra fields', () => {
    const esc = ok(parseWebAccessLine('1.2.3.4 - - [20/Jan/2015:19:53:28 +0100] "GET /a\\"b HTTP/1.1" 404 47 "-" "agent \\"x\\"" "-"'));
    expect(esc.fields).toMatchObject({ 'cs-uri': '/a"b', 'cs-user-agent': 'agent "x"', extra: '"-"' });
    const empty = ok(parseWebAccessLine('12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] "" 400 47 "-" "-" "-"'));
    expect(empty.fields).toMatchObject({ request: '', 'cs-method': null, 'sc-status': 400 });
    const tls = ok(parseWebAccessLine('1.2.3.4 - - [20/Jan/2015:19:53:28 +0100] "\\x16\\x03\\x01" 400 0'));
    expect(tls.fields['cs-method']).toBeNull();
    const v6 = ok(parseWebAccessLine('2001:db8::1 - - [20/Jan/2015:19:53:28 +0100] "GET / HTTP/2.0" 200 1'));
    expect(v6.core.src_ip).toBe('2001:db8::1');
  });

  it('keeps a record whose time does not parse, with a warning', () => {
    const r = ok(parseWebAccessLine('175.18.15.10 -  -  [02/sept./2015:00:11:31 +0200] "GET /openhab.app HTTP/1.1" 401 1382'));
    expect(r.core.ts).toBeNull();
    expect(r.warnings?.[0]).toMatch(/did not parse/);
  });

  it('rejects what is not an access line, with reasons', () => {
    expect(rejected(parseWebAccessLine('hello world'))).toMatch(/not an access log line/);
    expect(rejected(parseWebAccessLine('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] GET / 200 1'))).toMatch(/quoted/);
    expect(rejected(parseWebAccessLine('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /"><script>foo</script> 200 1'))).toMatch(/status/);
    expect(rejected(parseWebAccessLine('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 lots'))).toMatch(/size/);
    expect(rejected(parseWebAccessLine('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.0" 200 1'))).toMatch(/not closed/);
  });

  it.skipIf(corpusMissing('web'))('reads all 10,000 lines of the elastic Apache sample', () => {
    const text = readFileSync(corpusPath('web/elastic-examples/apache_logs/apache_logs'), 'utf8');
    const { records, errors } = feed(createLineParser('web-access'), text);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(10_000);
    expect(records.every((r) => r.core.ts !== null && r.core.src_ip !== null)).toBe(true);
  });

  it.skipIf(corpusMissing('web'))('reads the webshell attack log, rejecting only its two injected lines', () => {
    const text = readFileSync(corpusPath('web/EVTX-ATTACK-SAMPLES/Command and Control/web_attack_and_isp_webshell_localhost_access_log.txt'), 'latin1');
    const { records, errors } = feed(createLineParser('web-access'), text);
    expect(records.length).toBe(2659);
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => /status/.test(e.error))).toBe(true);
  });
});

describe('IIS W3C', () => {
  it('takes names from #Fields, follows a mid-file header change and rejects mismatched lines', () => {
    const p = new IisW3cParser();
    const text = [
      '#Software: Microsoft Internet Information Services 10.0',
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status time-taken',
      '2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy&port=3389 80 - 10.0.2.17 Mozilla/5.0+(Windows) 200 7',
      '2019-09-03 10:13:37 10.0.2.15 GET /erp/conn.aspx - 80 bob 10.0.2.17 - 500',
      '#Fields: date time c-ip sc-status',
      '2019-09-03 10:14:00 10.0.2.99 404',
    ].join('\n');
    const { records, errors, skips } = feed(p, text);
    expect(skips).toBe(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toMatch(/11 values but #Fields names 12/);
    expect(records).toHaveLength(2);
    expect(records[0]?.fields).toMatchObject({ 'cs-uri-query': 'proxy&port=3389', 's-port': 80, 'cs-username': null, 'cs(User-Agent)': 'Mozilla/5.0+(Windows)', 'sc-status': 200, 'time-taken': 7 });
    expect(records[0]?.core).toMatchObject({ ts: '2019-09-03T10:13:36.000Z', src_ip: '10.0.2.17', dst_ip: '10.0.2.15', dst_port: 80, outcome: 'success', message: 'GET /erp/conn.aspx?proxy&port=3389 200' });
    expect(records[1]?.core).toMatchObject({ src_ip: '10.0.2.99', outcome: 'failure' });
  });

  it('reads the Windows Firewall log (pfirewall.log) as connections in the local zone', () => {
    const text = [
      '#Version: 1.5',
      '#Software: Microsoft Windows Firewall',
      '#Time Format: Local',
      '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid',
      '',
      '2024-03-01 10:00:01 DROP TCP 203.0.113.5 10.0.0.4 51515 3389 52 S 123 0 64240 - - - RECEIVE 4',
      '2024-03-01 10:00:02 ALLOW UDP 10.0.0.4 8.8.8.8 5353 53 0 - - - - - - - SEND 1234',
    ].join('\r\n');
    expect(sniffFormat(Buffer.from(text)).format).toBe('iis-w3c');
    const { records, errors } = feed(new IisW3cParser({ tz: 'Europe/Berlin' }), text.replaceAll('\r', ''));
    expect(errors).toEqual([]);
    expect(records.map((r) => r.core)).toEqual([
      expect.objectContaining({ ts: '2024-03-01T09:00:01.000Z', dataset: 'windows.firewall', src_ip: '203.0.113.5', src_port: 51515, dst_ip: '10.0.0.4', dst_port: 3389, protocol: 'tcp', action: 'drop', outcome: 'failure', event_code: 'DROP', message: 'DROP TCP 203.0.113.5:51515 -> 10.0.0.4:3389 RECEIVE' }),
      expect.objectContaining({ dataset: 'windows.firewall', action: 'allow', outcome: 'success', protocol: 'udp', dst_port: 53 }),
    ]);
    expect(records[1]?.fields).toMatchObject({ action: 'ALLOW', 'src-ip': '10.0.0.4', path: 'SEND', pid: '1234' });
  });

  it('rejects data before any #Fields', () => {
    expect(rejected(new IisW3cParser().line('2019-09-03 10:13:36 1.2.3.4'))).toMatch(/before any #Fields/);
  });

  it.skipIf(corpusMissing('web'))('reads the Tunna IIS log completely', () => {
    const text = readFileSync(corpusPath('web/EVTX-ATTACK-SAMPLES/Command and Control/Tunna_rdp_tunnel_IIS.log'), 'utf8');
    const { records, errors } = feed(createLineParser('iis-w3c'), text);
    expect(errors).toEqual([]);
    expect(records.length).toBeGreaterThan(4000);
    expect(records.filter((r) => String(r.fields['cs-uri-query']).includes('port=3389')).length).toBeGreaterThan(0);
  });
});

describe('web server error logs', () => {
  it('reads Apache 2.2 and 2.4 lines', () => {
    const a22 = ok(parseWebErrorLine('[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] mod_jk child workerEnv in error state 6'));
    expect(a22.fields).toMatchObject({ level: 'error', client: '1.2.3.4', message: 'mod_jk child workerEnv in error state 6' });
    expect(a22.core).toMatchObject({ ts: '2005-12-04T04:47:44.000Z', dataset: 'web.error', severity: 'high', src_ip: '1.2.3.4', process: 'apache' });
    const a24 = ok(parseWebErrorLine('[Thu Jun 27 11:55:44.569531 2013] [core:info] [pid 4101:tid 2992634688] [client 192.0.2.12:46652] AH00128: File does not exist: /xxx/~'));
    expect(a24.fields).toMatchObject({ module: 'core', level: 'info', pid: '4101', tid: '2992634688', error_code: 'AH00128', message: 'File does not exist: /xxx/~' });
    expect(a24.core).toMatchObject({ ts: '2013-06-27T11:55:44.569531Z', event_code: 'AH00128', severity: 'informational', src_ip: '192.0.2.12', src_port: 46652 });
    expect(ok(parseWebErrorLine('[Mon Mar 28 16:50:49.522240 2016] [:error] [pid 1795] [client 10.1.1.1:50700] WAR x')).fields.level).toBe('error');
  });

  it('reads nginx lines with their trailing pairs', () => {
    const r = ok(
      parseWebErrorLine(
        '2012/04/09 11:53:36 [error] 2865#0: *66647 user "xyz": password mismatch, client: 192.0.43.10, server: www.myhost.com, request: "GET / HTTP/1.1", host: "www.myhost.com"',
      ),
    );
    expect(r.fields).toMatchObject({ level: 'error', pid: '2865', tid: '0', connection: '66647', message: 'user "xyz": password mismatch', client: '192.0.43.10', server: 'www.myhost.com', request: 'GET / HTTP/1.1', host: 'www.myhost.com' });
    expect(r.core).toMatchObject({ ts: '2012-04-09T11:53:36.000Z', src_ip: '192.0.43.10', process: 'nginx' });
  });

  it('rejects lines of other shapes', () => {
    expect(rejected(parseWebErrorLine('[2018-10-27 01:40:55] [girst] failed to login from 1.2.3.4'))).toMatch(/no \[level\]/);
    expect(rejected(parseWebErrorLine('Feb 15 16:23:00 srv httpd[22034]: [authz_core:error]'))).toMatch(/not an Apache or nginx/);
  });

  it.skipIf(corpusMissing('web'))('reads the loghub Apache error log completely', () => {
    const text = readFileSync(corpusPath('web/loghub/Apache/Apache_2k.log'), 'utf8');
    const { records, errors } = feed(createLineParser('web-error'), text);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(2000);
    expect(records.filter((r) => r.core.severity === 'high').length).toBe(text.split('\n').filter((l) => l.includes('] [error] ')).length);
  });
});
