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

/**
 * An open case: its folder, its DuckDB database and the lock that keeps a
 * second process out. Everything that reads or writes a case goes through
 * one of these; close() releases the file so another process can open it.
 */
export class Case {
  private readonly connections = new Set<DuckDBConnection>();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly manifest: CaseManifest,
    private readonly instance: DuckDBInstance,
    /** The connection for short statements; long work takes its own via connect(). */
    readonly conn: DuckDBConnection,
    private readonly releaseLock: () => void,
  ) {
    this.connections.add(conn);
  }

  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }

  /** A fresh connection for work that must be interruptible on its own (imports, searches). */
  async connect(): Promise<DuckDBConnection> {
    this.assertOpen();
    const c = await this.instance.connect();
    this.connections.add(c);
    return c;
  }

  release(conn: DuckDBConnection): void {
    if (conn === this.conn) return;
    this.connections.delete(conn);
    conn.closeSync();
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
    for (const c of this.connections) {
      try {
        c.closeSync();
      } catch {
        // already closed by its user; closing the rest matters more
      }
    }
    this.connections.clear();
    this.instance.closeSync();
    this.releaseLock();
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
