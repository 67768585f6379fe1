import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/shared/http-client';
import { Engine } from '../../../src/main/engine/service/engine';
import { startWebHost, type WebHost } from '../../../src/main/hosts/web/server';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let host: WebHost;

beforeAll(async () => {
  tmp = tempDir();
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  const renderer = join(tmp.dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Loupe</title>');
  writeFileSync(join(tmp.dir, 'secret.txt'), 'not for the browser');
  engine = new Engine({ host: 'web', capabilities: { uploads: true } });
  await engine.useCase(join(tmp.dir, 'case'));
  host = await startWebHost({ engine, rendererDir: renderer });
});

afterAll(async () => {
  await host.close();
  engine.close();
  tmp.cleanup();
});

interface Raw {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}

const json = { 'Content-Type': 'application/json' };

describe('web host', () => {
  it('listens on loopback only and prints a URL with the token', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=[A-Za-z0-9_-]{20,}$`));
  });

  it('answers contract calls with the right token', async () => {
    const api = createHttpClient({ baseUrl: `http://127.0.0.1:${host.port}`, token: host.token });
    const info = await api.getAppInfo({});
    expect(info.host).toBe('web');
    expect(info.case?.events).toBe(0);
  });

  it('rejects a missing or wrong token', async () => {
    const missing = await raw('/api/op/getAppInfo', { method: 'POST', headers: json, body: '{}' });
    expect(missing.status).toBe(401);
    const wrong = await raw('/api/op/getAppInfo', { method: 'POST', headers: { ...json, 'X-Loupe-Token': `${host.token}x` }, body: '{}' });
    expect(wrong.status).toBe(401);
    const events = await raw('/api/events?token=nope');
    expect(events.status).toBe(401);
  });

  it('rejects a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    const origin = await raw('/api/op/getAppInfo', { method: 'POST', headers: { ...json, 'X-Loupe-Token': host.token, Origin: 'https://evil.example' }, body: '{}' });
    expect(origin.status).toBe(403);
    const rebound = await raw('/', { headers: { Host: `evil.example:${host.port}` } });
    expect(rebound.status).toBe(403);
    const ok = await raw('/api/op/getAppInfo', { method: 'POST', headers: { ...json, 'X-Loupe-Token': host.token, Origin: `http://127.0.0.1:${host.port}` }, body: '{}' });
    expect(ok.status).toBe(200);
  });

  it('refuses non-JSON bodies (no simple cross-site form posts) and invalid input', async () => {
    const form = await raw('/api/op/getAppInfo', { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Loupe-Token': host.token }, body: '{}' });
    expect(form.status).toBe(415);
    const bad = await raw('/api/op/openCase', { method: 'POST', headers: { ...json, 'X-Loupe-Token': host.token }, body: '{"dir": 1}' });
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('serves the renderer with a strict CSP and never a file outside it', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const escape = await raw('/..%2fsecret.txt');
    expect(escape.body).not.toContain('not for the browser');
  });

  it('pushes events over SSE', async () => {
    let switching: Promise<unknown> = Promise.resolve();
    const received = await new Promise<string>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${host.token}` }, (res) => {
        let buf = '';
        res.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('"name":"case2"')) {
            req.destroy();
            done(buf);
          }
        });
        // Once the stream is open, switch case to cause an event.
        switching = engine.useCase(join(tmp.dir, 'case2'));
      });
      req.on('error', (e) => (e.message.includes('aborted') ? undefined : fail(e)));
      req.end();
    });
    await switching;
    expect(received).toContain('event: caseChanged');
  });

  it('stores uploads inside the case folder under a sanitised name', async () => {
    const up = await raw('/api/upload?name=..%2F..%2Fevil.log', { method: 'POST', headers: { 'X-Loupe-Token': host.token }, body: 'line 1\n' });
    const body = JSON.parse(up.body) as { ok: boolean; value: { path: string; bytes: number } };
    expect(body.ok).toBe(true);
    expect(body.value.path.startsWith(join(engine.case.dir, 'tmp', 'uploads'))).toBe(true);
    expect(body.value.path).toMatch(/evil\.log$/);
    expect(body.value.bytes).toBe(7);
  });
});
