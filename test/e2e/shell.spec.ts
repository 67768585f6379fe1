import { join } from 'node:path';
import { expect, openApp, screenshot, test } from './fixtures';

test('the shell loads in browser mode with the case open and every view reachable', async ({ page, loupe }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page, loupe);
  await expect(page.getByTestId('case-name')).toHaveText('case');
  await expect(page.getByTestId('connection-status')).toContainText('connected');
  // The token is taken out of the address bar once read.
  expect(page.url()).not.toContain('token=');
  for (const view of ['import', 'search', 'timeline', 'alerts', 'dashboard', 'entities', 'rules', 'reports', 'settings']) {
    await page.locator(`[data-nav="${view}"]`).click();
    await expect(page.locator(`[data-view="${view}"]`)).toBeVisible();
  }
  // Keyboard: Alt+1 jumps to Import.
  await page.keyboard.press('Alt+1');
  await expect(page.locator('[data-view="import"]')).toBeVisible();
  // The picture as the analyst sees it at rest: the list loaded, no nav item under the pointer.
  await expect(page.getByTestId('evidence')).toHaveAttribute('data-state', 'loaded');
  await page.mouse.move(640, 400);
  await screenshot(page, 'shell-dark');
  await page.getByRole('button', { name: /Switch to light theme/ }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await screenshot(page, 'shell-light');
  expect(errors).toEqual([]);
});

test('a case is created and switched from the case dialog', async ({ page, loupe }) => {
  await openApp(page, loupe);
  await page.getByTestId('case-button').click();
  await expect(page.getByTestId('case-switcher')).toBeVisible();
  await screenshot(page, 'case-switcher');
  await page.getByTestId('new-case-name').fill('Operation Nightjar');
  await page.getByTestId('new-case-dir').fill(join(loupe.tmp, 'nightjar'));
  await page.getByTestId('create-case').click();
  await expect(page.getByTestId('case-name')).toHaveText('Operation Nightjar');

  // Switch back to the first case through the recent list.
  await page.getByTestId('case-button').click();
  await page.getByRole('button', { name: /^case / }).click();
  await expect(page.getByTestId('case-name')).toHaveText('case');

  // Opening a folder that is not a case shows the engine's message, not a crash.
  await page.getByTestId('case-button').click();
  await page.getByTestId('open-case-dir').fill(loupe.home);
  await page.getByTestId('open-case').click();
  await expect(page.getByRole('alert')).toContainText('not a Loupe case');
  await screenshot(page, 'case-switcher-error');
});
