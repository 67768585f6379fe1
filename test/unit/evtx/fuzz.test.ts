import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseChunk } from '../../../src/main/engine/evtx/chunk-parser';
import { corpusPath } from '../../corpus';
import { ChunkWriter, eventTemplate, eventValues, evtxFile, V } from '../../fixtures/evtx-writer';
import { balanced, readAll, tempFiles } from './helpers';

/**
 * Mutation fuzzing over real and generated files: truncation, zeroed
 * chunks, flipped bytes, overwritten runs. Every mutant must be read to the
 * end through the public API without an exception, with balanced accounting.
 * A mutant that hung would trip the time guard below (a hang detector set far
 * above the ~50 ms a mutant takes, not a performance assertion).
 */
const file = tempFiles();
const HANG_MS = 15_000;

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutation = (data: Buffer, r: () => number) => Buffer;
const int = (r: () => number, n: number): number => Math.floor(r() * n);

const MUTATIONS: Record<string, Mutation> = {
  truncate: (d, r) => d.subarray(0, int(r, d.length)),
  zeroChunk: (d, r) => {
    const out = Buffer.from(d);
    const chunks = Math.max(1, Math.floor((d.length - 4096) / 65536));
    const at = 4096 + int(r, chunks) * 65536;
    out.fill(0, at, Math.min(out.length, at + 65536));
    return out;
  },
  flipBytes: (d, r) => {
    const out = Buffer.from(d);
    const flips = 1 + int(r, 200);
    for (let i = 0; i < flips; i++) {
      const at = int(r, out.length);
      out[at] = out[at]! ^ (1 << int(r, 8));
    }
    return out;
  },
  flipRecordArea: (d, r) => {
    // Aim at the records (past the chunk headers), where most parsing happens.
    const out = Buffer.from(d);
    const chunks = Math.max(1, Math.floor((d.length - 4096) / 65536));
    for (let i = 0; i < 40; i++) {
      const at = 4096 + int(r, chunks) * 65536 + 512 + int(r, 20000);
      if (at < out.length) out[at] = int(r, 256);
    }
    return out;
  },
  overwriteRun: (d, r) => {
    const out = Buffer.from(d);
    const at = int(r, out.length);
    const len = Math.min(out.length - at, 1 + int(r, 4096));
    for (let i = 0; i < len; i++) out[at + i] = int(r, 256);
    return out;
  },
  mixed: (d, r) => MUTATIONS.flipBytes!(MUTATIONS.zeroChunk!(MUTATIONS.truncate!(d, r).length > 8192 ? MUTATIONS.truncate!(d, r) : d, r), r),
};

function generated(): Buffer {
  const t = eventTemplate(1, ['TargetUserName', null, 'CommandLine']);
  const inner = eventTemplate(2, ['Nested']);
  let id = 1;
  const chunks = [0, 1].map(() => {
    const w = new ChunkWriter();
    for (let i = 0; i < 40; i++, id++) {
      w.addRecord(id, {
        instance: t,
        values: eventValues({
          eventId: 4688,
          recordId: id,
          data: [V.string(`u${id}`), V.stringArray(['a', 'b']), V.binxml({ instance: inner, values: eventValues({ eventId: 1, recordId: id, data: [V.string('n')] }) })],
        }),
      });
    }
    return w.finish();
  });
  return evtxFile(chunks);
}

const REAL = [
  'evtx/chainsaw/security_sample.evtx',
  'evtx/evtx-rs-samples/MSExchange_Management_wec.evtx',
  'evtx/EVTX-ATTACK-SAMPLES/Lateral Movement/LM_5145_Remote_FileCopy.evtx',
  'evtx/EVTX-ATTACK-SAMPLES/Privilege Escalation/privesc_unquoted_svc_sysmon_1_11.evtx',
  'evtx/evtx-rs-samples/system.evtx',
].filter((p) => existsSync(corpusPath(p)));

const SOURCES: [string, () => Buffer][] = [['generated', generated], ...REAL.map((p): [string, () => Buffer] => [p, () => readFileSync(corpusPath(p))])];

describe('mutation fuzzing', () => {
  if (REAL.length === 0) process.stderr.write('corpus EVTX files not found: fuzzing generated files only\n');
  for (const [name, load] of SOURCES) {
    it(`survives mutations of ${name}`, async () => {
      const original = load();
      const seeds = name === 'generated' ? 120 : 48;
      for (const [kind, mutate] of Object.entries(MUTATIONS)) {
        for (let seed = 1; seed <= seeds / 6; seed++) {
          const mutant = mutate(original, rng(seed * 7919 + kind.length));
          const path = file(`m-${kind}-${seed}.evtx`, mutant);
          const started = performance.now();
          const out = await readAll(path);
          const took = performance.now() - started;
          const context = `${name} ${kind} seed ${seed}`;
          expect(took, context).toBeLessThan(HANG_MS);
          expect(balanced(out.summary), context).toBe(true);
          expect(out.summary.recordsReturned, context).toBe(out.events.length);
          for (const e of out.events) {
            expect(typeof e.recordId, context).toBe('number');
            expect(e.timeCreated === null || /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(e.timeCreated), context).toBe(true);
          }
          for (const issue of out.issues) {
            expect(issue.offset, context).toBeGreaterThanOrEqual(0);
            expect(issue.offset, context).toBeLessThanOrEqual(Math.max(mutant.length, 4096));
          }
        }
      }
    });
  }

  it('parses chunks of pure noise without throwing', () => {
    const r = rng(42);
    for (let i = 0; i < 300; i++) {
      const chunk = Buffer.alloc(65536);
      for (let k = 0; k < chunk.length; k++) chunk[k] = int(r, 256);
      chunk.write('ElfChnk\0', 0, 'latin1');
      // Records-like noise: plant signatures with plausible sizes.
      for (let k = 0; k < 50; k++) {
        const at = 512 + int(r, 60000);
        chunk.writeUInt32LE(0x2a2a, at);
        const size = 28 + int(r, 2000);
        chunk.writeUInt32LE(size, at + 4);
        if (at + size <= chunk.length) chunk.writeUInt32LE(size, at + size - 4);
      }
      const result = parseChunk(chunk, i, 4096, { expected: true, recoverSlack: i % 2 === 0 });
      expect(result.seen).toBe(result.events.length + result.rejected);
    }
  });
});
