import { describe, expect, it } from 'vitest';
import { createLineParser } from '../../../src/main/engine/ingest/formats';
import { flattenRecord, mapJsonRecord } from '../../../src/main/engine/ingest/formats/json-map';
import { newZeekHeader, applyZeekDirective, unescapeZeek, zeekHeaderFromLines, zeekPathFromFileName, ZeekTsvParser } from '../../../src/main/engine/ingest/formats/zeek-tsv';
import { corpusMissing } from '../../corpus';
import { readMaybeGunzip } from './corpus-read';
import { feed, ok, rejected } from './helpers';

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#open\t2018-03-24-17-15-20',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\tconn_state\tlocal_orig\ttunnel_parents\tnote',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tstring\tbool\tset[string]\tstring',
];

describe('Zeek TSV header', () => {
  it('reads the directives, decoding \\x escapes in the separator', () => {
    const h = zeekHeaderFromLines(HEADER);
    expect(h).toMatchObject({ separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-', path: 'conn', open: '2018-03-24-17-15-20' });
    expect(h.fields?.[2]).toBe('id.orig_h');
    expect(h.types?.[11]).toBe('set[string]');
  });

  it('follows a custom separator', () => {
    const h = newZeekHeader();
    expect(applyZeekDirective('#separator \\x7c', h)).toBe(true);
    expect(applyZeekDirective('#fields|ts|uid', h)).toBe(true);
    expect(h.fields).toEqual(['ts', 'uid']);
    expect(applyZeekDirective('#nonsense|x', h)).toBe(false);
  });

  it('decodes \\xNN and \\\\ in values', () => {
    expect(unescapeZeek('a\\x09b\\x5cc\\\\d')).toBe('a\tb\\c\\d');
  });

  it('finds the log path in file names', () => {
    expect(zeekPathFromFileName('conn.log')).toBe('conn');
    expect(zeekPathFromFileName('dns.15:00:00-16:00:00.log.gz')).toBe('dns');
    expect(zeekPathFromFileName('SCRANTON_smb_files.log')).toBe('smb_files');
    expect(zeekPathFromFileName('conn_json.log')).toBe('conn');
    expect(zeekPathFromFileName('notes.txt')).toBeNull();
  });
});

describe('Zeek TSV rows', () => {
  it('converts values by type and maps the core', () => {
    const p = new ZeekTsvParser();
    const { records, errors, skips } = feed(
      p,
      [...HEADER, '1521911721.255387\tC8Tful1\t10.164.94.120\t39681\t2001:db8::5\t3389\ttcp\t-\t0.004266\tSF\tT\tCa,Cb\tx\\x09y', '1521911722.000001\tC9\t10.0.0.1\t1\t10.0.0.2\t2\tudp\t(empty)\t-\tREJ\tF\t(empty)\t-'].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(skips).toBe(HEADER.length);
    expect(records[0]?.fields).toEqual({
      ts: '2018-03-24T17:15:21.255387Z',
      uid: 'C8Tful1',
      'id.orig_h': '10.164.94.120',
      'id.orig_p': 39681,
      'id.resp_h': '2001:db8::5',
      'id.resp_p': 3389,
      proto: 'tcp',
      service: null,
      duration: 0.004266,
      conn_state: 'SF',
      local_orig: true,
      tunnel_parents: '["Ca","Cb"]',
      note: 'x\ty',
    });
    expect(records[0]?.core).toMatchObject({
      ts: '2018-03-24T17:15:21.255387Z',
      dataset: 'zeek.conn',
      event_code: 'conn',
      src_ip: '10.164.94.120',
      src_port: 39681,
      dst_ip: '2001:db8::5',
      dst_port: 3389,
      protocol: 'tcp',
      action: 'connection',
      outcome: 'success',
      message: 'tcp SF',
    });
    expect(records[1]?.fields).toMatchObject({ service: '', duration: null, local_orig: false, tunnel_parents: '[]', note: null });
    expect(records[1]?.core.outcome).toBe('failure');
  });

  it('follows a header block appended mid-file (log rotation)', () => {
    const text = [...HEADER, '1.0\tC1\t1.1.1.1\t1\t2.2.2.2\t2\ttcp\t-\t-\tSF\tT\t-\t-', '#close\t2018', '#separator \\x09', '#path\tdns', '#fields\tts\tuid\tquery', '#types\ttime\tstring\tstring', '2.0\tC2\texample.com'].join('\n');
    const { records, errors } = feed(new ZeekTsvParser(), text);
    expect(errors).toEqual([]);
    expect(records.map((r) => r.core.dataset)).toEqual(['zeek.conn', 'zeek.dns']);
    expect(records[1]?.fields).toEqual({ ts: '1970-01-01T00:00:02.000Z', uid: 'C2', query: 'example.com' });
  });

  it('rejects rows before a header and rows with the wrong column count, with reasons', () => {
    const p = new ZeekTsvParser();
    expect(rejected(p.line('a\tb\tc'))).toMatch(/before any #fields/);
    for (const l of HEADER) p.line(l);
    expect(rejected(p.line('1.0\tC1\t1.1.1.1'))).toMatch(/3 columns but #fields names 13 \(truncated line\?\)/);
  });

  it('uses the path from the file name when the file has no #path', () => {
    const p = createLineParser('zeek-tsv', { fileName: 'dns.16:00:00-17:00:00.log.gz' });
    p.line('#separator \\x09', 1);
    p.line('#fields\tts\tquery', 2);
    expect(ok(p.line('1.0\texample.com', 3)).core.dataset).toBe('zeek.dns');
  });
});

describe.skipIf(corpusMissing('zeek'))('Zeek corpus', () => {
  it('reads the truncated conn logs without crashing: whole rows kept, the cut row rejected', () => {
    for (const f of ['zeek/rita/test_data/truncated/conn.log', 'zeek/rita/test_data/truncated/conn_top.log']) {
      const text = readMaybeGunzip(f).toString('utf8');
      const { records, errors } = feed(createLineParser('zeek-tsv', { fileName: f }), text);
      expect(records.length).toBeGreaterThan(50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.error).toMatch(/truncated/);
      expect(records.every((r) => r.core.dataset === 'zeek.conn' && r.core.src_ip !== null)).toBe(true);
    }
    // conn_top.log has no header at all: read with the default conn columns, said once.
    const top = feed(createLineParser('zeek-tsv', { fileName: 'conn_top.log' }), readMaybeGunzip('zeek/rita/test_data/truncated/conn_top.log').toString('utf8'));
    expect(top.records.filter((r) => r.warnings?.length).length).toBe(1);
  });

  it('reads the 53,624-line dns.log completely', () => {
    const text = readMaybeGunzip('zeek/zed-sample-data/zeek-default/dns.log.gz').toString('utf8');
    const { records, errors } = feed(createLineParser('zeek-tsv'), text);
    expect(errors).toEqual([]);
    expect(records.length).toBe(text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#')).length);
    expect(records.every((r) => r.core.ts !== null && r.core.dataset === 'zeek.dns' && r.core.protocol === 'dns')).toBe(true);
  });

  /**
   * zed-sample-data has the same traffic as TSV and as JSON: both paths must
   * give the same core, which shows the TSV parser and the JSON mapping share one definition.
   */
  it.each(['ssh', 'dce_rpc', 'ftp', 'kerberos', 'notice', 'ntlm', 'rdp', 'smtp', 'software', 'x509', 'weird', 'pe'])('TSV and JSON %s logs give the same core', (path) => {
    const tsv = feed(createLineParser('zeek-tsv'), readMaybeGunzip(`zeek/zed-sample-data/zeek-default/${path}.log.gz`).toString('utf8'));
    expect(tsv.errors).toEqual([]);
    const json = readMaybeGunzip(`zeek/zed-sample-data/zeek-json/${path}.json.gz`)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => mapJsonRecord(flattenRecord(JSON.parse(l) as Record<string, unknown>), 'zeek'));
    expect(json.length).toBe(tsv.records.length);
    const key = (c: { ts: string | null; message: string | null; src_ip: string | null }): string => `${c.ts}|${c.src_ip}|${c.message}`;
    const a = tsv.records.map((r) => r.core).sort((x, y) => key(x).localeCompare(key(y)));
    const b = [...json].sort((x, y) => key(x).localeCompare(key(y)));
    // Sets are JSON arrays in the JSON logs and JSON array text in TSV: compare the core only.
    expect(a).toEqual(b);
  });
});

describe('tabular records', () => {
  it('give values in column order and build fields on demand, also for JSON.stringify', () => {
    const p = new ZeekTsvParser();
    for (const l of HEADER) p.line(l);
    const r = ok(p.line('1.0\tC1\t1.1.1.1\t1\t2.2.2.2\t2\ttcp\t-\t-\tSF\tT\t-\t-'));
    expect(r.columns?.[0]).toBe('ts');
    expect(r.values?.[2]).toBe('1.1.1.1');
    expect(r.fields['id.orig_h']).toBe('1.1.1.1');
    const plain = JSON.parse(JSON.stringify(r)) as { fields: Record<string, unknown>; core: { src_ip: string } };
    expect(plain.fields['id.resp_h']).toBe('2.2.2.2');
    expect(plain.core.src_ip).toBe('1.1.1.1');
  });
});
