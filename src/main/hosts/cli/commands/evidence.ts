import type { Command } from 'commander';
import type { EvidenceInfo } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import { action } from '../command';
import { caseOptions, withCase } from '../case-option';
import { cliDocument, runImport } from './import';

/** `loupe evidence`: the case's evidence manifest, rejected records, resume and remove. */
export function registerEvidence(program: Command): void {
  const cmd = program.command('evidence').description('list, inspect, resume and remove imported evidence');

  caseOptions(cmd.command('list').description('every file, archive and member in the case with its status and counts')).action(
    action<{ json?: boolean; case?: string }>(async (io, opts) => {
      const { evidence } = await withCase(opts, (e) => e.handlers.listEvidence({}));
      io.result({ evidence }, () => describeEvidence(evidence));
    }),
  );

  caseOptions(
    cmd
      .command('errors')
      .description('the records of one file that were rejected (and warnings), in file order')
      .argument('<id>', 'evidence id (see `loupe evidence list`)')
      .option('--offset <n>', 'skip this many', '0')
      .option('--limit <n>', 'at most this many (max 1000)', '100')
      .option('--kind <kind>', 'rejected or warning'),
  ).action(
    action<{ json?: boolean; case?: string; offset: string; limit: string; kind?: string }>(async (io, opts, args) => {
      const evidenceId = positiveInt(args[0], 'evidence id');
      if (opts.kind && opts.kind !== 'rejected' && opts.kind !== 'warning') throw new LoupeError('USAGE', '--kind must be rejected or warning');
      const page = await withCase(opts, (e) =>
        e.handlers.getIngestErrors({ evidenceId, offset: Number(opts.offset), limit: Number(opts.limit), ...(opts.kind ? { kind: opts.kind as 'rejected' | 'warning' } : {}) }),
      );
      io.result(page, () =>
        [`${page.total} error${page.total === 1 ? '' : 's'}`, ...page.rows.map((r) => `${r.kind.padEnd(8)} ${r.posKind ?? ''} ${r.pos ?? '-'}: ${r.reason}${r.excerpt ? `\n         ${r.excerpt.slice(0, 200)}` : ''}`)].join('\n'),
      );
    }),
  );

  caseOptions(cmd.command('remove').description('take evidence (and its events) out of the case').argument('<ids...>', 'evidence ids')).action(
    action<{ json?: boolean; case?: string }>(async (io, opts, args) => {
      const evidenceIds = args.map((a) => positiveInt(a, 'evidence id'));
      const r = await withCase(opts, (e) => e.handlers.removeEvidence({ evidenceIds }));
      io.result(r, () => `removed ${r.removed} evidence row${r.removed === 1 ? '' : 's'}`);
    }),
  );

  caseOptions(
    cmd
      .command('reimport')
      .description('read evidence again: resume an incomplete file, or use another format or time zone')
      .argument('<ids...>', 'evidence ids')
      .option('--format <name>', 'read it as this format')
      .option('--tz <zone>', 'time zone of timestamps that carry none'),
  ).action(
    action<{ json?: boolean; case?: string; format?: string; tz?: string }>(async (io, opts, args) => {
      const ids = args.map((a) => positiveInt(a, 'evidence id'));
      const summary = await withCase(opts, (e) => runImport(e, io, { reimport: ids, ...(opts.format ? { format: opts.format } : {}), ...(opts.tz ? { tz: opts.tz } : {}) }));
      io.result(cliDocument(summary), () => summary.files.map((f) => `${f.status.padEnd(17)} ${f.path} (${f.stored} events, ${f.rejected} rejected)`).join('\n'));
      if (summary.state === 'failed') process.exitCode = 1;
    }),
  );
}

function positiveInt(v: string | undefined, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new LoupeError('USAGE', `${what} must be a positive integer, not ${v ?? 'nothing'}`);
  return n;
}

function describeEvidence(list: EvidenceInfo[]): string {
  if (list.length === 0) return 'no evidence in this case yet';
  return list
    .map((e) => `#${String(e.id).padEnd(5)} ${e.status.padEnd(17)} ${(e.format ?? '-').padEnd(12)} ${String(e.stored).padStart(9)} ev ${String(e.rejected).padStart(7)} rej  ${e.path}${e.message && e.status !== 'imported' ? `\n       ${e.message}` : ''}`)
    .join('\n');
}
