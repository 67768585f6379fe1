import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/main/engine/db/sql';
import { Engine } from '../../../src/main/engine/service/engine';
import { ROOT, tempDir } from '../../helpers';
import { until } from './helpers';

let tmp: ReturnType<typeof tempDir>;
const children: ChildProcessWithoutNullStreams[] = [];
beforeEach(() => {
  tmp = tempDir('loupe-live-cli-');
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  tmp.cleanup();
});

interface Listen {
  child: ChildProcessWithoutNullStreams;
  port: Promise<number>;
  /** The last `received` count the process printed on stderr. */
  received: () => number;
  stored: () => number;
  backlog: () => number | null;
  stdout: () => string;
  exited: Promise<number | null>;
}

function listen(caseDir: string): Listen {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/hosts/cli/main.ts'), 'listen', '--case', caseDir, '--tcp', '0', '--interval', '100', '--json'], {
    cwd: ROOT,
    env: { ...process.env, LOUPE_CLI_MAIN: '1', LOUPE_HOME: join(tmp.dir, 'home') },
  });
  children.push(child);
  let err = '';
  let out = '';
  let received = 0;
  let stored = 0;
  let backlog: number | null = null;
  const port = new Promise<number>((ok, fail) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /tcp 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) ok(Number(m[1]));
      for (const line of d.toString().split('\n')) {
        const c = /^received ([\d,]+), stored ([\d,]+), rejected [\d,]+, dropped [\d,]+, backlog ([\d,]+)/.exec(line);
        if (c) {
          received = Number((c[1] as string).replaceAll(',', ''));
          stored = Number((c[2] as string).replaceAll(',', ''));
          backlog = Number((c[3] as string).replaceAll(',', ''));
        }
      }
    });
    child.on('exit', (code) => fail(new Error(`loupe listen exited (${code}) before listening: ${err}`)));
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return { child, port, received: () => received, stored: () => stored, backlog: () => backlog, stdout: () => out, exited };
}

const message = (i: number) => `<38>Nov  1 10:00:01 sender app[77]: seq=${i} payload ${'x'.repeat(40)}`;

describe('loupe listen killed with -9 mid-stream', () => {
  it('keeps everything it acknowledged over TCP: after a restart each is in the case exactly once', async () => {
    const caseDir = join(tmp.dir, 'case');
    const first = listen(caseDir);
    const port = await first.port;

    // One connection, so messages reach the journal in the order sent: the first N received are messages 0..N-1.
    const sock: Socket = connect(port, '127.0.0.1');
    await new Promise((ok) => sock.once('connect', ok));
    sock.on('error', () => undefined); // the listener dies under it
    let sent = 0;
    let sending = true;
    // Paced at about 20,000 messages/s so the kill lands while the stream is still flowing, not after a flood.
    const sender = (async () => {
      while (sending && !sock.destroyed) {
        const lines = Array.from({ length: 200 }, (_, k) => message(sent + k)).join('\n') + '\n';
        sent += 200;
        if (!sock.write(lines)) {
          await new Promise<void>((ok) => {
            const done = (): void => {
              sock.off('drain', done);
              sock.off('close', done);
              ok();
            };
            sock.on('drain', done);
            sock.on('close', done);
          });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // Killed while it is storing: some of what it acknowledged is in the case, the rest only in its journal.
    await until(() => first.received() >= 20_000 && first.stored() > 0, 'the listener to report 20,000 received and some stored', 60_000);
    const acknowledged = first.received();
    const backlogAtKill = first.backlog();
    first.child.kill('SIGKILL');
    await first.exited;
    sending = false;
    sock.destroy();
    await sender;
    expect(sent).toBeGreaterThan(acknowledged);
    console.log(`killed with ${acknowledged} acknowledged, ${backlogAtKill} of them not yet stored (last report), ${sent} sent`);

    // Restart: the journal is replayed into the case; nothing more is sent.
    const second = listen(caseDir);
    await second.port;
    await until(() => second.backlog() === 0 && second.received() >= acknowledged, 'the replay to finish', 60_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const summary = JSON.parse(second.stdout()) as { counters: { received: number; stored: number; rejected: number; skipped: number; backlog: number; dropped: number } };
    expect(summary.counters.backlog).toBe(0);
    expect(summary.counters.dropped).toBe(0);
    expect(summary.counters.received).toBe(summary.counters.stored + summary.counters.rejected + summary.counters.skipped);

    const engine = new Engine({ host: 'test' });
    try {
      await engine.useCase(caseDir, { mode: 'open' });
      const rows = await queryRows(engine.case.conn, `SELECT CAST(regexp_extract(raw, 'seq=(\\d+)', 1) AS BIGINT) AS seq FROM events`);
      const seqs = rows.map((r) => Number(r.seq));
      const unique = new Set(seqs);
      expect(unique.size).toBe(seqs.length); // no duplicates
      for (let i = 0; i < acknowledged; i++) if (!unique.has(i)) throw new Error(`acknowledged message ${i} is missing (of ${acknowledged})`);
      expect(seqs.length).toBe(summary.counters.stored);
      // Whatever arrived beyond the acknowledgement is a prefix of what was sent, never a message out of thin air.
      expect(seqs.reduce((m, x) => Math.max(m, x), -1)).toBeLessThan(sent);
    } finally {
      await engine.close();
    }
  }, 180_000);
});
