import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

const ROOT = resolve(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export interface LoupeServer {
  url: string;
  port: number;
  token: string;
  home: string;
  caseDir: string;
  tmp: string;
}

/**
 * Every test gets its own data folder, its own case and its own `loupe serve`
 * (the built CLI, as a user runs it), so no test sees another's state.
 */
export const test = base.extend<{ loupe: LoupeServer }>({
  // eslint-disable-next-line no-empty-pattern
  loupe: async ({}, use) => {
    const tmp = mkdtempSync(join(tmpdir(), 'loupe-e2e-'));
    const home = join(tmp, 'home');
    const caseDir = join(tmp, 'case');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'loupe.js'), 'serve', '--json', '--case', caseDir], {
      cwd: ROOT,
      env: { ...process.env, LOUPE_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const info = await readServeInfo(child);
    await use({ ...info, home, caseDir, tmp });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(tmp, { recursive: true, force: true });
  },
});

export function readServeInfo(child: ChildProcess): Promise<{ url: string; port: number; token: string }> {
  return new Promise((done, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`loupe serve did not start: ${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        done(JSON.parse(line) as { url: string; port: number; token: string });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => fail(new Error(`loupe serve exited ${code}: ${err}`)));
  });
}

/** Open the app and wait until the shell says it is ready (never a sleep). */
export async function openApp(page: Page, loupe: LoupeServer, route = 'search'): Promise<void> {
  await page.goto(`${loupe.url}#/${route}`);
  await expect(page.locator('.shell')).toHaveAttribute('data-state', 'ready');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

export { expect };
