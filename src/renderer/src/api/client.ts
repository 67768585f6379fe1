import { OP_NAMES, type LoupeApi, type PushEventName, type PushEventPayload } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import { createHttpClient } from '@shared/http-client';

export interface Connection {
  api: LoupeApi;
  mode: 'electron' | 'web';
  on<E extends PushEventName>(event: E, listener: (payload: PushEventPayload<E>) => void): () => void;
  /** Web mode: send a dropped/picked file to the engine; resolves to a path the engine can import. */
  upload?(file: File, onProgress?: (fraction: number) => void): Promise<string>;
  /** Electron: the dropped file's real path. */
  pathForFile?(file: File): string;
  /** Web mode: a URL that downloads a report or export of the open case. */
  fileUrl?(path: string): string;
  /** Web mode: whether the event stream is currently connected. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

/**
 * Pick the transport once at start: the preload bridge inside Electron, HTTP
 * with the per-start token in browser mode. The UI only ever sees LoupeApi.
 */
export function connect(): Connection {
  const bridge = window.loupe;
  if (bridge) {
    const api = Object.fromEntries(
      OP_NAMES.map((name) => [
        name,
        async (input: unknown) => {
          const r = await (bridge[name] as (i: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: never; message: string } }>)(input);
          if (!r.ok) throw new LoupeError(r.error?.code ?? 'INTERNAL', r.error?.message ?? 'Unknown error');
          return r.value;
        },
      ]),
    ) as LoupeApi;
    return {
      api,
      mode: 'electron',
      on: (event, listener) => bridge.on(event, listener),
      pathForFile: (file) => bridge.pathForFile(file),
      onStatus: (listener) => {
        listener('connected');
        return () => undefined;
      },
    };
  }
  return connectWeb();
}

function connectWeb(): Connection {
  const token = takeToken();
  const api = createHttpClient({ baseUrl: '', token });
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  let status: ConnectionStatus = 'connecting';
  const setStatus = (s: ConnectionStatus): void => {
    status = s;
    statusListeners.forEach((l) => l(s));
  };
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  source.onopen = () => setStatus('connected');
  source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'disconnected' : 'connecting');
  const subscribed = new Set<string>();
  return {
    api,
    mode: 'web',
    on(event, listener) {
      if (!subscribed.has(event)) {
        subscribed.add(event);
        source.addEventListener(event, (e) => {
          const payload: unknown = JSON.parse((e as MessageEvent<string>).data);
          listeners.get(event)?.forEach((l) => l(payload));
        });
      }
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    upload: (file, onProgress) => uploadFile(token, file, onProgress),
    fileUrl: (path) => `/api/file?path=${encodeURIComponent(path)}&token=${encodeURIComponent(token)}`,
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
  };
}

/** The token arrives once in the URL; keep it for this tab and take it out of the address bar. */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('loupe-token', fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem('loupe-token') ?? '';
}

function uploadFile(token: string, file: File, onProgress?: (fraction: number) => void): Promise<string> {
  // XMLHttpRequest, not fetch: it reports upload progress for the progress bar.
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/upload?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('X-Loupe-Token', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        const body = JSON.parse(xhr.responseText) as { ok: boolean; value?: { path: string }; error?: { code: never; message: string } };
        if (body.ok && body.value) resolve(body.value.path);
        else reject(new LoupeError(body.error?.code ?? 'IO_ERROR', body.error?.message ?? `Upload failed (${xhr.status})`));
      } catch {
        reject(new LoupeError('IO_ERROR', `Upload failed (${xhr.status})`));
      }
    };
    xhr.onerror = () => reject(new LoupeError('IO_ERROR', 'Upload failed: the engine is unreachable'));
    xhr.send(file);
  });
}
