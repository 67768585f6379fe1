import { parentPort } from 'node:worker_threads';
import { parseChunk } from './chunk-parser';
import { dumpLines } from './dump-format';
import type { ChunkJob, ChunkReply } from './worker-protocol';

/**
 * Worker thread entry (a build entry of its own, see electron.vite.config.ts):
 * parses the chunks the reader sends, one reply per job, in arrival order.
 */
const port = parentPort;
if (port) {
  port.on('message', (job: ChunkJob) => {
    let reply: ChunkReply;
    try {
      const result = parseChunk(Buffer.from(job.bytes, 0, job.length), job.chunk, job.fileOffset, {
        expected: job.expected,
        recoverSlack: job.recoverSlack,
      });
      if (job.output === 'ndjson') {
        const returned = result.events.length;
        const ndjson = Buffer.from(dumpLines(result.events), 'utf8');
        result.events = [];
        reply = { seq: job.seq, result, ndjson, returned, error: null };
        // A Buffer this size has its own ArrayBuffer (not the shared pool), so it can move.
        port.postMessage(reply, ndjson.byteOffset === 0 && ndjson.buffer.byteLength === ndjson.length ? [ndjson.buffer as ArrayBuffer] : []);
        return;
      } else {
        reply = { seq: job.seq, result, ndjson: null, returned: result.events.length, error: null };
      }
    } catch (e) {
      reply = { seq: job.seq, result: null, ndjson: null, returned: 0, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}
