import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { writeZip, zipBuffer } from '../fixtures/archives';
import { corpusPath, hasCorpus } from '../corpus';
import { expect, openApp, screenshot, test } from './fixtures';

/** Wait until the progress panel shows an import newer than `after`, finished (or in `state`). */
async function waitForImport(page: Page, after: number, state = 'finished'): Promise<number> {
  const panel = page.getByTestId('import-progress');
  await expect(async () => {
    const id = Number(await panel.getAttribute('data-import-id'));
    expect(id).toBeGreaterThan(after);
  }).toPass();
  await expect(panel).toHaveAttribute('data-state', state, { timeout: 90_000 });
  return Number(await panel.getAttribute('data-import-id'));
}

function inputs(tmp: string): { dir: string; json: string; zip: string; big: string } {
  const dir = join(tmp, 'evidence');
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'events.json');
  writeFileSync(json, '{"message": "first", "host": "web1"}\n{"message": broken\n{"message": "third", "host": "web2"}\nnot json at all\n');
  const zip = join(dir, 'bundle.zip');
  writeZip(zip, [
    { name: 'logs/app.log', data: 'started\nrunning\nstopped\n' },
    { name: '../escape.log', data: 'zip slip\n' },
  ]);
  const big = join(tmp, 'big.log');
  writeFileSync(big, Array.from({ length: 1_500_000 }, (_, i) => `Mar  1 10:00:00 host app[1]: line ${i} of a long file`).join('\n'));
  return { dir, json, zip, big };
}

test('imports by path and by upload, shows progress, the summary and the rejected records', async ({ page, loupe }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const files = inputs(loupe.tmp);
  await openApp(page, loupe, 'import');
  await expect(page.getByTestId('evidence')).toHaveAttribute('data-state', 'loaded');
  await screenshot(page, 'import-empty');

  // A folder by path (the engine is on this machine): nothing is copied.
  await page.getByTestId('import-path').fill(files.dir);
  await page.getByTestId('import-path-submit').click();
  const first = await waitForImport(page, 0);
  const rows = page.getByTestId('evidence-row');
  await expect(rows).toHaveCount(4);
  await expect(page.locator('[data-testid="evidence-row"][data-status="failed"]')).toContainText('escape.log');
  // An imported archive's note is shown too (it tells of the entry it refused).
  await expect(page.locator('[data-testid="evidence-row"][data-status="imported"]', { hasText: 'bundle.zip' }).first()).toContainText('1 member, 1 refused');
  await expect(page.getByTestId('reconciled')).toContainText('seen = stored + rejected');
  await screenshot(page, 'import-summary');

  // The rejected records of events.json, with their line numbers and excerpts.
  const jsonRow = page.locator('[data-testid="evidence-row"]', { hasText: 'events.json' });
  await expect(jsonRow).toContainText('json');
  await jsonRow.getByTestId('show-errors').click();
  const drawer = page.getByTestId('errors-drawer');
  await expect(drawer).toHaveAttribute('data-state', 'loaded');
  await expect(drawer.getByTestId('error-row')).toHaveCount(2);
  await expect(drawer).toContainText('line 2');
  await expect(drawer).toContainText('not json at all');
  await screenshot(page, 'import-errors-drawer');
  await page.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);

  // Upload from the browser, with a time zone.
  await page.getByTestId('import-tz').fill('Europe/Paris');
  const upload = join(loupe.tmp, 'uploaded.log');
  writeFileSync(upload, 'uploaded one\nuploaded two\n');
  await page.getByTestId('file-input').setInputFiles(upload);
  const second = await waitForImport(page, first);
  await expect(page.locator('[data-testid="evidence-row"]', { hasText: 'uploaded.log' })).toHaveAttribute('data-status', 'imported');

  // Per-file override: read events.json as plain text instead.
  await jsonRow.getByTestId('change-format').click();
  await jsonRow.getByTestId('format-override').selectOption('text');
  await waitForImport(page, second);
  await expect(jsonRow).toContainText('text');
  await expect(jsonRow.locator('td').nth(5)).toHaveText('0');
  expect(errors).toEqual([]);
});

test('a long import can be cancelled: the file is marked, nothing of it stays', async ({ page, loupe }) => {
  const files = inputs(loupe.tmp);
  await openApp(page, loupe, 'import');
  await expect(page.getByTestId('evidence')).toHaveAttribute('data-state', 'loaded');
  await page.getByTestId('import-path').fill(files.big);
  await page.getByTestId('import-path-submit').click();
  const panel = page.getByTestId('import-progress');
  await expect(panel).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('progress-events')).not.toHaveText('0', { timeout: 60_000 });
  await screenshot(page, 'import-running');
  await page.getByTestId('cancel-import').click();
  await expect(panel).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await expect(page.locator('[data-testid="evidence-row"][data-status="cancelled"]')).toHaveCount(1);
  await expect(page.getByTestId('case-button')).toContainText('0 events');
  await screenshot(page, 'import-cancelled');
});

test('a damaged archive member is marked, says why, and offers to be read again (not resumed)', async ({ page, loupe }) => {
  const data = Array.from({ length: 40 }, (_, i) => `Mar  2 11:00:${String(i).padStart(2, '0')} db1 sudo[77]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls ${i}`).join('\n');
  const zip = zipBuffer([
    { name: 'var/log/auth.log', data, stored: true },
    { name: 'var/log/other.log', data: 'fine\n' },
  ]);
  // One bit flipped in the stored member: every size still matches, only its CRC-32 does not.
  const at = zip.indexOf(Buffer.from(data)) + 200;
  zip[at] = (zip[at] as number) ^ 0x01;
  const file = join(loupe.tmp, 'triage.zip');
  writeFileSync(file, zip);
  await openApp(page, loupe, 'import');
  await expect(page.getByTestId('evidence')).toHaveAttribute('data-state', 'loaded');
  await page.getByTestId('import-path').fill(file);
  await page.getByTestId('import-path-submit').click();
  await waitForImport(page, 0);
  const archive = page.locator('[data-testid="evidence-row"]', { hasText: 'triage.zip' }).first();
  await expect(archive).toContainText('1 of its 2 members could be read only in part');
  const member = page.locator('[data-testid="evidence-row"][data-status="incomplete"]', { hasText: 'var/log/auth.log' });
  await expect(member).toContainText('fails its CRC-32 check');
  await expect(member.getByTestId('resume')).toHaveText('Read again');
  await screenshot(page, 'import-damaged-member');
});

test('imports corpus samples: zeek, suricata, web, auth.log and an OTRF zip', async ({ page, loupe }) => {
  test.skip(!hasCorpus('zeek'), 'corpus not found');
  await openApp(page, loupe, 'import');
  await expect(page.getByTestId('evidence')).toHaveAttribute('data-state', 'loaded');
  const samples = [
    corpusPath('zeek/otrf/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump_zeek_logs.zip'),
    corpusPath('suricata/suricata-verify/eve-dns/expected/eve.json'),
    corpusPath('web/elastic-examples/apache_logs/apache_logs'),
    corpusPath('linux/elastic-examples/suspicious_login_activity/auth.log'),
    corpusPath('ndjson/otrf/datasets/atomic/windows/credential_access/host/psh_lsass_memory_dump_comsvcs.zip'),
  ];
  await page.getByTestId('import-path').fill(samples.join('\n'));
  await page.getByTestId('import-path-submit').click();
  await waitForImport(page, 0);
  await expect(page.locator('[data-testid="evidence-row"][data-status="importing"]')).toHaveCount(0);
  await expect(page.getByTestId('reconciled')).toContainText('seen = stored + rejected');
  await screenshot(page, 'import-corpus');
  await page.getByRole('button', { name: /Switch to light theme/ }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await screenshot(page, 'import-corpus-light');
});
