import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, CaseInfo } from '@shared/contract';
import { useApi, usePushEvent } from './api/context';

interface AppState {
  info: AppInfo | null;
  caseInfo: CaseInfo | null;
  loadError: string | null;
  refresh: () => Promise<void>;
  /** Following live sources: the case's event count tracks them, so views keyed on it refresh. */
  follow: boolean;
  setFollow: (on: boolean) => void;
}

/** At most one live refresh of the views this often (ms): each one reruns their queries. */
const FOLLOW_EVERY_MS = 1500;

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

  // Live sources push the case's event count about once a second; with Follow on it becomes
  // caseInfo.events, which Search, Dashboard and Alerts already reload on.
  const [follow, setFollow] = useState(false);
  const lastFollow = useRef(0);
  usePushEvent('liveStats', (p) => {
    if (!follow || Date.now() - lastFollow.current < FOLLOW_EVERY_MS) return;
    setCaseInfo((c) => {
      if (!c || c.events === p.events) return c;
      lastFollow.current = Date.now();
      return { ...c, events: p.events };
    });
  });

  return <AppStateContext.Provider value={{ info, caseInfo, loadError, refresh, follow, setFollow }}>{children}</AppStateContext.Provider>;
}

export function useAppState(): AppState {
  const s = useContext(AppStateContext);
  if (!s) throw new Error('useAppState outside AppStateProvider');
  return s;
}
