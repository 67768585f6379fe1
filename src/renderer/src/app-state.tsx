import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, CaseInfo } from '@shared/contract';
import { useApi, usePushEvent } from './api/context';

interface AppState {
  info: AppInfo | null;
  caseInfo: CaseInfo | null;
  loadError: string | null;
  refresh: () => Promise<void>;
}

const AppStateContext = createContext<AppState | null>(null);

/** App-wide facts every view needs: which host, which case is open. */
export function AppStateProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [caseInfo, setCaseInfo] = useState<CaseInfo | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const i = await api.getAppInfo({});
      setInfo(i);
      setCaseInfo(i.case);
      setLoadError(null);
    } catch (e) {
      setLoadError((e as Error).message);
    }
  }, [api]);

  useEffect(() => {
    void refresh();
  }, [refresh]);
  usePushEvent('caseChanged', (p) => setCaseInfo(p.case));

  return <AppStateContext.Provider value={{ info, caseInfo, loadError, refresh }}>{children}</AppStateContext.Provider>;
}

export function useAppState(): AppState {
  const s = useContext(AppStateContext);
  if (!s) throw new Error('useAppState outside AppStateProvider');
  return s;
}
