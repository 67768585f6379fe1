import { InvalidArgumentError, type Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { humanLine, readEvtx, readEvtxNdjson, type EvtxIssue, type EvtxReadOptions, type EvtxSummary } from '../../../engine/evtx';
import { action } from '../command';
import type { CliIo } from '../io';

/**
 * `loupe evtx dump FILE [--json]`: every record of an EVTX file, in file
 * order. With --json stdout is NDJSON (one object per record, the shape of
 * engine/evtx/dump-format.ts); without, one compact line per record. Issues
 * (damaged records and chunks) and the closing summary go to stderr, as JSON
 * lines with --json. Output is streamed with backpressure, never held whole.
 */
export function registerEvtx(program: Command): void {
  const cmd = program.command('evtx').description('read Windows XML Event Log (.evtx) files');
  cmd
    .command('dump')
    .description('print every record of an EVTX file')
    .argument('<file>', 'the .evtx file')
    .option('--json', 'NDJSON on stdout, one object per record')
    .option('--recover-slack', 'also recover older records from chunk slack space')
    .option('--workers <n>', 'parser threads (0 = parse on the main thread)', parseWorkers)
    .action(
      action<{ json?: boolean; recoverSlack?: boolean; workers?: number }>(async (io, opts, args) => {
        await dump(io, args[0]!, { workers: opts.workers, recoverSlack: opts.recoverSlack === true });
      }),
    );
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('a whole number from 0 to 64');
  return n;
}

async function dump(io: CliIo, file: string, options: { workers: number | undefined; recoverSlack: boolean }): Promise<void> {
  const out = new StreamWriter(process.stdout);
  const abort = new AbortController();
  out.onBroken(() => abort.abort());
  const opts: EvtxReadOptions = {
    recoverSlack: options.recoverSlack,
    signal: abort.signal,
    onIssue: (issue) => io.note(io.json ? JSON.stringify({ issue }) : describeIssue(issue)),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  };
  let summary: EvtxSummary;
  try {
    if (io.json) {
      const reader = readEvtxNdjson(file, opts);
      summary = reader.summary;
      for await (const text of reader) if (!(await out.write(text))) break;
    } else {
      const reader = readEvtx(file, opts);
      summary = reader.summary;
      for await (const batch of reader) {
        let text = '';
        for (const event of batch) text += `${humanLine(event)}\n`;
        if (!(await out.write(text))) break;
      }
    }
  } catch (e) {
    // A closed stdout (`| head`) ends the dump quietly, like other Unix tools.
    if (e instanceof LoupeError && e.code === 'CANCELLED' && out.broken) return;
    throw e;
  }
  if (out.broken) return;
  io.note(io.json ? JSON.stringify({ summary }) : describeSummary(file, summary));
}

function describeIssue(i: EvtxIssue): string {
  const where = `offset 0x${i.offset.toString(16)}${i.chunk === null ? '' : ` chunk ${i.chunk}`}${i.recordId === null ? '' : ` record ${i.recordId}`}`;
  return `evtx: ${where}: ${i.reason}${i.lostRecords > 0 ? ` (${i.lostRecords} record${i.lostRecords === 1 ? '' : 's'} lost)` : ''}`;
}

function describeSummary(file: string, s: EvtxSummary): string {
  const parts = [`${s.recordsReturned.toLocaleString('en-US')} records from ${file}`, `${s.chunks} chunks`];
  if (s.recordsRejected > 0) parts.push(`${s.recordsRejected} rejected`);
  if (s.recordsMissing > 0) parts.push(`${s.recordsMissing} missing`);
  if (s.recordsRecovered > 0) parts.push(`${s.recordsRecovered} recovered from slack`);
  if (s.issues > 0) parts.push(`${s.issues} issue${s.issues === 1 ? '' : 's'}`);
  if (s.dirty) parts.push('file not closed cleanly (dirty)');
  return `evtx: ${parts.join(', ')}`;
}

/** Writes that wait for 'drain' when the stream is full, and notice a closed pipe. */
class StreamWriter {
  broken = false;
  private onBreak: (() => void) | null = null;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => this.break());
  }

  onBroken(fn: () => void): void {
    this.onBreak = fn;
  }

  /** False once the stream can take no more. */
  async write(text: string | Uint8Array): Promise<boolean> {
    if (this.broken) return false;
    if (this.stream.write(text)) return true;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.removeListener('drain', done);
        this.stream.removeListener('close', done);
        this.stream.removeListener('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
    return !this.broken;
  }

  private break(): void {
    if (this.broken) return;
    this.broken = true;
    this.onBreak?.();
  }
}
