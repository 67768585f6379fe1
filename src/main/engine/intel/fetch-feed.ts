import { LoupeError } from '@shared/errors';

/**
 * Download one feed over HTTP(S) with a deadline and a size cap. Loupe is an
 * offline tool first: every way the network can fail (no route, no DNS,
 * refused, reset, timed out) becomes one OFFLINE error that says so plainly,
 * and the caller keeps whatever it had.
 */

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function errorCode(e: unknown): string | null {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/** The innermost message: fetch wraps everything in "fetch failed". */
function rootMessage(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    msg = cur.message || msg;
    cur = cur.cause;
  }
  return msg;
}

function isTimeout(e: unknown): boolean {
  const name = e instanceof Error ? e.name : '';
  return name === 'TimeoutError' || name === 'AbortError';
}

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Cancels the download (the UI's Cancel button). */
  signal?: AbortSignal;
}

export async function fetchText(url: string, options: FetchOptions): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LoupeError('BAD_INPUT', `not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new LoupeError('BAD_INPUT', `only http(s) URLs can be downloaded, not ${parsed.protocol}`);
  }
  const host = parsed.host;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? anySignal([timeout, options.signal]) : timeout;
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  const offline = (why: string, cause?: unknown): LoupeError => new LoupeError('OFFLINE', `cannot reach ${host} (${why})`, { cause });
  let res: Response;
  try {
    res = await fetch(parsed, { signal, redirect: 'follow', headers: { 'user-agent': 'Loupe (offline SOC workstation)' } });
  } catch (e) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'download cancelled');
    if (isTimeout(e) || timeout.aborted) throw offline(`no answer within ${seconds} s`, e);
    const code = errorCode(e);
    if (code && NETWORK_CODES.has(code)) throw offline(code, e);
    throw offline(rootMessage(e), e);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new LoupeError('IO_ERROR', `${host} answered HTTP ${res.status} ${res.statusText}`.trim());
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new LoupeError('IO_ERROR', `${host} offers ${declared} bytes, more than the ${options.maxBytes}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (!res.body) return '';
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new LoupeError('IO_ERROR', `download from ${host} exceeded the ${options.maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof LoupeError) throw e;
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'download cancelled');
    if (isTimeout(e) || timeout.aborted) throw offline(`download stalled; no complete answer within ${seconds} s`, e);
    throw offline(`connection lost during download: ${errorCode(e) ?? rootMessage(e)}`, e);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** AbortSignal.any is Node 20.3+; this keeps to what every Node 20 has. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const ctl = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      ctl.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => ctl.abort(s.reason), { once: true });
  }
  return ctl.signal;
}
