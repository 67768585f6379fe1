import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../../src/main/engine/report/pdf';
import { startFakeSiem, type FakeSiem } from '../../fixtures/fake-siem';
import { SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { runCli } from '../../helpers';
import { findingsCase, type FindingsCase } from './helpers';

let fc: FindingsCase;
let out: string;
let env: Record<string, string>;
beforeAll(async () => {
  fc = await findingsCase({ events: 3000 });
  out = join(fc.dir, '..', 'out');
  env = { LOUPE_HOME: process.env.LOUPE_HOME ?? '' };
  // The CLI opens the case in its own process: this one lets go of it.
  await fc.engine.close();
});
afterAll(async () => fc.cleanup());

const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });
const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

describe('loupe report', () => {
  it('writes the HTML report with the sections asked for', async () => {
    const file = join(out, 'report.html');
    const r = await cli(['report', '--case', fc.dir, '--out', file, '--sections', 'summary,notes,timeline', '--title', 'CLI report', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toMatchObject({ path: file, format: 'html' });
    const html = readFileSync(file, 'utf8');
    expect([...html.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1])).toEqual(['summary', 'timeline', 'notes']);
    expect(html).toContain('<title>CLI report</title>');
  });

  it('usage errors exit 2: bad extension, unknown section, no case', async () => {
    expect((await cli(['report', '--case', fc.dir, '--out', join(out, 'r.txt')])).code).toBe(2);
    const bad = await cli(['report', '--case', fc.dir, '--out', join(out, 'r.html'), '--sections', 'summary,bogus', '--json']);
    expect(bad.code).toBe(2);
    expect(json(bad.stdout)).toMatchObject({ error: { code: 'USAGE' } });
    expect((await cli(['report', '--out', join(out, 'r.html')])).code).toBe(2);
  });

  it('does not create a case where there is none', async () => {
    const missing = join(out, 'no-such-case');
    const r = await cli(['report', '--case', missing, '--out', join(out, 'r.html'), '--json']);
    expect(r.code).toBe(1);
    expect(['NOT_FOUND', 'NOT_A_CASE']).toContain((json(r.stdout).error as { code: string }).code);
    expect(existsSync(missing)).toBe(false);
  });

  it.skipIf(!findChromium())('prints the PDF through headless Chromium', async () => {
    const file = join(out, 'report.pdf');
    const r = await cli(['report', '--case', fc.dir, '--out', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote PDF report .*report\.pdf \(\d+ KiB, sha256 [0-9a-f]{64}\)\n$/);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('says clearly when no Chromium is there for the PDF', async () => {
    const r = await cli(['report', '--case', fc.dir, '--out', join(out, 'x.pdf')], { CHROME_PATH: join(out, 'no-chrome-here') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PDF needs Chrome or Chromium.*CHROME_PATH/);
    expect(existsSync(join(out, 'x.pdf'))).toBe(false);
  });
});

describe('loupe export', () => {
  it('exports a search result to CSV and reads as the search does', async () => {
    const file = join(out, 'brute.csv');
    const r = await cli(['export', '--case', fc.dir, '--query', `src_ip:${T.bruteForce.ip}`, '--format', 'csv', '--out', file, '--json']);
    expect(r.code).toBe(0);
    const res = json(r.stdout);
    expect(res).toMatchObject({ path: file, rows: T.bruteForce.failed + T.bruteForce.succeeded, format: 'csv' });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines[0]?.startsWith('event_id,ts,dataset,host,')).toBe(true);
    expect(lines).toHaveLength(T.bruteForce.failed + T.bruteForce.succeeded + 1);
  });

  it('timesketch to a .csv file is Timesketch CSV; the format can come from the extension', async () => {
    const ts = join(out, 'ts.csv');
    expect((await cli(['export', '--case', fc.dir, '--query', 'dataset:sysmon', '--format', 'timesketch', '--out', ts])).code).toBe(0);
    expect(readFileSync(ts, 'utf8').split('\n')[0]).toMatch(/^message,datetime,timestamp_desc,timestamp,/);
    const pq = join(out, 'alerts.parquet');
    const r = await cli(['export', '--case', fc.dir, '--alerts', '--levels', 'high,critical', '--out', pq, '--json']);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toMatchObject({ format: 'parquet', rows: 2 });
    const bm = join(out, 'bookmarks.ndjson');
    const b = await cli(['export', '--case', fc.dir, '--bookmarks', '--fields', 'all', '--out', bm, '--json']);
    expect(json(b.stdout)).toMatchObject({ rows: 7 });
  });

  it('needs exactly one selection and a known format', async () => {
    expect((await cli(['export', '--case', fc.dir, '--out', join(out, 'x.csv')])).code).toBe(2);
    expect((await cli(['export', '--case', fc.dir, '--alerts', '--bookmarks', '--out', join(out, 'x.csv')])).code).toBe(2);
    expect((await cli(['export', '--case', fc.dir, '--alerts', '--out', join(out, 'x.bin')])).code).toBe(2);
    expect((await cli(['export', '--case', fc.dir, '--alerts', '--format', 'xml', '--out', join(out, 'x.xml')])).code).toBe(2);
    const q = await cli(['export', '--case', fc.dir, '--query', 'nosuchfield:x', '--out', join(out, 'x.csv'), '--json']);
    expect(q.code).toBe(1);
    expect(json(q.stdout)).toMatchObject({ error: { code: 'QUERY_ERROR' } });
    expect(existsSync(join(out, 'x.csv'))).toBe(false);
  });
});

describe('loupe note', () => {
  it('adds notes from text or a file and lists them', async () => {
    const body = join(out, 'note.md');
    writeFileSync(body, '# Findings\n\nLateral movement to **WS07**.');
    const a = await cli(['note', 'add', '--case', fc.dir, '--title', 'Lateral movement', '--body-file', body, '--event', String(fc.brute[0]), '--json']);
    expect(a.code).toBe(0);
    expect(json(a.stdout)).toMatchObject({ note: { title: 'Lateral movement', events: [{ id: fc.brute[0] }] } });
    expect((await cli(['note', 'add', '--case', fc.dir, '--title', 'Scope', '--body', 'DC01 only'])).code).toBe(0);
    const l = await cli(['note', 'list', '--case', fc.dir]);
    expect(l.stdout).toMatch(/Scope\n/);
    expect(l.stdout).toContain(`Lateral movement  (event ${fc.brute[0]})`);
    expect((await cli(['note', 'add', '--case', fc.dir, '--title', 'x'])).code).toBe(2);
  });
});

describe('loupe forward', () => {
  let siem: FakeSiem;
  beforeAll(async () => {
    siem = await startFakeSiem({ hecToken: 'cli-secret-token' });
  });
  afterAll(async () => siem.close());

  it('adds a destination with the token from the environment, checks it, forwards, and skips on the second run', async () => {
    const add = await cli(['forward', 'add', 'splunk', '--case', fc.dir, '--kind', 'splunk-hec', '--url', siem.url, '--index', 'ir', '--token-env', 'HEC_TOKEN', '--json'], { HEC_TOKEN: 'cli-secret-token' });
    expect(add.code).toBe(0);
    expect(add.stdout).not.toContain('cli-secret-token');
    expect(json(add.stdout)).toMatchObject({ destination: { name: 'splunk', hasToken: true } });
    const check = await cli(['forward', 'check', 'splunk', '--case', fc.dir]);
    expect(check.stdout).toMatch(/^healthy: HTTP 200: HEC is healthy/);
    const run = await cli(['forward', '--case', fc.dir, '--to', 'splunk', '--query', `src_ip:${T.bruteForce.ip}`, '--json']);
    expect(run.code).toBe(0);
    const n = T.bruteForce.failed + T.bruteForce.succeeded;
    expect(json(run.stdout)).toMatchObject({ status: 'done', selected: n, sent: n });
    expect(siem.hecEvents).toHaveLength(n);
    const again = await cli(['forward', '--case', fc.dir, '--to', 'splunk', '--query', `src_ip:${T.bruteForce.ip}`]);
    expect(again.stdout).toContain(`done: 0 sent (acknowledged), 0 failed, ${n} already sent earlier`);
    const list = await cli(['forward', 'list', '--case', fc.dir]);
    expect(list.stdout).toMatch(new RegExp(`^splunk\\s+splunk-hec\\s+${siem.url.replaceAll('.', '\\.')} index=ir\\s+acked ${n}, failed 0; last run .* done\\n$`));
    const log = await cli(['forward', 'log', 'splunk', '--case', fc.dir, '--limit', '3']);
    expect(log.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(readFileSync(join(fc.dir, 'secrets.json'), 'utf8')).toContain('cli-secret-token');
  });

  it('exits 1 with the reason when the receiver refuses, and 2 without --to', async () => {
    await cli(['forward', 'add', 'bad', '--case', fc.dir, '--kind', 'splunk-hec', '--url', siem.url, '--token', 'wrong']);
    const r = await cli(['forward', '--case', fc.dir, '--to', 'bad', '--alerts']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^alerts → bad\nfailed: 0 sent \(acknowledged\), 3 failed/);
    expect(r.stdout).toContain('Invalid token');
    expect((await cli(['forward', '--case', fc.dir, '--alerts'])).code).toBe(2);
    expect((await cli(['forward', 'remove', 'bad', '--case', fc.dir])).code).toBe(0);
  });
});
