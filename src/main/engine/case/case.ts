import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { CaseInfo } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import { queryValue } from '../db/sql';
import { CASE_FILE, DB_FILE, readCaseManifest, writeCaseManifest, type CaseManifest } from './case-file';
import { acquireCaseLock } from './lock';
import { currentVersion, migrate, SCHEMA_VERSION } from './migrations';

export const APP_VERSION = process.env.LOUPE_VERSION ?? '0.1.0';

/** The methods of a connection and of a prepared statement that run a statement (watch follows them). */
const CONNECTION_RUNNERS = ['run', 'runAndRead', 'runAndReadAll', 'runAndReadUntil', 'stream', 'streamAndRead', 'streamAndReadAll', 'streamAndReadUntil', 'start', 'startStream', 'startThenRead', 'startThenReadAll', 'startThenReadUntil', 'startStreamThenRead', 'startStreamThenReadAll', 'startStreamThenReadUntil'] as const;
const STATEMENT_RUNNERS = ['run', 'runAndRead', 'runAndReadAll', 'runAndReadUntil', 'stream', 'streamAndRead', 'streamAndReadAll', 'streamAndReadUntil'] as const;

/**
 * An open case: its folder, its DuckDB database and the lock that keeps a
 * second process out. Everything that reads or writes a case goes through
 * one of these; close() releases the file so another process can open it.
 */
export class Case {
  private readonly connections = new Set<DuckDBConnection>();
  /** Statements running on each connection (see watch). */
  private readonly running = new Map<DuckDBConnection, Set<Promise<unknown>>>();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly manifest: CaseManifest,
    private readonly instance: DuckDBInstance,
    /** The connection for short statements; long work takes its own via connect(). */
    readonly conn: DuckDBConnection,
    private readonly releaseLock: () => void,
  ) {
    this.connections.add(this.watch(conn));
  }

  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }

  /** A fresh connection for work that must be interruptible on its own (imports, searches). */
  async connect(): Promise<DuckDBConnection> {
    this.assertOpen();
    const c = this.watch(await this.instance.connect());
    this.connections.add(c);
    return c;
  }

  /** Give a connection back; one still running a statement is interrupted and closed once it ends. */
  release(conn: DuckDBConnection): void {
    if (conn === this.conn) return;
    this.connections.delete(conn);
    this.closeWhenIdle(conn);
  }

  /**
   * Interrupt whatever still runs on the case's connections and wait for it
   * to end (at most `ms`), so close() closes idle connections only. Hosts
   * call it before closing: a request may have started a query just before.
   */
  async settle(ms = 5000): Promise<void> {
    const pending = this.interruptRunning();
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /** Interrupt every connection running a statement; the statements still running (to wait for). */
  private interruptRunning(): Promise<unknown>[] {
    const pending: Promise<unknown>[] = [];
    for (const [conn, set] of this.running) {
      if (set.size === 0) continue;
      conn.interrupt();
      pending.push(...set);
    }
    return pending;
  }

  /**
   * Follow the statements a connection runs. Closing a connection under a
   * running statement deadlocks the DuckDB thread running it for good (its
   * last reference to the connection's context goes while it holds that
   * context's lock), and that thread then keeps the process from exiting.
   */
  private watch(conn: DuckDBConnection): DuckDBConnection {
    const set = new Set<Promise<unknown>>();
    this.running.set(conn, set);
    const follow = (p: Promise<unknown>): Promise<unknown> => {
      set.add(p);
      const done = (): void => void set.delete(p);
      p.then(done, done);
      return p;
    };
    const wrap = (target: object, names: readonly string[], then?: (value: unknown) => unknown): void => {
      const t = target as Record<string, unknown>;
      for (const name of names) {
        const fn = t[name];
        if (typeof fn !== 'function') continue;
        t[name] = (...args: unknown[]): Promise<unknown> => {
          // Nothing new starts once the case is closing: its connections may be on their way out.
          if (this.closed) return Promise.reject(new LoupeError('NO_CASE_OPEN', 'The case is closed'));
          const p = follow((fn as (...a: unknown[]) => Promise<unknown>).apply(target, args));
          return then ? p.then(then) : p;
        };
      }
    };
    wrap(conn, CONNECTION_RUNNERS);
    // A prepared statement runs on its connection too.
    wrap(conn, ['prepare'], (statement) => {
      wrap(statement as object, STATEMENT_RUNNERS);
      return statement;
    });
    return conn;
  }

  /** Close a connection now if nothing runs on it, else interrupt that and close it once it ended. */
  private closeWhenIdle(conn: DuckDBConnection): void {
    const set = this.running.get(conn);
    // Followed until closed: close() waits for its statement before closing the database.
    const close = (): void => {
      this.running.delete(conn);
      try {
        conn.closeSync();
      } catch {
        // already closed by its user
      }
    };
    if (!set || set.size === 0) return close();
    conn.interrupt();
    void Promise.allSettled([...set]).then(close);
  }

  async info(): Promise<CaseInfo> {
    this.assertOpen();
    const events = Number((await queryValue<number>(this.conn, 'SELECT count(*) FROM events')) ?? 0);
    const evidence = Number((await queryValue<number>(this.conn, 'SELECT count(*) FROM evidence')) ?? 0);
    return {
      dir: this.dir,
      id: this.manifest.id,
      name: this.manifest.name,
      schemaVersion: this.manifest.schemaVersion,
      createdAt: this.manifest.createdAt,
      events,
      evidence,
      sizeBytes: folderBytes(this.dir),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const finish = (): void => {
      for (const c of this.connections) this.closeWhenIdle(c);
      this.connections.clear();
      this.instance.closeSync();
      this.releaseLock();
    };
    // Closing the database closes its connections too: not under a running statement.
    // What runs is interrupted, and the database (and the case's lock) goes once it ended.
    const pending = this.interruptRunning();
    if (pending.length === 0) return finish();
    void Promise.allSettled(pending).then(finish);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new LoupeError('NO_CASE_OPEN', 'The case is closed');
  }

  /** Create a new case in `dir` (which must be missing or empty) and open it. */
  static async create(dir: string, name?: string): Promise<Case> {
    const abs = resolve(dir);
    if (existsSync(abs)) {
      if (existsSync(join(abs, CASE_FILE))) throw new LoupeError('BAD_INPUT', `${abs} already holds a case; open it instead`);
      if (!statSync(abs).isDirectory()) throw new LoupeError('BAD_INPUT', `${abs} is a file, not a folder`);
      if (readdirSync(abs).length > 0) throw new LoupeError('BAD_INPUT', `${abs} is not empty; a new case needs an empty or new folder`);
    }
    mkdirSync(join(abs, 'tmp'), { recursive: true });
    const manifest: CaseManifest = {
      format: 'loupe-case',
      schemaVersion: SCHEMA_VERSION,
      id: randomUUID(),
      name: name?.trim() || basename(abs),
      createdAt: new Date().toISOString(),
      appVersion: APP_VERSION,
    };
    writeCaseManifest(abs, manifest);
    return Case.open(abs);
  }

  /** Open an existing case, upgrading its schema when it is older than this Loupe. */
  static async open(dir: string): Promise<Case> {
    const abs = resolve(dir);
    const manifest = readCaseManifest(abs);
    if (manifest.schemaVersion > SCHEMA_VERSION) {
      throw new LoupeError(
        'CASE_TOO_NEW',
        `The case ${abs} was written by a newer Loupe (schema ${manifest.schemaVersion}; this one reads up to ${SCHEMA_VERSION}). Upgrade Loupe to open it.`,
      );
    }
    const releaseLock = acquireCaseLock(abs);
    let instance: DuckDBInstance | undefined;
    try {
      mkdirSync(join(abs, 'tmp'), { recursive: true });
      instance = await openDatabase(join(abs, DB_FILE), join(abs, 'tmp'));
      const conn = await instance.connect();
      const from = await currentVersion(conn);
      if (from > SCHEMA_VERSION) {
        throw new LoupeError('CASE_TOO_NEW', `The database of ${abs} is at schema ${from}, newer than this Loupe (${SCHEMA_VERSION})`);
      }
      const to = await migrate(conn, from);
      const upgraded = { ...manifest, schemaVersion: to };
      if (to !== manifest.schemaVersion) writeCaseManifest(abs, upgraded);
      return new Case(abs, upgraded, instance, conn, releaseLock);
    } catch (e) {
      instance?.closeSync();
      releaseLock();
      throw e;
    }
  }

  /** Open the case in `dir`, creating it first when the folder is missing or empty. */
  static async openOrCreate(dir: string, name?: string): Promise<Case> {
    const abs = resolve(dir);
    const empty = !existsSync(abs) || (statSync(abs).isDirectory() && readdirSync(abs).length === 0);
    return empty ? Case.create(abs, name) : Case.open(abs);
  }
}

/**
 * The storage format a new case file is written in. DuckDB writes its oldest
 * readable format unless told otherwise, and that format has no zstd: the raw
 * text of events (migration 8) would then be stored uncompressed. The DuckDB
 * that Loupe ships reads it; a case file is not meant for other tools.
 */
export const CASE_STORAGE_VERSION = 'v1.5.0';

/**
 * DuckDB's allocator gives freed memory back to the system sooner than by
 * default (after any task that peaked past 32 MiB instead of 128 MiB, and
 * from background threads): an analyst's laptop runs other tools beside it.
 * Measured on `loupe import` of a 2 GB syslog file, whose Sigma run after the
 * import is where the peak falls: 1.08-1.37 GB peak RSS in six runs at the
 * defaults, 1.09-1.19 GB in five runs so; the import's own speed unchanged.
 */
const ALLOCATOR = { allocator_flush_threshold: '32MiB', allocator_background_threads: 'true' };

async function openDatabase(file: string, tmp: string): Promise<DuckDBInstance> {
  try {
    // Spill to the case's own tmp folder: big sorts and joins never write outside the case.
    // An existing file keeps the format it was written in.
    const fresh = !existsSync(file);
    return await DuckDBInstance.create(file, { temp_directory: tmp, ...ALLOCATOR, ...(fresh ? { storage_compatibility_version: CASE_STORAGE_VERSION } : {}) });
  } catch (e) {
    const msg = (e as Error).message;
    if (/lock/i.test(msg)) throw new LoupeError('CASE_LOCKED', `The case database is in use by another program: ${msg.split('\n')[0]}`);
    throw new LoupeError('IO_ERROR', `Cannot open the case database ${file}: ${msg.split('\n')[0]}`);
  }
}

function folderBytes(dir: string): number {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else if (entry.isFile()) total += statSync(p).size;
    }
  }
  return total;
}
