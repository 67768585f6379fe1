import type { ErrorBody } from '@shared/errors';
import { toErrorBody } from '@shared/errors';

/**
 * The CLI's output discipline, in one place so every subcommand keeps it:
 * with --json, stdout carries exactly one JSON document (or NDJSON where a
 * command says so) and nothing else; people-facing text and progress go to
 * stderr. Exit codes: 0 done, 1 handled error, 2 usage error.
 */
export interface CliIo {
  readonly json: boolean;
  /** Print the command's result: the document with --json, else the human text. */
  result(value: unknown, human: () => string): void;
  /** One NDJSON line (commands that stream records). */
  line(value: unknown): void;
  /** Progress and notes for people; always stderr, silent when not a TTY and json is on. */
  note(text: string): void;
}

export function createIo(json: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): CliIo {
  return {
    json,
    result(value, human) {
      out.write(json ? `${JSON.stringify(value, jsonReplacer)}\n` : `${human()}\n`);
    },
    line(value) {
      out.write(`${JSON.stringify(value, jsonReplacer)}\n`);
    },
    note(text) {
      err.write(`${text}\n`);
    },
  };
}

/** BigInt never reaches a JSON consumer as a crash: small ones become numbers. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  return value;
}

export function printError(json: boolean, body: ErrorBody, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): void {
  if (json) out.write(`${JSON.stringify({ error: body })}\n`);
  else err.write(`loupe: ${body.message}\n`);
}

export function errorBody(e: unknown): ErrorBody {
  return toErrorBody(e);
}
