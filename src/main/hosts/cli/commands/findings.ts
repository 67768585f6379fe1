import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { EXPORT_FORMATS, REPORT_SECTIONS, type ExportFormat, type ExportSource, type ReportSection } from '@shared/findings-contract';
import { SEVERITIES, type Severity } from '@shared/events';
import { LoupeError } from '@shared/errors';
import { runExport } from '../../../engine/report/export/export-writer';
import { ChromiumPdfRenderer } from '../../../engine/report/pdf';
import { writeReport } from '../../../engine/report/report-builder';
import { call } from '../../../engine/service/dispatch';
import { caseReportEnv } from '../../../engine/service/findings-handlers';
import { Engine } from '../../../engine/service/engine';
import { action } from '../command';
import type { CliIo } from '../io';

/**
 * `loupe report`, `loupe export` and `loupe note`: the findings from a
 * terminal. Unlike the app, which writes into the case's reports/ and
 * exports/ folders, the CLI writes where --out says.
 */

/** These commands read an existing case: a typo in --case must not create an empty one. */
export async function withExistingCase<T>(dir: string | undefined, fn: (engine: Engine) => Promise<T>): Promise<T> {
  if (!dir) throw new LoupeError('USAGE', 'missing --case DIR');
  const engine = new Engine({ host: 'cli' });
  try {
    await engine.useCase(dir, { mode: 'open' });
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseSections(text: string | undefined): ReportSection[] | undefined {
  if (text === undefined) return undefined;
  const out: ReportSection[] = [];
  for (const s of list(text)) {
    if (!(REPORT_SECTIONS as readonly string[]).includes(s)) throw new LoupeError('USAGE', `unknown section "${s}" (sections: ${REPORT_SECTIONS.join(', ')})`);
    out.push(s as ReportSection);
  }
  if (out.length === 0) throw new LoupeError('USAGE', `--sections needs at least one of ${REPORT_SECTIONS.join(', ')}`);
  return out;
}

/** --format, or the --out extension when --format is missing; Timesketch to a .csv file is its CSV form. */
export function exportFormat(format: string | undefined, out: string): ExportFormat {
  const ext = extname(out).slice(1).toLowerCase();
  if (format === undefined) {
    const byExt: Record<string, ExportFormat> = { csv: 'csv', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson', parquet: 'parquet' };
    const f = byExt[ext];
    if (!f) throw new LoupeError('USAGE', `give --format (${EXPORT_FORMATS.join('|')}): the extension of ${out} does not say`);
    return f;
  }
  if (format === 'timesketch' && ext === 'csv') return 'timesketch-csv';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new LoupeError('USAGE', `--format is one of ${EXPORT_FORMATS.join(', ')}, not "${format}"`);
  return format as ExportFormat;
}

export interface SelectionOpts {
  query?: string;
  from?: string;
  to?: string;
  alerts?: boolean;
  levels?: string;
  status?: string;
  bookmarks?: boolean;
  tag?: string;
}

/** Exactly one of --query, --alerts, --bookmarks says what to take. */
export function selection(o: SelectionOpts): ExportSource {
  const picked = [o.query !== undefined, o.alerts === true, o.bookmarks === true].filter(Boolean).length;
  if (picked !== 1) throw new LoupeError('USAGE', 'say what to take: exactly one of --query Q, --alerts or --bookmarks');
  if (o.alerts) {
    const levels = list(o.levels);
    for (const l of levels) if (!(SEVERITIES as readonly string[]).includes(l)) throw new LoupeError('USAGE', `--levels takes ${SEVERITIES.join(', ')}, not "${l}"`);
    return { kind: 'alerts', ...(levels.length ? { levels: levels as Severity[] } : {}), ...(o.status ? { statuses: list(o.status) } : {}) };
  }
  if (o.bookmarks) return { kind: 'bookmarks', ...(o.tag ? { tag: o.tag } : {}) };
  return { kind: 'search', query: o.query ?? '', from: o.from ?? null, to: o.to ?? null };
}

/** `loupe forward` names its destination --to, so there a time range goes in the query (ts:>=...). */
export function selectionOptions(cmd: Command, timeRange = true): Command {
  const c = cmd.option('--query <q>', 'a search (the search language; "" for every event)');
  if (timeRange) c.option('--from <time>', 'with --query: only events at or after this time').option('--to <time>', 'with --query: only events before this time');
  return c
    .option('--alerts', 'the alert list')
    .option('--levels <list>', 'with --alerts: only these levels, e.g. high,critical')
    .option('--status <list>', 'with --alerts: only these triage statuses')
    .option('--bookmarks', 'the bookmarked (starred) events')
    .option('--tag <tag>', 'with --bookmarks: only those with this tag');
}

/** Progress on stderr, on one line when it is a terminal. */
function progressLine(io: CliIo): (text: string, done?: boolean) => void {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return (text, done = false) => {
    if (io.json && !tty) return;
    if (tty) process.stderr.write(`\r${text.padEnd(last.length)}${done ? '\n' : ''}`);
    else if (done) io.note(text);
    last = text;
  };
}

/** Ctrl-C cancels the job cleanly (no half-written file) instead of killing the process mid-write. */
function cancelOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSig) };
}

const kib = (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${Math.max(1, Math.round(n / 1024))} KiB`);

export function registerFindings(program: Command): void {
  program
    .command('report')
    .description('write the incident report of a case: self-contained HTML, or PDF through headless Chromium')
    .requiredOption('--case <dir>', 'the case folder')
    .requiredOption('--out <file>', 'FILE.html or FILE.pdf')
    .option('--sections <list>', `comma-separated, from ${REPORT_SECTIONS.join(',')} (default: all)`)
    .option('--title <text>', 'report title (default: "Incident report: <case name>")')
    .option('--author <name>', 'who prepared it')
    .option('--summary-file <file>', 'an executive summary in Markdown, printed first')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string; out: string; sections?: string; title?: string; author?: string; summaryFile?: string }>(async (io, opts) => {
        const ext = extname(opts.out).toLowerCase();
        if (ext !== '.html' && ext !== '.htm' && ext !== '.pdf') throw new LoupeError('USAGE', `--out must end in .html or .pdf, not "${ext || opts.out}"`);
        const format = ext === '.pdf' ? 'pdf' : 'html';
        const sections = parseSections(opts.sections);
        const summary = opts.summaryFile ? readFileSync(opts.summaryFile, 'utf8') : undefined;
        const r = await withExistingCase(opts.case, (engine) =>
          writeReport(
            { ...caseReportEnv(engine.case, engine.case.conn), logConn: engine.case.conn },
            { format, outPath: opts.out, sections, title: opts.title, author: opts.author, summary, pdf: format === 'pdf' ? new ChromiumPdfRenderer() : undefined },
          ),
        );
        for (const w of r.warnings) io.note(`warning: ${w}`);
        io.result(r, () => `wrote ${r.format.toUpperCase()} report ${r.path} (${kib(r.bytes)}, sha256 ${r.sha256})`);
      }),
    );

  selectionOptions(
    program
      .command('export')
      .description('export a search result, the alert list or the bookmarks: csv, json, ndjson, parquet or timesketch (JSONL; CSV when --out ends in .csv)')
      .requiredOption('--case <dir>', 'the case folder')
      .requiredOption('--out <file>', 'the file to write (written as FILE.partial, renamed when complete)')
      .option('--format <f>', `${EXPORT_FORMATS.join('|')} (default: from the --out extension)`)
      .option('--fields <which>', 'core (the normalised columns) or all (plus every original field)', 'core')
      .option('--json', 'print one JSON document on stdout'),
  ).action(
    action<SelectionOpts & { json?: boolean; case?: string; out: string; format?: string; fields: string }>(async (io, opts) => {
      if (opts.fields !== 'core' && opts.fields !== 'all') throw new LoupeError('USAGE', `--fields is core or all, not "${opts.fields}"`);
      const fields = opts.fields;
      const format = exportFormat(opts.format, opts.out);
      const source = selection(opts);
      const show = progressLine(io);
      const cancel = cancelOnSigint();
      try {
        const r = await withExistingCase(opts.case, async (engine) => {
          const c = engine.case;
          const conn = await c.connect();
          try {
            return await runExport(conn, {
              exportId: 'cli',
              source,
              format,
              fields,
              caseDir: c.dir,
              owner: c,
              logConn: c.conn,
              outPath: opts.out,
              signal: cancel.signal,
              onProgress: (p) => {
                if (p.state === 'running') show(`exporting… ${p.percent === null ? '' : `${p.percent.toFixed(0)}%`}`);
              },
            });
          } finally {
            c.release(conn);
          }
        });
        show(`exported ${r.rows.toLocaleString('en-US')} rows`, true);
        io.result(r, () =>
          [`wrote ${r.rows.toLocaleString('en-US')} rows to ${r.path} (${format}, ${kib(r.bytes)}, sha256 ${r.sha256})`, ...(r.skipped ? [`left out ${r.skipped} rows: ${r.skippedReason ?? ''}`] : [])].join('\n'),
        );
      } finally {
        cancel.dispose();
      }
    }),
  );

  const note = program.command('note').description('case notes in Markdown, on the case or attached to events and alerts');
  note
    .command('add')
    .description('write a note')
    .requiredOption('--case <dir>', 'the case folder')
    .requiredOption('--title <text>', 'the note title')
    .option('--body <markdown>', 'the note text')
    .option('--body-file <file>', 'read the note text from a file (- for stdin)')
    .option('--event <ids>', 'attach to these event ids (comma-separated)')
    .option('--alert <ids>', 'attach to these alert ids (comma-separated)')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string; title: string; body?: string; bodyFile?: string; event?: string; alert?: string }>(async (io, opts) => {
        if ((opts.body === undefined) === (opts.bodyFile === undefined)) throw new LoupeError('USAGE', 'give the text with --body or --body-file (one of them)');
        const body = opts.body ?? readFileSync(opts.bodyFile === '-' ? 0 : (opts.bodyFile as string), 'utf8');
        const ids = (s: string | undefined, what: string) =>
          list(s).map((x) => {
            const n = Number(x);
            if (!Number.isInteger(n) || n < 0) throw new LoupeError('USAGE', `bad ${what} id "${x}"`);
            return n;
          });
        const n = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'saveNote', { title: opts.title, body, events: ids(opts.event, 'event'), alerts: ids(opts.alert, 'alert') }));
        io.result({ note: n }, () => `saved note ${n.id} "${n.title}"`);
      }),
    );
  note
    .command('list')
    .description('list the notes of a case, newest first')
    .requiredOption('--case <dir>', 'the case folder')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string }>(async (io, opts) => {
        const notes = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'listNotes', {}));
        io.result({ notes }, () =>
          notes.length === 0
            ? 'no notes'
            : notes
                .map((n) => {
                  const about = [...n.events.map((e) => `event ${e.id}`), ...n.alerts.map((a) => `alert ${a.id}`)].join(', ');
                  return `${String(n.id).padStart(4)}  ${n.updatedAt.slice(0, 19).replace('T', ' ')}  ${n.title}${about ? `  (${about})` : ''}`;
                })
                .join('\n'),
        );
      }),
    );
  note
    .command('delete')
    .description('delete a note')
    .argument('<id>', 'the note id')
    .requiredOption('--case <dir>', 'the case folder')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; case?: string }>(async (io, opts, args) => {
        const id = Number(args[0]);
        if (!Number.isInteger(id)) throw new LoupeError('USAGE', `bad note id "${args[0] ?? ''}"`);
        const r = await withExistingCase(opts.case, (engine) => call(engine.handlers, 'deleteNote', { id }));
        if (!r.deleted) throw new LoupeError('NOT_FOUND', `no note ${id}`);
        io.result(r, () => `deleted note ${id}`);
      }),
    );
}
