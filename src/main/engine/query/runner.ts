import type { DuckDBConnection } from '@duckdb/node-api';
import { LoupeError } from '@shared/errors';
import type { Case } from '../case/case';
import { QuerySyntaxError } from './parse';

export const DEFAULT_TIMEOUT_MS = 30_000;

interface Running {
  case: Case;
  conn: DuckDBConnection;
  reason: 'cancelled' | 'timeout' | 'superseded' | null;
  /** Resolves when the query has finished, failed or been interrupted. */
  settled: Promise<void>;
}

/**
 * Runs each query on its own connection so it can be interrupted alone:
 * cancelQuery(id) or the timeout calls connection.interrupt(), and a new
 * query under an id still running replaces (interrupts) the old one, which
 * is what a query bar wants while the analyst keeps typing.
 */
export class QueryRunner {
  private readonly running = new Map<string, Running>();
  /** Every query in flight, named or not. */
  private readonly all = new Set<Running>();
  private anon = 0;

  async run<T>(c: Case, opts: { queryId?: string | undefined; timeoutMs?: number | undefined }, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const id = opts.queryId ?? `anon-${++this.anon}`;
    const previous = this.running.get(id);
    if (previous) {
      previous.reason = 'superseded';
      previous.conn.interrupt();
    }
    const conn = await c.connect();
    let settle: () => void = () => undefined;
    const entry: Running = { case: c, conn, reason: null, settled: new Promise<void>((r) => (settle = r)) };
    this.running.set(id, entry);
    this.all.add(entry);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      entry.reason = 'timeout';
      conn.interrupt();
    }, timeoutMs);
    // A query orphaned by closing the case never settles; its timer must not keep the process alive.
    timer.unref();
    try {
      return await fn(conn);
    } catch (e) {
      throw toQueryError(e, entry.reason, timeoutMs);
    } finally {
      clearTimeout(timer);
      if (this.running.get(id) === entry) this.running.delete(id);
      this.all.delete(entry);
      if (!c.isClosed) c.release(conn);
      settle();
    }
  }

  /**
   * Interrupt every query running on a case and wait (bounded) until they
   * have stopped. Closing a case under a running query leaves DuckDB work
   * that never completes and keeps the process alive, so the engine drains
   * before it closes or switches a case.
   */
  async drain(c?: Case, maxMs = 5000): Promise<void> {
    const entries = [...this.all].filter((e) => c === undefined || e.case === c);
    if (entries.length === 0) return;
    for (const e of entries) {
      e.reason ??= 'cancelled';
      e.conn.interrupt();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(entries.map((e) => e.settled)), new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]);
    clearTimeout(timer);
  }

  cancel(queryId: string): boolean {
    const entry = this.running.get(queryId);
    if (!entry) return false;
    entry.reason = 'cancelled';
    entry.conn.interrupt();
    return true;
  }
}

export function toQueryError(e: unknown, reason: Running['reason'] = null, timeoutMs = DEFAULT_TIMEOUT_MS): LoupeError {
  if (reason === 'timeout') return new LoupeError('QUERY_TIMEOUT', `The query took longer than ${Math.round(timeoutMs / 1000)} s and was stopped; narrow the time range or the query`);
  if (reason === 'cancelled' || reason === 'superseded') return new LoupeError('CANCELLED', reason === 'cancelled' ? 'The query was cancelled' : 'The query was replaced by a newer one');
  if (e instanceof LoupeError) return e;
  if (e instanceof QuerySyntaxError) return new LoupeError('QUERY_ERROR', describeProblem(e), { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  if (/interrupt/i.test(msg)) return new LoupeError('CANCELLED', 'The query was interrupted');
  // A DuckDB error from SQL we built is our bug, but the analyst still gets one line, not a stack.
  return new LoupeError('QUERY_ERROR', `The query could not run: ${(msg.split('\n')[0] ?? msg).slice(0, 300)}`);
}

export function describeProblem(e: QuerySyntaxError): string {
  return `${e.message} (at ${e.start + 1}${e.end > e.start + 1 ? `-${e.end}` : ''})`;
}
