import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/main/hosts/cli/main';
import { Case } from '../../../src/main/engine/case/case';
import { AlertService } from '../../../src/main/engine/alerts/alert-service';
import { PushBus } from '../../../src/main/engine/service/push';
import { loadInputs, type Input } from './helpers';

/** `loupe hunt` and `loupe rules import|list` on a real case folder. */

const root = mkdtempSync(join(tmpdir(), 'loupe-hunt-cli-'));
const caseDir = join(root, 'case');
const prevHome = process.env.LOUPE_HOME;

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const auth = (min: number, s: number, msg: string, program = 'sshd[4]'): Input => ({
  auth: `Mar  1 10:${String(min).padStart(2, '0')}:${String(s).padStart(2, '0')} srv1 ${program}: ${msg}`,
});

beforeAll(async () => {
  process.env.LOUPE_HOME = join(root, 'home');
  const kase = await Case.create(caseDir, 'hunt test');
  const tc = { dir: root, kase, alerts: new AlertService(() => kase, new PushBus()), pushed: [], close: () => undefined };
  await loadInputs(tc, [
    ...Array.from({ length: 11 }, (_, i) => auth(1, i * 3, `Failed password for root from 203.0.113.7 port ${1000 + i} ssh2`)),
    auth(5, 0, 'Accepted password for root from 203.0.113.7 port 2000 ssh2'),
    auth(6, 0, 'alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/wget http://x', 'sudo'),
  ]);
  kase.close();
});
afterAll(() => {
  if (prevHome === undefined) delete process.env.LOUPE_HOME;
  else process.env.LOUPE_HOME = prevHome;
  rmSync(root, { recursive: true, force: true });
});

interface HuntDoc {
  alerts: { ruleId: string; title: string; level: string; count: number; firstSeen: string; lastSeen: string }[];
  rules: { active: number; unsupported: number; error: number };
}

describe('loupe hunt', () => {
  it('--json prints exactly {alerts, rules}, one entry per rule, highest level first', async () => {
    await main(['hunt', '--case', caseDir, '--json']);
    expect(process.exitCode).toBeUndefined();
    const doc = JSON.parse(out) as HuntDoc;
    expect(Object.keys(doc)).toEqual(['alerts', 'rules']);
    expect(Object.keys(doc.rules)).toEqual(['active', 'unsupported', 'error']);
    expect(doc.rules.active).toBeGreaterThanOrEqual(30);
    for (const a of doc.alerts) expect(Object.keys(a)).toEqual(['ruleId', 'title', 'level', 'count', 'firstSeen', 'lastSeen']);
    expect(doc.alerts.map((a) => [a.title, a.level, a.count])).toEqual([
      ['SSH login accepted after a brute force from the same address', 'critical', 12],
      ['SSH brute force from one source address', 'high', 11],
      ['SSH login as root accepted', 'medium', 1],
      ['Command run as root with sudo', 'low', 1],
    ]);
    expect(doc.alerts[1]?.firstSeen).toBe('2024-03-01T10:01:00.000Z');
    expect(doc.alerts[1]?.lastSeen).toBe('2024-03-01T10:01:30.000Z');
    expect(err).toMatch(/hunt: \d+ rules, events from the first through #\d+/);
    // Again: nothing new, the same document.
    const first = out;
    out = '';
    await main(['hunt', '--case', caseDir, '--json', '--all']);
    expect(out).toBe(first);
  });

  it('prints alerts per level for people', async () => {
    await main(['hunt', '--case', caseDir]);
    expect(out).toMatch(/^CRITICAL\n\s+12 {2}SSH login accepted after a brute force/m);
    expect(out).toMatch(/^LOW\n/m);
    expect(out).toMatch(/4 rules with alerts; rules: \d+ active, 0 unsupported, 0 error/);
  });

  it('--rules runs other rules as a what-if and stores nothing', async () => {
    const rules = join(root, 'extra');
    mkdirSync(rules, { recursive: true });
    writeFileSync(
      join(rules, 'wget.yml'),
      'title: wget as root\nid: 0a0a0a0a-1111-4222-8333-444444444444\nlogsource:\n    product: linux\n    service: sudo\ndetection:\n    sel:\n        command|contains: wget\n    condition: sel\nlevel: high\n',
    );
    await main(['hunt', '--case', caseDir, '--rules', rules, '--json']);
    const doc = JSON.parse(out) as HuntDoc;
    expect(doc).toEqual({
      alerts: [{ ruleId: '0a0a0a0a-1111-4222-8333-444444444444', title: 'wget as root', level: 'high', count: 1, firstSeen: '2024-03-01T10:06:00.000Z', lastSeen: '2024-03-01T10:06:00.000Z' }],
      rules: { active: 1, unsupported: 0, error: 0 },
    });
    out = '';
    await main(['hunt', '--case', caseDir, '--json']);
    expect((JSON.parse(out) as HuntDoc).alerts.map((a) => a.ruleId)).not.toContain('0a0a0a0a-1111-4222-8333-444444444444');

    // Imported into the case, the rule becomes one of the case's rules.
    out = '';
    await main(['rules', 'import', '--case', caseDir, rules, '--json']);
    expect(JSON.parse(out)).toMatchObject({ pack: { id: 1, kind: 'folder', rules: 1 }, counts: { active: 1 } });
    out = '';
    await main(['hunt', '--case', caseDir, '--json', '--all']);
    const after = JSON.parse(out) as HuntDoc;
    expect(after.alerts.map((a) => a.title)).toContain('wget as root');
    out = '';
    await main(['rules', 'list', '--case', caseDir, '--json']);
    const list = JSON.parse(out) as { packs: { id: number }[]; rules: { id: string; alerts: number }[]; counts: { active: number } };
    expect(list.packs.map((p) => p.id)).toEqual([0, 1]);
    expect(list.rules.find((r) => r.id === '0a0a0a0a-1111-4222-8333-444444444444')?.alerts).toBe(1);
  });

  it('usage and handled errors keep the CLI conventions', async () => {
    await main(['rules', 'import', '--case', caseDir, join(root, 'missing'), '--json']);
    expect(process.exitCode).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
