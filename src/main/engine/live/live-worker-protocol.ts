import type { StageRequest, StageResult } from './live-stager';

/** Messages between the live service (main thread) and live-worker.ts; plain data (structured clone). */
export type ToLiveWorker = { type: 'stage'; reqId: number; request: StageRequest } | { type: 'forget'; sourceId: number };

export type FromLiveWorker = { type: 'staged'; reqId: number; result: StageResult } | { type: 'failed'; reqId: number; message: string };
