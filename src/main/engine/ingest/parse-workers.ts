import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/workers';
import type { FromWorker, JobDone, ParseJob, StagedChunk } from './worker-protocol';

export interface JobHandlers {
  /** Load one staged chunk; the worker gets its credit back when this resolves. */
  onChunk(c: StagedChunk): Promise<void>;
}

interface Active {
  job: ParseJob;
  handlers: JobHandlers;
  worker: Worker;
  /** Chunks are loaded strictly one after another, in the order they were written. */
  chain: Promise<void>;
  loadError: Error | null;
  resolve: (d: JobDone) => void;
  reject: (e: Error) => void;
}

/**
 * The parse worker threads of an import run, started on first use and kept
 * for the run (starting one costs more than parsing a small file). One job
 * per worker at a time; `run` resolves when the worker has finished the file
 * AND every chunk it wrote has been loaded.
 */
export class ParseWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly active = new Map<number, Active>();
  private nextJob = 1;

  constructor(private readonly start: () => Worker = () => startWorker('parse-worker', workerSource())) {}

  async run(job: Omit<ParseJob, 'jobId' | 'type'>, handlers: JobHandlers, signal?: AbortSignal): Promise<JobDone> {
    const worker = this.take();
    const jobId = this.nextJob++;
    const full: ParseJob = { ...job, type: 'job', jobId };
    return new Promise<JobDone>((resolve, reject) => {
      const a: Active = { job: full, handlers, worker, chain: Promise.resolve(), loadError: null, resolve, reject };
      this.active.set(jobId, a);
      const onAbort = (): void => worker.postMessage({ type: 'cancel', jobId });
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active.delete(jobId);
        this.idle.push(worker);
      };
      a.resolve = (d) => {
        finish();
        resolve(d);
      };
      a.reject = (e) => {
        finish();
        reject(e);
      };
      worker.postMessage(full);
    });
  }

  close(): void {
    for (const w of this.all) void w.terminate();
    this.all.clear();
    this.idle.length = 0;
  }

  private take(): Worker {
    const w = this.idle.pop();
    if (w) return w;
    const worker = this.start();
    this.all.add(worker);
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.onWorkerDeath(worker, e));
    worker.on('exit', (code) => {
      if (this.all.has(worker)) this.onWorkerDeath(worker, new Error(`parse worker exited with code ${code}`));
    });
    return worker;
  }

  private onWorkerDeath(worker: Worker, e: Error): void {
    this.all.delete(worker);
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    for (const a of this.active.values()) {
      if (a.worker === worker) {
        this.active.delete(a.job.jobId);
        a.reject(new Error(`the parse worker stopped: ${e.message}`));
      }
    }
  }

  private onMessage(m: FromWorker): void {
    const a = this.active.get(m.jobId);
    if (!a) return;
    if (m.type === 'chunk') {
      a.chain = a.chain.then(async () => {
        if (a.loadError) return; // a failed load stops the file; later chunks are dropped
        try {
          await a.handlers.onChunk(m);
          a.worker.postMessage({ type: 'loaded', jobId: m.jobId });
        } catch (e) {
          a.loadError = e as Error;
          a.worker.postMessage({ type: 'cancel', jobId: m.jobId });
        }
      });
      return;
    }
    if (m.type === 'done') {
      void a.chain.then(() => (a.loadError ? a.reject(a.loadError) : a.resolve(m)));
      return;
    }
    void a.chain.then(() => a.reject(new Error(m.message)));
  }
}

/** From source: the worker's .ts file; bundled: this chunk (startWorker finds parse-worker.js beside it). */
function workerSource(): string {
  // import.meta.url is missing in some CommonJS bundles; __filename is there instead.
  const here = (import.meta as { url?: string }).url ?? pathToFileURL(__filename).href;
  return here.endsWith('.ts') ? new URL('./parse-worker.ts', here).href : here;
}
