import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import type { LoupeApi, PushEventName, PushEventPayload } from '@shared/contract';
import type { Connection } from './client';

const ConnectionContext = createContext<Connection | null>(null);

export function ConnectionProvider({ connection, children }: { connection: Connection; children: ReactNode }) {
  return <ConnectionContext.Provider value={connection}>{children}</ConnectionContext.Provider>;
}

export function useConnection(): Connection {
  const c = useContext(ConnectionContext);
  if (!c) throw new Error('useConnection outside ConnectionProvider');
  return c;
}

export function useApi(): LoupeApi {
  return useConnection().api;
}

/** Subscribe to a pushed engine event for the life of the component. */
export function usePushEvent<E extends PushEventName>(event: E, listener: (payload: PushEventPayload<E>) => void): void {
  const connection = useConnection();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => connection.on(event, (p) => latest.current(p)), [connection, event]);
}
