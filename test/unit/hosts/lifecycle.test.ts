import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRAY_REJECTION_MARKER } from '../../../src/main/hosts/stray-rejections';
import { ROOT, runCli, tempDir } from '../../helpers';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ReturnType<typeof spawn>; exit: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
  return { child, exit };
}

describe('host lifecycle', () => {
  it('the watchdog ends a shutdown whose main thread is stuck, naming the step', async () => {
    const r = await run([join(ROOT, 'test/fixtures/host-lifecycle.ts'), 'block']).exit;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toContain('gave up while closing the case');
  });

  it('the watchdog leaves a shutdown that finished alone', async () => {
    const r = await run([join(ROOT, 'test/fixtures/host-lifecycle.ts'), 'finish']).exit;
    expect(r).toMatchObject({ code: 0, signal: null, stdout: 'finished\n' });
    expect(r.stderr).not.toContain('gave up');
  });

  it('a stray rejection is written out in full and the host keeps running', async () => {
    const r = await run([join(ROOT, 'test/fixtures/host-lifecycle.ts'), 'stray']).exit;
    expect(r).toMatchObject({ code: 0, stdout: 'still running\n' });
    expect(r.stderr).toContain(`${STRAY_REJECTION_MARKER}: unhandled rejection: Error: nobody caught this`);
  });

  it('loupe serve stops on SIGTERM with exit 0 and frees its case', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const caseDir = join(dir, 'case');
      const env = { ...process.env, LOUPE_CLI_MAIN: '1', LOUPE_HOME: join(dir, 'home') };
      const serve = run([join(ROOT, 'src/main/hosts/cli/main.ts'), 'serve', '--json', '--case', caseDir], env);
      const info = await new Promise<{ url: string; token: string }>((done, fail) => {
        let out = '';
        serve.child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) done(JSON.parse(out.split('\n')[0] ?? '') as { url: string; token: string });
        });
        void serve.exit.then((r) => fail(new Error(`serve exited early: ${r.stderr}`)));
      });
      // Work in flight on the case when the signal comes: a search over the API.
      const origin = new URL(info.url).origin;
      const res = await fetch(`${origin}/api/op/search`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-loupe-token': info.token }, body: '{}' });
      expect(res.status).toBe(200);
      serve.child.kill('SIGTERM');
      const r = await serve.exit;
      expect(r.stderr).not.toContain('did not stop');
      expect(r).toMatchObject({ code: 0, signal: null });
      // The case lock is released: another process opens the case.
      const info2 = await runCli(['case', 'info', '--case', caseDir, '--json'], { LOUPE_HOME: join(dir, 'home') });
      expect(info2.code).toBe(0);
    } finally {
      cleanup();
    }
  });
});
