import { OP_NAMES, type LoupeApi, type OpName, type OpOutput, type Result } from './contract';
import { LoupeError } from './errors';

export interface HttpClientOptions {
  /** Origin of the web host, e.g. http://127.0.0.1:5123 (empty string: same origin). */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
}

/**
 * The contract over HTTP: one async function per operation, the same shape
 * the preload bridge gives the renderer, so the UI does not know which host
 * it talks to. Errors arrive as LoupeError with the engine's code.
 */
export function createHttpClient(opts: HttpClientOptions): LoupeApi {
  const doFetch = opts.fetch ?? fetch;
  const callOp = async <K extends OpName>(name: K, input: unknown): Promise<OpOutput<K>> => {
    let res: Response;
    try {
      res = await doFetch(`${opts.baseUrl}/api/op/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Loupe-Token': opts.token },
        body: JSON.stringify(input ?? {}),
      });
    } catch (e) {
      throw new LoupeError('IO_ERROR', `Cannot reach the Loupe engine: ${(e as Error).message}`);
    }
    let body: Result<OpOutput<K>>;
    try {
      body = (await res.json()) as Result<OpOutput<K>>;
    } catch {
      throw new LoupeError('IO_ERROR', `The Loupe engine answered ${res.status} without a JSON body`);
    }
    if (!body.ok) throw new LoupeError(body.error.code, body.error.message);
    return body.value;
  };
  return Object.fromEntries(OP_NAMES.map((name) => [name, (input: unknown) => callOp(name, input)])) as LoupeApi;
}
