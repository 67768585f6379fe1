import { describe, expect, it } from 'vitest';
import { filetimeIso, renderArray, renderScalar, systemtimeIso } from '../../../src/main/engine/evtx/values';
import { ChunkWriter, evtxFile, V, type Template, type Value } from '../../fixtures/evtx-writer';
import { readAll, tempFiles } from './helpers';

/** Every BinXml value type, rendered the way Windows shows it in event XML. */
const render = (v: Value): string => {
  if (!('bytes' in v)) throw new Error('scalar values only');
  return renderScalar(v.bytes, 0, v.bytes.length, v.type);
};

describe('scalar values', () => {
  const cases: [string, Value, string][] = [
    ['string', V.string('C:\\Windows\\System32\\cmd.exe'), 'C:\\Windows\\System32\\cmd.exe'],
    ['string with a stored terminator', V.raw(0x01, Buffer.from('abc\0', 'utf16le')), 'abc'],
    ['non-ASCII string', V.string('Zürich ☃ 𝄞'), 'Zürich ☃ 𝄞'],
    ['ANSI string (windows-1252)', V.raw(0x02, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x80, 0x00])), 'café€'],
    ['int8', V.int8(-5), '-5'],
    ['uint8', V.uint8(250), '250'],
    ['int16', V.int16(-300), '-300'],
    ['uint16', V.uint16(65535), '65535'],
    ['int32', V.int32(-70000), '-70000'],
    ['uint32', V.uint32(4294967295), '4294967295'],
    ['int64 small', V.int64(-2n), '-2'],
    ['int64 large', V.int64(-9223372036854775808n), '-9223372036854775808'],
    ['uint64 beyond 2^53', V.uint64(18446744073709551615n), '18446744073709551615'],
    ['uint64 safe', V.uint64(9007199254740991n), '9007199254740991'],
    ['real32', V.real32(1.5), '1.5'],
    ['real64', V.real64(-0.000125), '-0.000125'],
    ['bool true', V.bool(true), 'true'],
    ['bool false', V.bool(false), 'false'],
    ['binary', V.binary('00ff10ab'), '00FF10AB'],
    ['GUID', V.guid('{54849625-5478-4994-A5BA-3E3B0328C30D}'), '{54849625-5478-4994-A5BA-3E3B0328C30D}'],
    ['size_t 32-bit', V.sizeT(0x1234n, 4), '0x1234'],
    ['size_t 64-bit', V.sizeT(0x7ff612340000n, 8), '0x7ff612340000'],
    ['FILETIME', V.filetime(133100000001234567n), '2022-10-11T22:13:20.1234567Z'],
    ['FILETIME zero', V.filetime(0n), '1601-01-01T00:00:00.0000000Z'],
    ['FILETIME far future', V.filetime(0x7fffffffffffffffn), '+030828-09-14T02:48:05.4775807Z'],
    ['SYSTEMTIME', V.systemtime(2019, 3, 2, 19, 23, 34, 25, 7), '2019-03-19T23:34:25.007Z'],
    ['SID', V.sid('S-1-5-21-4276858844-268145932-761811084-1000'), 'S-1-5-21-4276858844-268145932-761811084-1000'],
    ['SID well-known', V.sid('S-1-5-18'), 'S-1-5-18'],
    ['hex int32', V.hex32(0xc000006d), '0xc000006d'],
    ['hex int32 zero', V.hex32(0), '0x0'],
    ['hex int64', V.hex64(0x3e7n), '0x3e7'],
    ['hex int64 high', V.hex64(0x8020000000000000n), '0x8020000000000000'],
    ['NULL', V.null(), ''],
    ['unknown type as hex', V.raw(0x7f, Buffer.from([1, 2])), '0102'],
    ['int32 too short, as hex', V.raw(0x07, Buffer.from([1, 2])), '0102'],
    ['SID with too many sub-authorities claimed, as hex', V.raw(0x13, Buffer.from([1, 9, 0, 0, 0, 0, 0, 5])), '0109000000000005'],
  ];
  for (const [name, value, expected] of cases) {
    it(name, () => expect(render(value)).toBe(expected));
  }

  it('rejects impossible SYSTEMTIME fields by showing the bytes', () => {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(2020, 0);
    b.writeUInt16LE(13, 2);
    expect(systemtimeIso(b, 0)).toBe(b.toString('hex').toUpperCase());
  });

  it('keeps FILETIME exact where a double would round', () => {
    // 2^53 + 1 ticks cannot be held by a double; the last digit must survive.
    expect(filetimeIso(1, 0x200000)).toBe('1629-07-17T23:58:45.4740993Z');
  });
});

describe('array values', () => {
  it('splits string arrays on their terminators', () => {
    const v = V.stringArray(['a', '', 'long value']) as { bytes: Buffer; type: number };
    expect(renderArray(v.bytes, 0, v.bytes.length, v.type)).toEqual(['a', '', 'long value']);
  });

  it('splits fixed-size arrays by item width', () => {
    const v = V.uint16Array([1, 2, 65535]) as { bytes: Buffer; type: number };
    expect(renderArray(v.bytes, 0, v.bytes.length, v.type)).toEqual(['1', '2', '65535']);
    const hex = Buffer.alloc(8);
    hex.writeUInt32LE(0x10, 0);
    hex.writeUInt32LE(0xff, 4);
    expect(renderArray(hex, 0, 8, 0x94)).toEqual(['0x10', '0xff']);
    const guids = Buffer.concat([(V.guid('{00000000-0000-0000-0000-000000000001}') as { bytes: Buffer }).bytes, (V.guid('{FFFFFFFF-0000-0000-0000-000000000002}') as { bytes: Buffer }).bytes]);
    expect(renderArray(guids, 0, 32, 0x8f)).toEqual(['{00000000-0000-0000-0000-000000000001}', '{FFFFFFFF-0000-0000-0000-000000000002}']);
  });

  it('splits SID arrays by each SID length', () => {
    const sids = Buffer.concat([(V.sid('S-1-5-18') as { bytes: Buffer }).bytes, (V.sid('S-1-5-32-544') as { bytes: Buffer }).bytes]);
    expect(renderArray(sids, 0, sids.length, 0x93)).toEqual(['S-1-5-18', 'S-1-5-32-544']);
  });
});

describe('values inside records', () => {
  const file = tempFiles();
  it('renders every type the same way through a template instance', async () => {
    const values: [string, Value, string][] = [
      ['Str', V.string('x'), 'x'],
      ['I8', V.int8(-1), '-1'],
      ['U64', V.uint64(18446744073709551615n), '18446744073709551615'],
      ['F', V.real64(2.5), '2.5'],
      ['B', V.bool(true), 'true'],
      ['Bin', V.binary('d906'), 'D906'],
      ['G', V.guid('{0197231E-005A-6928-A50B-000000000D00}'), '{0197231E-005A-6928-A50B-000000000D00}'],
      ['S', V.sizeT(0x10n, 8), '0x10'],
      ['FT', V.filetime(133100000000000001n), '2022-10-11T22:13:20.0000001Z'],
      ['ST', V.systemtime(2024, 2, 4, 29, 0, 0, 0, 0), '2024-02-29T00:00:00.000Z'],
      ['Sid', V.sid('S-1-5-32-544'), 'S-1-5-32-544'],
      ['H32', V.hex32(0x1fffff), '0x1fffff'],
      ['H64', V.hex64(0x4424dn), '0x4424d'],
    ];
    const t: Template = {
      id: 1,
      body: {
        el: 'Event',
        children: [{ el: 'EventData', children: values.map(([name, v], i) => ({ el: 'Data', attrs: [['Name', [{ text: name }]]], children: [{ sub: i, type: v.type }] })) }],
      },
    };
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: values.map(([, v]) => v) });
    const { events, issues } = await readAll(file('types.evtx', evtxFile([w.finish()])));
    expect(issues).toEqual([]);
    expect(events[0]!.eventData).toEqual(Object.fromEntries(values.map(([name, , text]) => [name, text])));
  });
});
