import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Loupe keeps what belongs to the analyst rather than to one case:
 * shared threat intel, the recent-cases list, settings, the default case.
 * LOUPE_HOME overrides it (tests and portable installs); otherwise the
 * platform's usual per-user data folder, the same one Electron's
 * app.getPath('userData') would pick for an app named "Loupe".
 */
export function appDataDir(): string {
  if (process.env.LOUPE_HOME) return process.env.LOUPE_HOME;
  const home = homedir();
  switch (process.platform) {
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Loupe');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Loupe');
    default:
      return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Loupe');
  }
}

export function intelDir(): string {
  return join(appDataDir(), 'intel');
}

export function defaultCaseDir(): string {
  return join(appDataDir(), 'cases', 'default');
}
