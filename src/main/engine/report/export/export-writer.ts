import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EXPORT_EXTENSIONS, type ExportFormat, type ExportResult, type ExportSource } from '@shared/findings-contract';
import { LoupeError } from '@shared/errors';
import { quoteIdent, queryOne } from '../../db/sql';
import { finishOutput, startOutput } from '../outputs';
import { selectRows, type SelectedRows } from './export-source';

/**
 * Writes a selection (search result, alerts, bookmarks) to a file with
 * DuckDB's own writers: COPY streams the rows to disk (a sort spills to the
 * case's tmp folder), several times faster than encoding rows in JS
 * (measured in test/bench/export.bench.ts). The file is written under a
 * .partial name and renamed only once complete, so a cancelled or failed
 * export never leaves a file that looks finished.
 */

export interface ExportProgress {
  state: 'running' | 'done' | 'failed' | 'cancelled';
  percent: number | null;
  rows: number | null;
  message: string | null;
}

export interface ExportOptions {
  exportId: string;
  source: ExportSource;
  format: ExportFormat;
  fields: 'core' | 'all';
  /** The case folder (for exports/ and the outputs log). */
  caseDir: string;
  /** Key of the field catalog cache (the open case). */
  owner: object;
  /** A path the analyst gave (CLI); default: a new file in <case>/exports/. */
  outPath?: string | undefined;
  onProgress?: ((p: ExportProgress) => void) | undefined;
  /** Conn for the outputs log (the case's main connection); the export itself runs on `conn`. */
  logConn: DuckDBConnection;
  /**
   * Cancels the export. DuckDB forgets an interrupt that arrives before the
   * statement starts, so the interrupt is repeated while it runs and the
   * signal is checked once more when COPY returns.
   */
  signal?: AbortSignal | undefined;
}

const PROGRESS_EVERY_MS = 250;

export async function runExport(conn: DuckDBConnection, o: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  const sel = await selectRows(conn, o.owner, o.source, o.fields);
  const target = o.outPath ? resolve(o.outPath) : defaultExportPath(o.caseDir, sel.what, o.format);
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  const outputId = await startOutput(o.logConn, { kind: 'export', what: sel.describe, format: o.format, path: target });
  let timer: NodeJS.Timeout | undefined;
  const interrupt = () => conn.interrupt();
  o.signal?.addEventListener('abort', interrupt, { once: true });
  const checkCancelled = () => {
    if (o.signal?.aborted) throw new LoupeError('CANCELLED', 'The export was cancelled');
  };
  try {
    checkCancelled();
    const { sql, skippedSql } = finalQuery(sel, o.format);
    await conn.run('SET enable_progress_bar = true; SET enable_progress_bar_print = false');
    o.onProgress?.({ state: 'running', percent: 0, rows: null, message: null });
    timer = setInterval(() => {
      if (o.signal?.aborted) conn.interrupt();
      const p = conn.progress.percentage;
      if (p >= 0) o.onProgress?.({ state: 'running', percent: Math.min(99.9, Math.round(p * 10) / 10), rows: null, message: null });
    }, PROGRESS_EVERY_MS);
    timer.unref();
    const reader = await conn.runAndReadAll(`COPY (${sql}) TO ${sqlString(partial)} (${copyOptions(o.format)})`, sel.params);
    clearInterval(timer);
    timer = undefined;
    checkCancelled();
    const rows = Number(reader.getRows()[0]?.[0] ?? 0);
    const skipped = skippedSql ? Number((await queryOne(conn, skippedSql, sel.params))?.n ?? 0) : 0;
    renameSync(partial, target);
    const bytes = statSync(target).size;
    const sha256 = await fileSha256(target);
    await finishOutput(o.logConn, outputId, { status: 'done', rows, bytes, sha256, message: skipped ? `${skipped} rows without a time left out` : null });
    o.onProgress?.({ state: 'done', percent: 100, rows, message: null });
    return {
      exportId: o.exportId,
      path: target,
      format: o.format,
      rows,
      bytes,
      sha256,
      skipped,
      skippedReason: skipped ? 'Timesketch needs a time on every event; these have none' : null,
      tookMs: Math.round(performance.now() - t0),
    };
  } catch (e) {
    if (timer) clearInterval(timer);
    rmSync(partial, { force: true });
    const cancelled = o.signal?.aborted === true || (e instanceof LoupeError ? e.code === 'CANCELLED' : /interrupt/i.test((e as Error).message));
    const message = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    await finishOutput(o.logConn, outputId, { status: cancelled ? 'cancelled' : 'failed', rows: null, bytes: null, sha256: null, message }).catch(() => undefined);
    o.onProgress?.({ state: cancelled ? 'cancelled' : 'failed', percent: null, rows: null, message: cancelled ? 'The export was cancelled' : message });
    if (cancelled && !(e instanceof LoupeError && e.code === 'CANCELLED')) throw new LoupeError('CANCELLED', 'The export was cancelled');
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', interrupt);
    for (const t of sel.cleanup) await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(t)}`).catch(() => undefined);
  }
}

/** The selection shaped for one format, in time order. */
export function finalQuery(sel: SelectedRows, format: ExportFormat): { sql: string; skippedSql: string | null } {
  const inner = `(${sel.sql}) x`;
  const t = quoteIdent(sel.timesketch.time);
  const order = `ORDER BY x.${t} ASC NULLS LAST, x.${sel.itemKind === 'event' ? 'event_id' : 'alert_id'} ASC`;
  const csv = format === 'csv' || format === 'timesketch-csv';
  const replaces: string[] = [];
  if (format !== 'parquet') for (const c of sel.timeColumns) replaces.push(`strftime(x.${quoteIdent(c)}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${quoteIdent(c)}`);
  if (csv) for (const c of sel.listColumns) replaces.push(`array_to_string(x.${quoteIdent(c)}, ',') AS ${quoteIdent(c)}`);
  const exclude = format === 'timesketch' || format === 'timesketch-csv' ? sel.timesketch.exclude : [];
  const star = `x.*${exclude.length ? ` EXCLUDE (${exclude.map(quoteIdent).join(', ')})` : ''}${replaces.length ? ` REPLACE (${replaces.join(', ')})` : ''}`;
  if (format === 'timesketch' || format === 'timesketch-csv') {
    // Timesketch's three required fields first, then its microsecond timestamp, then everything else.
    const sql = `SELECT ${sel.timesketch.message} AS message,
        strftime(x.${t}, '%Y-%m-%dT%H:%M:%S.%f+00:00') AS datetime,
        ${sel.timesketch.desc} AS timestamp_desc,
        epoch_us(x.${t}) AS "timestamp",
        ${star}
      FROM ${inner} WHERE x.${t} IS NOT NULL ${order}`;
    return { sql, skippedSql: `SELECT count(*) AS n FROM ${inner} WHERE x.${t} IS NULL` };
  }
  return { sql: `SELECT ${star} FROM ${inner} ${order}`, skippedSql: null };
}

function copyOptions(format: ExportFormat): string {
  switch (format) {
    case 'csv':
    case 'timesketch-csv':
      return 'FORMAT csv, HEADER true';
    case 'json':
      return 'FORMAT json, ARRAY true';
    case 'ndjson':
    case 'timesketch':
      return 'FORMAT json';
    case 'parquet':
      return 'FORMAT parquet, COMPRESSION zstd';
  }
}

/** A path as a SQL string literal (COPY takes no bound file name). */
function sqlString(path: string): string {
  if (path.includes('\0')) throw new LoupeError('BAD_INPUT', 'A file name cannot contain a NUL character');
  return `'${path.replaceAll("'", "''")}'`;
}

export function defaultExportPath(caseDir: string, what: string, format: ExportFormat): string {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const dir = join(caseDir, 'exports');
  const base = `${what}-${format}-${stamp}`;
  let path = join(dir, `${base}.${EXPORT_EXTENSIONS[format]}`);
  for (let n = 2; existsSync(path) || existsSync(`${path}.partial`); n++) path = join(dir, `${base}-${n}.${EXPORT_EXTENSIONS[format]}`);
  return path;
}

export function fileSha256(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', fail)
      .on('end', () => done(h.digest('hex')));
  });
}
