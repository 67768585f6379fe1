import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { parseFile, type ParseOutput } from './parse-file';
import type { FromWorker, ParseJob, ToWorker } from './worker-protocol';

/**
 * Worker-thread entry: parses one file at a time in JavaScript and writes
 * staging chunks (see parse-file.ts). Running here keeps the host's event
 * loop free while a 2 GB syslog file is parsed; the main thread only loads
 * the chunks into DuckDB.
 */

if (!parentPort) throw new Error('parse-worker must run as a worker thread');
const port = parentPort;

interface Running {
  jobId: number;
  credit: number;
  cancelled: boolean;
  wake: (() => void) | null;
}

let running: Running | null = null;

port.on('message', (m: ToWorker) => {
  if (m.type === 'job') {
    void run(m);
    return;
  }
  if (!running || running.jobId !== m.jobId) return;
  if (m.type === 'loaded') running.credit++;
  else if (m.type === 'cancel') running.cancelled = true;
  const wake = running.wake;
  running.wake = null;
  wake?.();
});

function post(m: FromWorker): void {
  port.postMessage(m);
}

async function run(job: ParseJob): Promise<void> {
  const state: Running = { jobId: job.jobId, credit: job.credit, cancelled: false, wake: null };
  running = state;
  const out: ParseOutput = {
    async chunk(c) {
      // Wait for the loader to take a chunk back before writing ahead further.
      while (state.credit <= 0 && !state.cancelled) await new Promise<void>((r) => (state.wake = r));
      if (state.cancelled) return false;
      state.credit--;
      post({ type: 'chunk', jobId: job.jobId, ...c });
      return true;
    },
    async yieldNow() {
      // Let `cancel` and `loaded` messages in between read buffers.
      await new Promise<void>((r) => setImmediate(r));
      return !state.cancelled;
    },
  };
  let fd = -1;
  try {
    fd = openSync(job.file, 'r');
    const handle = fd;
    const read = (buf: Buffer): number => readSync(handle, buf, 0, buf.length, null);
    const done = await parseFile(job, read, out);
    post({ type: 'done', jobId: job.jobId, ...done, cancelled: state.cancelled });
  } catch (e) {
    post({ type: 'failed', jobId: job.jobId, message: e instanceof Error ? e.message : String(e) });
  } finally {
    if (fd >= 0) closeSync(fd);
    if (running === state) running = null;
  }
}
