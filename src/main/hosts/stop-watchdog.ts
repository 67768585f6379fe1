import { Worker } from 'node:worker_threads';

/**
 * A deadline for shutting down that holds even when the main thread is stuck.
 *
 * Closing a case ends in synchronous DuckDB calls (closing connections and the
 * database, which checkpoints). Should one of them block, a setTimeout on the
 * main thread never fires and Ctrl+C hangs for good. So the deadline lives in
 * a worker thread: it waits on shared memory, and when the time is up it writes
 * its message straight to fd 2 and kills the process, as a kill -9 would. The
 * case is made to survive that (committed rows stay; an interrupted import is
 * marked incomplete at the next open).
 */
export interface StopWatchdog {
  /** Name what is being waited on, for the message should the deadline pass. */
  step(index: number): void;
  /** Shutdown finished in time: the watchdog ends without touching the process. */
  done(): void;
}

// Slot 0: 1 once done. Slot 1: index of the current step.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const state = new Int32Array(workerData.state);
const end = Date.now() + workerData.ms;
while (Atomics.load(state, 0) === 0) {
  const left = end - Date.now();
  if (left <= 0) {
    const step = workerData.steps[Atomics.load(state, 1)] || 'stopping';
    writeSync(2, workerData.message.replace('%s', step));
    process.kill(process.pid, 'SIGKILL');
  }
  Atomics.wait(state, 0, 0, left);
}
`;

export function startStopWatchdog(opts: { ms: number; steps: string[]; message: string }): StopWatchdog {
  const state = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { state: state.buffer, ms: opts.ms, steps: opts.steps, message: opts.message } });
  // The watchdog never keeps a process alive that is otherwise done.
  worker.unref();
  return {
    step: (index) => Atomics.store(state, 1, index),
    done: () => {
      Atomics.store(state, 0, 1);
      Atomics.notify(state, 0);
    },
  };
}
