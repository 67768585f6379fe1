import { describe, expect, it } from 'vitest';
import { LoupeError } from '../../../src/shared/errors';
import { dumpRecord, readEvtx, readEvtxNdjson } from '../../../src/main/engine/evtx';
import { corpusMissing, corpusPath } from '../../corpus';
import { ChunkWriter, eventTemplate, eventValues, evtxFile, V } from '../../fixtures/evtx-writer';
import { balanced, readAll, tempFiles } from './helpers';

/**
 * The reader around the parser: worker threads versus inline parsing, order,
 * progress, cancellation, accounting and the NDJSON variant.
 */
const file = tempFiles();

function manyChunks(count: number): Buffer {
  const t = eventTemplate(1, ['Image', 'CommandLine']);
  let id = 1;
  const chunks = Array.from({ length: count }, () => {
    const w = new ChunkWriter();
    for (let i = 0; i < 30; i++, id++) {
      w.addRecord(id, { instance: t, values: eventValues({ eventId: 1, recordId: id, channel: 'Microsoft-Windows-Sysmon/Operational', data: [V.string('C:\\x.exe'), V.string(`x.exe ${id}`)] }) });
    }
    return w.finish();
  });
  return evtxFile(chunks);
}

describe('readEvtx', () => {
  const path = file('many.evtx', manyChunks(12));

  it('yields the same events in the same order with workers as inline', async () => {
    const inline = await readAll(path, { workers: 0 });
    const threaded = await readAll(path, { workers: 2 });
    expect(inline.events).toHaveLength(360);
    expect(threaded.events).toEqual(inline.events);
    expect(threaded.summary).toEqual(inline.summary);
    expect(inline.batches).toBe(12);
    expect(inline.events.map((e) => e.recordId)).toEqual(Array.from({ length: 360 }, (_, i) => i + 1));
  });

  it('reports progress up to the file size, never backwards', async () => {
    const seen: number[] = [];
    let total = 0;
    for await (const _ of readEvtx(path, {
      workers: 0,
      onProgress: (done, all) => {
        seen.push(done);
        total = all;
      },
    }));
    expect(seen.length).toBe(12);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen.at(-1)).toBe(total);
  });

  it('stops with CANCELLED when the signal aborts, and releases its workers', async () => {
    const abort = new AbortController();
    const reader = readEvtx(path, { workers: 2, signal: abort.signal });
    let batches = 0;
    const run = async (): Promise<void> => {
      for await (const _ of reader) {
        batches++;
        abort.abort();
      }
    };
    await expect(run()).rejects.toSatisfy((e: unknown) => e instanceof LoupeError && e.code === 'CANCELLED');
    expect(batches).toBe(1);
  });

  it('can be left early by the consumer', async () => {
    let batches = 0;
    for await (const _ of readEvtx(path, { workers: 2 })) {
      if (++batches === 2) break;
    }
    expect(batches).toBe(2);
  });

  it('throws NOT_FOUND for a missing file', async () => {
    const run = async (): Promise<void> => {
      for await (const _ of readEvtx(`${path}.missing`, { workers: 0 }));
    };
    await expect(run()).rejects.toSatisfy((e: unknown) => e instanceof LoupeError && e.code === 'NOT_FOUND');
  });

  it('gives NDJSON matching dumpRecord of the events', async () => {
    const { events } = await readAll(path);
    for (const workers of [0, 2]) {
      let text = '';
      for await (const bytes of readEvtxNdjson(path, { workers })) text += bytes.toString('utf8');
      const lines = text.trimEnd().split('\n');
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(events.map((e) => dumpRecord(e)));
    }
  });
});

describe.skipIf(corpusMissing('evtx'))('readEvtx on real files', () => {
  it('keeps seen = returned + rejected on every damaged sample, inline and with workers', async () => {
    for (const name of ['sample_with_a_bad_chunk_magic.evtx', 'sample-with-zero-data-size-event.evtx', 'security_bad_string_cache.evtx', 'Application_no_crc32.evtx', 'sysmon.evtx']) {
      const path = corpusPath('evtx', 'evtx-rs-samples', name);
      const inline = await readAll(path, { workers: 0 });
      const threaded = await readAll(path, { workers: 2 });
      expect(balanced(inline.summary), name).toBe(true);
      expect(threaded.events, name).toEqual(inline.events);
      expect(threaded.issues, name).toEqual(inline.issues);
      expect(inline.summary.recordsReturned, name).toBe(inline.events.length);
      const lost = inline.issues.reduce((n, i) => n + i.lostRecords, 0);
      expect(lost, name).toBe(inline.summary.recordsRejected + inline.summary.recordsMissing);
    }
  });

  it('reads a dirty file past the chunk count in its header', async () => {
    // sysmon.evtx: flagged dirty, header counts 1 chunk, 9 hold records 1742-2099.
    const out = await readAll(corpusPath('evtx', 'evtx-rs-samples', 'sysmon.evtx'));
    expect(out.summary.dirty).toBe(true);
    expect(out.summary.chunks - out.summary.chunksSkipped).toBe(9);
    expect(out.events.map((e) => e.recordId)).toEqual(Array.from({ length: 2099 - 1742 + 1 }, (_, i) => 1742 + i));
  });
});
