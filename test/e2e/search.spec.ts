import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { expect, screenshot, startServe, type LoupeServer } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');
const EVENTS = 50_000;
const BRUTE_IP = '203.0.113.66';

/**
 * The hunt, end to end: a scenario case (multi-source events with a known
 * story) is generated, `loupe serve` opens it, and Chromium drives the
 * Search and Timeline views as an analyst would.
 */
const test = base.extend<{ hunt: LoupeServer }>({
  // eslint-disable-next-line no-empty-pattern
  hunt: async ({}, use) => {
    const tmp = mkdtempSync(join(tmpdir(), 'loupe-e2e-hunt-'));
    const home = join(tmp, 'home');
    const caseDir = join(tmp, 'case');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/make-scenario.ts'), caseDir, String(EVENTS)], { cwd: ROOT, stdio: 'pipe' });
    const serve = await startServe(caseDir, { ...process.env, LOUPE_HOME: home });
    await use({ ...serve.info, home, caseDir, tmp });
    await serve.stop();
    rmSync(tmp, { recursive: true, force: true });
  },
});

async function open(page: Page, hunt: LoupeServer, route: string): Promise<void> {
  await page.goto(`${hunt.url}#/${route}`);
  await expect(page.locator('.shell')).toHaveAttribute('data-state', 'ready');
}

async function runQuery(page: Page, q: string): Promise<void> {
  const input = page.getByTestId('query-input');
  await input.fill(q);
  await input.press('Escape'); // close the completion list so Enter submits
  await page.getByTestId('query-submit').click();
}

const view = (page: Page, name: string) => page.locator(`[data-view="${name}"]`);

test('search: query, errors, completion, paging, detail, pivot, star and tags', async ({ page, hunt }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await open(page, hunt, 'search');
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('result-total')).toHaveText(EVENTS.toLocaleString('en-US'));
  await expect(page.getByTestId('histogram')).toBeVisible();
  await expect(page.locator('.et-row[data-id]').first()).toBeVisible();
  await screenshot(page, 'search-all');

  // Brush across the middle of the histogram: the time range narrows to the selection.
  const chart = page.getByTestId('histogram');
  const box = await chart.boundingBox();
  if (!box) throw new Error('no histogram');
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId('time-picker')).toContainText('UTC');
  await expect(page.getByTestId('result-total')).not.toHaveText(EVENTS.toLocaleString('en-US'));
  const zoomed = Number((await page.getByTestId('result-total').innerText()).replace(/,/g, ''));
  expect(zoomed).toBeGreaterThan(1000);
  expect(zoomed).toBeLessThan(EVENTS / 5);
  await screenshot(page, 'search-brushed');
  await page.getByRole('button', { name: 'Reset time' }).click();
  await expect(page.getByTestId('result-total')).toHaveText(EVENTS.toLocaleString('en-US'));

  // A query: the brute force (50 failures + 1 success from one address).
  await runQuery(page, `src_ip:${BRUTE_IP}`);
  await expect(page.getByTestId('result-total')).toHaveText('51');
  await expect(page.locator('.et-row[data-index="0"]')).toContainText(BRUTE_IP);
  await screenshot(page, 'search-query');

  // A misspelt field: the engine's message, where it is, and a one-click fix.
  const input = page.getByTestId('query-input');
  await input.fill('event_code:4625 AND TargetUsrName:administrator');
  await expect(page.getByTestId('query-problem')).toContainText('did you mean "TargetUserName"');
  await expect(page.locator('.tok-problem')).toHaveText('TargetUsrName');
  await screenshot(page, 'search-error');
  await page.getByTestId('query-fix').click();
  await expect(page.getByTestId('query-problem')).toHaveCount(0);
  await page.getByTestId('query-submit').click();
  await expect(page.getByTestId('result-total')).toHaveText('50');

  // Completion of field names from every source.
  await input.fill('');
  await input.pressSequentially('Comman');
  await expect(page.getByTestId('query-suggestions')).toContainText('CommandLine');
  await screenshot(page, 'search-autocomplete');
  await input.press('Tab');
  await expect(input).toHaveValue('CommandLine:');
  await input.pressSequentially('*-enc*');
  await input.press('Escape');
  await page.getByTestId('query-submit').click();
  await expect(page.getByTestId('result-total')).toHaveText('3');

  // Paging: everything, scrolled far down; rows arrive by page.
  await runQuery(page, '');
  await expect(page.getByTestId('result-total')).toHaveText(EVENTS.toLocaleString('en-US'));
  const scroller = page.getByTestId('event-table');
  await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight / 2;
  });
  await expect(page.locator('.et-row[data-index="25000"][data-id]')).toBeVisible();
  await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect(page.locator(`.et-row[data-index="${EVENTS - 1}"][data-id]`)).toBeVisible();
  await screenshot(page, 'search-scrolled-end');
  await scroller.evaluate((el) => {
    el.scrollTop = 0;
  });

  // Details: select with j, open with Enter; every field, raw record, file and position.
  await runQuery(page, 'dataset:linux.auth AND sshd');
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await page.locator('.et-row[data-id]').first().click();
  await page.keyboard.press('j');
  await expect(page.locator('.et-row.selected')).toHaveAttribute('data-index', '1');
  await page.keyboard.press('Enter');
  const drawer = page.getByTestId('event-drawer');
  await expect(drawer).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('event-source')).toContainText('auth.log');
  await expect(page.getByTestId('event-source')).toContainText(/line \d/);
  await expect(page.getByTestId('raw-record')).toContainText('sshd[');
  await expect(page.getByTestId('detail-fields')).toContainText('ssh_user');
  await screenshot(page, 'search-detail');

  // Star with s, tag in the drawer, then find both by query.
  await page.locator('.et-row.selected').click();
  await page.keyboard.press('s');
  await expect(page.locator('.et-row.selected [data-testid="star"]')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('drawer-star')).toBeVisible();
  await page.getByTestId('tag-input').fill('ssh-noise');
  await page.getByTestId('tag-input').press('Enter');
  await expect(drawer.locator('.tag-chip')).toContainText('ssh-noise');
  await page.locator('.et-row.selected').click();
  await page.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);
  await runQuery(page, 'starred:true');
  await expect(page.getByTestId('result-total')).toHaveText('1');
  await runQuery(page, 'tag:ssh-noise');
  await expect(page.getByTestId('result-total')).toHaveText('1');

  // Pivot from the field sidebar: show only one value, then exclude one.
  await runQuery(page, `ip:198.51.100.23`);
  await expect(page.getByTestId('result-total')).toHaveText('25');
  await page.locator('[data-field="dataset"]').click();
  await expect(page.getByTestId('field-stats-dataset')).toContainText('2 distinct');
  await screenshot(page, 'search-field-stats');
  await page.getByTestId('field-stats-dataset').getByRole('button', { name: 'Exclude dataset suricata.alert' }).click();
  await expect(input).toHaveValue('ip:198.51.100.23 AND NOT dataset:suricata.alert');
  await expect(page.getByTestId('result-total')).toHaveText('20');
  await screenshot(page, 'search-pivot');

  // A value in the detail adds a filter.
  await page.locator('.et-row[data-id]').first().dblclick();
  await expect(drawer).toHaveAttribute('data-state', 'ready');
  await drawer.locator('button.value-link[data-field="conn_state"]').click();
  await expect(input).toHaveValue('ip:198.51.100.23 AND NOT dataset:suricata.alert AND conn_state:SF');
  await expect(page.getByTestId('result-total')).toHaveText('20');

  // Right-click a cell: filter on its value; the column chooser adds a column.
  await page.getByTestId('column-chooser-button').click();
  await page.getByTestId('column-chooser').getByLabel('protocol').check();
  await expect(page.locator('[data-sort="protocol"]')).toBeVisible();
  await page.getByTestId('column-chooser').getByRole('button', { name: 'Close' }).click();
  await page.locator('.et-row[data-index="0"] .et-host').click({ button: 'right' });
  await expect(page.getByTestId('cell-menu')).toBeVisible();
  await screenshot(page, 'search-cell-menu');
  await page.getByTestId('cell-menu').getByText('Exclude host = sensor01').click();
  await expect(page.getByTestId('result-total')).toHaveText('0');
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'empty');
  await screenshot(page, 'search-empty');

  // "/" focuses the search box from anywhere.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('/');
  await expect(input).toBeFocused();

  // Light theme.
  await page.getByRole('button', { name: /Switch to light theme/ }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await screenshot(page, 'search-light');
  expect(errors).toEqual([]);
});

test('timeline: all sources merged in time order, jump to a time, context around an event', async ({ page, hunt }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await open(page, hunt, 'timeline');
  await expect(view(page, 'timeline')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('dataset-legend')).toContainText('zeek.conn');
  const firstTs = await page.locator('.et-row[data-index="0"] .et-ts').innerText();
  const secondTs = await page.locator('.et-row[data-index="1"] .et-ts').innerText();
  expect(firstTs <= secondTs).toBe(true);
  await screenshot(page, 'timeline');

  await page.getByTestId('jump-input').fill('2024-03-12T06:00:00Z');
  await page.getByTestId('jump-go').click();
  const selected = page.locator('.et-row.selected[data-id]');
  await expect(selected).toBeVisible();
  expect((await selected.locator('.et-ts').innerText()) >= '2024-03-12 06:00:00').toBe(true);
  const idx = Number(await selected.getAttribute('data-index'));
  expect((await page.locator(`.et-row[data-index="${idx - 1}"] .et-ts`).innerText()) < '2024-03-12 06:00:00').toBe(true);
  await screenshot(page, 'timeline-jump');

  // Context: the brute force success, with what happened just before on DC01.
  await page.goto(`${hunt.url}#/search?q=${encodeURIComponent(`src_ip:${BRUTE_IP} AND action:logon`)}`);
  await expect(page.getByTestId('result-total')).toHaveText('1');
  await page.locator('.et-row[data-id]').first().dblclick();
  await page.getByTestId('context-host').click();
  await expect(view(page, 'timeline')).toHaveAttribute('data-state', 'context');
  await expect(page.getByTestId('context-banner')).toContainText('DC01.corp.example');
  const anchor = page.locator('.et-row.anchor');
  await expect(anchor).toBeVisible();
  await expect(anchor).toContainText('successfully logged on');
  await expect(page.locator(`.et-row[data-index="${Number(await anchor.getAttribute('data-index')) - 1}"]`)).toContainText('DC01.corp.example');
  await screenshot(page, 'timeline-context');
  await page.getByTestId('context-leave').click();
  await expect(view(page, 'timeline')).toHaveAttribute('data-state', 'ready');
  expect(errors).toEqual([]);
});

test('SQL console answers SELECTs and refuses the rest; saved searches; value completion', async ({ page, hunt }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await open(page, hunt, 'search');
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');

  // Value completion after `field:`.
  const input = page.getByTestId('query-input');
  await input.fill('');
  await input.pressSequentially('dataset:zee');
  await expect(page.getByTestId('query-suggestions')).toContainText('zeek.conn');
  await input.press('Tab');
  await expect(input).toHaveValue('dataset:zeek.conn');

  // Save a search, change the query, pick the saved one back.
  await runQuery(page, `src_ip:${BRUTE_IP}`);
  await expect(page.getByTestId('result-total')).toHaveText('51');
  await page.getByTestId('saved-button').click();
  await page.getByTestId('saved-name').fill('Brute force on DC01');
  await page.getByTestId('saved-save').click();
  await expect(page.locator('.saved-item')).toContainText('Brute force on DC01');
  await page.getByTestId('saved-button').click();
  await runQuery(page, 'dataset:sysmon');
  await page.getByTestId('saved-button').click();
  await page.locator('.saved-item', { hasText: 'Brute force on DC01' }).click();
  await expect(input).toHaveValue(`src_ip:${BRUTE_IP}`);
  await expect(page.getByTestId('result-total')).toHaveText('51');

  // The SQL console.
  await page.getByTestId('mode-sql').click();
  const sql = page.getByTestId('sql-console');
  await page.getByTestId('sql-run').click();
  await expect(sql).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('sql-summary')).toContainText('6 rows');
  await screenshot(page, 'sql-console');
  await page.getByTestId('sql-input').fill("SELECT * FROM read_csv('/etc/passwd')");
  await page.getByTestId('sql-run').click();
  await expect(page.getByTestId('sql-error')).toContainText('Refused');
  await page.getByTestId('sql-input').fill('DROP TABLE events');
  await page.getByTestId('sql-input').press('Control+Enter');
  await expect(page.getByTestId('sql-error')).toContainText('read-only');
  await screenshot(page, 'sql-console-refused');
  expect(errors).toEqual([]);
});
