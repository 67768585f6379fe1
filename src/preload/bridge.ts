import { isPushEventName, OP_NAMES, type BridgeApi, type PushEventName, type PushEventPayload } from '@shared/contract';

/**
 * What the preload needs from Electron, as a small interface: the bridge is
 * built from it, so its shape can be tested under plain Node.
 */
export interface BridgeDeps {
  invoke(channel: string, input: unknown): Promise<unknown>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
  pathForFile(file: File): string;
}

export const OP_CHANNEL_PREFIX = 'loupe:op:';
export const EVENT_CHANNEL = 'loupe:event';

/** One function per contract operation; no generic invoke ever reaches the page. */
export function createBridge(deps: BridgeDeps): BridgeApi {
  const ops = Object.fromEntries(OP_NAMES.map((name) => [name, (input: unknown) => deps.invoke(`${OP_CHANNEL_PREFIX}${name}`, input ?? {})]));
  return {
    ...(ops as Omit<BridgeApi, 'on' | 'pathForFile'>),
    on<E extends PushEventName>(event: E, listener: (payload: PushEventPayload<E>) => void): () => void {
      if (!isPushEventName(event)) throw new Error(`Unknown event ${String(event)}`);
      return deps.onEvent((name, payload) => {
        if (name === event) listener(payload as PushEventPayload<E>);
      });
    },
    pathForFile: (file: File) => deps.pathForFile(file),
  };
}
