/**
 * Error codes every host understands. An engine failure always reaches the
 * analyst as `{ code, message }`: the code lets the UI choose a state, the
 * message is one line written for a person.
 */
export const ERROR_CODES = [
  'BAD_INPUT', // the request did not match the contract's schema
  'USAGE', // a command line that does not parse (CLI exit code 2)
  'NOT_FOUND',
  'NOT_A_CASE',
  'CASE_TOO_NEW',
  'CASE_LOCKED',
  'NO_CASE_OPEN',
  'UNSUPPORTED',
  'QUERY_ERROR',
  'QUERY_TIMEOUT',
  'CANCELLED',
  'REFUSED',
  'IO_ERROR',
  'OFFLINE',
  'UNAUTHORIZED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class LoupeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'LoupeError';
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof LoupeError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: firstLine(message) };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
