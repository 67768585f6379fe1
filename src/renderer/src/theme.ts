import { usePrefs, type Theme } from './prefs';

export type { Theme };

/** The theme preference (kept with the other display preferences in prefs.tsx). */
export function useTheme(): [Theme, (t: Theme) => void] {
  const { theme, setTheme } = usePrefs();
  return [theme, setTheme];
}
