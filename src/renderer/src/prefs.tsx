import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { isValidZone, setDisplayZone, UTC } from './lib/time-format';

export type Theme = 'dark' | 'light';

interface Prefs {
  theme: Theme;
  setTheme(t: Theme): void;
  /** `UTC`, `local` or an IANA zone: how times are shown everywhere. */
  timeZone: string;
  setTimeZone(z: string): void;
}

const PrefsContext = createContext<Prefs | null>(null);

function initialZone(): string {
  const z = localStorage.getItem('loupe-time-zone') ?? UTC;
  return isValidZone(z) ? z : UTC;
}

/**
 * The analyst's display preferences, kept in this browser profile (the same
 * in the desktop app and browser mode). The app shell consumes them, so a
 * change re-renders every view with the new theme and time zone.
 */
export function PrefsProvider({ children }: { children: ReactNode }) {
  // Dark by default (analysts work long hours in dim rooms); the choice is remembered.
  const [theme, setThemeState] = useState<Theme>(() => (localStorage.getItem('loupe-theme') === 'light' ? 'light' : 'dark'));
  const [timeZone, setZoneState] = useState<string>(() => {
    const z = initialZone();
    setDisplayZone(z);
    return z;
  });
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const setTheme = useCallback((t: Theme) => {
    localStorage.setItem('loupe-theme', t);
    setThemeState(t);
  }, []);
  const setTimeZone = useCallback((z: string) => {
    const next = isValidZone(z) ? z : UTC;
    localStorage.setItem('loupe-time-zone', next);
    // The formatter reads the zone synchronously while the app re-renders.
    setDisplayZone(next);
    setZoneState(next);
  }, []);
  const value = useMemo(() => ({ theme, setTheme, timeZone, setTimeZone }), [theme, setTheme, timeZone, setTimeZone]);
  return <PrefsContext.Provider value={value}>{children}</PrefsContext.Provider>;
}

export function usePrefs(): Prefs {
  const p = useContext(PrefsContext);
  if (!p) throw new Error('usePrefs outside PrefsProvider');
  return p;
}
