import type { Command } from 'commander';
import type { ImportProgress, ImportSummary } from '@shared/contract';
import { Engine } from '../../../engine/service/engine';
import { action } from '../command';
import { caseOptions, withCase } from '../case-option';
import type { CliIo } from '../io';

/** `loupe import`: files, folders and archives into a case, with progress on stderr. */
export function registerImport(program: Command): void {
  caseOptions(
    program
      .command('import')
      .description('import files, folders and archives (zip, tar, tar.gz, gz) into a case')
      .argument('<paths...>', 'files, folders or archives to import')
      .option('--tz <zone>', 'time zone of timestamps that carry none (IANA name such as Europe/Paris, UTC, or +hh:mm)')
      .option('--format <name>', 'read every file as this format instead of detecting it (`loupe formats` lists them)')
      .option('--force', 'import files whose content is already in the case instead of skipping them'),
  ).action(
    action<{ json?: boolean; case?: string; tz?: string; format?: string; force?: boolean }>(async (io, opts, args) => {
      const summary = await withCase(opts, (engine) =>
        runImport(engine, io, { paths: args, ...(opts.tz ? { tz: opts.tz } : {}), ...(opts.format ? { format: opts.format } : {}), ...(opts.force ? { force: true } : {}) }),
      );
      io.result(cliDocument(summary), () => describeSummary(summary));
      // Only a fatal error is a failure of the command; files that failed are in the summary.
      if (summary.state === 'failed') process.exitCode = 1;
    }),
  );

  program
    .command('formats')
    .description('list the formats a file can be read as (for --format)')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean }>(async (io) => {
        const engine = new Engine({ host: 'cli' });
        try {
          const { formats } = await engine.handlers.listFormats({});
          io.result({ formats }, () => formats.map((f) => `${f.name.padEnd(14)} ${f.label}`).join('\n'));
        } finally {
          engine.close();
        }
      }),
    );
}

/**
 * Start an import and wait for it, printing progress on stderr; Ctrl+C
 * cancels it cleanly (the file being read is removed, not left half-visible).
 */
export async function runImport(engine: Engine, io: CliIo, req: Parameters<Engine['imports']['start']>[0]): Promise<ImportSummary> {
  const id = await engine.imports.start(req);
  const reported = new Set<number>();
  let lastLine = 0;
  const unsubscribe = engine.push.subscribe((event, payload) => {
    if (event !== 'importProgress') return;
    const p = payload as ImportProgress;
    if (p.importId !== id) return;
    for (const f of p.files) {
      if (f.status === 'importing' || reported.has(f.evidenceId)) continue;
      reported.add(f.evidenceId);
      io.note(`${f.status.padEnd(17)} ${f.path}${f.kind === 'container' ? '' : `  (${f.format ?? '?'}: ${f.stored.toLocaleString('en-US')} events, ${f.rejected.toLocaleString('en-US')} rejected)`}${f.message ? `  ${f.message}` : ''}`);
    }
    const now = Date.now();
    if (p.state === 'running' && now - lastLine > 1000) {
      lastLine = now;
      const o = p.overall;
      const eta = o.etaSeconds === null ? '' : `, ETA ${Math.round(o.etaSeconds)} s`;
      io.note(`... ${(o.bytes / 1e6).toFixed(1)} of ${(o.totalBytes / 1e6).toFixed(1)} MB, ${o.events.toLocaleString('en-US')} events (${o.eventsPerSecond.toLocaleString('en-US')}/s), ${o.rejected.toLocaleString('en-US')} rejected${eta}`);
    }
  });
  const onSigint = (): void => {
    io.note('cancelling the import ...');
    engine.imports.cancel(id);
  };
  process.once('SIGINT', onSigint);
  try {
    return await engine.imports.wait(id);
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }
}

type CliStatus = 'imported' | 'skipped-duplicate' | 'incomplete' | 'failed';

/** The issue's JSON shape, exactly: per file path/format/seen/stored/rejected/status, and totals. */
export function cliDocument(s: ImportSummary): { files: Array<{ path: string; format: string | null; seen: number; stored: number; rejected: number; status: CliStatus }>; totals: ImportSummary['totals'] } {
  return {
    files: s.files.map((f) => ({ path: f.path, format: f.format, seen: f.seen, stored: f.stored, rejected: f.rejected, status: cliStatus(f.status) })),
    totals: s.totals,
  };
}

function cliStatus(s: string): CliStatus {
  if (s === 'imported' || s === 'skipped-duplicate' || s === 'failed') return s;
  // cancelled (Ctrl+C) and anything interrupted: the file is not (fully) in the case.
  return 'incomplete';
}

function describeSummary(s: ImportSummary): string {
  const rows = s.files.map((f) => [f.status, f.format ?? '-', f.stored.toLocaleString('en-US'), f.rejected.toLocaleString('en-US'), f.seconds.toFixed(2), f.path]);
  const head = ['status', 'format', 'events', 'rejected', 'seconds', 'path'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : i >= 2 && i <= 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  const t = s.totals;
  // Files by status first: totals that add up say nothing of the files that failed.
  const byStatus = new Map<string, number>();
  for (const f of s.files) byStatus.set(f.status, (byStatus.get(f.status) ?? 0) + 1);
  const statuses = [...byStatus].map(([k, n]) => `${n.toLocaleString('en-US')} ${k}`).join(', ');
  return [
    line(head),
    ...rows.map(line),
    '',
    `${s.files.length} file${s.files.length === 1 ? '' : 's'} (${statuses}): ${t.stored.toLocaleString('en-US')} events stored, ${t.rejected.toLocaleString('en-US')} rejected of ${t.seen.toLocaleString('en-US')} records seen in ${s.seconds.toFixed(1)} s (${s.state})${s.message ? `; ${s.message}` : ''}`,
  ].join('\n');
}
