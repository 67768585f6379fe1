import { relative, resolve, isAbsolute } from 'node:path';
import { LoupeError } from '@shared/errors';
import { APP_VERSION, type Case } from '../case/case';
import { intelStore, type IntelStore } from '../intel';
import type { QueryRunner } from '../query/runner';
import { listBookmarks } from '../report/bookmarks';
import { runExport } from '../report/export/export-writer';
import { deleteDestination, listDestinations, listForwardLog, openDestination, saveDestination } from '../report/forward/destinations';
import { runForward } from '../report/forward/forward-run';
import type { ForwarderOptions } from '../report/forward/forwarder';
import { deleteNote, listNotes, saveNote } from '../report/notes';
import { listOutputs } from '../report/outputs';
import { ChromiumPdfRenderer, type PdfRenderer } from '../report/pdf';
import { buildReportHtml, writeReport, type ReportEnv } from '../report/report-builder';
import type { Handlers } from './handlers';
import type { PushBus } from './push';

type FindingsOps =
  | 'listNotes'
  | 'saveNote'
  | 'deleteNote'
  | 'listBookmarks'
  | 'reportCapabilities'
  | 'previewReport'
  | 'exportReport'
  | 'exportData'
  | 'cancelExport'
  | 'listOutputs'
  | 'listDestinations'
  | 'saveDestination'
  | 'deleteDestination'
  | 'checkDestination'
  | 'forwardItems'
  | 'cancelForward'
  | 'listForwardLog'
  | 'revealPath';

export interface FindingsOptions {
  /** How PDFs are printed here; default: headless Chromium when one is installed. */
  pdfRenderer?: PdfRenderer | undefined;
  /** The analyst's intel (report enrichment and versions); default: the shared intel store. */
  intelStore?: (() => IntelStore) | undefined;
  /** Tests: forwarder timing and a fetch of their own. */
  forwarder?: Partial<Omit<ForwarderOptions, 'destination' | 'onAcked' | 'onFailed'>> | undefined;
  fetch?: typeof fetch | undefined;
}

/** Long jobs (exports, hand-offs) have no time limit of their own: the analyst cancels them. */
const JOB_TIMEOUT_MS = 24 * 3600_000;
const REPORT_TIMEOUT_MS = 10 * 60_000;

/** What the report builder needs to know about a case (the CLI writes reports through it too). */
export function caseReportEnv(c: Case, conn: ReportEnv['conn'], store: () => IntelStore = intelStore): ReportEnv {
  return {
    conn,
    caseDir: c.dir,
    caseInfo: { id: c.manifest.id, name: c.manifest.name, createdAt: c.manifest.createdAt, schemaVersion: c.manifest.schemaVersion },
    loupeVersion: APP_VERSION,
    intelStore: store,
  };
}

/** A path the UI names must be a file of the open case (a report or an export), nothing else. */
export function assertCaseFile(c: Case, path: string): string {
  const abs = resolve(path);
  const rel = relative(c.dir, abs);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) throw new LoupeError('REFUSED', 'Only files inside the open case folder can be shown');
  return abs;
}

/**
 * Findings: notes, bookmarks, the report, exports and the hand-off. Reads
 * and long jobs run on their own connection through the query runner (so
 * closing the case drains them and cancel interrupts them); small writes
 * use the case's main connection.
 */
export function findingsHandlers(owner: { readonly case: Case; readonly push: PushBus }, runner: QueryRunner, opts: FindingsOptions = {}): Pick<Handlers, FindingsOps> {
  const forwards = new Map<string, AbortController>();
  const exports = new Map<string, AbortController>();
  const pdf = (): PdfRenderer => opts.pdfRenderer ?? new ChromiumPdfRenderer();
  const env = (c: Case, conn: ReportEnv['conn']): ReportEnv => caseReportEnv(c, conn, opts.intelStore ?? intelStore);

  return {
    listNotes: async ({ eventId, alertId }) => listNotes(owner.case.conn, { eventId, alertId }),
    saveNote: async (n) => saveNote(owner.case.conn, n),
    deleteNote: async ({ id }) => ({ deleted: await deleteNote(owner.case.conn, id) }),
    listBookmarks: async (i) => {
      const c = owner.case;
      return runner.run(c, {}, (conn) => listBookmarks(conn, i));
    },
    reportCapabilities: async () => {
      const r = pdf();
      const a = r.available();
      return { pdf: a.ok, renderer: a.ok ? r.kind : null, detail: a.detail };
    },
    previewReport: async (i) => {
      const c = owner.case;
      const t0 = performance.now();
      const { html, warnings } = await runner.run(c, { queryId: 'report-preview', timeoutMs: REPORT_TIMEOUT_MS }, (conn) => buildReportHtml(env(c, conn), i));
      return { html, bytes: Buffer.byteLength(html), warnings, tookMs: Math.round(performance.now() - t0) };
    },
    exportReport: async (i) => {
      const c = owner.case;
      const { format, ...req } = i;
      return runner.run(c, { timeoutMs: REPORT_TIMEOUT_MS }, (conn) => writeReport({ ...env(c, conn), logConn: c.conn }, { ...req, format, pdf: format === 'pdf' ? pdf() : undefined }));
    },
    exportData: async (i) => {
      const c = owner.case;
      const emit = (p: { state: 'running' | 'done' | 'failed' | 'cancelled'; percent: number | null; rows: number | null; message: string | null }) => owner.push.emit('exportProgress', { exportId: i.exportId, ...p });
      if (exports.has(i.exportId)) throw new LoupeError('BAD_INPUT', `An export named ${i.exportId} is already running`);
      const ac = new AbortController();
      exports.set(i.exportId, ac);
      try {
        return await runner.run(c, { queryId: `export:${i.exportId}`, timeoutMs: JOB_TIMEOUT_MS }, (conn) =>
          runExport(conn, { exportId: i.exportId, source: i.source, format: i.format, fields: i.fields, caseDir: c.dir, owner: c, logConn: c.conn, onProgress: emit, signal: ac.signal }),
        );
      } finally {
        exports.delete(i.exportId);
      }
    },
    cancelExport: async ({ exportId }) => {
      const ac = exports.get(exportId);
      if (!ac) return { cancelled: false };
      ac.abort();
      return { cancelled: true };
    },
    listOutputs: async ({ limit }) => listOutputs(owner.case.conn, limit),
    listDestinations: async () => listDestinations(owner.case.conn, owner.case.dir),
    saveDestination: async (d) => saveDestination(owner.case.conn, owner.case.dir, d),
    deleteDestination: async ({ name }) => ({ deleted: await deleteDestination(owner.case.conn, owner.case.dir, name) }),
    checkDestination: async ({ name }) => {
      const dest = await openDestination(owner.case.conn, owner.case.dir, name, opts.fetch);
      const h = await dest.health(AbortSignal.timeout(15_000));
      return { ok: h.ok, detail: h.detail, latencyMs: Math.round(h.latencyMs * 10) / 10 };
    },
    forwardItems: async (i) => {
      const c = owner.case;
      if (forwards.has(i.forwardId)) throw new LoupeError('BAD_INPUT', `A hand-off named ${i.forwardId} is already running`);
      const ac = new AbortController();
      forwards.set(i.forwardId, ac);
      try {
        return await runner.run(c, { queryId: `forward:${i.forwardId}`, timeoutMs: JOB_TIMEOUT_MS }, (conn) =>
          runForward(conn, {
            forwardId: i.forwardId,
            destination: i.destination,
            source: i.source,
            resend: i.resend,
            caseDir: c.dir,
            caseId: c.manifest.id,
            caseName: c.manifest.name,
            owner: c,
            logConn: c.conn,
            signal: ac.signal,
            forwarder: opts.forwarder,
            fetch: opts.fetch,
            onProgress: (r) =>
              owner.push.emit('forwardProgress', { forwardId: i.forwardId, destination: r.destination, state: r.status, selected: r.selected, skipped: r.skipped, sent: r.sent, failed: r.failed, retried: r.retried }),
          }),
        );
      } finally {
        forwards.delete(i.forwardId);
      }
    },
    cancelForward: async ({ forwardId }) => {
      const ac = forwards.get(forwardId);
      if (!ac) return { cancelled: false };
      ac.abort();
      runner.cancel(`forward:${forwardId}`); // a long read of the selection stops too
      return { cancelled: true };
    },
    listForwardLog: async ({ destination, status, limit }) => listForwardLog(owner.case.conn, destination, status, limit),
    revealPath: async ({ path }) => {
      const abs = assertCaseFile(owner.case, path);
      throw new LoupeError('UNSUPPORTED', `This host cannot open a file manager; the file is ${abs}`);
    },
  };
}
