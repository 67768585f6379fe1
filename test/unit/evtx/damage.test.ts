import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/main/engine/evtx/crc32';
import { fileHeader } from '../../fixtures/evtx-builder';
import { ChunkWriter, eventTemplate, eventValues, evtxFile, V, type Node, type Template, type Value } from '../../fixtures/evtx-writer';
import { balanced, readAll, tempFiles } from './helpers';

/**
 * Damaged files: each kind of damage is read past, reported as an issue with
 * its position, and accounted for (seen = returned + rejected).
 */
const file = tempFiles();
const HEADER = 4096;
const CHUNK = 65536;

/** `chunks` chunks of `perChunk` records each; record ids run 1, 2, 3... */
function sampleChunks(chunks = 3, perChunk = 20): Buffer[] {
  const t = eventTemplate(1, ['TargetUserName', 'IpAddress']);
  let id = 1;
  return Array.from({ length: chunks }, () => {
    const w = new ChunkWriter();
    for (let i = 0; i < perChunk; i++, id++) {
      w.addRecord(id, { instance: t, values: eventValues({ eventId: 4624, recordId: id, data: [V.string(`user${id}`), V.string(`10.0.0.${id % 250}`)] }) });
    }
    return w.finish();
  });
}

const sample = evtxFile(sampleChunks());

function ids(events: { recordId: number }[]): number[] {
  return events.map((e) => e.recordId);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Offsets of the record signatures in a chunk (to aim damage at records). */
function recordOffsets(chunk: Buffer): number[] {
  const out: number[] = [];
  for (let p = 512; p + 8 <= chunk.length; ) {
    if (chunk.readUInt32LE(p) !== 0x2a2a) break;
    out.push(p);
    p += chunk.readUInt32LE(p + 4);
  }
  return out;
}

describe('clean baseline', () => {
  it('reads every record with no issue', async () => {
    const out = await readAll(file('clean.evtx', sample));
    expect(ids(out.events)).toEqual(range(1, 60));
    expect(out.issues).toEqual([]);
    expect(out.summary).toMatchObject({ chunks: 3, recordsSeen: 60, recordsReturned: 60, recordsRejected: 0, recordsMissing: 0, dirty: false });
  });
});

describe('truncated files', () => {
  it('reads up to the damage when the file ends inside a chunk', async () => {
    const offsets = recordOffsets(sample.subarray(HEADER + CHUNK, HEADER + 2 * CHUNK));
    const cutAt = offsets[7]! + 40; // inside the 8th record of chunk 1 (record 28)
    const out = await readAll(file('truncated.evtx', sample.subarray(0, HEADER + CHUNK + cutAt)));
    expect(balanced(out.summary)).toBe(true);
    expect(ids(out.events)).toEqual(range(1, 27));
    expect(out.summary).toMatchObject({ recordsSeen: 28, recordsReturned: 27, recordsRejected: 1, recordsMissing: 12 });
    expect(out.issues.map((i) => [i.chunk, i.recordId, i.lostRecords, i.reason])).toEqual([
      [1, null, 0, `chunk truncated at ${cutAt} of 65536 bytes`],
      [1, 28, 1, 'record cut off where the file ends'],
      [1, null, 12, 'chunk header announces 20 records, 8 found'],
      [null, null, 0, 'file ends after 2 chunk slot(s) but its header counts 3; the file is truncated'],
    ]);
  });

  it('reports a file that ends inside its header', async () => {
    for (const size of [0, 10, 127, 200, 4095]) {
      const out = await readAll(file(`short${size}.evtx`, sample.subarray(0, size)));
      expect(out.events).toEqual([]);
      expect(out.issues.length).toBeGreaterThan(0);
      expect(out.issues[0]!.chunk).toBeNull();
    }
  });

  it('reports a chunk cut inside its header', async () => {
    const out = await readAll(file('chunkhead.evtx', sample.subarray(0, HEADER + CHUNK + 300)));
    expect(ids(out.events)).toEqual(range(1, 20));
    expect(out.issues.map((i) => i.reason)).toEqual([
      'chunk truncated to 300 bytes, shorter than its header',
      'file ends after 2 chunk slot(s) but its header counts 3; the file is truncated',
    ]);
  });
});

describe('damaged chunks', () => {
  it('skips and reports a zeroed chunk, reading the others', async () => {
    const data = Buffer.from(sample);
    data.fill(0, HEADER + CHUNK, HEADER + 2 * CHUNK);
    const out = await readAll(file('zeroed.evtx', data));
    expect(ids(out.events)).toEqual([...range(1, 20), ...range(41, 60)]);
    expect(out.issues).toEqual([{ offset: HEADER + CHUNK, chunk: 1, recordId: null, reason: 'chunk is all zeros', lostRecords: 0, kind: 'chunk' }]);
    expect(out.summary.chunksSkipped).toBe(1);
  });

  it('skips a chunk with a bad signature, and recovers its records when asked', async () => {
    const data = Buffer.from(sample);
    data.write('XlfChnk', HEADER + CHUNK, 'latin1');
    const plain = await readAll(file('badmagic.evtx', data));
    expect(ids(plain.events)).toEqual([...range(1, 20), ...range(41, 60)]);
    expect(plain.issues.map((i) => [i.chunk, i.reason])).toEqual([[1, 'bad chunk signature; chunk skipped']]);

    const recovered = await readAll(file('badmagic.evtx', data), { recoverSlack: true });
    expect(ids(recovered.events)).toEqual(range(1, 60));
    expect(recovered.events.filter((e) => e.recovered).map((e) => e.recordId)).toEqual(range(21, 40));
    expect(recovered.summary.recordsRecovered).toBe(20);
    expect(balanced(recovered.summary)).toBe(true);
  });

  it('flags checksum mismatches and still reads the records', async () => {
    const data = Buffer.from(sample);
    data[HEADER + 60] = data[HEADER + 60]! ^ 0xff; // unused bytes of chunk 0's header
    const first = recordOffsets(data.subarray(HEADER + CHUNK, HEADER + 2 * CHUNK))[3]!;
    data[HEADER + CHUNK + first + 8] = data[HEADER + CHUNK + first + 8]! ^ 0x01; // record id of the 4th record of chunk 1: data CRC breaks
    const out = await readAll(file('crc.evtx', data));
    expect(out.events).toHaveLength(60);
    expect(out.issues.map((i) => [i.chunk, i.kind, i.reason])).toEqual([
      [0, 'checksum', 'chunk header checksum mismatch'],
      [1, 'checksum', 'chunk event records checksum mismatch'],
    ]);
  });

  it('rejects a record whose size is damaged and resynchronises on the next one', async () => {
    const data = Buffer.from(sample);
    const offsets = recordOffsets(data.subarray(HEADER, HEADER + CHUNK));
    data.writeUInt32LE(7, HEADER + offsets[5]! + 4); // 6th record: size 7
    const out = await readAll(file('size.evtx', data));
    expect(ids(out.events)).toEqual([...range(1, 5), ...range(7, 60)]);
    expect(out.summary).toMatchObject({ recordsSeen: 60, recordsReturned: 59, recordsRejected: 1 });
    const issue = out.issues.find((i) => i.kind === 'record')!;
    expect(issue).toMatchObject({ offset: HEADER + offsets[5]!, chunk: 0, recordId: 6, lostRecords: 1 });
  });

  it('rejects a record whose BinXml is damaged, keeping its neighbours', async () => {
    const data = Buffer.from(sample);
    const offsets = recordOffsets(data.subarray(HEADER + 2 * CHUNK, HEADER + 3 * CHUNK));
    const at = HEADER + 2 * CHUNK + offsets[2]! + 24;
    data[at] = 0x0c; // fragment header token replaced
    data[at + 1] = 0xee;
    const out = await readAll(file('binxml.evtx', data));
    expect(out.summary).toMatchObject({ recordsSeen: 60, recordsReturned: 59, recordsRejected: 1 });
    expect(out.issues.find((i) => i.kind === 'record')).toMatchObject({ chunk: 2, recordId: 43, lostRecords: 1 });
  });

  it('rejects a template that refers to itself instead of looping', async () => {
    const chunk = Buffer.alloc(CHUNK);
    const rec = 512;
    const def = 550;
    const body = Buffer.from([0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0, ...u32(def), 0, 0, 0, 0, 0x00]);
    const binxml = Buffer.concat([Buffer.from([0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0, ...u32(def)]), Buffer.from(u32(0)), Buffer.alloc(16), Buffer.from(u32(body.length)), body, Buffer.from(u32(0)), Buffer.from([0])]);
    const size = 24 + binxml.length + 4;
    chunk.writeUInt32LE(0x2a2a, rec);
    chunk.writeUInt32LE(size, rec + 4);
    chunk.writeBigUInt64LE(1n, rec + 8);
    binxml.copy(chunk, rec + 24);
    chunk.writeUInt32LE(size, rec + size - 4);
    writeChunkHeader(chunk, 1, 1, rec + size);
    const out = await readAll(file('cycle.evtx', evtxFile([chunk])));
    expect(out.events).toEqual([]);
    expect(out.summary).toMatchObject({ recordsSeen: 1, recordsRejected: 1 });
    expect(out.issues[0]!.reason).toMatch(/refers to itself/);
  });
});

describe('hostile nesting', () => {
  it('rejects elements nested past the limit and keeps the next record', async () => {
    let deep: Node = { el: 'Leaf', children: [{ text: 'x' }] };
    for (let i = 0; i < 100; i++) deep = { el: `L${i % 3}`, children: [deep] };
    const w = new ChunkWriter();
    w.addRecord(1, { el: 'Event', children: [{ el: 'EventData', children: [deep] }] });
    w.addRecord(2, { el: 'Event', children: [{ el: 'System', children: [{ el: 'EventID', children: [{ text: '4' }] }] }] });
    const out = await readAll(file('deep.evtx', evtxFile([w.finish()])));
    expect(ids(out.events)).toEqual([2]);
    expect(out.issues.map((i) => i.recordId)).toEqual([1]);
    expect(out.issues[0]!.reason).toMatch(/^record could not be parsed: elements nested too deeply \(at byte 0x[0-9a-f]+\)$/);
  });

  it('rejects BinXml values nested inside each other past the limit', async () => {
    const t: Template = { id: 1, body: { el: 'Wrap', children: [{ sub: 0, type: 0x21 }] } };
    let value: Value = V.string('core');
    for (let i = 0; i < 20; i++) value = V.binxml({ instance: t, values: [value] });
    const w = new ChunkWriter();
    w.addRecord(1, { el: 'Event', children: [{ el: 'UserData', children: [{ instance: t, values: [value] }] }] });
    const out = await readAll(file('nested.evtx', evtxFile([w.finish()])));
    expect(out.events).toEqual([]);
    expect(out.summary).toMatchObject({ recordsSeen: 1, recordsRejected: 1 });
    expect(out.issues[0]!.reason).toMatch(/nested too deeply/);
  });
});

describe('file headers', () => {
  it('reads the chunks when the file header signature is damaged', async () => {
    const data = Buffer.from(sample);
    data.write('garbage!', 0, 'latin1');
    const out = await readAll(file('badheader.evtx', data));
    expect(out.events).toHaveLength(60);
    expect(out.issues.map((i) => i.reason)).toEqual(['no EVTX file signature; looking for chunks anyway']);
  });

  it('flags a header checksum mismatch', async () => {
    const data = Buffer.from(sample);
    data[30] = data[30]! ^ 0x40; // next record id
    const out = await readAll(file('headercrc.evtx', data));
    expect(out.events).toHaveLength(60);
    expect(out.issues).toEqual([{ offset: 124, chunk: null, recordId: null, reason: 'file header checksum mismatch', lostRecords: 0, kind: 'checksum' }]);
  });

  it('reads a dirty file whose header under-counts its chunks', async () => {
    const chunks = sampleChunks();
    const data = Buffer.concat([fileHeader(1, { dirty: true }), ...chunks]);
    const out = await readAll(file('dirty.evtx', data));
    expect(ids(out.events)).toEqual(range(1, 60));
    expect(out.summary.dirty).toBe(true);
    expect(out.issues).toEqual([]);
  });

  it('reports unused space after the counted chunks once, not per slot', async () => {
    const junk = Buffer.alloc(3 * CHUNK, 0x5a);
    const data = Buffer.concat([sample, junk, Buffer.alloc(CHUNK)]);
    const out = await readAll(file('junk.evtx', data));
    expect(out.events).toHaveLength(60);
    expect(out.issues).toHaveLength(1);
    expect(out.issues[0]).toMatchObject({ offset: HEADER + 3 * CHUNK, chunk: null, kind: 'file', lostRecords: 0 });
    expect(out.issues[0]!.reason).toMatch(/^4 chunk slot\(s\) past the 3 chunk\(s\)/);
  });

  it('does not throw on files that are not EVTX at all', async () => {
    for (const [name, data] of [
      ['text.evtx', Buffer.from('this is not an event log\n'.repeat(5000))],
      ['random.evtx', Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24))],
    ] as const) {
      const out = await readAll(file(name, data));
      expect(out.events).toEqual([]);
      expect(out.issues[0]!.reason).toBe('no EVTX file signature; looking for chunks anyway');
      expect(out.issues.at(-1)!.reason).toBe('no readable EVTX chunk in the file');
    }
  });
});

describe('slack space', () => {
  it('recovers records after the free-space mark only when asked, skipping older copies', async () => {
    const t = eventTemplate(1, ['X']);
    const w = new ChunkWriter();
    const offsets: number[] = [];
    for (let id = 1; id <= 4; id++) offsets.push(w.addRecord(id, { instance: t, values: eventValues({ eventId: 1, recordId: id, data: [V.string(`v${id}`)] }) }));
    const chunk = w.finish();
    // An older copy of record 2 sits in the slack too: it must not come back twice.
    const copy = chunk.subarray(offsets[1]!, offsets[2]!);
    copy.copy(chunk, 60000);
    // Pretend the writer's view ends after record 2: records 3-4 are now slack.
    writeChunkHeader(chunk, 1, 2, offsets[2]!);
    const data = evtxFile([chunk]);
    const plain = await readAll(file('slack.evtx', data));
    expect(ids(plain.events)).toEqual([1, 2]);
    expect(plain.issues).toEqual([]);
    const recovered = await readAll(file('slack.evtx', data), { recoverSlack: true });
    expect(ids(recovered.events)).toEqual([1, 2, 3, 4]);
    expect(recovered.events.map((e) => e.recovered === true)).toEqual([false, false, true, true]);
    expect(recovered.events[3]!.eventData).toEqual({ X: 'v4' });
    expect(recovered.summary).toMatchObject({ recordsSeen: 4, recordsReturned: 4, recordsRecovered: 2 });
  });
});

function u32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Rewrite a chunk header's record range and free-space offset, with valid checksums. */
function writeChunkHeader(chunk: Buffer, first: number, last: number, freeSpace: number): void {
  chunk.write('ElfChnk\0', 0, 'latin1');
  chunk.writeBigUInt64LE(BigInt(first), 8);
  chunk.writeBigUInt64LE(BigInt(last), 16);
  chunk.writeBigUInt64LE(BigInt(first), 24);
  chunk.writeBigUInt64LE(BigInt(last), 32);
  chunk.writeUInt32LE(128, 40);
  chunk.writeUInt32LE(freeSpace, 48);
  chunk.writeUInt32LE(crc32(chunk, 512, freeSpace), 52);
  chunk.writeUInt32LE(crc32(chunk, 128, 512, crc32(chunk, 0, 120)), 124);
}
