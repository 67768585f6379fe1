import type { Command } from 'commander';
import { LoupeError } from '@shared/errors';
import type { EventRow } from '@shared/query-contract';
import { call } from '../../../engine/service/dispatch';
import { action } from '../command';
import { caseOptions, requireArg, withCase } from '../case-option';

/** Columns a person reads in a terminal; --json carries every column. */
const HUMAN_COLUMNS = ['ts', 'dataset', 'host', 'event_code', 'user', 'src_ip', 'dst_ip', 'message'];

export function registerSearch(program: Command): void {
  caseOptions(
    program
      .command('search')
      .description('search the events of a case with the search language (newest first)')
      .argument('<query>', 'e.g. \'event_code:4625 AND TargetUserName:admin*\' or \'ip:10.0.0.0/8 "powershell -enc"\'')
      .option('--from <time>', 'only events at or after this time (ISO 8601 UTC, or now-24h)')
      .option('--to <time>', 'only events before this time')
      .option('--limit <n>', 'how many events to print (1-1000)', '100')
      .option('--asc', 'oldest first'),
  ).action(
    action<{ json?: boolean; case?: string; from?: string; to?: string; limit: string; asc?: boolean }>(async (io, opts, args) => {
      const query = args[0] ?? '';
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new LoupeError('USAGE', `bad --limit: ${opts.limit} (1-1000)`);
      const page = await withCase(opts, (engine) =>
        call(engine.handlers, 'search', { query, from: opts.from ?? null, to: opts.to ?? null, limit, count: true, sort: { column: 'ts', dir: opts.asc ? 'asc' : 'desc' } }),
      );
      io.result({ total: page.total, columns: page.columns, rows: page.rows }, () => table(page.rows, HUMAN_COLUMNS, `${page.rows.length} of ${page.total ?? '?'} events`));
    }),
  );

  caseOptions(
    program
      .command('sql')
      .description('run one read-only SELECT over the case (no files, no settings, no writes)')
      .argument('<sql>', 'e.g. "SELECT dataset, count(*) FROM events GROUP BY ALL"')
      .option('--limit <n>', 'at most this many rows (1-100000)', '1000'),
  ).action(
    action<{ json?: boolean; case?: string; limit: string }>(async (io, opts, args) => {
      const sql = requireArg(args[0], 'the SQL query');
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new LoupeError('USAGE', `bad --limit: ${opts.limit} (1-100000)`);
      const r = await withCase(opts, (engine) => call(engine.handlers, 'sqlQuery', { sql, limit }));
      io.result({ total: r.total, columns: r.columns, rows: r.rows, truncated: r.truncated }, () => table(r.rows, r.columns, `${r.total} rows${r.truncated ? ' (truncated)' : ''}`));
    }),
  );
}

/** A plain fixed-width table, long cells cut, for a terminal. */
function table(rows: EventRow[], columns: string[], footer: string): string {
  const MAX = 60;
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    const one = s.replace(/\s+/g, ' ');
    return one.length > MAX ? `${one.slice(0, MAX - 1)}…` : one;
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) => cells.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c])))), footer].join('\n');
}
