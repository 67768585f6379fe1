import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/shared/http-client';
import type { LoupeApi } from '../../../src/shared/contract';
import { Engine } from '../../../src/main/engine/service/engine';
import { startWebHost, type WebHost } from '../../../src/main/hosts/web/server';
import { fillScenario } from '../../fixtures/scenario';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
let engine: Engine;
let host: WebHost;
let api: LoupeApi;

beforeAll(async () => {
  tmp = tempDir();
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  const renderer = join(tmp.dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Loupe</title>');
  engine = new Engine({ host: 'web' });
  await engine.useCase(join(tmp.dir, 'case'), { mode: 'create' });
  await fillScenario(engine.case.conn, { events: 2000 });
  host = await startWebHost({ engine, rendererDir: renderer });
  api = createHttpClient({ baseUrl: `http://127.0.0.1:${host.port}`, token: host.token });
});
afterAll(async () => {
  await host.close();
  await engine.close();
  tmp.cleanup();
});

function get(path: string): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: host.port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

const fileUrl = (path: string, token = host.token) => `/api/file?path=${encodeURIComponent(path)}&token=${encodeURIComponent(token)}`;

describe('downloads in browser mode', () => {
  it('serves a report and an export of the open case as sandboxed attachments', async () => {
    const report = await api.exportReport({ format: 'html', sections: ['summary'] });
    const r = await get(fileUrl(report.path));
    expect(r.status).toBe(200);
    expect(r.body.equals(readFileSync(report.path))).toBe(true);
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="report-[\w.-]+\.html"$/);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    const exp = await api.exportData({ exportId: 'dl', source: { kind: 'search', query: 'dataset:sysmon' }, format: 'csv' });
    const e = await get(fileUrl(exp.path));
    expect(e.status).toBe(200);
    expect(e.body.toString('utf8').split('\n')[0]).toMatch(/^event_id,ts,/);
  });

  it('refuses anything else: other case files, traversal, outside paths, no token', async () => {
    const dir = engine.case.dir;
    expect((await get(fileUrl(join(dir, 'case.json')))).status).toBe(403);
    expect((await get(fileUrl(join(dir, 'reports', '..', 'case.json')))).status).toBe(403);
    expect((await get(fileUrl(join(dir, 'reports')))).status).toBe(403);
    expect((await get(fileUrl('/etc/passwd'))).status).toBe(403);
    expect((await get(fileUrl(join(dir, 'exports', 'missing.csv')))).status).toBe(404);
    expect((await get(fileUrl(join(dir, 'reports', 'x.html'), 'wrong-token'))).status).toBe(401);
  });
});
