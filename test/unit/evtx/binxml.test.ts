import { describe, expect, it } from 'vitest';
import { ChunkWriter, eventTemplate, eventValues, evtxFile, V, type Node, type Part, type Template } from '../../fixtures/evtx-writer';
import { balanced, readAll, tempFiles } from './helpers';

/**
 * Binary XML through the public reader, on chunks our writer builds token by
 * token: template definitions reused across records, every substitution
 * form, nested BinXml, arrays, references, and records without templates.
 */
const file = tempFiles();
const sub = (i: number, type: number, optional = false): Part => ({ sub: i, type, optional });

async function readChunk(w: ChunkWriter) {
  const out = await readAll(file(`c${Math.random().toString(36).slice(2)}.evtx`, evtxFile([w.finish()])));
  expect(balanced(out.summary)).toBe(true);
  return out;
}

describe('templates', () => {
  it('reuses a definition written in an earlier record of the chunk', async () => {
    const t = eventTemplate(1, ['TargetUserName', 'CommandLine']);
    const w = new ChunkWriter();
    for (let i = 1; i <= 3; i++) {
      w.addRecord(i, { instance: t, values: eventValues({ eventId: 4688, recordId: 100 + i, ticks: 133100000001234567n, data: [V.string(`user${i}`), V.string(`cmd.exe /c echo ${i}`)] }) });
    }
    const { events, issues } = await readChunk(w);
    expect(issues).toEqual([]);
    expect(events.map((e) => e.recordId)).toEqual([101, 102, 103]);
    expect(events.map((e) => e.eventData)).toEqual([1, 2, 3].map((i) => ({ TargetUserName: `user${i}`, CommandLine: `cmd.exe /c echo ${i}` })));
    const first = events[0]!;
    expect(first.eventId).toBe(4688);
    expect(first.timeCreated).toBe('2022-10-11T22:13:20.1234567Z');
    expect(first.system).toEqual({
      Provider_Name: 'Microsoft-Windows-Security-Auditing',
      Provider_Guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}',
      EventID: 4688,
      Level: 0,
      Keywords: '0x8020000000000000',
      TimeCreated_SystemTime: '2022-10-11T22:13:20.1234567Z',
      EventRecordID: 101,
      Channel: 'Security',
      Computer: 'WS01.example.test',
    });
  });

  it('keeps several templates apart in one chunk', async () => {
    const a = eventTemplate(1, ['A']);
    const b = eventTemplate(2, ['B1', 'B2']);
    const w = new ChunkWriter();
    w.addRecord(1, { instance: a, values: eventValues({ eventId: 1, recordId: 1, data: [V.string('a1')] }) });
    w.addRecord(2, { instance: b, values: eventValues({ eventId: 2, recordId: 2, data: [V.string('b1'), V.string('b2')] }) });
    w.addRecord(3, { instance: a, values: eventValues({ eventId: 1, recordId: 3, data: [V.string('a3')] }) });
    const { events } = await readChunk(w);
    expect(events.map((e) => e.eventData)).toEqual([{ A: 'a1' }, { B1: 'b1', B2: 'b2' }, { A: 'a3' }]);
  });

  it('reads EventID qualifiers and the Security user SID', async () => {
    const t = eventTemplate(1, []);
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: eventValues({ eventId: 7036, qualifiers: 16384, recordId: 9, userSid: 'S-1-5-18', data: [] }) });
    const { events } = await readChunk(w);
    expect(events[0]!.system.EventID_Qualifiers).toBe(16384);
    expect(events[0]!.system.EventID).toBe(7036);
    expect(events[0]!.eventId).toBe(7036);
    expect(events[0]!.system.Security_UserID).toBe('S-1-5-18');
  });
});

describe('substitutions', () => {
  it('omits attributes and elements whose optional substitution is NULL', async () => {
    const t: Template = {
      id: 7,
      body: {
        el: 'Event',
        children: [
          { el: 'System', children: [{ el: 'Provider', attrs: [['Name', [sub(0, 1)]], ['Guid', [sub(1, 0x0f, true)]]] }, { el: 'EventID', children: [sub(2, 6)] }] },
          {
            el: 'EventData',
            children: [
              { el: 'Data', attrs: [['Name', [{ text: 'Present' }]]], children: [sub(3, 1, true)] },
              { el: 'Data', attrs: [['Name', [{ text: 'Absent' }]]], children: [sub(4, 1, true)] },
              { el: 'Data', attrs: [['Name', [{ text: 'Empty' }]]], children: [sub(5, 1)] },
              { el: 'Data', attrs: [['Name', [{ text: 'NormalNull' }]]], children: [sub(6, 1)] },
            ],
          },
        ],
      },
    };
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: [V.string('P'), V.null(), V.uint16(1), V.string('yes'), V.null(), V.string(''), V.null()] });
    const { events } = await readChunk(w);
    expect(events[0]!.system).toEqual({ Provider_Name: 'P', EventID: 1 });
    // A normal (non-optional) NULL keeps its element, with empty text.
    expect(events[0]!.eventData).toEqual({ Present: 'yes', Empty: '', NormalNull: '' });
  });

  it('names unnamed Data items Data_1.. and numbers repeated names', async () => {
    const t = eventTemplate(3, [null, 'X', null, 'X', 'X']);
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: eventValues({ eventId: 400, recordId: 1, data: ['a', 'b', 'c', 'd', 'e'].map((s) => V.string(s)) }) });
    const { events } = await readChunk(w);
    expect(events[0]!.eventData).toEqual({ Data_1: 'a', X: 'b', Data_2: 'c', X_2: 'd', X_3: 'e' });
  });

  it('repeats an element once per item of an array value', async () => {
    const t = eventTemplate(4, [null, 'Ports', 'Names']);
    const w = new ChunkWriter();
    w.addRecord(1, {
      instance: t,
      values: eventValues({ eventId: 1, recordId: 1, data: [V.stringArray(['sa', ' Reason: bad password', ' [CLIENT: 10.0.2.17]']), V.uint16Array([80, 443]), V.stringArray([])] }),
    });
    const { events } = await readChunk(w);
    expect(events[0]!.eventData).toEqual({
      Data_1: 'sa',
      Data_2: ' Reason: bad password',
      Data_3: ' [CLIENT: 10.0.2.17]',
      Ports: '80',
      Ports_2: '443',
      Names: '',
    });
  });

  it('joins text split over several tokens, character and entity references, and CDATA', async () => {
    const t: Template = {
      id: 5,
      body: {
        el: 'Event',
        children: [
          {
            el: 'EventData',
            children: [
              { el: 'Data', attrs: [['Name', [{ text: 'Mixed' }]]], children: [{ text: 'a' }, { charRef: 0x26 }, { entity: 'lt' }, sub(0, 1), { text: 'z' }] },
              { el: 'Data', attrs: [['Name', [{ text: 'Script' }]]], children: [{ cdata: 'if (a < b && c) {}' }] },
              { el: 'Data', attrs: [['Name', [{ text: 'N' }, sub(1, 1)]]], children: [{ text: 'v' }] },
            ],
          },
        ],
      },
    };
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: [V.string('-mid-'), V.string('ame')] });
    const { events } = await readChunk(w);
    expect(events[0]!.eventData).toEqual({ Mixed: 'a&<-mid-z', Script: 'if (a < b && c) {}', Name: 'v' });
  });
});

describe('nested BinXml and UserData', () => {
  it('reads UserData delivered as a BinXml value, with its own template instance', async () => {
    const outer: Template = {
      id: 10,
      body: { el: 'Event', children: [{ el: 'System', children: [{ el: 'EventID', children: [sub(0, 6)] }] }, { el: 'UserData', children: [sub(1, 0x21)] }] },
    };
    const inner: Template = {
      id: 11,
      body: {
        el: 'LogFileCleared',
        attrs: [['xmlns', [{ text: 'http://manifests.microsoft.com/win/2004/08/windows/eventlog' }]]],
        children: [
          { el: 'SubjectUserName', children: [sub(0, 1)] },
          { el: 'SubjectLogonId', children: [sub(1, 0x15)] },
          { el: 'Error', attrs: [['Code', [sub(2, 8)]]] },
        ],
      },
    };
    const w = new ChunkWriter();
    w.addRecord(1, { instance: outer, values: [V.uint16(1102), V.binxml({ instance: inner, values: [V.string('bob'), V.hex64(0x3e7n), V.uint32(15007)] })] });
    // Same templates again, so both definitions are taken from the first record.
    w.addRecord(2, { instance: outer, values: [V.uint16(1102), V.binxml({ instance: inner, values: [V.string('eve'), V.hex64(0x17dadn), V.uint32(1)] })] });
    const { events } = await readChunk(w);
    expect(events.map((e) => e.eventData)).toEqual([
      { SubjectUserName: 'bob', SubjectLogonId: '0x3e7', Error_Code: '15007' },
      { SubjectUserName: 'eve', SubjectLogonId: '0x17dad', Error_Code: '1' },
    ]);
  });

  it('reads a BinXml value holding plain elements (no dependency ids) and one without a fragment header', async () => {
    const t: Template = {
      id: 12,
      body: { el: 'Event', children: [{ el: 'UserData', children: [sub(0, 0x21)] }, { el: 'ProcessingErrorData', children: [sub(1, 0x21)] }] },
    };
    const plain: Node = { el: 'EventXML', children: [{ el: 'param1', children: [{ text: 'WmiApRpl' }] }, { el: 'binaryDataSize', children: [{ text: '4' }] }] };
    const errorData: Node = { el: 'ErrorCode', children: [{ text: '15005' }] };
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: [V.binxml(plain), V.binxml(errorData, false)] });
    const { events } = await readChunk(w);
    expect(events[0]!.eventData).toEqual({ param1: 'WmiApRpl', binaryDataSize: '4', ErrorCode: '15005' });
  });

  it('renders a BinXml value inside a Data field as XML text', async () => {
    const t: Template = { id: 13, body: { el: 'Event', children: [{ el: 'EventData', children: [{ el: 'Data', attrs: [['Name', [{ text: 'Xml' }]]], children: [sub(0, 0x21)] }] }] } };
    const w = new ChunkWriter();
    w.addRecord(1, { instance: t, values: [V.binxml({ el: 'Rule', attrs: [['Id', [{ text: '7' }]]], children: [{ text: 'a<b' }] })] });
    const { events } = await readChunk(w);
    expect(events[0]!.eventData).toEqual({ Xml: '<Rule Id="7">a&lt;b</Rule>' });
  });
});

describe('records without templates', () => {
  it('reads an element tree written straight into the record (forwarded events)', async () => {
    const w = new ChunkWriter();
    w.addRecord(1, {
      el: 'Event',
      attrs: [['xmlns', [{ text: 'http://schemas.microsoft.com/win/2004/08/events/event' }]]],
      children: [
        {
          el: 'System',
          children: [
            { el: 'Provider', attrs: [['Name', [{ text: 'MSExchange CmdletLogs' }]]] },
            { el: 'EventID', attrs: [['Qualifiers', [{ text: '16384' }]]], children: [{ text: '1' }] },
            { el: 'TimeCreated', attrs: [['SystemTime', [{ text: '2021-11-19T16:52:33.8337335Z' }]]] },
            { el: 'EventRecordID', children: [{ text: '3229' }] },
            { el: 'Channel', children: [{ text: 'MSExchange Management' }] },
            { el: 'Computer', children: [{ text: 'WEC.ave.local' }] },
          ],
        },
        { el: 'EventData', children: [{ el: 'Data', children: [{ text: 'Set-Mailbox' }] }] },
        { el: 'RenderingInfo', attrs: [['Culture', [{ text: 'en-US' }]]], children: [{ el: 'Message', children: [{ text: 'Cmdlet succeeded' }] }, { el: 'Level', children: [{ text: 'Information' }] }] },
      ],
    });
    const { events } = await readChunk(w);
    const e = events[0]!;
    expect(e.recordId).toBe(3229);
    expect(e.eventId).toBe(1);
    expect(e.timeCreated).toBe('2021-11-19T16:52:33.8337335Z');
    expect(e.system).toMatchObject({ Provider_Name: 'MSExchange CmdletLogs', EventID_Qualifiers: 16384, Channel: 'MSExchange Management', Computer: 'WEC.ave.local' });
    expect(e.eventData).toEqual({ Data_1: 'Set-Mailbox', 'RenderingInfo.Message': 'Cmdlet succeeded', 'RenderingInfo.Level': 'Information' });
  });

  it('skips processing instructions and uses the written time when TimeCreated is missing', async () => {
    const w = new ChunkWriter();
    w.addRecord(77, { el: 'Event', children: [{ pi: 'xml-stylesheet', data: 'href="x"' }, { el: 'System', children: [{ el: 'Channel', children: [{ text: 'Application' }] }] }] }, { writtenTime: 116444736000000000n });
    const { events } = await readChunk(w);
    expect(events[0]).toMatchObject({ recordId: 77, timeCreated: '1970-01-01T00:00:00.0000000Z', eventId: null, system: { Channel: 'Application' } });
  });
});
