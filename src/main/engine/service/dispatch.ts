import { operations, type OpName, type OpOutput, type Result } from '@shared/contract';
import { LoupeError, toErrorBody } from '@shared/errors';
import type { Handlers } from './handlers';

/**
 * The one generic path from a host to the engine: look the operation up in the
 * contract, validate the input with its schema, run the handler, and wrap the
 * outcome in the result envelope. Hosts never call handlers directly, so no
 * input reaches the engine unvalidated, whichever door it came through.
 */
export async function dispatch<K extends OpName>(handlers: Handlers, name: K, rawInput: unknown): Promise<Result<OpOutput<K>>> {
  const op = operations[name];
  if (!op) return { ok: false, error: { code: 'NOT_FOUND', message: `Unknown operation ${String(name)}` } };
  const parsed = op.input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return { ok: false, error: { code: 'BAD_INPUT', message: `${String(name)}: ${where}${issue?.message ?? 'invalid input'}` } };
  }
  try {
    const handler = handlers[name] as (input: unknown) => Promise<OpOutput<K>>;
    const value = await handler(parsed.data);
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: toErrorBody(e) };
  }
}

/** For in-process callers (CLI, tests) that prefer exceptions to envelopes. */
export async function call<K extends OpName>(handlers: Handlers, name: K, input: unknown): Promise<OpOutput<K>> {
  const r = await dispatch(handlers, name, input);
  if (!r.ok) throw new LoupeError(r.error.code, r.error.message);
  return r.value;
}
