import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isOpName, isPushEventName } from '@shared/contract';
import { dispatch } from '../../engine/service/dispatch';
import type { Engine } from '../../engine/service/engine';

/**
 * Browser mode: the built renderer and the contract over HTTP, on loopback
 * only. A random token minted at each start is required on every API call,
 * and Host/Origin are checked so a web page the analyst happens to visit
 * cannot reach the engine through DNS rebinding or a cross-origin request.
 */
export interface WebHostOptions {
  engine: Engine;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token for tests; normally random per start. */
  token?: string;
  /** Largest JSON request body accepted. */
  maxBodyBytes?: number;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // React and ECharts set style attributes; no inline scripts are ever allowed.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const rendererDir = resolve(opts.rendererDir);
  let port = opts.port ?? 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: (e as Error).message } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The token travels in the first page's URL: never let it leak in a Referer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (!hostAllowed(req.headers.host, port)) return sendJson(res, 403, denied('Host header not allowed'));
    if (!originAllowed(req.headers.origin, port)) return sendJson(res, 403, denied('Cross-origin request refused'));

    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname.startsWith('/api/')) {
      res.setHeader('Cache-Control', 'no-store');
      const given = req.headers['x-loupe-token'] ?? url.searchParams.get('token') ?? '';
      if (!tokenMatches(String(given), token)) return sendJson(res, 401, { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong token' } });
      if (url.pathname === '/api/events' && req.method === 'GET') return streamEvents(req, res);
      if (url.pathname === '/api/upload' && req.method === 'POST') return receiveUpload(req, res, url);
      if (url.pathname === '/api/file' && req.method === 'GET') return sendCaseFile(res, url);
      const m = /^\/api\/op\/([A-Za-z]+)$/.exec(url.pathname);
      if (m && req.method === 'POST') {
        const name = m[1] ?? '';
        if (!isOpName(name)) return sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: `Unknown operation ${name}` } });
        if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
          // Also blocks "simple" cross-site form posts, which cannot set this type without a preflight.
          return sendJson(res, 415, { ok: false, error: { code: 'BAD_INPUT', message: 'Content-Type must be application/json' } });
        }
        const body = await readBody(req, maxBody);
        if (body === null) return sendJson(res, 413, { ok: false, error: { code: 'BAD_INPUT', message: `Request body over ${maxBody} bytes` } });
        let input: unknown;
        try {
          input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        } catch {
          return sendJson(res, 400, { ok: false, error: { code: 'BAD_INPUT', message: 'Request body is not JSON' } });
        }
        return sendJson(res, 200, await dispatch(opts.engine.handlers, name, input));
      }
      return sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: 'No such endpoint' } });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, denied('Method not allowed'));
    return serveStatic(res, url.pathname);
  }

  function streamEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    const unsubscribe = opts.engine.push.subscribe((event, payload) => {
      if (!isPushEventName(event)) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    // A comment line every 15 s keeps proxies and the browser from timing the stream out.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  }

  async function receiveUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // Uploads land inside the open case's folder, under a name we choose:
    // the client's file name is kept only as a sanitised suffix.
    const dir = join(opts.engine.case.tmpDir, 'uploads');
    mkdirSync(dir, { recursive: true });
    const name = sanitiseName(url.searchParams.get('name') ?? 'upload');
    const target = join(dir, `${randomUUID()}-${name}`);
    await pipeline(req, createWriteStream(target, { flags: 'wx' }));
    sendJson(res, 200, { ok: true, value: { path: target, bytes: statSync(target).size } });
  }

  /**
   * A report or an export of the open case, as a download. Only files under
   * the case's reports/ and exports/ folders; always an attachment, and
   * sandboxed should a browser render it anyway (a report is HTML).
   */
  function sendCaseFile(res: ServerResponse, url: URL): void {
    const c = opts.engine.case;
    const file = resolve(url.searchParams.get('path') ?? '');
    const allowed = [join(c.dir, 'reports'), join(c.dir, 'exports')].some((d) => file.startsWith(d + sep));
    if (!allowed) return sendJson(res, 403, denied('Only reports and exports of the open case can be downloaded'));
    if (!existsSync(file) || !statSync(file).isFile()) return sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: 'No such file' } });
    const name = basename(file).replace(/[^A-Za-z0-9._-]/g, '_');
    res.writeHead(200, {
      'Content-Type': extname(file) === '.pdf' ? 'application/pdf' : 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Content-Disposition': `attachment; filename="${name}"`,
      'Content-Security-Policy': "sandbox; default-src 'none'",
    });
    createReadStream(file).pipe(res);
  }

  function serveStatic(res: ServerResponse, pathname: string): void {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return sendJson(res, 400, denied('Bad path'));
    }
    const file = resolve(rendererDir, `.${rel === '/' ? '/index.html' : rel}`);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return sendJson(res, 403, denied('Outside the app folder'));
    const target = existsSync(file) && statSync(file).isFile() ? file : join(rendererDir, 'index.html');
    if (!existsSync(target)) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The renderer is not built: run `npm run build` first.\n');
      return;
    }
    const type = MIME[extname(target)] ?? 'application/octet-stream';
    const headers: Record<string, string> = { 'Content-Type': type };
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = CSP;
      headers['Cache-Control'] = 'no-store';
    }
    res.writeHead(200, headers);
    createReadStream(target).pipe(res);
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true; // same-origin GETs and non-browser clients send none
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function denied(message: string): { ok: false; error: { code: 'REFUSED'; message: string } } {
  return { ok: false, error: { code: 'REFUSED', message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sanitiseName(name: string): string {
  const base = basename(name.replaceAll('\\', '/')).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  return base.replace(/^\.+/, '') || 'upload';
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
