import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type Page } from '@playwright/test';
import type { LoupeApi } from '../../src/shared/contract';
import { createHttpClient } from '../../src/shared/http-client';
import { LOGON_ACTIONS } from '../../src/shared/overview-contract';
import { corpusMissing, corpusPath } from '../corpus';
import { expect, screenshot, startServe, type RunningServe } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const LOGON = `action:(${LOGON_ACTIONS.join(' OR ')})`;

/**
 * The corpus samples the case is built from, through the import pipeline
 * (`loupe import`): Windows logons and a password spray (EVTX), Sysmon, an
 * EC2 auth.log full of SSH brute force from public IPs, 10,000 Apache
 * access-log lines, Zeek conn and a Suricata eve.json with malware alerts.
 */
const CORPUS_FILES = [
  'evtx/chainsaw/security_sample.evtx',
  'evtx/EVTX-ATTACK-SAMPLES/Credential Access/kerberos_pwd_spray_4771.evtx',
  'evtx/EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx',
  'evtx/EVTX-ATTACK-SAMPLES/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx',
  'linux/elastic-examples/suspicious_login_activity/auth.log',
  'web/elastic-examples/apache_logs/apache_logs',
  'zeek/brimdata-zed/conn.log',
  'suricata/stamus-suricata-analytics/training/data/02/eve.json',
];
const IPSUM = 'intel/ipsum/ipsum.txt';

/**
 * The analyst's overview end to end, over one case for the whole file: the
 * corpus samples above imported by `loupe import` (a generated demo case when
 * the corpus is absent, said on stderr), served by `loupe serve`. Every view
 * and its drill-downs are exercised; what the UI must show is computed with
 * SQL through the engine's own API, never typed in. Screenshots are saved and
 * axe-core checks every view in both themes.
 */
test.describe.configure({ mode: 'serial' });

let server: { url: string; home: string; tmp: string; serve: RunningServe; caseDir: string; api: LoupeApi; fromCorpus: boolean };

test.beforeAll(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'loupe-e2e-overview-'));
  const home = join(tmp, 'home');
  const caseDir = join(tmp, 'case');
  const env = { ...process.env, LOUPE_HOME: home };
  const cli = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin', 'loupe.js'), ...args], { cwd: ROOT, env, stdio: 'pipe', maxBuffer: 64 << 20 });
  const fromCorpus = !corpusMissing(IPSUM) && CORPUS_FILES.every((f) => !corpusMissing(f));
  if (fromCorpus) cli(['import', '--case', caseDir, ...CORPUS_FILES.map((f) => corpusPath(f))]);
  else cli(['demo', caseDir, '--events', '50000']);
  // Never reach the Internet from a test: the IPsum update must fail as it does offline.
  cli(['intel', 'settings', '--ipsum-url', 'http://127.0.0.1:9/ipsum.txt', '--timeout', '5']);
  const serve = await startServe(caseDir, env);
  const info = serve.info;
  const api = createHttpClient({ baseUrl: new URL(info.url).origin, token: info.token });
  server = { url: info.url, home, tmp, serve, caseDir, api, fromCorpus };
});

test.afterAll(async () => {
  if (!server) return;
  await server.serve.stop();
  rmSync(server.tmp, { recursive: true, force: true });
});

/** One row of a read-only SELECT, through the same engine the UI uses. */
async function sql(text: string): Promise<Record<string, unknown>> {
  return (await server.api.sqlQuery({ sql: text, limit: 1 })).rows[0] ?? {};
}

async function count(query: string): Promise<number> {
  return Number((await server.api.search({ query, count: true, limit: 1 })).total);
}

const fmt = (n: unknown) => Number(n).toLocaleString('en-US');
const re = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

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

/** The source IP with the most failed logons, and its failures and successes. */
async function topFailingIp(): Promise<{ ip: string; failure: number; success: number }> {
  const r = await sql(`SELECT src_ip AS ip, count(*) FILTER (WHERE outcome = 'failure') AS f, count(*) FILTER (WHERE outcome = 'success') AS s FROM events
    WHERE action IN (${LOGON_ACTIONS.map((a) => `'${a}'`).join(', ')}) AND src_ip IS NOT NULL GROUP BY 1 ORDER BY f DESC, s DESC, ip LIMIT 1`);
  return { ip: String(r.ip), failure: Number(r.f), success: Number(r.s) };
}

test('settings: IPsum from a file, an IOC list, the threshold, IPsum offline, time zone', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'settings');
  await expect(view(page, 'settings')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('intel-sources')).toContainText('Embedded country');
  await expect(page.getByTestId('intel-sources')).toContainText(/nro\.net/i);
  const bad = await topFailingIp();

  // IPsum: the update fails as offline does, and says so; then a file (the corpus feed, typed as a path).
  await page.getByTestId('ipsum-update').click();
  await expect(page.getByTestId('ipsum-outcome')).toContainText(/cannot reach|refused|not updated/i);
  const ipsum = server.fromCorpus ? corpusPath(IPSUM) : join(server.tmp, 'ipsum.txt');
  if (!server.fromCorpus) writeFileSync(ipsum, `# Last update: Tue, 04 Jun 2024 03:00:01 +0200\n45.1.2.3\t4\n`);
  await page.getByTestId('ipsum-path').fill(ipsum);
  await page.getByTestId('ipsum-import').click();
  await expect(page.getByTestId('ipsum-outcome')).toContainText('imported', { timeout: 60_000 });
  await expect(page.locator('[data-source="ipsum"]')).toContainText('ok');

  // An IOC list naming the top brute-forcer (defanged) and one more address.
  const list = join(server.tmp, 'case-iocs.csv');
  writeFileSync(list, `indicator,comment\n${bad.ip.replace(/\.(\d+)$/, '[.]$1')},brute force (defanged)\n198.51.100.23,c2\nnot-an-indicator,\n`);
  await page.getByTestId('ioc-name').fill('case-42');
  await page.getByTestId('ioc-path').fill(list);
  await page.getByTestId('ioc-add').click();
  await expect(page.getByTestId('ioc-outcome')).toContainText('added');
  await expect(page.locator('[data-source="ioc:case-42"]')).toContainText('1 lines rejected');
  const known = await sql(`SELECT count(*) AS n FROM ip_enrichment WHERE malicious`);
  expect(Number(known.n)).toBeGreaterThan(0);
  await expect(page.getByTestId('case-intel')).toContainText(`${fmt(known.n)} known bad`);

  // The threshold: 2 lists make more IPs known bad (IPsum's 2-list IPs are many).
  await page.getByTestId('threshold-input').fill('2');
  await page.getByTestId('threshold-save').click();
  await expect(page.getByTestId('threshold-outcome')).toContainText('2 or more');
  const more = await sql(`SELECT count(*) AS n FROM ip_enrichment WHERE malicious`);
  expect(Number(more.n)).toBeGreaterThanOrEqual(Number(known.n));
  await expect(page.getByTestId('case-intel')).toContainText(`${fmt(more.n)} known bad`);
  await page.getByTestId('threshold-input').fill('3');
  await page.getByTestId('threshold-save').click();
  await expect(page.getByTestId('threshold-outcome')).toContainText('3 or more');
  await screenshot(page, 'overview-settings-dark');

  // A file that is not a MaxMind database is refused with a reason.
  await page.getByTestId('mmdb-path').fill(list);
  await page.getByTestId('mmdb-add').click();
  await expect(page.getByTestId('mmdb-outcome')).toHaveClass(/form-error/);

  // Time zone: Europe/Berlin everywhere times are shown, then back to UTC.
  const first = await server.api.search({ query: `src_ip:${bad.ip}`, limit: 1, sort: { column: 'ts', dir: 'desc' } });
  const utc = String(first.rows[0]?.ts);
  const berlin = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(utc));
  await page.getByTestId('tz-select').selectOption('Europe/Berlin');
  await expect(page.getByTestId('tz-preview')).toContainText('2024-03-12 07:00:00');
  await open(page, `search?q=${encodeURIComponent(`src_ip:${bad.ip}`)}`);
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('.et-row[data-index="0"] .et-ts')).toContainText(berlin);
  await expect(page.getByTestId('result-summary')).toContainText(/GMT\+\d|CES?T/);
  await open(page, 'settings');
  await page.getByTestId('tz-select').selectOption('UTC');
  await expect(page.getByTestId('tz-preview')).toContainText('2024-03-12 06:00:00');
  expect(errors).toEqual([]);
});

test('dashboard: panels over the case, drill-downs into Search, export, theme and resize', async ({ page }) => {
  const errors = watchErrors(page);
  const total = await sql('SELECT count(*) AS n FROM events');
  const bad = await topFailingIp();
  const topSrc = await sql(`SELECT src_ip AS ip, count(*) AS n FROM events WHERE src_ip IS NOT NULL GROUP BY 1 ORDER BY n DESC, ip LIMIT 1`);
  await open(page, 'dashboard');
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('kpi-events')).toContainText(fmt(total.n));
  for (const p of ['eventsOverTime', 'severity', 'alertTypes', 'malicious', 'topSrcIps', 'topDstIps', 'countries', 'topHosts', 'logonsByUser', 'logonsBySrcIp', 'topProcesses', 'topUsers', 'webStatus', 'topUrls']) {
    await expect(page.locator(`[data-panel="${p}"]`), p).toHaveAttribute('data-state', 'ready');
  }
  // Rules ran after the import (the built-in pack): the alert panels show the alerts.
  const detection = await server.api.getDetectionStatus({});
  expect(detection.alerts).toBeGreaterThan(0);
  await expect(page.locator('[data-panel="alertsOverTime"]')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('[data-panel="alertTypes"]')).toContainText(/IDS/);
  await expect(page.locator('[data-panel="logonsBySrcIp"] .bar-row').first()).toContainText(bad.ip);
  await expect(page.locator('[data-panel="topSrcIps"] .bar-row').first()).toContainText(String(topSrc.ip));
  await page.locator('.content').evaluate((el) => el.scrollTo(0, 0));
  await screenshot(page, 'overview-dashboard-dark');

  // Export a chart and a list panel as PNG.
  const chartPng = page.waitForEvent('download');
  await page.getByTestId('export-eventsOverTime').click();
  expect((await chartPng).suggestedFilename()).toBe('loupe-eventsOverTime.png');
  const listPng = page.waitForEvent('download');
  await page.getByTestId('export-topHosts').click();
  expect((await listPng).suggestedFilename()).toBe('loupe-topHosts.png');

  // Drill: the failed logons of the top brute-forcer.
  await page.locator('[data-panel="logonsBySrcIp"] .bar-row').first().locator('a.bar-count.second').click();
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('query-input')).toHaveValue(`src_ip:${bad.ip} AND ${LOGON} AND outcome:failure`);
  await expect(page.getByTestId('result-total')).toHaveText(fmt(bad.failure));

  // Drill: a severity slice (the table view is the keyboard way into a chart).
  await open(page, 'dashboard');
  await page.locator('[data-panel="severity"]').getByRole('button', { name: 'Table' }).click();
  const sevLink = page.locator('[data-panel="severity"] table a').first();
  const sevCount = await sevLink.innerText();
  await sevLink.click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^severity:(high|medium|low|informational|critical)$/);
  await expect(page.getByTestId('result-total')).toHaveText(sevCount);

  // Drill: a bar of the events-over-time chart carries its time bucket and dataset.
  await open(page, 'dashboard');
  await page.locator('[data-panel="eventsOverTime"]').getByRole('button', { name: 'Table' }).click();
  const bucket = page.locator('[data-panel="eventsOverTime"] table tbody tr').first();
  const bucketCount = await bucket.locator('a').innerText();
  await bucket.locator('a').click();
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('time-picker')).toContainText('→');
  await expect(page.getByTestId('result-total')).toHaveText(bucketCount);
  await open(page, 'dashboard');
  const chart = page.getByTestId('chart-eventsOverTime');
  // boundingBox does not wait: the panel must have drawn first.
  await expect(page.locator('[data-panel="eventsOverTime"]')).toHaveAttribute('data-state', 'ready');
  await expect(chart).toBeVisible();
  const box = await chart.boundingBox();
  if (!box) throw new Error('no chart');
  // The tallest bar is the one under the pointer at the bottom of the plot, wherever it is: find a bar by scanning.
  let clicked = false;
  for (let x = 0.06; x < 0.99 && !clicked; x += 0.01) {
    await page.mouse.click(box.x + box.width * x, box.y + box.height - 30);
    clicked = await view(page, 'search').isVisible();
  }
  expect(clicked).toBe(true);
  await expect(page.getByTestId('query-input')).toHaveValue(/^dataset:/);
  await expect(page.getByTestId('time-picker')).toContainText('→');
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');

  // Drill: a country (its table row) becomes src_country:XX with the same count.
  await open(page, 'dashboard');
  await page.locator('[data-panel="countries"]').getByRole('button', { name: 'Table' }).click();
  const country = page.locator('[data-panel="countries"] table tbody tr').first();
  const expected = await country.locator('td').nth(1).innerText();
  await country.locator('a').click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^src_country:[A-Z]{2}$/);
  await expect(page.getByTestId('result-total')).toHaveText(expected);

  // Drill: a web status code and an IDS signature.
  await open(page, 'dashboard');
  await page.locator('[data-panel="webStatus"]').getByRole('button', { name: 'Table' }).click();
  const status = page.locator('[data-panel="webStatus"] table tbody tr').first();
  const statusCount = await status.locator('a').innerText();
  await status.locator('a').click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^dataset:web\.access AND event_code:\d{3}$/);
  await expect(page.getByTestId('result-total')).toHaveText(statusCount);
  await open(page, 'dashboard');
  const sig = page.locator('[data-panel="alertTypes"] .bar-row').filter({ has: page.locator('.tag-chip', { hasText: 'IDS' }) }).first();
  const sigCount = await sig.locator('a.bar-count').innerText();
  await sig.locator('a.bar-count').click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^action:alert AND message:/);
  await expect(page.getByTestId('result-total')).toHaveText(sigCount);
  // And a Sigma rule's count: the events of its alerts.
  await open(page, 'dashboard');
  const rule = page.locator('[data-panel="alertTypes"] .bar-row').filter({ has: page.locator('a[title="Open in Alerts"]') }).first();
  const ruleCount = await rule.locator('a.bar-count').innerText();
  await rule.locator('a.bar-count').click();
  await expect(page.getByTestId('query-input')).toHaveValue(/^rule:\S+$/);
  await expect(page.getByTestId('result-total')).toHaveText(ruleCount);

  // A log scale keeps the small sources of a multi-year case visible.
  await open(page, 'dashboard');
  await page.getByTestId('log-eventsOverTime').click();
  await expect(page.getByTestId('log-eventsOverTime')).toHaveAttribute('aria-pressed', 'true');
  await screenshot(page, 'overview-dashboard-log');

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

test('dashboard over a search: the known-bad events, from Search to its dashboard', async ({ page }) => {
  const errors = watchErrors(page);
  const mal = await count('malicious:true');
  const hosts = await sql(`SELECT count(DISTINCT host) AS n FROM malicious_events WHERE host IS NOT NULL`);
  expect(mal).toBeGreaterThan(0);
  await open(page, 'dashboard');
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  const link = page.getByTestId('malicious-events');
  await expect(link).toContainText(fmt(mal));
  await link.click();
  await expect(page.getByTestId('query-input')).toHaveValue('malicious:true');
  await expect(page.getByTestId('result-total')).toHaveText(fmt(mal));

  await page.getByTestId('search-dashboard').click();
  await expect(view(page, 'dashboard')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('kpi-events')).toContainText(fmt(mal));
  await expect(page.locator('[data-panel="topHosts"] .bar-row')).toHaveCount(Math.min(10, Number(hosts.n)));
  await screenshot(page, 'overview-dashboard-search');
  // A search with no web event: the web panels stay, with their empty state.
  await page.getByTestId('query-input').fill('dataset:zeek.conn OR dataset:windows.security');
  await page.getByTestId('query-input').press('Escape');
  await page.getByTestId('query-submit').click();
  await expect(page.locator('[data-panel="webStatus"]')).toHaveAttribute('data-state', 'empty');
  await expect(page.locator('[data-panel="webStatus"]')).toContainText('No web request');
  expect(errors).toEqual([]);
});

test('entities: from a dashboard IP to its page, peers, its search; lists of IPs, users, hosts', async ({ page }) => {
  const errors = watchErrors(page);
  const bad = await topFailingIp();
  const its = await count(`ip:${bad.ip}`);
  const host = await sql(`SELECT host AS h, count(*) AS n FROM events WHERE src_ip = '${bad.ip}' OR dst_ip = '${bad.ip}' GROUP BY 1 ORDER BY n DESC, h LIMIT 1`);
  await open(page, 'dashboard');
  await page.locator('[data-panel="logonsBySrcIp"] .bar-row').first().locator('a.entity-link').click();
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#view-title')).toHaveText(bad.ip);
  await expect(page.getByTestId('entity-events')).toHaveText(fmt(its));
  await expect(page.getByTestId('entity-intel')).toContainText('case-42');
  await expect(page.getByTestId('peers-hosts')).toContainText(String(host.h));
  await expect(page.getByTestId('peers-hosts')).toContainText(`${fmt(bad.success)} / ${fmt(bad.failure)} logons`);
  await screenshot(page, 'overview-entity-ip');

  // Its related alerts are the alerts its events raised.
  const related = await sql(`SELECT count(DISTINCT ae.alert_id) AS n FROM alert_events ae JOIN events e ON e.id = ae.event_id WHERE e.src_ip = '${bad.ip}' OR e.dst_ip = '${bad.ip}'`);
  await expect(page.getByTestId('entity-alerts').locator('tbody tr')).toHaveCount(Number(related.n));

  // A peer host opens its own page, and a user of it opens theirs.
  await page.getByTestId('peers-hosts').locator('a.entity-link').first().click();
  await expect(page.locator('#view-title')).toHaveText(String(host.h));
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await screenshot(page, 'overview-entity-host');
  const user = page.getByTestId('peers-users').locator('a.entity-link').first();
  const userName = await user.innerText();
  await user.click();
  await expect(page.locator('#view-title')).toHaveText(userName);
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  await screenshot(page, 'overview-entity-user');

  // "Search its events".
  await page.getByTestId('entity-search').click();
  await expect(page.getByTestId('query-input')).toHaveValue(re(`user:`));
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');

  // From a Search row and from the event drawer to an entity.
  await page.getByTestId('query-input').fill(`src_ip:${bad.ip}`);
  await page.getByTestId('query-input').press('Escape');
  await page.getByTestId('query-submit').click();
  await expect(page.getByTestId('result-total')).toHaveText(fmt(await count(`src_ip:${bad.ip}`)));
  const row = page.locator('.et-row[data-index="0"]');
  await row.hover();
  await row.locator('.et-src_ip a.entity-jump').click();
  await expect(page.locator('#view-title')).toHaveText(bad.ip);
  await page.goBack();
  await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
  await page.locator('.et-row[data-index="0"] .et-ts').dblclick();
  await expect(page.getByTestId('event-drawer')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('detail-fields').locator('tr', { hasText: /^src_ip/ }).locator('a.entity-jump').click();
  await expect(page.locator('#view-title')).toHaveText(bad.ip);

  // The lists.
  await open(page, 'entities?kind=ip');
  await expect(view(page, 'entities')).toHaveAttribute('data-state', 'ready');
  const topIp = await sql(`SELECT ip FROM ips ORDER BY events DESC, ip LIMIT 1`);
  await expect(page.getByTestId('entity-list').locator('tbody tr').first()).toContainText(String(topIp.ip));
  await screenshot(page, 'overview-entities-ips');
  await page.getByTestId('entity-tab-host').click();
  const topHost = await sql(`SELECT host FROM events WHERE host IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, host LIMIT 1`);
  await expect(page.getByTestId('entity-list').locator('tbody tr').first()).toContainText(String(topHost.host));
  await page.getByTestId('entity-tab-user').click();
  await page.getByTestId('entity-filter').fill('root');
  await expect(page.getByTestId('entity-list').locator('tbody tr').first()).toContainText('root');
  expect(errors).toEqual([]);
});

test('alerts: grouped by rule, the events and rule of an alert, triage one and many, suppress, filters', async ({ page }) => {
  const errors = watchErrors(page);
  const open3: ('new' | 'acknowledged' | 'escalated')[] = ['new', 'acknowledged', 'escalated'];
  const groups = await server.api.listAlerts({ groupBy: 'rule', statuses: open3, limit: 500 });
  expect(groups.groups.length).toBeGreaterThan(0);
  await open(page, 'alerts');
  await expect(view(page, 'alerts')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('tr.group-row')).toHaveCount(groups.groups.length);
  await screenshot(page, 'overview-alerts-dark');

  // The keyboard way in: the first rule's toggle opens its alerts with Enter.
  const firstToggle = page.locator('tr.group-row').first().getByRole('button', { name: /^Show the alerts of/ });
  await firstToggle.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('tr.group-row').first().getByRole('button', { name: /^Hide the alerts of/ })).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Enter');

  // From the dashboard: the alerts KPI opens this view, a Sigma alert type opens its rule here.
  await open(page, 'dashboard');
  await page.locator('a.kpi[href="#/alerts"]').click();
  await expect(view(page, 'alerts')).toHaveAttribute('data-state', 'ready');
  await open(page, 'dashboard');
  const sigma = page.locator('[data-panel="alertTypes"] a[title="Open in Alerts"]').first();
  const sigmaRule = new URLSearchParams(((await sigma.getAttribute('href')) ?? '').split('?')[1]).get('rule');
  await sigma.click();
  await expect(view(page, 'alerts')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('tr.group-row')).toHaveCount(1);
  await expect(page.locator('tr.group-row')).toHaveAttribute('data-rule', String(sigmaRule));
  await open(page, 'dashboard');
  await open(page, 'alerts');

  // The rule with most alerts: expand it, open one alert.
  const big = [...groups.groups].sort((a, b) => b.alerts - a.alerts || a.title.localeCompare(b.title))[0];
  if (!big) throw new Error('no alert group');
  const row = page.locator(`tr.group-row[data-rule="${big.ruleId}"]`);
  await row.getByTestId('alert-group').click();
  await expect(page.locator('tr.sub-row[data-alert]')).toHaveCount(big.alerts);
  await page.locator('tr.sub-row[data-alert]').first().getByTestId('open-alert').click();
  const detail = page.getByTestId('alert-detail');
  await expect(detail).toBeVisible();
  const alertId = Number(await page.locator('tr.sub-row[data-alert]').first().getAttribute('data-alert'));
  const one = await server.api.getAlert({ id: alertId, limit: 1 });
  await expect(detail).toContainText(one.alert.title);
  await expect(page.getByTestId('rule-yaml')).toContainText('title:');
  await screenshot(page, 'overview-alert-detail');
  await detail.getByRole('button', { name: /Show the SQL/ }).click();
  await expect(detail.locator('pre.code').nth(1)).toContainText(/SELECT/i);
  await screenshot(page, 'overview-alert-sql');

  // Its rule in the Rules view.
  await detail.getByRole('link', { name: 'open in Rules' }).click();
  await expect(page.getByTestId('rule-detail')).toContainText(one.alert.title);
  await open(page, `alerts?alert=${alertId}`);

  // Its matching events, in Search.
  await page.getByTestId('alert-events-link').click();
  await expect(page.getByTestId('query-input')).toHaveValue(`alert:${alertId}`);
  await expect(page.getByTestId('result-total')).toHaveText(fmt(one.alert.count));

  // Triage it: status and note. Opened by a link, it is shown selected in its rule's list.
  await open(page, `alerts?alert=${alertId}`);
  await expect(page.getByTestId('alert-detail')).toBeVisible();
  await expect(page.locator(`tr.sub-row[data-alert="${alertId}"]`)).toHaveClass(/selected/);
  await page.getByTestId('triage-acknowledged').click();
  await expect(page.getByTestId('triage-outcome')).toHaveText('Saved.');
  await page.getByTestId('alert-note').fill('seen in the incident timeline');
  await page.getByTestId('save-note').click();
  await expect.poll(async () => (await server.api.getAlert({ id: alertId, limit: 1 })).alert).toMatchObject({ status: 'acknowledged', note: 'seen in the incident timeline' });

  // Bulk: two alerts of the big rule escalated at once.
  await open(page, `alerts?rule=${encodeURIComponent(big.ruleId)}`);
  await expect(page.locator('tr.sub-row[data-alert]')).toHaveCount(big.alerts);
  const subs = page.locator('tr.sub-row[data-alert]');
  const ids = [Number(await subs.nth(0).getAttribute('data-alert')), Number(await subs.nth(1).getAttribute('data-alert'))];
  await subs.nth(0).getByRole('checkbox').check();
  await subs.nth(1).getByRole('checkbox').check();
  await expect(page.getByTestId('bulk-bar')).toContainText('2 selected');
  await page.getByTestId('bulk-escalated').click();
  await expect(page.getByTestId('bulk-outcome')).toHaveText('2 alerts updated.');
  await expect.poll(async () => (await Promise.all(ids.map((id) => server.api.getAlert({ id, limit: 1 })))).map((a) => a.alert.status)).toEqual(['escalated', 'escalated']);

  // Suppress the rule on one alert's host: that alert goes away.
  const victim = (await server.api.listAlerts({ groupBy: 'none', sort: 'count', limit: 1000 })).alerts.find((a) => a.kind === 'rule' && a.host);
  if (victim) {
    await open(page, `alerts?alert=${victim.id}`);
    await page.getByTestId('suppress-host').click();
    await expect(page.getByTestId('triage-outcome')).toContainText('Suppressed');
    await expect(page.getByTestId('triage-outcome')).toContainText('this one included');
    await expect(page.getByTestId('triage-new')).toHaveCount(0);
    const left = await server.api.listAlerts({ ruleIds: [victim.ruleId], groupBy: 'none', limit: 1000 });
    expect(left.alerts.some((a) => a.id === victim.id)).toBe(false);
    // The suppression is listed under Rules and can be undone.
    await open(page, 'rules');
    const sup = page.getByTestId('suppressions');
    await expect(sup).toContainText(`host = ${victim.host}`);
    await sup.getByTestId('remove-suppression').click();
    await expect.poll(async () => (await server.api.listSuppressions({})).suppressions.length).toBe(0);
    await expect(sup).toContainText('Nothing is suppressed');
  }

  // Run every rule now: the suppressed alert is back.
  await open(page, 'alerts');
  await page.getByTestId('run-rules').click();
  await expect(page.getByTestId('run-result')).toContainText(/\d+ new alerts?,/, { timeout: 60_000 });
  if (victim) {
    const back = await server.api.listAlerts({ ruleIds: [victim.ruleId], groupBy: 'none', limit: 1000 });
    const again = back.alerts.find((a) => a.host === victim.host);
    expect(again).toBeTruthy();
    // The same, in bulk: the checked alerts' rules suppressed on their hosts.
    await open(page, 'dashboard');
    await open(page, `alerts?rule=${encodeURIComponent(victim.ruleId)}`);
    await page.locator(`tr.sub-row[data-alert="${again?.id}"]`).getByRole('checkbox').check();
    await page.getByTestId('bulk-suppress-host').click();
    await expect(page.getByTestId('bulk-outcome')).toContainText('1 suppression added');
    const sups = (await server.api.listSuppressions({})).suppressions;
    expect(sups.map((x) => [x.ruleId, x.field, x.value])).toEqual([[victim.ruleId, 'host', victim.host]]);
    for (const x of sups) await server.api.removeSuppression({ id: x.id });
    await server.api.runRules({ scope: 'all' });
  }

  // A filter that matches nothing says so.
  await page.getByTestId('alerts-filter').fill('no alert is called this');
  await expect(view(page, 'alerts')).toHaveAttribute('data-state', 'empty');
  await expect(view(page, 'alerts')).toContainText('No alert matches these filters');
  await screenshot(page, 'overview-alerts-empty');
  await page.getByTestId('clear-filters').click();
  await expect(view(page, 'alerts')).toHaveAttribute('data-state', 'ready');

  // Sorted by events: the rule with most matching events comes first.
  await open(page, 'dashboard');
  await open(page, 'alerts');
  const byCount = await server.api.listAlerts({ groupBy: 'rule', sort: 'count', statuses: open3, limit: 1 });
  await page.getByTestId('alerts-sort').selectOption('count');
  await expect(page.locator('tr.group-row').first()).toHaveAttribute('data-rule', String(byCount.groups[0]?.ruleId));

  // Filters: only critical.
  await open(page, 'alerts');
  await page.getByTestId('level-critical').click();
  const critical = await server.api.listAlerts({ groupBy: 'rule', levels: ['critical'], statuses: open3, limit: 500 });
  await expect(page.locator('tr.group-row')).toHaveCount(critical.groups.length);
  expect(errors).toEqual([]);
});

test('rules: packs, search, the text and SQL of a rule, run it now, disable it, import a folder and an unsupported rule', async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, 'rules');
  await expect(view(page, 'rules')).toHaveAttribute('data-state', 'ready');
  const packs = await server.api.listRulePacks({});
  await expect(page.getByTestId('rule-packs').locator('tbody tr')).toHaveCount(packs.packs.length);
  await expect(page.getByTestId('rule-packs')).toContainText('built');

  // A rule found by search: its text, its SQL, a run now.
  const target = (await server.api.listRules({ text: 'does not exist', limit: 5 })).rules[0];
  if (!target) throw new Error('no such rule in the built-in pack');
  await page.getByTestId('rules-filter').fill('does not exist');
  await expect(page.getByTestId('rule-list').locator('tbody tr')).toHaveCount(1);
  await page.getByTestId('open-rule').click();
  const pane = page.getByTestId('rule-detail');
  await expect(pane).toContainText(target.title);
  await expect(pane.locator('pre.code').first()).toContainText('title:');
  await expect(page.getByTestId('rule-sql').first()).toContainText(/SELECT/i);
  await page.getByTestId('run-rule').click();
  await expect(page.getByTestId('run-rule-result')).toContainText('matching events');
  await screenshot(page, 'overview-rules-dark');

  // Disable it from the list, then enable it again.
  await page.getByTestId('rule-enabled').uncheck();
  await expect.poll(async () => (await server.api.getRule({ id: target.id })).enabled).toBe(false);
  await page.getByTestId('rule-enabled').check();
  await expect.poll(async () => (await server.api.getRule({ id: target.id })).enabled).toBe(true);

  // Its alert count opens its alerts.
  if (target.alerts > 0) {
    await page.getByTestId('rule-list').locator(`a[href^="#/alerts?rule="]`).first().click();
    await expect(view(page, 'alerts')).toHaveAttribute('data-state', 'ready');
    await expect(page.locator('tr.group-row')).toHaveAttribute('data-rule', target.id);
    await open(page, 'rules');
  }

  if (server.fromCorpus) {
    // A SigmaHQ folder (13 active rules), and one rule Loupe cannot run, with its reason.
    await page.getByTestId('rules-import-path').fill(corpusPath('sigma/SigmaHQ/rules/web/webserver_generic'));
    await page.getByTestId('rules-import').click();
    await expect(page.getByTestId('rule-packs').locator('tbody tr')).toHaveCount(packs.packs.length + 1);
    await page.getByTestId('rules-import-path').fill(corpusPath('sigma/SigmaHQ/rules/windows/file/file_rename/file_rename_win_ransomware.yml'));
    await page.getByTestId('rules-import').click();
    await expect(page.getByTestId('rule-packs').locator('tbody tr')).toHaveCount(packs.packs.length + 2);
    await page.getByTestId('rules-filter').fill('');
    await page.getByTestId('rule-status-unsupported').click();
    await expect(page.getByTestId('rule-list').locator('tbody tr')).toHaveCount(1);
    await expect(page.getByTestId('rule-list')).toContainText('file_rename');
    await page.getByTestId('open-rule').click();
    await expect(page.getByTestId('rule-detail')).toContainText('unsupported');
    await expect(page.getByTestId('rule-detail')).toContainText('does not compile');

    // Removing a pack asks first: dismissed, it stays; confirmed, it goes.
    const remove = page.getByTestId('rule-packs').locator('tbody tr', { hasText: 'file_rename_win_ransomware' }).getByRole('button', { name: /^Remove the pack/ });
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await remove.click();
    await expect.poll(() => asked).toContain('Remove the rule pack');
    await expect(page.getByTestId('rule-packs').locator('tbody tr')).toHaveCount(packs.packs.length + 2);
    page.once('dialog', (d) => void d.accept());
    await remove.click();
    await expect(page.getByTestId('rule-packs').locator('tbody tr')).toHaveCount(packs.packs.length + 1);
  }
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
    ['entities?kind=ip&value=TOP', 'entities'],
    ['rules', 'rules'],
    ['settings', 'settings'],
    ['import', 'import'],
    ['reports', 'reports'],
    ['live', 'live'],
  ];
  // The detail panes of an alert and of a rule, open.
  const anAlert = (await server.api.listAlerts({ groupBy: 'none', sort: 'count', limit: 1 })).alerts[0];
  if (anAlert) routes.push([`alerts?alert=${anAlert.id}`, 'alerts'], [`rules?rule=${encodeURIComponent(anAlert.ruleId)}`, 'rules']);
  const bad = await topFailingIp();
  for (const theme of ['dark', 'light'] as const) {
    await open(page, 'search');
    await setTheme(page, theme);
    for (const [route, name] of routes) {
      await open(page, route.replace('TOP', bad.ip));
      await expect(view(page, name)).toBeVisible();
      await expect(view(page, name)).not.toHaveAttribute('data-state', 'loading');
      if (route.includes('alert=')) await expect(page.getByTestId('rule-yaml')).toBeVisible();
      if (route.includes('rule=')) await expect(page.getByTestId('rule-detail')).toBeVisible();
      await checkA11y(page, `${route} (${theme})`, found);
      if (['alerts', 'rules', 'settings'].includes(name) && theme === 'light') await screenshot(page, `overview-${name}${route.includes('=') ? '-detail' : ''}-light`);
    }
    // The event drawer and the table's dialogs are part of the views too.
    await open(page, `search?q=${encodeURIComponent(`src_ip:${bad.ip}`)}`);
    await expect(view(page, 'search')).toHaveAttribute('data-state', 'ready');
    await page.locator('.et-row[data-index="0"] .et-ts').dblclick();
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
