import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/workers';
import type { StageRequest, StageResult } from './live-stager';
import type { FromLiveWorker } from './live-worker-protocol';

/**
 * The live sources' parse thread, seen from the main thread: one worker for
 * every source of the engine (the machine has few cores; the sockets need
 * the main thread, DuckDB its own), started on first use and again after it
 * dies. `generation` changes with each new worker, so a source knows when
 * it must send its state (columns, file readings) again.
 */
export class LiveWorkerClient {
  private worker: Worker | null = null;
  private nextReq = 1;
  private readonly pending = new Map<number, { resolve: (r: StageResult) => void; reject: (e: Error) => void }>();
  generation = 0;

  constructor(private readonly start: () => Worker = () => startWorker('live-worker', workerSource())) {}

  /** The generation a request sent now will reach (starts the worker if needed). */
  ensure(): number {
    this.spawn();
    return this.generation;
  }

  stage(request: StageRequest): Promise<StageResult> {
    const worker = this.spawn();
    const reqId = this.nextReq++;
    return new Promise<StageResult>((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject });
      worker.postMessage({ type: 'stage', reqId, request });
    });
  }

  forget(sourceId: number): void {
    this.worker?.postMessage({ type: 'forget', sourceId });
  }

  close(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
    this.failAll(new Error('the live worker was stopped'));
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const worker = this.start();
    this.generation++;
    this.worker = worker;
    worker.on('message', (m: FromLiveWorker) => {
      const p = this.pending.get(m.reqId);
      if (!p) return;
      this.pending.delete(m.reqId);
      if (m.type === 'staged') p.resolve(m.result);
      else p.reject(new Error(m.message));
    });
    const died = (e: Error): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(e);
    };
    worker.on('error', (e) => died(e));
    worker.on('exit', (code) => died(new Error(`the live worker exited with code ${code}`)));
    return worker;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** From source: the worker's .ts file; bundled: this chunk (startWorker finds live-worker.js beside it). */
function workerSource(): string {
  const here = (import.meta as { url?: string }).url ?? pathToFileURL(__filename).href;
  return here.endsWith('.ts') ? new URL('./live-worker.ts', here).href : here;
}
