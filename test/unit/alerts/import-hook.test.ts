import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';
import type { PushEventName } from '../../../src/shared/contract';

/**
 * The rules run by themselves after each import, through the real import
 * pipeline: the first import's alerts, a second import examined alone
 * (the watermark), and removing evidence taking its events out of the alerts.
 */

const root = mkdtempSync(join(tmpdir(), 'loupe-import-hook-'));
const prevHome = process.env.LOUPE_HOME;
let engine: Engine;
const pushes: { event: PushEventName; payload: unknown }[] = [];

const authLine = (min: number, s: number, msg: string, program = 'sshd[77]'): string =>
  `Mar  1 10:${String(min).padStart(2, '0')}:${String(s).padStart(2, '0')} bastion ${program}: ${msg}`;

beforeAll(async () => {
  process.env.LOUPE_HOME = join(root, 'home');
  engine = new Engine({ host: 'test' });
  engine.push.subscribe((event, payload) => pushes.push({ event, payload }));
  await engine.useCase(join(root, 'case'), { mode: 'create' });
});
afterAll(async () => {
  await engine.close();
  if (prevHome === undefined) delete process.env.LOUPE_HOME;
  else process.env.LOUPE_HOME = prevHome;
  rmSync(root, { recursive: true, force: true });
});

async function importFile(name: string, lines: string[]): Promise<void> {
  const file = join(root, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const id = await engine.imports.start({ paths: [file] });
  const summary = await engine.imports.wait(id);
  expect(summary.state).toBe('finished');
}

describe('rules after each import', () => {
  it('raise alerts from an imported auth.log without being asked', async () => {
    await importFile('auth.log', [
      ...Array.from({ length: 12 }, (_, i) => authLine(1, i * 2, `Failed password for root from 203.0.113.9 port ${3000 + i} ssh2`)),
      authLine(3, 0, 'Accepted password for root from 203.0.113.9 port 4000 ssh2'),
      authLine(4, 0, 'alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash', 'sudo'),
    ]);
    const finished = pushes.findIndex((p) => p.event === 'importFinished');
    const updated = pushes.findIndex((p) => p.event === 'alertsUpdated');
    // The alerts are there before the import is reported finished.
    expect(updated).toBeGreaterThanOrEqual(0);
    expect(updated).toBeLessThan(finished);
    const list = await call(engine.handlers, 'listAlerts', { groupBy: 'rule' });
    expect(list.groups.map((g) => g.title)).toEqual([
      'SSH login accepted after a brute force from the same address',
      'SSH brute force from one source address',
      'Root shell opened with sudo',
      'SSH login as root accepted',
      'Command run as root with sudo',
    ]);
    const status = await call(engine.handlers, 'getDetectionStatus', {});
    expect(status.lastRun).toMatchObject({ trigger: 'import', scope: 'new', afterEvent: null, status: 'done' });
    expect(status.watermark).toBe(status.lastEventId);
  });

  it('examine only the events of the next import', async () => {
    const before = await call(engine.handlers, 'getDetectionStatus', {});
    await importFile('auth2.log', [authLine(20, 0, 'alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id', 'sudo')]);
    const after = await call(engine.handlers, 'getDetectionStatus', {});
    expect(after.lastRun).toMatchObject({ trigger: 'import', afterEvent: before.watermark, throughEvent: (before.watermark ?? 0) + 1, alertsNew: 0, alertsUpdated: 1 });
    const sudo = (await call(engine.handlers, 'listAlerts', { text: 'Command run as root' })).alerts[0];
    expect(sudo?.count).toBe(2);
  });

  it('removing evidence takes its events out of the alerts', async () => {
    const ev = await call(engine.handlers, 'listEvidence', {});
    const second = ev.evidence.find((e) => e.path.endsWith('auth2.log'));
    expect(second).toBeDefined();
    await call(engine.handlers, 'removeEvidence', { evidenceIds: [second?.id as number] });
    const sudo = (await call(engine.handlers, 'listAlerts', { text: 'Command run as root' })).alerts[0];
    expect(sudo?.count).toBe(1);
    const first = ev.evidence.find((e) => e.path.endsWith('auth.log'));
    await call(engine.handlers, 'removeEvidence', { evidenceIds: [first?.id as number] });
    expect((await call(engine.handlers, 'listAlerts', {})).total).toBe(0);
  });

  it('a correlation whose events straddle two imports still fires', async () => {
    // Six failures in one file, six more five minutes later in the next: neither
    // import alone reaches the rule's ten within ten minutes; together they do.
    const fail = (min: number, i: number) => authLine(min, i * 3, `Failed password for admin from 198.51.100.77 port ${5000 + min * 10 + i} ssh2`);
    await importFile('split-a.log', Array.from({ length: 6 }, (_, i) => fail(30, i)));
    const brute = async () => (await call(engine.handlers, 'listAlerts', { text: 'SSH brute force' })).alerts.filter((a) => JSON.stringify(a).includes('198.51.100.77'));
    expect(await brute()).toHaveLength(0);
    await importFile('split-b.log', Array.from({ length: 6 }, (_, i) => fail(35, i)));
    const found = await brute();
    expect(found).toHaveLength(1);
    expect(found[0]?.count).toBe(12);
  });
});
