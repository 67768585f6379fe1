import { parentPort } from 'node:worker_threads';
import { LiveStager } from './live-stager';
import type { FromLiveWorker, ToLiveWorker } from './live-worker-protocol';

/**
 * Worker-thread entry of the live sources: parses received messages and
 * writes staging chunks (live-stager.ts), one request at a time, so the
 * thread that reads sockets and follows files is never busy parsing.
 */

if (!parentPort) throw new Error('live-worker must run as a worker thread');
const port = parentPort;
const stager = new LiveStager();

port.on('message', (m: ToLiveWorker) => {
  if (m.type === 'forget') {
    stager.forget(m.sourceId);
    return;
  }
  let reply: FromLiveWorker;
  try {
    reply = { type: 'staged', reqId: m.reqId, result: stager.stage(m.request) };
  } catch (e) {
    reply = { type: 'failed', reqId: m.reqId, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
