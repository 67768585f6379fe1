import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ImportProgress, ImportSummary } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import type { Case } from '../case/case';
import type { PushBus } from '../service/push';
import { insertImport, listEvidence, markInterrupted, nextImportId } from './evidence-store';
import { checkTimeZone, isFormatName, type FormatName } from './format-support';
import { ImportRun, type RunRequest } from './import-run';
import { ParseWorkers } from './parse-workers';
import { ingestSettings, type IngestSettings } from './settings';

export interface ImportedEvent {
  case: Case;
  importId: number;
  /** Evidence (files, not archives) whose events this import added, whole or in part. */
  evidenceIds: number[];
  /** The first events.id the import added: everything from it up is new. Null when none. */
  firstNewEventId: number | null;
  /** Set when the new events come from live sources (importId is then 0), not from an import. */
  live?: boolean;
}

/** Work that follows an import (Sigma alerts, the distinct-IP table); awaited before importFinished. */
export type ImportedHook = (e: ImportedEvent) => Promise<void> | void;

export interface ImportStartRequest {
  paths?: string[];
  labels?: (string | null)[];
  tz?: string;
  format?: string;
  force?: boolean;
  reimport?: number[];
}

interface Tracked {
  controller: AbortController;
  last: ImportProgress;
  done: Promise<ImportSummary>;
}

/**
 * The import queue of an engine: runs one import at a time in the background
 * (a second request waits its turn), pushes progress, answers status and
 * cancel requests, and runs the post-import hooks. Hosts never wait on an
 * import: importPaths returns its id at once.
 */
export class ImportService {
  readonly onImported: ImportedHook[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tracked = new Map<number, Tracked>();
  private latest: number | null = null;
  private lastId = 0;
  private readonly settings: IngestSettings;

  constructor(
    private readonly getCase: () => Case,
    private readonly push: PushBus,
    settings: Partial<IngestSettings> = {},
  ) {
    this.settings = ingestSettings(settings);
  }

  async start(req: ImportStartRequest): Promise<number> {
    const kase = this.getCase();
    const paths = (req.paths ?? []).map((p) => resolve(p));
    for (const p of paths) {
      if (!existsSync(p)) throw new LoupeError('NOT_FOUND', `No such file or folder: ${p}`);
      const st = statSync(p);
      if (!st.isFile() && !st.isDirectory()) throw new LoupeError('BAD_INPUT', `${p} is not a file or a folder`);
    }
    if (req.labels && req.labels.length !== paths.length) throw new LoupeError('BAD_INPUT', 'labels must have one entry per path');
    if (req.tz) {
      const bad = checkTimeZone(req.tz);
      if (bad) throw new LoupeError('BAD_INPUT', bad);
    }
    let format: FormatName | undefined;
    if (req.format) {
      if (!isFormatName(req.format) || ['zip', 'gzip', 'tar', 'binary'].includes(req.format)) {
        throw new LoupeError('BAD_INPUT', `Unknown format "${req.format}": \`loupe formats\` lists the formats a file can be read as`);
      }
      format = req.format;
    }
    if (!req.reimport && paths.length === 0) throw new LoupeError('BAD_INPUT', 'Nothing to import: name at least one file or folder');
    if (req.reimport) {
      const known = new Set((await listEvidence(kase.conn, { ids: req.reimport })).map((e) => e.id));
      const missing = req.reimport.filter((id) => !known.has(id));
      if (missing.length > 0) throw new LoupeError('NOT_FOUND', `No evidence #${missing.join(', #')} in this case`);
    }

    const id = Math.max(await nextImportId(kase.conn), this.lastId + 1);
    this.lastId = id;
    await insertImport(kase.conn, id, { paths, tz: req.tz ?? null, format: format ?? null, force: req.force ?? false, reimport: req.reimport ?? null });
    await kase.conn.run(`UPDATE imports SET status = 'queued' WHERE id = $id`, { id });

    const controller = new AbortController();
    const runReq: RunRequest = {
      importId: id,
      paths,
      ...(req.labels ? { labels: req.labels } : {}),
      ...(req.tz ? { tz: req.tz } : {}),
      ...(format ? { format } : {}),
      ...(req.force ? { force: true } : {}),
      ...(req.reimport ? { reimport: req.reimport } : {}),
    };
    const tracked: Tracked = {
      controller,
      last: queuedProgress(id),
      done: Promise.resolve(null as unknown as ImportSummary),
    };
    this.tracked.set(id, tracked);
    this.latest = id;
    tracked.done = this.enqueue(() => this.execute(kase, runReq, tracked));
    this.push.emit('importProgress', tracked.last);
    return id;
  }

  /** Cancel one import (or every running and queued one). */
  cancel(importId?: number): boolean {
    let any = false;
    for (const [id, t] of this.tracked) {
      if (importId !== undefined && id !== importId) continue;
      if (t.last.state === 'queued' || t.last.state === 'running') {
        t.controller.abort();
        any = true;
      }
    }
    return any;
  }

  /** An import is queued or running. */
  get busy(): boolean {
    for (const t of this.tracked.values()) if (t.last.state === 'queued' || t.last.state === 'running') return true;
    return false;
  }

  status(importId?: number): ImportProgress | null {
    const id = importId ?? this.latest;
    if (id === null) return null;
    return this.tracked.get(id)?.last ?? null;
  }

  /** Resolves with the summary when the import (and its hooks) are done. */
  wait(importId: number): Promise<ImportSummary> {
    const t = this.tracked.get(importId);
    if (!t) return Promise.reject(new LoupeError('NOT_FOUND', `No import #${importId} in this session`));
    return t.done;
  }

  /** Cancel everything and wait until nothing touches the case (before it closes or switches). */
  async stopAll(): Promise<void> {
    this.cancel();
    await this.queue.catch(() => undefined);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async execute(kase: Case, req: RunRequest, t: Tracked): Promise<ImportSummary> {
    if (kase.isClosed || t.controller.signal.aborted) {
      const summary = emptySummary(req.importId, t.controller.signal.aborted ? 'cancelled' : 'failed', kase.isClosed ? 'The case was closed before the import started' : null);
      t.last = { ...t.last, state: summary.state };
      this.push.emit('importProgress', t.last);
      this.push.emit('importFinished', summary);
      return summary;
    }
    const workers = new ParseWorkers();
    const run = new ImportRun(
      kase,
      req,
      this.settings,
      workers,
      (p) => {
        t.last = p;
        this.push.emit('importProgress', p);
      },
      t.controller.signal,
    );
    let summary: ImportSummary;
    try {
      summary = await run.execute();
    } finally {
      workers.close();
    }
    // The files are in the case now: the top bar's counts and the evidence list can show them
    // while the after-import steps (Sigma rules, IP intel) still run.
    if (run.importedEvidence.length > 0) await this.caseChanged(kase);
    if (!kase.isClosed && run.importedEvidence.length > 0) {
      const event: ImportedEvent = { case: kase, importId: req.importId, evidenceIds: run.importedEvidence, firstNewEventId: run.firstNewEventId };
      for (const hook of this.onImported) {
        try {
          await hook(event);
        } catch (e) {
          summary = { ...summary, message: `${summary.message ? `${summary.message}; ` : ''}after-import step failed: ${(e as Error).message}` };
        }
      }
    }
    t.last = { ...run.snapshot(), state: summary.state };
    // Alerts and counts changed again (or, for an import that stored nothing, for the first time).
    await this.caseChanged(kase);
    this.push.emit('importFinished', summary);
    return summary;
  }

  /** Tell the UI the case's event and file counts changed (the top bar, the views that reload on them). */
  private async caseChanged(kase: Case): Promise<void> {
    if (kase.isClosed) return;
    try {
      this.push.emit('caseChanged', { case: await kase.info() });
    } catch {
      // the case closed meanwhile
    }
  }
}

function queuedProgress(importId: number): ImportProgress {
  return {
    importId,
    state: 'queued',
    files: [],
    overall: { bytes: 0, totalBytes: 0, events: 0, rejected: 0, warnings: 0, eventsPerSecond: 0, bytesPerSecond: 0, etaSeconds: null, filesDone: 0, filesSeen: 0 },
    elapsedSeconds: 0,
    message: null,
  };
}

function emptySummary(importId: number, state: ImportSummary['state'], message: string | null): ImportSummary {
  return { importId, state, files: [], totals: { seen: 0, stored: 0, rejected: 0 }, seconds: 0, firstNewEventId: null, message };
}

/**
 * Run on every case open: a case whose process died mid-import has evidence
 * still `importing`; it becomes `incomplete` (resumable or removable), and
 * scratch files of dead imports are cleared.
 */
export async function recoverInterruptedImports(kase: Case): Promise<number> {
  const n = await markInterrupted(kase.conn);
  try {
    for (const name of readdirSync(kase.tmpDir)) {
      if (name.startsWith('import-')) rmSync(join(kase.tmpDir, name), { recursive: true, force: true });
    }
  } catch {
    // an unreadable tmp/ does not stop the case from opening
  }
  return n;
}
