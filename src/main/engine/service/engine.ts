import { platform } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppInfo, CaseInfo } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import { APP_VERSION, Case } from '../case/case';
import { listRecentCases, rememberCase } from '../case/recent';
import { appDataDir, defaultCaseDir } from '../paths';
import { AlertService, type AlertServiceOptions } from '../alerts/alert-service';
import { ImportService, recoverInterruptedImports, type ImportedHook } from '../ingest/import-service';
import type { IngestSettings } from '../ingest/settings';
import { LiveService, type LiveServiceOptions } from '../live/live-service';
import { alertHandlers } from './alert-handlers';
import type { Handlers } from './handlers';
import { QueryRunner } from '../query/runner';
import { importHandlers } from './import-handlers';
import { liveHandlers } from './live-handlers';
import { PushBus } from './push';
import { overviewHandlers } from './overview-handlers';
import { queryHandlers } from './query-handlers';
import { findingsHandlers, type FindingsOptions } from './findings-handlers';

export interface EngineOptions {
  host: AppInfo['host'];
  capabilities?: Partial<AppInfo['capabilities']>;
  /** Host-specific handlers (the Electron host supplies pickPaths). */
  overrides?: Partial<Handlers>;
  /** Import pipeline knobs (tests shrink archive limits and chunk sizes). */
  ingest?: Partial<IngestSettings>;
  /** Detection knobs (tests turn the intel refresh off). */
  alerts?: AlertServiceOptions;
  /** How reports are printed to PDF (the desktop host injects Electron's printer), test hooks for the hand-off. */
  findings?: FindingsOptions;
  /** Live source knobs (tests shorten intervals; resumeOnOpen defaults to the desktop and web hosts). */
  live?: Partial<Omit<LiveServiceOptions, 'push' | 'hooks'>>;
}

/**
 * The engine as every host sees it: the open case, the contract's handlers
 * and the push bus. It knows nothing of windows, HTTP or terminals.
 */
export class Engine {
  readonly push = new PushBus();
  readonly handlers: Handlers;
  readonly imports: ImportService;
  readonly alerts: AlertService;
  readonly live: LiveService;
  private current: Case | null = null;
  /** Runs searches on their own connections; drained before a case closes. */
  private readonly queries = new QueryRunner();

  constructor(private readonly options: EngineOptions) {
    this.imports = new ImportService(() => this.case, this.push, options.ingest);
    this.alerts = new AlertService(() => this.case, this.push, options.alerts);
    // Sigma rules over each import's new events (issue 6); a hook for a case closed meanwhile does nothing.
    this.onImported(async (e) => {
      if (e.case === this.current && !e.case.isClosed) await this.alerts.afterImport();
    });
    this.live = new LiveService({
      push: this.push,
      hooks: () => this.imports.onImported,
      resumeOnOpen: options.host === 'electron' || options.host === 'web',
      ...options.live,
    });
    // Each domain contributes the handlers of its operations; the Handlers type
    // makes this fail to compile when an operation of the contract has none.
    const handlers: Handlers = {
      ...this.caseHandlers(),
      ...queryHandlers(this, this.queries),
      ...importHandlers(this),
      ...alertHandlers(this),
      ...overviewHandlers(this, this.queries),
      ...findingsHandlers(this, this.queries, options.findings),
      ...liveHandlers(this.live),
    };
    this.handlers = { ...handlers, ...options.overrides };
  }

  get case(): Case {
    if (!this.current || this.current.isClosed) throw new LoupeError('NO_CASE_OPEN', 'No case is open: create or open one first');
    return this.current;
  }

  get hasCase(): boolean {
    return this.current !== null && !this.current.isClosed;
  }

  /**
   * Switch to the case at dir. `open` insists on an existing case; `create` on
   * a new one; `openOrCreate` is the CLI's --case. The new case is opened
   * before the old one is closed, so a failed switch leaves the analyst where
   * they were rather than with no case at all.
   */
  async useCase(dir: string, opts: { mode?: 'open' | 'create' | 'openOrCreate'; name?: string } = {}): Promise<CaseInfo> {
    const abs = resolve(dir);
    const mode = opts.mode ?? 'openOrCreate';
    if (mode !== 'create' && this.hasCase && this.case.dir === abs) return this.case.info();
    await this.imports.stopAll();
    const next = mode === 'create' ? await Case.create(abs, opts.name) : mode === 'open' ? await Case.open(abs) : await Case.openOrCreate(abs, opts.name);
    await recoverInterruptedImports(next);
    const previous = this.current;
    // Live sources of the previous case stop (freeing their ports) before the next case's start.
    await this.live.detach();
    this.current = next;
    if (previous) this.alerts.cancel();
    if (previous) await this.queries.drain(previous);
    await previous?.settle();
    previous?.close();
    await this.live.attach(next);
    const info = await next.info();
    rememberCase(info.dir, info.name);
    this.push.emit('caseChanged', { case: info });
    return info;
  }

  /** The last case the analyst used, else the default case in the data folder. */
  async openStartupCase(): Promise<CaseInfo> {
    for (const recent of listRecentCases()) {
      try {
        return await this.useCase(recent.dir, { mode: 'open' });
      } catch {
        // locked or damaged: fall through to the next, then to the default case
      }
    }
    return this.useCase(defaultCaseDir(), { name: 'Default case' });
  }

  /** Work to run after each import (Sigma alerts, the distinct-IP table); see ImportedHook. */
  onImported(hook: ImportedHook): void {
    this.imports.onImported.push(hook);
  }

  closeCase(): boolean {
    if (!this.current) return false;
    // A running import or rule run writes through its own connection; stop it before the database closes.
    this.imports.cancel();
    this.alerts.cancel();
    this.live.abandon();
    this.current.close();
    this.current = null;
    this.push.emit('caseChanged', { case: null });
    return true;
  }

  /** Stop imports and running queries, then close the case (hosts call this on exit). */
  async close(): Promise<void> {
    await this.imports.stopAll();
    await this.live.close();
    await this.queries.drain();
    await this.current?.settle();
    this.closeCase();
  }

  private caseHandlers() {
    return {
      getAppInfo: async () => ({
        version: APP_VERSION,
        host: this.options.host,
        platform: platform(),
        dataDir: appDataDir(),
        case: this.hasCase ? await this.case.info() : null,
        capabilities: { nativeDialogs: false, filePaths: false, uploads: false, ...this.options.capabilities },
      }),
      createCase: async ({ dir, name }) => this.useCase(dir ?? defaultNewCaseDir(name), { mode: 'create', name }),
      openCase: async ({ dir }) => this.useCase(dir, { mode: 'open' }),
      closeCase: async () => {
        await this.imports.stopAll();
        await this.live.detach();
        await this.queries.drain();
        await this.current?.settle();
        return { closed: this.closeCase() };
      },
      getCaseInfo: async () => this.case.info(),
      listRecentCases: async () => listRecentCases(),
      pickPaths: async () => {
        throw new LoupeError('UNSUPPORTED', 'This host has no native file dialog; type or paste a path instead');
      },
    } satisfies Partial<Handlers>;
  }
}

function defaultNewCaseDir(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'case';
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return join(appDataDir(), 'cases', `${slug}-${stamp}`);
}
