import { connect } from 'node:net';
import type { Page } from '@playwright/test';
import { expect, openApp, screenshot, test } from './fixtures';

/**
 * Live, end to end: the analyst starts a syslog listener from the Live view
 * (TCP on a free port), a device sends a few lines, the counters move, and
 * the events are found in Search, which refreshes by itself with Follow on.
 */

function sendTcp(port: number, lines: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => s.end(lines.map((l) => `${l}\n`).join('')));
    s.on('error', fail);
    s.on('close', () => ok());
  });
}

const failed = (i: number) => `<38>Nov 22 05:00:0${i} fw-e2e sshd[${700 + i}]: Failed password for invalid user scan${i} from 198.51.100.${i} port ${50000 + i} ssh2`;

async function boundTcpPort(page: Page): Promise<number> {
  const row = page.locator('[data-testid^="live-source-"]').first();
  await expect(row).toHaveAttribute('data-state', 'running');
  const text = await row.locator('.row-message').first().innerText();
  const m = /tcp (\d+)/.exec(text);
  if (!m) throw new Error(`no bound TCP port in "${text}"`);
  return Number(m[1]);
}

test('live: start a TCP listener from the UI, counters move, events are found in Search', async ({ page, loupe }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page, loupe, 'live');
  const live = page.locator('[data-view="live"]');
  await expect(live).toHaveAttribute('data-state', 'loaded');
  await expect(page.getByTestId('live-sources')).toContainText('No live source yet');

  // TCP only, port 0 (a free one: tests run side by side); the bind address stays 127.0.0.1.
  await expect(page.getByTestId('listener-host')).toHaveValue('127.0.0.1');
  await page.getByTestId('listener-udp-on').uncheck();
  await page.getByTestId('listener-tcp').fill('0');
  await page.getByTestId('listener-start').click();
  const port = await boundTcpPort(page);
  const row = page.locator('[data-testid^="live-source-"]').first();
  await expect(row.getByTestId('live-received')).toHaveText('0');

  await sendTcp(port, [failed(1), failed(2), failed(3)]);
  // Counters arrive by push (about once a second), never by reloading the page.
  await expect(row.getByTestId('live-received')).toHaveText('3');
  await expect(row.getByTestId('live-stored')).toHaveText('3');
  await expect(row.getByTestId('live-dropped')).toHaveText('0');
  await expect(row.getByTestId('live-backlog')).toHaveText('0');
  // The top bar's count follows the live sources even with Follow live off.
  await expect(page.getByTestId('follow-toggle')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('case-counts')).toContainText('3 events');
  // The listener is the case's one piece of evidence (the count was 0 until the case reopened).
  await expect(page.getByTestId('case-counts')).toContainText('1 evidence item');
  await screenshot(page, 'live-running');

  // Search finds them; with Follow on, lines sent later appear without a new query.
  await page.getByTestId('follow-toggle').click();
  await expect(page.getByTestId('follow-toggle')).toHaveAttribute('aria-pressed', 'true');
  await page.locator('[data-nav="search"]').click();
  const input = page.getByTestId('query-input');
  await input.fill('host:fw-e2e');
  await input.press('Escape');
  await page.getByTestId('query-submit').click();
  await expect(page.getByTestId('result-total')).toHaveText('3');
  await sendTcp(port, [failed(4), failed(5)]);
  await expect(page.getByTestId('result-total')).toHaveText('5');
  await expect(page.locator('.et-row[data-id]')).toHaveCount(5);
  await screenshot(page, 'live-search-follow');

  // Stop from the Live view: the row says stopped and keeps its counters.
  await page.locator('[data-nav="live"]').click();
  await row.getByTestId('live-stop').click();
  await expect(row).toHaveAttribute('data-state', 'stopped');
  await expect(row.getByTestId('live-stored')).toHaveText('5');
  await expect(row.getByTestId('live-start')).toBeVisible();
  expect(errors).toEqual([]);
});
