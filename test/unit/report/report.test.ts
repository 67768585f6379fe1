import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_SECTIONS } from '../../../src/shared/findings-contract';
import { LoupeError } from '../../../src/shared/errors';
import { IntelStore } from '../../../src/main/engine/intel';
import { call } from '../../../src/main/engine/service/dispatch';
import { findChromium, type PdfRenderer } from '../../../src/main/engine/report/pdf';
import { svgIsSafe } from '../../../src/main/engine/report/report-charts';
import { HOSTILE } from '../../fixtures/findings-case';
import { SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { findingsCase, type FindingsCase } from './helpers';

let fc: FindingsCase;
let store: IntelStore;
const intelDir = mkdtempSync(join(tmpdir(), 'loupe-report-intel-'));
const TOKEN = 'SECRET-HEC-TOKEN-0123456789';

beforeAll(async () => {
  store = new IntelStore({ dir: join(intelDir, 'intel'), embeddedAsnDir: null });
  const ioc = join(intelDir, 'c2.txt');
  writeFileSync(ioc, `${HOSTILE.ip}\n${T.c2.ip}\n`);
  await store.addIocList(ioc, 'c2-servers');
  fc = await findingsCase({
    events: 20_000,
    engine: { findings: { intelStore: () => store } },
  });
  await call(fc.engine.handlers, 'saveNote', { title: HOSTILE.noteTitle, body: HOSTILE.noteBody, events: [fc.hostile[0] as number], alerts: [fc.alerts[1] as number] });
  await call(fc.engine.handlers, 'saveNote', { title: 'Initial access', body: 'Password spraying from **203.0.113.66** ([T1110](https://attack.mitre.org/techniques/T1110/)).' });
  await call(fc.engine.handlers, 'saveDestination', { name: 'splunk', kind: 'splunk-hec', url: 'http://127.0.0.1:9', token: TOKEN });
});
afterAll(async () => {
  await fc.cleanup();
  rmSync(intelDir, { recursive: true, force: true });
});

const h = () => fc.engine.handlers;

/** Every tag of the document (text is escaped, so a `<` in content is `&lt;` and never matches). */
function tags(html: string): string[] {
  return [...html.matchAll(/<[^>]*>/g)].map((m) => m[0]);
}

/** What "self-contained and inert" means, checked on the markup itself. */
function expectInert(html: string): void {
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'">`);
  for (const tag of tags(html.replace(/<style>[\s\S]*?<\/style>/, '<style></style>'))) {
    expect(tag).not.toMatch(/^<\/?\s*(script|iframe|object|embed|link|base|form|img|image|video|audio|source|frame|use|foreignObject)\b/i);
    expect(tag).not.toMatch(/\son[a-z]+\s*=/i);
    // The only references are in-page anchors (the contents list).
    for (const m of tag.matchAll(/\s(?:src|href|xlink:href|action|poster|data)\s*=\s*"([^"]*)"/gi)) expect(m[1]).toMatch(/^#/);
    expect(tag).not.toMatch(/url\(\s*['"]?(?!#)/i);
  }
  const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  expect(css).not.toMatch(/@import|url\(/i);
  expect(html).not.toMatch(/http-equiv="refresh"/i);
}

describe('the incident report (HTML)', () => {
  let html: string;
  beforeAll(async () => {
    const p = await call(h(), 'previewReport', { title: 'Incident 42 <script>x</script>', author: 'Ana <Analyst>', summary: 'Attacker **brute-forced** DC01. <script>alert(10)</script>' });
    html = p.html;
    expect(p.warnings).toEqual([]);
    expect(p.bytes).toBe(Buffer.byteLength(html));
  });

  it('has every section, in order, with a contents list', () => {
    const order = [...html.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([...REPORT_SECTIONS]);
    for (const s of REPORT_SECTIONS) expect(html).toContain(`href="#s-${s}"`);
    expect(html).toContain('<title>Incident 42 &lt;script&gt;x&lt;/script&gt;</title>');
    expect(html).toContain('Ana &lt;Analyst&gt;');
    expect(html).toContain('Attacker <strong>brute-forced</strong> DC01. &lt;script&gt;alert(10)&lt;/script&gt;');
  });

  it('is self-contained and inert: CSP, no script, no handler, no external reference', () => {
    expectInert(html);
    expect(html).not.toMatch(/<script/i);
  });

  it('escapes every hostile value from the logs, the analyst and the rules', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; login from 198.51.100.23');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;&gt;&lt;svg onload=alert(2)&gt;');
    expect(html).toContain('evidence/&lt;iframe src=&quot;https://evil.example&quot;&gt;.log');
    expect(html).toContain('invoice⟨U+202E⟩gpj.exe');
    expect(html).not.toContain('\u202E');
    expect(html).toContain('analyst comment &lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;alert(3)&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;alert(9)&lt;/script&gt; rule');
    expect(html).toContain('<h3>&lt;script&gt;alert(4)&lt;/script&gt; note</h3>');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(8)&lt;/script&gt;');
    expect(html).toContain('click (javascript:alert(6))');
    // A note's web link is printed, not linked.
    expect(html).toContain('T1110 <span class="url">(https://attack.mitre.org/techniques/T1110/)</span>');
  });

  it('summary: counts of events, evidence, hosts, alerts, bookmarks and notes', () => {
    const tile = (k: string) => new RegExp(`<span>${k}</span><strong>([^<]*)</strong>`).exec(html)?.[1];
    expect(tile('Events')).toBe((20_003).toLocaleString('en-US'));
    expect(tile('Alerts')).toBe('3');
    expect(tile('Bookmarked events')).toBe('7');
    expect(tile('Notes')).toBe('2');
  });

  it('evidence manifest: files with SHA-256, size and time range from the events', () => {
    const section = /data-section="evidence"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain(`${'ab'}${'0'.repeat(62)}`);
    expect(section).toContain('evidence/DC01/Security.evtx');
    expect(section).toContain('2024-03-12 07:00:00<br>2024-03-12 07:00:02');
    expect((section.match(/<tr>/g) ?? []).length).toBe(10 + 1); // 9 scenario files + the hostile one, + the header row
  });

  it('timeline: the bookmarked events in time order with tags and comments', () => {
    const section = /data-section="timeline"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    const ids = [...section.matchAll(/data-event="(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toHaveLength(7);
    expect(ids.slice(0, 4)).toEqual(fc.brute.slice(0, 4));
    expect(ids.slice(4)).toEqual(fc.hostile);
    expect(section).toContain('<span class="tag">brute-force</span>');
    expect(section).toContain('class="comment"');
  });

  it('alerts: counts by level and the rules that fired', () => {
    const section = /data-section="alerts"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain('3 alerts from 3 rules');
    expect(section).toMatch(/>critical<\/span><\/td><td class="num">1<\/td><td class="num">3<\/td>/);
    expect(section).toMatch(/>high<\/span><\/td><td class="num">1<\/td><td class="num">50<\/td>/);
    expect(section).toContain('Brute force against a domain controller');
    expect(section).toContain('By triage status: new 2 · ack 1.');
    // Highest level first.
    expect(section.indexOf('>critical<')).toBeLessThan(section.indexOf('>high<'));
  });

  it('charts: inline SVG that passes the safety check', () => {
    const section = /data-section="charts"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    const svgs = [...section.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs.length).toBe(4);
    for (const s of svgs) expect(svgIsSafe(s)).toBe(true);
    expect(section).toContain('data-chart="events-over-time"');
    expect(section).toContain('data-chart="alerts-by-level"');
    // The hostile host name is a bar label: escaped text, not markup.
    expect(section).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('IP intelligence: involved IPs with the intel verdict, malicious first', () => {
    const section = /data-section="intel"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    const ips = [...section.matchAll(/<td class="mono ip">([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(ips[0]).toBe(HOSTILE.ip);
    expect(ips).toContain(T.bruteForce.ip);
    expect(ips).toContain(T.c2.ip); // malicious in the case, though not bookmarked
    expect(section).toMatch(new RegExp(`${HOSTILE.ip.replaceAll('.', '\\.')}<\\/td><td class="nowrap">documentation`));
    expect(section).toContain('<span class="tag">c2-servers</span>');
    expect(section).toContain('<span class="bad">malicious</span>');
  });

  it('versions: Loupe, case schema, intel stamp and sources, rule set fingerprint and last run', () => {
    const section = /data-section="versions"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain(`stamp <span class="mono">${store.stamp()}</span>`);
    expect(section).toMatch(/Rule set: 3 rules \(active 3\), fingerprint <span class="mono">[0-9a-f]{16}<\/span>/);
    expect(section).toContain('done, 51 rules, 54 hits');
    expect(section).toContain('c2-servers');
  });

  it('never carries a destination token', () => {
    expect(html).not.toContain(TOKEN);
  });

  it('prints only the sections asked for, in the report order', async () => {
    const p = await call(h(), 'previewReport', { sections: ['notes', 'summary'] });
    expect([...p.html.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1])).toEqual(['summary', 'notes']);
    expectInert(p.html);
  });

  it('says so when there is nothing to show', async () => {
    const empty = await findingsCase({ events: 1000, alerts: false });
    try {
      await call(empty.engine.handlers, 'setStar', { id: empty.brute[0] as number, starred: false });
      const p = await call(empty.engine.handlers, 'previewReport', {});
      expect(p.html).toContain('Detection rules have not been run on this case');
      expect(p.html).toContain('No notes were written for this case.');
      // Never enriched before: the report applied the intel first, so the verdicts match the versions it prints.
      expect(p.html).toContain('Enrichment from the offline intel as of');
      expect(p.html).toMatch(/Case enrichment<\/th><td>stamp <span class="mono">[0-9a-f]{24}<\/span>/);
      expectInert(p.html);
    } finally {
      await empty.cleanup();
    }
  });
});

describe('report files', () => {
  it('writes the HTML into the case reports folder and logs it with its SHA-256', async () => {
    const r = await call(h(), 'exportReport', { format: 'html', sections: ['summary', 'timeline'] });
    expect(r.path.startsWith(join(fc.dir, 'reports'))).toBe(true);
    const bytes = readFileSync(r.path);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bytes.toString('utf8')).toContain('data-section="timeline"');
    expect((await call(h(), 'listOutputs', {}))[0]).toMatchObject({ kind: 'report', format: 'html', path: r.path, sha256: r.sha256, status: 'done' });
  });

  it('refuses PDF with a clear message when no printer is available', async () => {
    const none: PdfRenderer = { kind: 'chromium', available: () => ({ ok: false, detail: 'PDF needs Chrome or Chromium, and none was found' }), render: async () => undefined };
    const other = await findingsCase({ events: 1000, alerts: false, engine: { findings: { pdfRenderer: none } } });
    try {
      expect(await call(other.engine.handlers, 'reportCapabilities', {})).toEqual({ pdf: false, renderer: null, detail: 'PDF needs Chrome or Chromium, and none was found' });
      const e = await call(other.engine.handlers, 'exportReport', { format: 'pdf' }).then(
        () => null,
        (x: unknown) => x as LoupeError,
      );
      expect(e?.code).toBe('UNSUPPORTED');
      expect(e?.message).toContain('Chromium');
    } finally {
      await other.cleanup();
    }
  });

  describe.skipIf(!findChromium())('PDF through headless Chromium', () => {
    it('prints a multi-page PDF of the same report', async () => {
      expect((await call(h(), 'reportCapabilities', {})).renderer).toBe('chromium');
      const r = await call(h(), 'exportReport', { format: 'pdf', title: 'PDF test' });
      expect(r.path).toMatch(/\.pdf$/);
      const pdf = readFileSync(r.path);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(r.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
      if (existsSync('/usr/bin/pdfinfo')) {
        const info = execFileSync('/usr/bin/pdfinfo', [r.path]).toString();
        expect(Number(/Pages:\s+(\d+)/.exec(info)?.[1])).toBeGreaterThan(2);
      }
      if (existsSync('/usr/bin/pdftotext')) {
        const text = execFileSync('/usr/bin/pdftotext', ['-layout', r.path, '-']).toString();
        expect(text).toContain('PDF test');
        expect(text).toContain('Timeline of bookmarked events');
        expect(text).toContain('<script>alert("pwned")</script>'); // printed as text
        expect(text).not.toContain(TOKEN);
      }
    });
  });
});
