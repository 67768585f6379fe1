import type { BridgeApi } from '../shared/contract';

declare global {
  interface Window {
    /** Present only inside the Electron window (set by the preload). */
    loupe?: BridgeApi;
  }
}

export {};
