import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/workers';
import type { ChunkJob, ChunkReply } from './worker-protocol';

/**
 * The chunk workers, shared by every read in the process. Starting a worker
 * costs tens of milliseconds (hundreds from source), more than parsing a
 * megabyte, so workers outlive a read: an import of many files pays once.
 * While no read holds them they are unref'd (they never keep the process
 * alive) and after IDLE_MS they are stopped to give their memory back.
 */

const IDLE_MS = 10_000;

interface Slot {
  worker: Worker;
  busy: number;
  alive: boolean;
}

/** A read's handle on the pool: its jobs go to at most `size` workers. */
export interface PoolLease {
  readonly size: number;
  /** Resolves with the worker's reply, or with `error` set if no worker could do it. */
  run(job: Omit<ChunkJob, 'seq'>): Promise<ChunkReply>;
  release(): void;
}

class WorkerPool {
  private slots: Slot[] = [];
  private readonly waiting = new Map<number, { slot: Slot; resolve: (reply: ChunkReply) => void }>();
  private leases = 0;
  private nextSeq = 1;
  private idle: NodeJS.Timeout | null = null;

  lease(count: number): PoolLease {
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    this.slots = this.slots.filter((s) => s.alive);
    while (this.slots.length < count) this.slots.push(this.start());
    this.leases++;
    for (const slot of this.slots) slot.worker.ref();
    const mine = this.slots.slice(0, count);
    let released = false;
    return {
      size: count,
      run: (job) => this.run(mine, job),
      release: () => {
        if (released) return;
        released = true;
        this.release();
      },
    };
  }

  private start(): Slot {
    const slot: Slot = { worker: startWorker('evtx-worker', workerSource()), busy: 0, alive: true };
    slot.worker.on('message', (reply: ChunkReply) => this.settle(reply));
    slot.worker.on('error', (e) => this.fail(slot, e instanceof Error ? e.message : String(e)));
    slot.worker.on('exit', (code) => this.fail(slot, `worker exited with code ${code}`));
    return slot;
  }

  private run(candidates: Slot[], job: Omit<ChunkJob, 'seq'>): Promise<ChunkReply> {
    const seq = this.nextSeq++;
    let best: Slot | null = null;
    for (const slot of candidates) if (slot.alive && (best === null || slot.busy < best.busy)) best = slot;
    if (best === null) return Promise.resolve({ seq, result: null, ndjson: null, returned: 0, error: 'no live worker' });
    const slot = best;
    slot.busy++;
    return new Promise((resolve) => {
      this.waiting.set(seq, { slot, resolve });
      slot.worker.postMessage({ ...job, seq }, [job.bytes]);
    });
  }

  private settle(reply: ChunkReply): void {
    const entry = this.waiting.get(reply.seq);
    if (!entry) return;
    this.waiting.delete(reply.seq);
    entry.slot.busy--;
    entry.resolve(reply);
  }

  /** A worker that errors or exits fails its pending jobs over to their readers. */
  private fail(slot: Slot, why: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    for (const [seq, entry] of this.waiting) {
      if (entry.slot !== slot) continue;
      this.waiting.delete(seq);
      entry.resolve({ seq, result: null, ndjson: null, returned: 0, error: why });
    }
  }

  private release(): void {
    this.leases--;
    if (this.leases > 0) return;
    for (const slot of this.slots) slot.worker.unref();
    this.idle = setTimeout(() => this.stopAll(), IDLE_MS);
    this.idle.unref();
  }

  private stopAll(): void {
    this.idle = null;
    if (this.leases > 0) return;
    const slots = this.slots;
    this.slots = [];
    for (const slot of slots) {
      slot.alive = false;
      void slot.worker.terminate();
    }
  }
}

const pool = new WorkerPool();

/** Borrow `count` chunk workers (started on first use); release when the read ends. */
export function leaseWorkers(count: number): PoolLease {
  return pool.lease(count);
}

/** Where the worker entry is: beside the bundle when built, the .ts file from source. */
function workerSource(): string {
  // import.meta.url is missing in some CommonJS bundles; __filename is there instead.
  const here = (import.meta as { url?: string }).url ?? pathToFileURL(__filename).href;
  return here.endsWith('.ts') ? new URL('./evtx-worker.ts', here).href : here;
}
