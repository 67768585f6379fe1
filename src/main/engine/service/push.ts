import { EventEmitter } from 'node:events';
import type { PushEventName, PushEventPayload } from '@shared/contract';

type Listener = <E extends PushEventName>(event: E, payload: PushEventPayload<E>) => void;

/**
 * The engine's outgoing events (import progress, alert counts, case switches).
 * Hosts subscribe once and forward to their UIs: IPC for Electron, SSE for the
 * web host, stderr progress for the CLI.
 */
export class PushBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Each open browser tab is a listener; the default cap of 10 is not a leak signal here.
    this.emitter.setMaxListeners(0);
  }

  emit<E extends PushEventName>(event: E, payload: PushEventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }

  subscribe(listener: Listener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
