import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type Page } from '@playwright/test';
import { expect, readServeInfo, screenshot } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');
const EVENTS = 50_000;
const BRUTE_IP = '203.0.113.66';
const C2_IP = '198.51.100.23';
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/**
 * The analyst's overview end to end, over one case for the whole file: a
 * generated scenario case (known ground truth) served by `loupe serve`.
 * Every view and its drill-downs are exercised, screenshots are saved, and
 * axe-core checks every view in both themes.
 *
 * TODO(ingest): build the case from corpus samples through the import
 * pipeline once it is on main.
 */
test.describe.configure({ mode: 'serial' });

let server: { url: string; home: string; tmp: string; child: ChildProcess; caseDir: string };

test.beforeAll(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'loupe-e2e-overview-'));
  const home = join(tmp, 'home');
  const caseDir = join(tmp, 'case');
  const env = { ...process.env, LOUPE_HOME: home };
  execFileSync(process.execPath, [join(ROOT, 'bin', 'loupe.js'), 'demo', caseDir, '--events', String(EVENTS)], { cwd: ROOT, env, stdio: 'pipe' });
  // Never reach the Internet from a test: the IPsum update must fail as it does offline.
  execFileSync(process.execPath, [join(ROOT, 'bin', 'loupe.js'), 'intel', 'settings', '--ipsum-url', 'http://127.0.0.1:9/ipsum.txt', '--timeout', '5'], { cwd: ROOT, env, stdio: 'pipe' });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'loupe.js'), 'serve', '--json', '--case', caseDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const info = await readServeInfo(child);
  server = { url: info.url, home, tmp, child, caseDir };
});

test.afterAll(async () => {
  if (!server) return;
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  rmSync(server.tmp, { recursive: true, force: true });
});

async function open(page: Page, route: string): Promise<void> {
  await page.goto(`${server.url.split('#')[0]}#/${route}`);
  await expect(page.locator('.shell')).toHaveAttribute('data-state', 'ready');
}

const view = (page: Page, name: string) => page.locator(`[data-view="${name}"]`);

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function setTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  const current = await page.locator('html').getAttribute('data-theme');
  if (current !== theme) await page.getByRole('button', { name: new RegExp(`Switch to ${theme} theme`) }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core over the page as it is now: its serious and critical violations, each tagged with where. */
async function checkA11y(page: Page, what: string, found: string[]): Promise<void> {
  // Evaluated through the DevTools protocol: the app's CSP (script-src 'self') rightly refuses an injected <script>.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    // This file compiles without the DOM library: name what the page has.
    const g = globalThis as unknown as { document: unknown; axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } };
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
    found.push(`${what}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ').slice(0, 200)}]` : ''}`).join('; ')}`);
  }
}

test('dashboard: panels over the case, drill-downs into Search, export, theme and resize', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'dashboard');
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('kpi-events')).toContainText(EVENTS.toLocaleString('en-US'));
  for (const p of ['eventsOverTime', 'severity', 'alertTypes', 'malicious', 'topSrcIps', 'topDstIps', 'countries', 'topHosts', 'logonsByUser', 'logonsBySrcIp', 'topProcesses', 'topUsers', 'webStatus', 'topUrls']) {
    await expect(page.locator(`[data-panel="${p}"]`), p).toHaveAttribute('data-state', /ready|empty/);
  }
  // No alerts in this case: the alert panels are not shown at all.
  await expect(page.locator('[data-panel="alertsOverTime"]')).toHaveCount(0);
  // Nothing is known bad yet: the panel says why it is empty.
  await expect(page.locator('[data-panel="malicious"]')).toHaveAttribute('data-state', 'empty');
  // The brute force leads the failed logons by source IP.
  await expect(page.locator('[data-panel="logonsBySrcIp"] .bar-row').first()).toContainText(BRUTE_IP);
  await expect(page.locator('[data-panel="topSrcIps"] .bar-row').first()).toContainText(BRUTE_IP);
  await page.locator('.content').evaluate((el) => el.scrollTo(0, 0));
  await screenshot(page, 'overview-dashboard-dark');

  // Export a chart and a list panel as PNG.
  const chartPng = page.waitForEvent('download');
  await page.getByTestId('export-eventsOverTime').click();
  expect((await chartPng).suggestedFilename()).toBe('loupe-eventsOverTime.png');
  const listPng = page.waitForEvent('download');
  await page.getByTestId('export-topHosts').click();
  expect((await listPng).suggestedFilename()).toBe('loupe-topHosts.png');

  // Drill: the failures of the brute-forcing IP.
  await page.locator('[data-panel="logonsBySrcIp"] .bar-row').first().locator('a.bar-count.second').click();
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('query-input')).toHaveValue(new RegExp(`src_ip:${BRUTE_IP.replaceAll('.', '\\.')} AND action:\\(.*\\) AND outcome:failure`));
  await expect(page.getByTestId('result-total')).toHaveText('50');

  // Drill: a severity slice (the table view is the keyboard way into a chart).
  await open(page, 'dashboard');
  await page.locator('[data-panel="severity"]').getByRole('button', { name: 'Table' }).click();
  await page.locator('[data-panel="severity"] table a').first().click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^severity:(high|medium|low|informational|critical)$/);
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');

  // Drill: a bar of the events-over-time chart carries its time bucket and dataset.
  await open(page, 'dashboard');
  const chart = page.getByTestId('chart-eventsOverTime');
  await expect(page.locator('[data-panel="eventsOverTime"]')).toHaveAttribute('data-state', 'ready');
  const box = await chart.boundingBox();
  if (!box) throw new Error('no chart');
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height - 32);
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('time-picker')).toContainText('→');
  await expect(page.getByTestId('query-input')).toHaveValue(/^dataset:/);
  const bucket = Number((await page.getByTestId('result-total').innerText()).replace(/,/g, ''));
  expect(bucket).toBeGreaterThan(0);
  expect(bucket).toBeLessThan(EVENTS / 20);

  // Drill: a country on the map (its table) becomes src_country:XX.
  await open(page, 'dashboard');
  await page.locator('[data-panel="countries"]').getByRole('button', { name: 'Table' }).click();
  const first = page.locator('[data-panel="countries"] table tbody tr').first();
  const expected = Number((await first.locator('td').nth(1).innerText()).replace(/,/g, ''));
  await first.locator('a').click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^src_country:[A-Z]{2}$/);
  await expect(page.getByTestId('result-total')).toHaveText(expected.toLocaleString('en-US'));

  // Light theme and a narrow window: charts follow (no errors, panels stack).
  await open(page, 'dashboard');
  await setTheme(page, 'light');
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  await screenshot(page, 'overview-dashboard-light');
  const wide = await chart.evaluate((el) => el.querySelector('canvas')?.width ?? 0);
  await page.setViewportSize({ width: 900, height: 900 });
  await expect.poll(() => chart.evaluate((el) => el.querySelector('canvas')?.width ?? 0)).toBeLessThan(wide);
  await screenshot(page, 'overview-dashboard-narrow');
  await page.setViewportSize({ width: 1440, height: 900 });
  await setTheme(page, 'dark');
  expect(errors).toEqual([]);
});

test('settings: an IOC list, the threshold, IPsum offline, time zone', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'settings');
  await expect(view(page, 'settings')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('intel-sources')).toContainText('Embedded country');
  await expect(page.getByTestId('intel-sources')).toContainText(/nro\.net/i);

  // An IOC list with the story's C2 server and brute-forcer, typed as a path.
  const list = join(server.tmp, 'story-iocs.csv');
  writeFileSync(list, `indicator,comment\n${C2_IP},c2 server\n${BRUTE_IP.replace(/\.(\d+)$/, '[.]$1')},brute force (defanged)\nnot-an-indicator,\n`);
  await page.getByTestId('ioc-name').fill('story');
  await page.getByTestId('ioc-path').fill(list);
  await page.getByTestId('ioc-add').click();
  await expect(page.getByTestId('ioc-outcome')).toContainText('added');
  await expect(page.locator('[data-source="ioc:story"]')).toContainText('1 lines rejected');
  await expect(page.getByTestId('case-intel')).toContainText('2 known bad');

  // IPsum: the update fails as offline does, and says the old list is kept.
  await page.getByTestId('ipsum-update').click();
  await expect(page.getByTestId('ipsum-outcome')).toContainText(/cannot reach|refused|not updated/i);
  const ipsum = join(server.tmp, 'ipsum.txt');
  writeFileSync(ipsum, `# IPsum Threat Intelligence Feed\n# Last update: Tue, 04 Jun 2024 03:00:01 +0200\n${C2_IP}\t4\n45.1.2.3\t1\n`);
  await page.getByTestId('ipsum-path').fill(ipsum);
  await page.getByTestId('ipsum-import').click();
  await expect(page.getByTestId('ipsum-outcome')).toContainText('imported');
  await expect(page.locator('[data-source="ipsum"]')).toContainText('2024-06-04');

  // The threshold.
  await page.getByTestId('threshold-input').fill('5');
  await page.getByTestId('threshold-save').click();
  await expect(page.getByTestId('threshold-outcome')).toContainText('5 or more');
  await screenshot(page, 'overview-settings-dark');

  // A bad .mmdb is refused with a reason.
  await page.getByTestId('mmdb-path').fill(ipsum);
  await page.getByTestId('mmdb-add').click();
  await expect(page.getByTestId('mmdb-outcome')).toHaveClass(/form-error/);

  // Time zone: Berlin is UTC+1 in March 2024; the Search table shows it.
  await page.getByTestId('tz-select').selectOption('Europe/Berlin');
  await expect(page.getByTestId('tz-preview')).toContainText('2024-03-12 07:00:00');
  await open(page, `search?q=${encodeURIComponent(`src_ip:${BRUTE_IP} AND action:logon`)}`);
  await expect(page.getByTestId('result-total')).toHaveText('1');
  await expect(page.locator('.et-row[data-index="0"] .et-ts')).toContainText('2024-03-12 07:03:00');
  await expect(page.getByTestId('result-summary')).toContainText(/GMT\+1|CET/);
  await open(page, 'settings');
  await page.getByTestId('tz-select').selectOption('UTC');
  await expect(page.getByTestId('tz-preview')).toContainText('2024-03-12 06:00:00');
  expect(errors).toEqual([]);
});

test('dashboard over a search and the known-bad panel after the IOC list', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'dashboard');
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  const mal = page.getByTestId('malicious-events');
  await expect(mal).toContainText('76');
  await mal.click();
  await expect(page.getByTestId('query-input')).toHaveValue('malicious:true');
  await expect(page.getByTestId('result-total')).toHaveText('76');

  // From Search to the dashboard of that search.
  await page.getByTestId('search-dashboard').click();
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('kpi-events')).toContainText('76');
  await expect(page.locator('[data-panel="topHosts"] .bar-row')).toHaveCount(2);
  await expect(page.locator('[data-panel="webStatus"]')).toHaveAttribute('data-state', 'empty');
  await screenshot(page, 'overview-dashboard-search');
  expect(errors).toEqual([]);
});

test('entities: from a dashboard IP to its page, peers, its search; lists of IPs, users, hosts', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'dashboard');
  await page.locator('[data-panel="topSrcIps"] .bar-row').first().locator('a.entity-link').click();
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#view-title')).toHaveText(BRUTE_IP);
  await expect(page.getByTestId('entity-events')).toHaveText('51');
  await expect(page.getByTestId('entity-intel')).toContainText('story');
  await expect(page.getByTestId('peers-hosts')).toContainText('DC01.corp.example');
  await expect(page.getByTestId('peers-hosts')).toContainText('1 / 50 logons');
  await screenshot(page, 'overview-entity-ip');

  // A peer host opens its own page.
  await page.getByTestId('peers-hosts').locator('a.entity-link').first().click();
  await expect(page.locator('#view-title')).toHaveText('DC01.corp.example');
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('peers-users')).toContainText('administrator');
  await screenshot(page, 'overview-entity-host');
  await page.getByTestId('peers-users').locator('a.entity-link', { hasText: 'administrator' }).click();
  await expect(page.locator('#view-title')).toHaveText('administrator');
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await screenshot(page, 'overview-entity-user');

  // "Search its events".
  await page.getByTestId('entity-search').click();
  await expect(page.getByTestId('query-input')).toHaveValue('user:administrator');
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');

  // From a Search row and from the event drawer to an entity.
  await page.getByTestId('query-input').fill(`src_ip:${BRUTE_IP}`);
  await page.getByTestId('query-input').press('Escape');
  await page.getByTestId('query-submit').click();
  await expect(page.getByTestId('result-total')).toHaveText('51');
  const row = page.locator('.et-row[data-index="0"]');
  await row.hover();
  await row.locator('.et-src_ip a.entity-jump').click();
  await expect(page.locator('#view-title')).toHaveText(BRUTE_IP);
  await page.goBack();
  await expect(page.getByTestId('result-total')).toHaveText('51');
  await page.locator('.et-row[data-id]').first().dblclick();
  await expect(page.getByTestId('event-drawer')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('detail-fields').locator('tr', { hasText: 'TargetUserName' }).locator('a.entity-jump').click();
  await expect(page.locator('#view-title')).toHaveText('administrator');

  // The lists.
  await open(page, 'entities?kind=ip');
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('entity-list').locator('tbody tr').first()).toContainText(BRUTE_IP);
  await screenshot(page, 'overview-entities-ips');
  await page.getByTestId('entity-tab-host').click();
  await expect(page.getByTestId('entity-list')).toContainText('web01');
  await page.getByTestId('entity-tab-user').click();
  await page.getByTestId('entity-filter').fill('svc_');
  await expect(page.getByTestId('entity-list').locator('tbody tr')).toHaveCount(2);
  expect(errors).toEqual([]);
});

test('accessibility: every view in both themes passes axe (serious and critical)', async ({ page }) => {
  const errors = watchErrors(page);
  const found: string[] = [];
  const routes: [string, string][] = [
    ['search', 'search'],
    ['timeline', 'timeline'],
    ['dashboard', 'dashboard'],
    ['alerts', 'alerts'],
    ['entities', 'entities'],
    [`entities?kind=ip&value=${BRUTE_IP}`, 'entities'],
    ['rules', 'rules'],
    ['settings', 'settings'],
    ['import', 'import'],
    ['reports', 'reports'],
  ];
  for (const theme of ['dark', 'light'] as const) {
    await open(page, 'search');
    await setTheme(page, theme);
    for (const [route, name] of routes) {
      await open(page, route);
      await expect(view(page, name)).toBeVisible();
      await expect(view(page, name)).not.toHaveAttribute('data-state', 'loading');
      await checkA11y(page, `${route} (${theme})`, found);
      if (['alerts', 'rules'].includes(name)) await screenshot(page, `overview-${name}-${theme}`);
    }
    // The event drawer and the table's dialogs are part of the views too.
    await open(page, `search?q=${encodeURIComponent(`src_ip:${BRUTE_IP}`)}`);
    await expect(page.getByTestId('result-total')).toHaveText('51');
    await page.locator('.et-row[data-id]').first().dblclick();
    await expect(page.getByTestId('event-drawer')).toHaveAttribute('data-state', 'ready');
    await checkA11y(page, `event drawer (${theme})`, found);
  }
  expect(found, found.join('\n')).toEqual([]);
  // Keyboard: the skip through views with Alt+digit, and Tab reaches the dashboard's drill-downs.
  await open(page, 'search');
  await page.keyboard.press('Alt+5');
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  await page.locator('[data-panel="topHosts"] h2').click();
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => {
      const active = (globalThis as unknown as { document: { activeElement: { tagName: string; closest(sel: string): unknown } | null } }).document.activeElement;
      return active !== null && active.tagName === 'A' && active.closest('[data-panel="topHosts"]') !== null;
    });
  }
  expect(reached).toBe(true);
  expect(errors).toEqual([]);
});
