import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { REPORT_SECTIONS, type ReportFile, type ReportSection } from '@shared/findings-contract';
import { LoupeError } from '@shared/errors';
import { refreshCaseIntel, type IntelStore } from '../intel';
import { fileSha256 } from './export/export-writer';
import { finishOutput, startOutput } from './outputs';
import { reportCharts } from './report-charts';
import { gatherReport, type IntelFacts } from './report-data';
import { renderReportHtml } from './report-html';
import { stageHtml, type PdfRenderer } from './pdf';

export interface ReportRequest {
  sections?: ReportSection[] | undefined;
  title?: string | undefined;
  author?: string | undefined;
  summary?: string | undefined;
}

export interface ReportEnv {
  conn: DuckDBConnection;
  caseDir: string;
  caseInfo: { id: string; name: string; createdAt: string; schemaVersion: number };
  loupeVersion: string;
  /**
   * The analyst's intel. The report brings the case's IP enrichment up to
   * date with it first (cheap when nothing changed), so the verdicts match
   * the versions it prints.
   */
  intelStore?: (() => IntelStore) | undefined;
}

/** Sections in the report's own order, whatever order they were asked in. */
export function normaliseSections(sections: ReportSection[] | undefined): ReportSection[] {
  const want = new Set(sections && sections.length ? sections : REPORT_SECTIONS);
  return REPORT_SECTIONS.filter((s) => want.has(s));
}

export async function buildReportHtml(env: ReportEnv, req: ReportRequest): Promise<{ html: string; warnings: string[] }> {
  const sections = normaliseSections(req.sections);
  const warnings: string[] = [];
  let facts: (() => IntelFacts) | undefined;
  if (env.intelStore && (sections.includes('intel') || sections.includes('versions'))) {
    try {
      const store = env.intelStore();
      await refreshCaseIntel(env.conn, store);
      facts = () => {
        const st = store.status();
        return { stamp: st.stamp, sources: st.sources.map((x) => ({ name: x.name, state: x.state, version: x.version, entries: x.entries, detail: x.detail })) };
      };
    } catch (e) {
      warnings.push(`The IP intel could not be applied to this case: ${(e as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  const data = await gatherReport({ conn: env.conn, caseInfo: env.caseInfo, loupeVersion: env.loupeVersion, sections, intel: facts });
  const drawn = await reportCharts(data);
  const charts = drawn.charts;
  warnings.push(...drawn.warnings);
  const title = req.title?.trim() || `Incident report: ${env.caseInfo.name}`;
  const html = renderReportHtml({ data, charts, title, author: req.author, summary: req.summary, warnings });
  return { html, warnings };
}

/**
 * Write the report (HTML, or PDF through the injected printer) to `outPath`
 * or a new file in <case>/reports/, and record it in the case's outputs log
 * with its SHA-256.
 */
export async function writeReport(
  env: ReportEnv & { logConn: DuckDBConnection },
  req: ReportRequest & { format: 'html' | 'pdf'; outPath?: string | undefined; pdf?: PdfRenderer | undefined },
): Promise<ReportFile> {
  const t0 = performance.now();
  if (req.format === 'pdf') {
    const can = req.pdf?.available() ?? { ok: false, detail: 'This host cannot print PDFs' };
    if (!req.pdf || !can.ok) throw new LoupeError('UNSUPPORTED', can.detail);
  }
  const target = req.outPath ? resolve(req.outPath) : defaultReportPath(env.caseDir, req.format);
  mkdirSync(dirname(target), { recursive: true });
  const sections = normaliseSections(req.sections);
  const outputId = await startOutput(env.logConn, { kind: 'report', what: `report: ${sections.join(', ')}`, format: req.format, path: target });
  const partial = `${target}.partial`;
  try {
    const { html, warnings } = await buildReportHtml(env, req);
    if (req.format === 'html') {
      writeFileSync(partial, html);
    } else {
      const work = join(env.caseDir, 'tmp');
      mkdirSync(work, { recursive: true });
      const staged = stageHtml(work, html);
      try {
        await (req.pdf as PdfRenderer).render(staged.file, partial, { workDir: work });
      } finally {
        staged.cleanup();
      }
    }
    renameSync(partial, target);
    const bytes = statSync(target).size;
    const sha256 = await fileSha256(target);
    await finishOutput(env.logConn, outputId, { status: 'done', rows: null, bytes, sha256, message: warnings.length ? warnings.join('; ') : null });
    return { path: target, format: req.format, bytes, sha256, warnings, tookMs: Math.round(performance.now() - t0) };
  } catch (e) {
    rmSync(partial, { force: true });
    await finishOutput(env.logConn, outputId, { status: 'failed', rows: null, bytes: null, sha256: null, message: (e as Error).message }).catch(() => undefined);
    throw e;
  }
}

export function defaultReportPath(caseDir: string, format: 'html' | 'pdf'): string {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return join(caseDir, 'reports', `report-${stamp}-${Math.random().toString(36).slice(2, 6)}.${format}`);
}
