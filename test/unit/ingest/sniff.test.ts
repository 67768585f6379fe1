import { describe, expect, it } from 'vitest';
import { decodeText, sniffFormat, SNIFF_BYTES } from '../../../src/main/engine/ingest/sniff';
import { FORMAT_NAMES, FORMATS } from '../../../src/shared/formats';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('sniffFormat: magic numbers', () => {
  it('recognises containers and EVTX by their bytes, whatever the name', () => {
    expect(sniffFormat(Buffer.concat([b('ElfFile\0'), Buffer.alloc(100)]), 'x.txt').format).toBe('evtx');
    expect(sniffFormat(Buffer.from([0x50, 0x4b, 3, 4, 0, 0]), 'a.log').format).toBe('zip');
    expect(sniffFormat(Buffer.from([0x1f, 0x8b, 8, 0]), 'a.log').format).toBe('gzip');
    const tar = Buffer.alloc(600);
    tar.write('evil.log', 0);
    tar.write('ustar', 257);
    expect(sniffFormat(tar).format).toBe('tar');
  });

  it('reports known binaries as binary with what they are, and random bytes as binary', () => {
    const pcap = sniffFormat(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0]));
    expect(pcap).toMatchObject({ format: 'binary' });
    expect(pcap.reason).toContain('pcap');
    const rnd = Buffer.alloc(4096);
    for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 7919 + 13) & 255;
    expect(sniffFormat(rnd).format).toBe('binary');
    // Mostly NUL (an .mmdb's tree): a few words among NULs are not text.
    const nul = Buffer.alloc(4096, 0);
    nul.write('not quite empty', 100, 'latin1');
    expect(sniffFormat(nul)).toMatchObject({ format: 'binary' });
    expect(sniffFormat(nul).reason).toContain('mostly NUL bytes (4,081 of');
    // The share told is the one the rule uses.
    const ctrl = Buffer.from('a\x01b\x02c\x03d\x04\n'.repeat(50), 'latin1');
    expect(sniffFormat(ctrl).reason).toMatch(/^binary: 44\.4% control characters/);
  });

  it('reads text with a stray NUL or NUL padding as the text it is', () => {
    const auth = 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n';
    // One stray NUL in a short file (a fuzzed CSV was refused whole for it).
    expect(sniffFormat(b(`a,b,c\n1,x\0y,3\n${'2,z,4\n'.repeat(20)}`)).format).toBe('csv');
    // A crash left a block of NULs between good lines.
    const padded = Buffer.concat([b(auth.repeat(20)), Buffer.alloc(5000, 0), b(auth.repeat(20))]);
    const r = sniffFormat(padded);
    expect(r.format).toBe('auth-log');
    expect(r.reason).toContain('5,000 NUL bytes of padding');
    // Scattered NULs are damage, not padding: a NUL every few characters stays binary.
    expect(sniffFormat(b('ab\0cd\0ef\0\n'.repeat(200))).format).toBe('binary');
  });

  it('does not mistake text starting with "MZ" or "BZh" for binaries', () => {
    expect(sniffFormat(b('MZ is a prefix of this plain line\nand another line\n')).format).toBe('text');
    // A PE header: NUL runs and control bytes around the DOS stub's text.
    const pe = Buffer.alloc(1024, 0);
    Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0, 0xb8]).copy(pe, 0);
    pe.writeUInt32LE(0x80, 0x3c);
    pe.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
    pe.write('PE\0\0', 0x80, 'latin1');
    Buffer.from([0x4c, 0x01, 3, 0, 0x1a, 0x2b, 0x11, 0x5e]).copy(pe, 0x84);
    expect(sniffFormat(pe)).toMatchObject({ format: 'binary', reason: 'binary: a Windows executable (MZ)' });
  });
});

describe('sniffFormat: encodings', () => {
  const syslog = 'Mar  7 10:00:00 host sshd[1]: Accepted password for bob from 10.0.0.1 port 22 ssh2\n'.repeat(5);

  it('skips a UTF-8 BOM and still reads the content', () => {
    const r = sniffFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b(syslog)]));
    expect(r).toMatchObject({ format: 'auth-log', encoding: 'utf8', bom: 3 });
  });

  it('reads UTF-16LE and UTF-16BE, with and without BOM', () => {
    const le = Buffer.from(syslog, 'utf16le');
    expect(sniffFormat(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toMatchObject({ format: 'auth-log', encoding: 'utf16le', bom: 2 });
    expect(sniffFormat(le)).toMatchObject({ format: 'auth-log', encoding: 'utf16le', bom: 0 });
    const be = Buffer.from(le).swap16();
    expect(sniffFormat(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toMatchObject({ format: 'auth-log', encoding: 'utf16be', bom: 2 });
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'utf16be', 2)).toBe(syslog);
  });

  it('falls back to Latin-1 for bytes that are not UTF-8', () => {
    const r = sniffFormat(Buffer.from('Dec 31 11:59:59 host sshd[1]: Invalid user Ren\xe9 from 1.2.3.4\n', 'latin1'));
    expect(r).toMatchObject({ format: 'auth-log', encoding: 'latin1' });
    expect(decodeText(Buffer.from('Ren\xe9', 'latin1'), 'latin1', 0)).toBe('René');
  });

  it('accepts a UTF-8 sequence cut by the end of a 64 KiB sample', () => {
    const line = 'Mar  7 10:00:00 host app[1]: café ü\n';
    let s = '';
    while (Buffer.byteLength(s) < SNIFF_BYTES + 100) s += line;
    const buf = b(s);
    // find a cut inside a multi-byte char
    let cut = SNIFF_BYTES;
    while ((buf[cut - 1] as number) < 0xc0) cut--;
    const r = sniffFormat(buf.subarray(0, Math.max(cut, SNIFF_BYTES)));
    expect(r.encoding).toBe('utf8');
  });
});

describe('sniffFormat: content', () => {
  it('notes Windows records whose EventData is text (JSON, XML, or XML escaped as \\u003c)', () => {
    expect(sniffFormat(b('{"EventData":{"a":1}}\n{"EventData":{"a":2}}\n')).eventDataText).toBeUndefined();
    expect(sniffFormat(b('{"EventData":"{\\"a\\":1}"}\n')).eventDataText).toBe(true);
    expect(sniffFormat(b('{"EventData": "<EventData/>"}\n')).eventDataText).toBe(true);
    expect(sniffFormat(b('{"EventData":"\\u003cEventData xmlns=\\"x\\"/\\u003e"}\n')).eventDataText).toBe(true);
    expect(sniffFormat(b('{"EventData":"plain words"}\n')).eventDataText).toBeUndefined();
  });

  it('tells JSON shapes apart', () => {
    expect(sniffFormat(b('[{"a":1},{"a":2}]')).format).toBe('json-array');
    expect(sniffFormat(b('{"a":1}\n{"a":2}\n')).format).toBe('ndjson');
    expect(sniffFormat(b('{\n  "a": 1\n}\n{\n  "a": 2\n}\n')).format).toBe('json-concat');
    expect(sniffFormat(b('{"a":1}{"a":2}{"a":3}')).format).toBe('json-concat');
    const eve = '{"timestamp":"2024-01-01T00:00:00.000000+0000","flow_id":1,"event_type":"dns","src_ip":"1.2.3.4","dest_ip":"5.6.7.8"}\n';
    expect(sniffFormat(b(eve.repeat(3)))).toMatchObject({ format: 'suricata-eve', jsonFamily: 'suricata' });
    const zeek = '{"ts":1588205198.89971,"uid":"Cw1Hz43UWS4qXFei8f","id_orig_h":"10.0.1.4","id_orig_p":64842}\n';
    expect(sniffFormat(b(zeek.repeat(3)))).toMatchObject({ format: 'zeek-json', jsonFamily: 'zeek' });
    const win = '{"EventID":4624,"Channel":"Security","Hostname":"WS1","TargetUserName":"bob"}\n';
    expect(sniffFormat(b(win.repeat(3)))).toMatchObject({ format: 'ndjson', jsonFamily: 'windows' });
  });

  it('recognises header-directive formats', () => {
    expect(sniffFormat(b('#separator \\x09\n#set_separator\t,\n#path\tconn\n#fields\tts\tuid\n1.0\tCabc\n'))).toMatchObject({ format: 'zeek-tsv', zeekPath: 'conn' });
    expect(sniffFormat(b('#Software: Microsoft IIS 10.0\n#Version: 1.0\n#Fields: date time c-ip\n2019-01-01 00:00:00 1.2.3.4\n')).format).toBe('iis-w3c');
  });

  it('votes line formats and keeps comment lines out of the vote', () => {
    const cef = 'CEF:0|Vendor|Product|1.0|100|Port scan|5|src=10.0.0.1 dst=10.0.0.2\n';
    expect(sniffFormat(b(`# generated\n${cef.repeat(4)}`)).format).toBe('cef');
    expect(sniffFormat(b('LEEF:1.0|IBM|QRadar|1.0|Login|src=1.2.3.4\tusrName=bob\n'.repeat(3))).format).toBe('leef');
    expect(sniffFormat(b('<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - su root failed\n'.repeat(3))).format).toBe('syslog-5424');
    expect(sniffFormat(b('Mar  7 10:00:00 host kernel: eth0 up\n'.repeat(3))).format).toBe('syslog-3164');
    expect(sniffFormat(b('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326\n'.repeat(3))).format).toBe('web-access');
  });

  it('finds CSV headers and timeline flavors, and needs a header for CSV', () => {
    const hay = 'Timestamp,RuleTitle,Level,Computer,Channel,EventID,RecordID,Details\n2021-12-12 00:53:53.123 +09:00,Rule,high,PC,Sec,4625,1,x\n';
    expect(sniffFormat(b(hay))).toMatchObject({ format: 'csv', csv: { flavor: 'hayabusa', delimiter: ',' } });
    const tsv = 'name\tvalue\tcount\na\tb\t1\nc\td\t2\n';
    expect(sniffFormat(b(tsv))).toMatchObject({ format: 'tsv', csv: { delimiter: '\t' } });
    // ipsum-like: numbers only, no header: text
    expect(sniffFormat(b('1.2.3.4\t3\n5.6.7.8\t2\n')).format).toBe('text');
  });

  it('names every format it can answer with a label', () => {
    for (const f of FORMAT_NAMES) expect(FORMATS[f].length).toBeGreaterThan(3);
  });

  it('answers for empty and whitespace-only input without throwing', () => {
    expect(sniffFormat(Buffer.alloc(0)).format).toBe('text');
    expect(sniffFormat(b('\n\n  \n')).format).toBe('text');
  });
});
