import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { RecentCase } from '@shared/contract';
import { appDataDir } from '../paths';

const MAX_RECENT = 20;
const RecentList = z.array(RecentCase);

function recentFile(): string {
  return join(appDataDir(), 'recent-cases.json');
}

/** The recent-cases list, newest first; entries whose folder vanished are dropped. */
export function listRecentCases(): RecentCase[] {
  const file = recentFile();
  if (!existsSync(file)) return [];
  try {
    const parsed = RecentList.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data.filter((r) => existsSync(r.dir)) : [];
  } catch {
    return []; // a damaged list is not worth stopping the app for
  }
}

export function rememberCase(dir: string, name: string): void {
  const list = [{ dir, name, openedAt: new Date().toISOString() }, ...listRecentCases().filter((r) => r.dir !== dir)].slice(0, MAX_RECENT);
  const file = recentFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(list, null, 2)}\n`);
}
