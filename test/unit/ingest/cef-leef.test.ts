import { describe, expect, it } from 'vitest';
import { CefLeefParser, cefSeverity, parseCefExtension } from '../../../src/main/engine/ingest/formats/cef-leef';
import { ok, rejected } from './helpers';

describe('CEF', () => {
  const p = new CefLeefParser({ year: 2024 });

  it('reads header and extension, mapping the usual keys to core', () => {
    const r = ok(
      p.parseCef(
        'CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 dpt=445 proto=TCP suser=alice act=blocked outcome=/Success rt=1577836800000 dvchost=fw01 msg=Worm stopped on port 445',
      ),
    );
    expect(r.fields).toMatchObject({
      cef_version: 0,
      device_vendor: 'Security',
      device_product: 'threatmanager',
      device_version: '1.0',
      signature_id: '100',
      name: 'worm successfully stopped',
      cef_severity: '10',
      src: '10.0.0.1',
      dpt: '445',
      msg: 'Worm stopped on port 445',
    });
    expect(r.core).toMatchObject({
      ts: '2020-01-01T00:00:00.000Z',
      dataset: 'cef',
      host: 'fw01',
      event_code: '100',
      severity: 'critical',
      message: 'worm successfully stopped: Worm stopped on port 445',
      src_ip: '10.0.0.1',
      src_port: 1232,
      dst_ip: '2.1.2.2',
      dst_port: 445,
      protocol: 'tcp',
      user: 'alice',
      action: 'blocked',
      outcome: 'success',
    });
  });

  it('unescapes \\| and \\\\ in the header and \\= \\\\ \\n in values; = in URLs stays in the value', () => {
    const r = ok(p.parseCef('CEF:0|Ven\\|dor|Prod\\\\uct|1|sig|Name with | pipe escaped\\|ok|5|msg=a\\=b c\\\\d\\nnext request=http://x/?a=b&c=d cs1Label=My Label cs1=some value here'));
    expect(r.fields.device_vendor).toBe('Ven|dor');
    expect(r.fields.device_product).toBe('Prod\\uct');
    expect(r.fields.name).toBe('Name with ');
    expect(r.fields.cef_severity).toBe(' pipe escaped|ok');
    expect(rejected(p.parseCef('CEF:0|a|b|c|d|e'))).toMatch(/7 "\|"-separated/);
    const e = parseCefExtension('msg=a\\=b c\\\\d\\nnext request=http://x/?a=b&c=d cs1Label=My Label cs1=some value here');
    expect(e).toEqual([
      ['msg', 'a=b c\\d\nnext'],
      ['request', 'http://x/?a=b&c=d'],
      ['cs1Label', 'My Label'],
      ['cs1', 'some value here'],
    ]);
  });

  it('reads a syslog prefix for time and host when the record has none', () => {
    const r = ok(p.parseCef('<134>Sep 19 08:26:10 host-a CEF:0|Vendor|IDS|2|4000|Port scan|Medium|src=192.0.2.9'));
    expect(r.fields).toMatchObject({ syslog_timestamp: 'Sep 19 08:26:10', syslog_host: 'host-a' });
    expect(r.core).toMatchObject({ ts: '2024-09-19T08:26:10.000Z', host: 'host-a', severity: 'medium', src_ip: '192.0.2.9' });
  });

  it('maps CEF severities to the Sigma scale', () => {
    expect([0, 3, 4, 6, 7, 8, 9, 10].map((n) => cefSeverity(String(n)))).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
    expect(cefSeverity('Very-High')).toBe('critical');
    expect(cefSeverity('11')).toBeNull();
    expect(cefSeverity('')).toBeNull();
  });

  it('reads rt as a date text too', () => {
    expect(ok(p.parseCef('CEF:0|V|P|1|s|n|1|rt=Sep 19 2023 08:26:10 UTC')).core.ts).toBe('2023-09-19T08:26:10.000Z');
  });
});

describe('LEEF', () => {
  const p = new CefLeefParser({ year: 2024 });

  it('reads LEEF 1.0 with tab-separated attributes', () => {
    const r = ok(p.parseLeef('LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1\tdst=2.10.20.20\tsrcPort=1234\tdstPort=443\tusrName=joe\tsev=7\tproto=TCP\tdevTime=1577836800000\tcat=Login'));
    expect(r.fields).toMatchObject({ leef_version: '1.0', vendor: 'Microsoft', product: 'MSExchange', product_version: '2016', event_id: '15345', usrName: 'joe' });
    expect(r.core).toMatchObject({ ts: '2020-01-01T00:00:00.000Z', dataset: 'leef', event_code: '15345', severity: 'high', src_ip: '10.50.1.1', dst_ip: '2.10.20.20', src_port: 1234, dst_port: 443, user: 'joe', protocol: 'tcp', message: '15345: Login' });
  });

  it('reads LEEF 2.0 custom delimiters: a character or hex', () => {
    const caret = ok(p.parseLeef('LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5'));
    expect(caret.core).toMatchObject({ src_ip: '10.0.1.8', dst_ip: '10.0.0.5', severity: 'medium' });
    expect(caret.fields.delimiter).toBe('^');
    const hex = ok(p.parseLeef('LEEF:2.0|V|P|1|E|x09|src=1.1.1.1\tdst=2.2.2.2'));
    expect(hex.core.dst_ip).toBe('2.2.2.2');
    expect(rejected(p.parseLeef('LEEF:2.0|V|P|1|E|xyz|src=1.1.1.1'))).toMatch(/delimiter/);
    expect(rejected(p.parseLeef('LEEF:1.0|V|P'))).toMatch(/LEEF 1.0 header/);
    expect(rejected(p.parseLeef('no leef here'))).toMatch(/no "LEEF:"/);
  });
});
