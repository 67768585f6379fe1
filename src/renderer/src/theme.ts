import { useCallback, useEffect, useState } from 'react';

export type Theme = 'dark' | 'light';

/** Dark by default (analysts work long hours in dim rooms); the choice is remembered. */
export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setThemeState] = useState<Theme>(() => (localStorage.getItem('loupe-theme') === 'light' ? 'light' : 'dark'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const setTheme = useCallback((t: Theme) => {
    localStorage.setItem('loupe-theme', t);
    setThemeState(t);
  }, []);
  return [theme, setTheme];
}
