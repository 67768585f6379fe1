import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test as base, type Page } from '@playwright/test';
import { corpusPath } from '../corpus';
import { startFakeSiem, type FakeSiem } from '../fixtures/fake-siem';
import { expect, SCREENSHOTS, startServe, screenshot, type LoupeServer } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');
const EVENTS = 30_000;
const HOSTILE_IP = '198.51.100.23';
const HEC_TOKEN = 'e2e-hec-token-never-in-reports';

interface CaseIds {
  hostile: number[];
  brute: number[];
  alerts: number[];
  bruteIp: string;
  hostileQuery: string;
}

/** Public corpus files the case is imported from (see the corpus README), and the SSH brute force in them. */
const CORPUS_FILES = [
  'linux/loghub/OpenSSH/OpenSSH_2k.log',
  'web/EVTX-ATTACK-SAMPLES/Command and Control/web_attack_and_isp_webshell_localhost_access_log.txt',
  'evtx/EVTX-ATTACK-SAMPLES/Lateral Movement/LM_5145_Remote_FileCopy.evtx',
  'suricata/stamus-suricata-analytics/training/data/02/eve.json',
  'zeek/brimdata-zed/conn.log',
];
const CORPUS_BRUTE_IP = '183.62.140.253';
const useCorpus = CORPUS_FILES.every((f) => existsSync(corpusPath(f)));

/** Log lines an attacker controls: markup, quotes and a bidi override in the fields a report shows. */
const HOSTILE_NDJSON = [0, 1]
  .map((i) =>
    JSON.stringify({
      '@timestamp': `2024-03-12T07:00:0${i}Z`,
      host: { name: '<img src=x onerror=alert(1)>' },
      message: `<script>alert("pwned")</script> beacon ${i} from ${HOSTILE_IP} invoice\u202Egpj.exe`,
      source: { ip: HOSTILE_IP, port: 4444 + i },
      destination: { ip: '10.0.0.5', port: 443 },
      user: { name: '"><svg onload=alert(2)>' },
      event: { action: 'beacon' },
    }),
  )
  .join('\n');

/**
 * Findings end to end: a case is imported from the public corpus (with a
 * hostile NDJSON file of our own beside it; the scenario generator stands in
 * when the corpus is absent) and given an alert list, events are starred and
 * commented in Search, a note is written, the report is previewed and
 * exported as HTML and PDF, the HTML is checked and the PDF rendered to PNG,
 * an export is downloaded and the alerts are handed off to a local fake Splunk.
 */
const test = base.extend<{ findings: LoupeServer & { ids: CaseIds } }>({
  // eslint-disable-next-line no-empty-pattern
  findings: async ({}, use) => {
    const tmp = mkdtempSync(join(tmpdir(), 'loupe-e2e-findings-'));
    const home = join(tmp, 'home');
    const caseDir = join(tmp, 'case');
    const env = { ...process.env, LOUPE_HOME: home };
    const fixture = join(ROOT, 'test/fixtures/make-findings-case.ts');
    let made: string;
    if (useCorpus) {
      const hostileFile = join(tmp, 'hostile.ndjson');
      writeFileSync(hostileFile, `${HOSTILE_NDJSON}\n`);
      execFileSync(process.execPath, [join(ROOT, 'bin', 'loupe.js'), 'import', '--case', caseDir, '--json', hostileFile, ...CORPUS_FILES.map((f) => corpusPath(f))], { cwd: ROOT, env, stdio: 'pipe' });
      made = execFileSync(process.execPath, ['--import', 'tsx', fixture, caseDir, '--imported', CORPUS_BRUTE_IP], { cwd: ROOT, env, stdio: 'pipe' }).toString();
    } else {
      process.stderr.write(`corpus not found at ${corpusPath()}: the findings E2E builds its case with the scenario generator\n`);
      made = execFileSync(process.execPath, ['--import', 'tsx', fixture, caseDir, String(EVENTS)], { cwd: ROOT, env, stdio: 'pipe' }).toString();
    }
    const ids = JSON.parse(made.trim().split('\n').pop() ?? '{}') as CaseIds;
    const serve = await startServe(caseDir, env);
    await use({ ...serve.info, home, caseDir, tmp, ids });
    await serve.stop();
    rmSync(tmp, { recursive: true, force: true });
  },
});

const OUT = join(ROOT, 'test-results', 'findings');

async function open(page: Page, s: LoupeServer, route: string): Promise<void> {
  await page.goto(`${s.url}#/${route}`);
  await expect(page.locator('.shell')).toHaveAttribute('data-state', 'ready');
}

async function runQuery(page: Page, q: string): Promise<void> {
  const input = page.getByTestId('query-input');
  await input.fill(q);
  await input.press('Escape');
  await page.getByTestId('query-submit').click();
}

async function download(page: Page, s: LoupeServer, testId: string): Promise<Buffer> {
  const href = await page.getByTestId(testId).getAttribute('href');
  if (!href) throw new Error(`no download link ${testId}`);
  const res = await page.request.get(new URL(href, s.url).href);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-disposition']).toMatch(/^attachment;/);
  return res.body();
}

/** Every tag of the report: nothing that runs, loads or navigates; references only to its own anchors. */
function expectInertHtml(html: string): void {
  expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'">`);
  for (const m of html.replace(/<style>[\s\S]*?<\/style>/, '').matchAll(/<[^>]*>/g)) {
    const tag = m[0];
    expect(tag).not.toMatch(/^<\/?\s*(script|iframe|object|embed|link|base|form|img|image|video|audio|source|frame|use|foreignObject)\b/i);
    expect(tag).not.toMatch(/\son[a-z]+\s*=/i);
    for (const ref of tag.matchAll(/\s(?:src|href|xlink:href|action|poster|data)\s*=\s*"([^"]*)"/gi)) expect(ref[1]).toMatch(/^#/);
    expect(tag).not.toMatch(/url\(\s*['"]?(?!#)/i);
  }
  expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
}

test('findings: star and comment evidence, write a note, preview and export the report, export data, hand off', async ({ page, findings }) => {
  test.setTimeout(240_000);
  mkdirSync(OUT, { recursive: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });

  // --- Evidence: star the newest brute-force events and a hostile one, comment in the drawer.
  const { ids } = findings;
  const n = (x: number) => x.toLocaleString('en-US');
  await open(page, findings, `search?q=${encodeURIComponent(`src_ip:${ids.bruteIp}`)}`);
  await expect(page.getByTestId('result-total')).toHaveText(n(ids.brute.length));
  for (const i of [0, 1, 2]) {
    const star = page.locator(`.et-row[data-index="${i}"] [data-testid="star"]`);
    await star.click();
    await expect(star).toHaveAttribute('aria-pressed', 'true');
  }
  const starredBrute = ids.brute.slice(-3);
  await runQuery(page, ids.hostileQuery);
  await expect(page.getByTestId('result-total')).toHaveText(String(ids.hostile.length));
  // Hostile markup in the table is text: no element was injected.
  await expect(page.locator('.et-row[data-index="0"]')).toContainText('<script>alert("pwned")</script>');
  // Newest first: the first row is the last of the hostile events.
  const hostileStarred = ids.hostile[ids.hostile.length - 1] as number;
  await page.locator('.et-row[data-index="0"]').click();
  await page.keyboard.press('Enter');
  const drawer = page.getByTestId('event-drawer');
  await expect(drawer).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('drawer-star').click();
  await expect(page.getByTestId('drawer-star')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('drawer-comment').fill('Beacon to the C2 address <b>with</b> a hostile host name');
  await page.getByTestId('tag-input').click(); // blur saves the comment
  await page.getByTestId('tag-input').fill('c2');
  await page.getByTestId('tag-input').press('Enter');
  await expect(drawer.locator('.tag-chip')).toContainText('c2');
  await screenshot(page, 'findings-drawer-comment');

  // --- Notes: a Markdown note about two events, with hostile text in it.
  await open(page, findings, 'reports?tab=notes');
  await expect(page.getByTestId('notes-panel')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('note-new').click();
  await page.getByTestId('note-title').fill('Initial access <script>alert(1)</script>');
  await page
    .getByTestId('note-body')
    .fill(
      '## What happened\n\nPassword spraying from **203.0.113.66** against `administrator`, then a logon.\n\n- 50 failures in under two minutes\n- one success: <img src=x onerror=alert(2)>\n\nSee [T1110](https://attack.mitre.org/techniques/T1110/).',
    );
  await expect(page.getByTestId('note-editor').locator('.note-preview strong')).toHaveText('203.0.113.66');
  await page.getByTestId('note-events').fill(`${ids.brute[0]}, ${ids.hostile[0]}`);
  await page.getByTestId('note-save').click();
  const card = page.getByTestId('note-card');
  await expect(card).toHaveCount(1);
  await expect(card.locator('h3')).toHaveText('Initial access <script>alert(1)</script>');
  await expect(card.locator('li').nth(1)).toHaveText('one success: <img src=x onerror=alert(2)>');
  await expect(card.locator('img')).toHaveCount(0);
  await expect(card).toContainText(`event #${ids.brute[0]}`);
  await screenshot(page, 'findings-notes');

  // --- The bookmarked events, with the comment written in the drawer.
  await page.getByTestId('tab-evidence').click();
  await expect(page.getByTestId('bookmarks-panel')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('bookmark-row')).toHaveCount(4);
  await expect(page.locator(`[data-testid="bookmark-row"][data-id="${hostileStarred}"] [data-testid="bookmark-comment"]`)).toHaveValue('Beacon to the C2 address <b>with</b> a hostile host name');
  await page.locator(`[data-testid="bookmark-row"][data-id="${starredBrute[0]}"] [data-testid="bookmark-comment"]`).fill('First failure of the spray');
  await page.getByTestId('tab-report').click(); // blur saves, then the report tab
  await screenshot(page, 'findings-report-loading');

  // --- Report: preview, then HTML and PDF.
  await expect(page.locator('.report-preview')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('report-title').fill('Incident 2024-03 <script>x</script>');
  await page.getByTestId('report-author').fill('SOC team');
  await page.getByTestId('report-summary').fill('An attacker **brute-forced** SSH on the server and a host beaconed to the C2 server.');
  await page.getByTestId('report-preview').click();
  await expect(page.locator('.report-preview')).toHaveAttribute('data-state', 'ready');
  const frame = page.frameLocator('[data-testid="report-frame"]');
  await expect(frame.locator('h1')).toHaveText('Incident 2024-03 <script>x</script>');
  for (const s of ['summary', 'evidence', 'timeline', 'alerts', 'charts', 'intel', 'notes', 'versions']) await expect(frame.locator(`[data-section="${s}"]`)).toHaveCount(1);
  await expect(frame.locator('[data-section="timeline"] .comment')).toContainText(['First failure of the spray']);
  await expect(frame.locator('[data-section="charts"] svg')).toHaveCount(4);
  await screenshot(page, 'findings-report-preview');
  await frame.locator('[data-section="timeline"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'findings-report-preview-timeline');

  // Only some sections: the preview follows.
  await page.getByTestId('section-versions').uncheck();
  await page.getByTestId('section-evidence').uncheck();
  await page.getByTestId('report-preview').click();
  await expect(frame.locator('[data-section="versions"]')).toHaveCount(0);
  await expect(frame.locator('[data-section="evidence"]')).toHaveCount(0);
  await page.getByTestId('section-versions').check();
  await page.getByTestId('section-evidence').check();

  await page.getByTestId('report-export-html').click();
  await expect(page.getByTestId('report-written')).toHaveAttribute('data-format', 'html');
  const html = (await download(page, findings, 'report-file-download')).toString('utf8');
  writeFileSync(join(OUT, 'report.html'), html);
  expect([...html.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1])).toEqual(['summary', 'evidence', 'timeline', 'alerts', 'charts', 'intel', 'notes', 'versions']);
  expectInertHtml(html);
  expect(html).not.toMatch(/<script/i);
  expect(html).toContain('<title>Incident 2024-03 &lt;script&gt;x&lt;/script&gt;</title>');
  expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).toContain('Beacon to the C2 address &lt;b&gt;with&lt;/b&gt; a hostile host name');
  expect(html).toContain('<h3>Initial access &lt;script&gt;alert(1)&lt;/script&gt;</h3>');
  expect(html).toContain('one success: &lt;img src=x onerror=alert(2)&gt;');
  expect(html).toContain('&lt;script&gt;alert(9)&lt;/script&gt; rule');
  expect(html).toContain('<strong>brute-forced</strong>');

  // The saved HTML, opened on its own in the browser: nothing is requested, nothing runs.
  const reportFile = join(OUT, 'report.html');
  const viewer = await page.context().newPage();
  const requests: string[] = [];
  viewer.on('request', (r) => requests.push(r.url()));
  viewer.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await viewer.goto(pathToFileURL(reportFile).href);
  await expect(viewer.locator('[data-section="notes"] h3')).toContainText('Initial access <script>alert(1)</script>');
  expect(requests).toEqual([pathToFileURL(reportFile).href]);
  await expect(viewer.locator('script')).toHaveCount(0);
  await viewer.setViewportSize({ width: 1200, height: 900 });
  await viewer.screenshot({ path: join(SCREENSHOTS, 'findings-report-html.png') });
  await viewer.close();

  await page.getByTestId('report-export-pdf').click();
  await expect(page.getByTestId('report-written')).toHaveAttribute('data-format', 'pdf', { timeout: 60_000 });
  await screenshot(page, 'findings-report-written');
  const pdf = await download(page, findings, 'report-file-download');
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const pdfFile = join(OUT, 'report.pdf');
  writeFileSync(pdfFile, pdf);
  // Rendered to PNG pages to be looked at (test-results/screenshots/findings-pdf-*.png).
  for (const f of readdirSync(SCREENSHOTS).filter((x) => x.startsWith('findings-pdf-'))) rmSync(join(SCREENSHOTS, f));
  execFileSync('pdftoppm', ['-png', '-r', '60', pdfFile, join(SCREENSHOTS, 'findings-pdf')]);
  const pages = readdirSync(SCREENSHOTS).filter((x) => /^findings-pdf-\d+\.png$/.test(x));
  expect(pages.length).toBeGreaterThanOrEqual(4);
  const text = execFileSync('pdftotext', ['-layout', pdfFile, '-']).toString();
  expect(text).toContain('Timeline of bookmarked events');
  expect(text).toContain('<script>alert("pwned")</script>');
  // Reading order (not -layout): a comment wrapped in its narrow column reads as one phrase.
  expect(execFileSync('pdftotext', [pdfFile, '-']).toString()).toMatch(/First\s+failure\s+of\s+the\s+spray/);

  // --- Exports: the bookmarks as CSV, downloaded and read back.
  await page.getByTestId('tab-exports').click();
  await page.getByTestId('export-kind-bookmarks').check();
  await page.getByTestId('export-format').selectOption('csv');
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-progress')).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('export-result')).toContainText('4 rows written');
  const csv = (await download(page, findings, 'export-file-download')).toString('utf8');
  const lines = csv.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^event_id,ts,dataset,host,/);
  expect(csv).toContain('First failure of the spray');
  await page.getByTestId('export-kind-search').check();
  await page.getByTestId('export-query').fill(`src_ip:${ids.bruteIp}`);
  await page.getByTestId('export-format').selectOption('timesketch');
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-result')).toContainText(`${n(ids.brute.length)} rows written`);
  const ts = (await download(page, findings, 'export-file-download')).toString('utf8').trimEnd().split('\n');
  expect(Object.keys(JSON.parse(ts[0] as string) as object).slice(0, 3)).toEqual(['message', 'datetime', 'timestamp_desc']);
  await expect(page.getByTestId('outputs-table').locator('tbody tr')).toHaveCount(4);
  await screenshot(page, 'findings-exports');

  // --- Hand-off: a destination, its health, the alerts sent and acknowledged.
  let siem: FakeSiem | undefined;
  try {
    siem = await startFakeSiem({ hecToken: HEC_TOKEN });
    await page.getByTestId('tab-handoff').click();
    await expect(page.getByTestId('forward-panel')).toHaveAttribute('data-state', 'ready');
    await page.getByTestId('dest-new').click();
    await page.getByTestId('dest-name').fill('splunk');
    await page.getByTestId('dest-url').fill(siem.url);
    await page.getByTestId('dest-index').fill('ir');
    await page.getByTestId('dest-token').fill(HEC_TOKEN);
    await page.getByTestId('dest-save').click();
    const row = page.locator('[data-testid="dest-row"][data-name="splunk"]');
    await expect(row).toContainText('set');
    await row.getByTestId('dest-check').click();
    await expect(row.getByTestId('dest-health')).toContainText('healthy');
    await page.getByTestId('forward-kind-alerts').check();
    await page.getByTestId('forward-send').click();
    await expect(page.getByTestId('forward-result')).toHaveAttribute('data-status', 'done');
    // The case holds our three planted alerts plus whatever the built-in rules found in the corpus import.
    const sent = Number(/(\d+) sent and acknowledged/.exec((await page.getByTestId('forward-result').textContent()) ?? '')?.[1]);
    expect(sent).toBeGreaterThanOrEqual(3);
    await expect(row.getByTestId('dest-acked')).toHaveText(String(sent));
    expect(siem.hecEvents).toHaveLength(sent);
    await screenshot(page, 'findings-handoff-sent');
    await page.getByTestId('forward-send').click();
    await expect(page.getByTestId('forward-result')).toContainText(`${sent} already sent earlier`);
    expect(siem.hecEvents).toHaveLength(sent);
    await screenshot(page, 'findings-handoff');
  } finally {
    await siem?.close();
  }

  // The token never reached a report or an export.
  for (const dir of ['reports', 'exports']) {
    const d = join(findings.caseDir, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) expect(readFileSync(join(d, f)).includes(Buffer.from(HEC_TOKEN))).toBe(false);
  }
  expect(dialogs.filter((m) => /alert|pwned/.test(m))).toEqual([]);
  expect(errors).toEqual([]);
});
