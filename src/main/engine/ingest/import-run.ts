import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EvidenceStatus, ImportFileProgress, ImportProgress, ImportSummary } from '@shared/contract';
import { LoupeError } from '@shared/errors';
import type { Case } from '../case/case';
import { readTar } from './archive/tar';
import { readZip } from './archive/zip';
import { gunzipHead, gunzipStream, readGzipMember } from './archive/gzip';
import { abortError, ArchiveBombError, ByteBudget, formatBytes } from './archive/guard';
import type { ArchiveItem } from './archive/types';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sqlString } from './core-sql';
import {
  deleteEvidenceData,
  deleteEvidenceRows,
  evidenceExists,
  findDuplicate,
  finishImport,
  getEvidence,
  importedKeys,
  insertEvidence,
  insertIngestError,
  updateEvidence,
  withDescendants,
  type EvidencePatch,
} from './evidence-store';
import { eventWrites, type EventWrites } from './event-writes';
import { diskHasRoom, readHead, sha256File, transcodeToUtf8 } from './file-utils';
import { FORMATS, isLineFormat, sniffFormat, SNIFF_BYTES, zeekPathFromFileName, type FormatName, type JsonFamily, type SniffResult } from './format-support';
import { loadJsonWithDuckDB, type JsonHalves, type JsonLoadRequest, type JsonLoadResult, type JsonShape } from './json-loader';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';
import { firstLineLonger, unwrapJsonArray } from './json-unwrap';
import { splitNdjsonInHalves } from './ndjson-halves';
import type { ParseWorkers } from './parse-workers';
import { heldCounts, mismatch, reconciledState, type HeldCounts } from './reconcile';
import { StageLoader, removeChunkFiles } from './stage-loader';
import { SourceTables } from './source-tables';
import type { IngestSettings } from './settings';
import { walkFolder } from './walk';
import { readEvtxNdjson, type EvtxIssue } from '../evtx';
import { loadZeekWithDuckDB } from './zeek-loader';
import type { ParseMode } from './worker-protocol';

export interface RunRequest {
  importId: number;
  paths: string[];
  labels?: (string | null)[];
  tz?: string;
  format?: FormatName;
  force?: boolean;
  /** Evidence to read again in place (resume, or another format / zone). */
  reimport?: number[];
}

/** A file to import: an original on disk, or an archive member extracted under tmp/. */
interface Node {
  file: string;
  label: string;
  origin: string;
  member: string | null;
  parentId: number | null;
  /** Archives around it. */
  depth: number;
  size: number;
  mtime: string | null;
  /** Known for extracted members (hashed while extracted). */
  sha256: string | null;
  /** The member could only be read in part. */
  problem: string | null;
  reuseId?: number;
  format?: FormatName;
  tz?: string | null;
}

/** Record counts of one file as a loader reports them. */
interface Counts {
  seen: number;
  stored: number;
  rejected: number;
  warnings: number;
  /** Input bytes read. */
  bytes?: number;
}

/** A file's evidence row: `start` writes it as `importing` (inside a loader's transaction); `inDb` once that committed. */
interface EvidenceRow {
  id: number;
  inDb: boolean;
  start: () => Promise<void>;
}

/** Warnings kept per EVTX file beyond its rejected records (a shredded file reports thousands). */
const MAX_EVTX_ISSUES = 10_000;
/**
 * DuckDB's checkpoint threshold while a big file loads in bulk (read_json,
 * read_csv). A COMMIT that would take the write-ahead log past the threshold
 * checkpoints instead, writing the rows into the database file once; under
 * the default 16 MB a bulk load's field table went into the log and then into
 * the file again at the next checkpoint (OTRF LSASS, 42k rows: a 270 ms
 * COMMIT and a 120 ms checkpoint later, against one 230 ms COMMIT).
 */
const BULK_CHECKPOINT_THRESHOLD = '1MB';
/**
 * ...for files of at least this size. Smaller ones gain nothing (17 files of
 * 5 MB: the same time and case size either way), and a checkpoint per file
 * costs where there are many: 1,000 small files with a field table each took
 * 47 s against 30 s.
 */
const BULK_MIN_BYTES = 16 * 1024 * 1024;

const JSON_SHAPES: Partial<Record<FormatName, JsonShape>> = {
  'json-array': 'array',
  ndjson: 'ndjson',
  'json-concat': 'concat',
  'suricata-eve': 'ndjson',
  'zeek-json': 'ndjson',
};

/**
 * One import run: walks the inputs, opens archives, sniffs each file, loads
 * it through DuckDB's JSON reader or the parse workers, and keeps the
 * evidence manifest and the pushed progress current. Files are taken one
 * after another (parsing of one file is pipelined with loading it); each
 * ends `imported`, `incomplete` (read in part), `failed` (with why),
 * `skipped-duplicate` or `cancelled`, never half-visible.
 */
export class ImportRun {
  private conn!: DuckDBConnection;
  /** Shared with every writer of the case (live sources too): see event-writes.ts. */
  private readonly writes: EventWrites;
  private readonly ids: { next: number };
  private firstEventId: number | null = null;
  private readonly files = new Map<number, ImportFileProgress>();
  private readonly order: number[] = [];
  private readonly started = performance.now();
  private state: ImportProgress['state'] = 'running';
  private message: string | null = null;
  private totalBytes = 0;
  private doneBytes = 0;
  private currentTopBytes = 0;
  private lastEmit = 0;
  private budget: ByteBudget;
  private tmpDir: string;
  private tmpCounter = 0;
  private readonly imported: number[] = [];
  /** The files (not archives) this run read, checked against the case at its end (reconcileFiles). */
  private readonly leaves = new Map<number, EvidenceRow>();
  private tables!: SourceTables;
  /** `kind:size` of imported evidence: a file hashes before loading only when one of its size exists. */
  private importedSizes = new Set<string>();
  /** `kind:sha256` of imported evidence: only a hash among them is looked up as a duplicate. */
  private importedHashes = new Set<string>();
  private threads: number | 'default' = 'default';
  /** Why a Zeek file left DuckDB's reader, added to its format reason by the JS path. */
  private readonly zeekFallbackReason = new Map<number, string>();

  constructor(
    private readonly kase: Case,
    private readonly req: RunRequest,
    private readonly settings: IngestSettings,
    private readonly workers: ParseWorkers,
    private readonly emit: (p: ImportProgress) => void,
    private readonly signal: AbortSignal,
  ) {
    this.budget = new ByteBudget(settings.limits.maxTotalBytes);
    this.tmpDir = join(kase.tmpDir, `import-${req.importId}`);
    this.writes = eventWrites(kase);
    this.ids = this.writes.ids;
  }

  get importId(): number {
    return this.req.importId;
  }

  /** The evidence this run imported (whole or in part), for the post-import hooks. */
  get importedEvidence(): number[] {
    return [...this.imported];
  }

  get firstNewEventId(): number | null {
    return this.firstEventId;
  }

  /**
   * Append events while no other writer of the case does (ids stay in commit
   * order). `bulkBytes`: the size of a file DuckDB's own reader loads whole;
   * a big one (BULK_MIN_BYTES, and never sharing a field table) commits with
   * BULK_CHECKPOINT_THRESHOLD.
   */
  private writeEvents<T>(fn: () => Promise<T>, bulkBytes?: number): Promise<T> {
    return this.writes.exclusive(async () => {
      const before = this.ids.next;
      try {
        if (bulkBytes !== undefined && bulkBytes >= BULK_MIN_BYTES && !this.tables.shares(bulkBytes)) return await this.writes.withBulkThreshold(this.conn, BULK_CHECKPOINT_THRESHOLD, fn);
        return await fn();
      } finally {
        if (this.firstEventId === null && this.ids.next > before) this.firstEventId = before;
      }
    });
  }

  async execute(): Promise<ImportSummary> {
    mkdirSync(this.tmpDir, { recursive: true });
    this.conn = await this.kase.connect();
    try {
      await this.conn.run(`SET memory_limit = ${sqlString(this.settings.memoryLimit)}`);
      await this.conn.run(`UPDATE imports SET status = 'running' WHERE id = $id`, { id: this.req.importId });
      await this.writes.init(this.conn);
      this.tables = await SourceTables.load(this.conn, { shareMaxBytes: this.settings.shareMaxBytes, sharedMaxColumns: this.settings.sharedMaxColumns });
      ({ sizes: this.importedSizes, hashes: this.importedHashes } = await importedKeys(this.conn));
      if (this.req.reimport) await this.runReimport(this.req.reimport);
      else await this.runPaths();
      this.state = this.signal.aborted ? 'cancelled' : 'finished';
    } catch (e) {
      if (isAbort(e) || this.signal.aborted) this.state = 'cancelled';
      else {
        this.state = 'failed';
        this.message = e instanceof Error ? e.message : String(e);
      }
    } finally {
      try {
        if (!this.kase.isClosed) await this.reconcileFiles();
      } catch {
        // only the case closing under us gets here (reconcileFiles catches the rest)
      }
      try {
        if (!this.kase.isClosed) await finishImport(this.conn, this.req.importId, this.state);
      } catch {
        // the case went away under us; its next open marks the run interrupted
      }
      try {
        // DuckDB's thread count is the database's, not this connection's: one
        // thread left behind made the rule run after an import, and every
        // search until the case closed, run on one core.
        if (!this.kase.isClosed) await this.setThreads('default');
      } catch {
        // the case went away under us
      }
      if (!this.kase.isClosed) this.kase.release(this.conn);
      rmSync(this.tmpDir, { recursive: true, force: true });
      // A file the run stopped in is not imported, whatever its counters say; the case
      // marks it incomplete when it is next opened (committed chunks), or holds nothing of it.
      for (const f of this.files.values()) {
        if (f.status !== 'importing') continue;
        const why = this.state === 'cancelled' ? 'cancelled by the analyst' : `the import stopped: ${this.message ?? 'unknown error'}`;
        Object.assign(f, { status: f.stored > 0 ? 'incomplete' : 'failed', message: why });
      }
    }
    this.emitNow();
    return this.summary();
  }

  // ------------------------------------------------------------------ inputs

  private async runPaths(): Promise<void> {
    // List everything first: the overall progress bar needs the total.
    const tops: Array<{ path: string; label: string } | { refused: string; label: string; reason: string }> = [];
    this.req.paths.forEach((p, i) => {
      const abs = resolve(p);
      const label = this.req.labels?.[i] ?? abs;
      const st = statSync(abs);
      if (st.isDirectory()) {
        for (const item of walkFolder(abs)) {
          const rel = item.path.slice(abs.length);
          if (item.type === 'file') tops.push({ path: item.path, label: label + rel });
          else tops.push({ refused: item.path, label: label + rel, reason: item.reason });
        }
      } else tops.push({ path: abs, label });
    });
    for (const t of tops) if ('path' in t) this.totalBytes += safeSize(t.path);
    for (const t of tops) {
      if (this.signal.aborted) throw abortError();
      if ('refused' in t) {
        await this.recordRefused(t.label, t.refused, null, null, t.reason, null, 0);
        continue;
      }
      const st = statSync(t.path);
      this.currentTopBytes = 0;
      await this.processNode({
        file: t.path,
        label: t.label,
        origin: t.path,
        member: null,
        parentId: null,
        depth: 0,
        size: st.size,
        mtime: st.mtime.toISOString(),
        sha256: null,
        problem: null,
        ...(this.req.format ? { format: this.req.format } : {}),
        tz: this.req.tz ?? null,
      });
      this.doneBytes += st.size;
      this.currentTopBytes = 0;
    }
  }

  private async runReimport(ids: number[]): Promise<void> {
    for (const id of ids) {
      if (this.signal.aborted) throw abortError();
      const ev = await getEvidence(this.conn, id);
      if (!ev) throw new LoupeError('NOT_FOUND', `No evidence #${id} in this case`);
      const origin = ev.origin;
      const tz = this.req.tz ?? ev.tz;
      const format = (this.req.format ?? (ev.formatForced ? (ev.format as FormatName | null) : null)) ?? undefined;
      // Start from nothing: the evidence's rows, and for an archive its members.
      const below = (await withDescendants(this.conn, [id])).filter((x) => x !== id);
      const dropped = await this.inTransaction(async () => {
        const tables: string[] = [];
        for (const x of [id, ...below]) tables.push(...(await deleteEvidenceData(this.conn, x)));
        await deleteEvidenceRows(this.conn, below);
        return tables;
      });
      this.tables.forget(dropped);
      if (!origin || !existsFile(origin)) {
        await updateEvidence(this.conn, id, { status: 'failed', message: `The original file is no longer at ${origin ?? '(unknown)'}: it cannot be read again`, importId: this.req.importId });
        this.track(id, { path: ev.path, kind: ev.kind, parentId: ev.parentId, status: 'failed', message: 'original file missing' });
        continue;
      }
      const st = statSync(origin);
      this.totalBytes += st.size;
      const base = { label: ev.path, origin, parentId: ev.parentId, mtime: ev.mtime, problem: null, reuseId: id, tz, ...(format ? { format } : {}) };
      if (!ev.member) {
        await this.processNode({ ...base, file: origin, member: null, depth: 0, size: st.size, sha256: null });
      } else {
        const chain = ev.member.split('!');
        const found = await this.findMember(origin, chain, 0);
        if (!found) {
          await updateEvidence(this.conn, id, { status: 'failed', message: `"${ev.member}" is no longer in ${origin}`, importId: this.req.importId });
          this.track(id, { path: ev.path, kind: ev.kind, parentId: ev.parentId, status: 'failed', message: 'member missing' });
          continue;
        }
        try {
          await this.processNode({ ...base, file: found.file, member: ev.member, depth: chain.length, size: found.size, sha256: found.sha256, problem: found.problem });
        } finally {
          rmSync(found.file, { force: true });
        }
      }
      this.doneBytes += st.size;
    }
  }

  /** Extract one member (by its chain of names) from an archive, for a re-read. */
  private async findMember(file: string, chain: string[], depth: number): Promise<{ file: string; size: number; sha256: string; problem: string | null } | null> {
    const [first, ...rest] = chain;
    if (first === undefined || depth > this.settings.limits.maxDepth) return null;
    const sniff = sniffFormat(readHead(file, SNIFF_BYTES), basename(file));
    for await (const item of this.openContainer(file, sniff.format, basename(file))) {
      if (item.type !== 'member') continue;
      if (item.name !== first) {
        rmSync(item.file, { force: true });
        continue;
      }
      if (rest.length === 0) return item;
      try {
        return await this.findMember(item.file, rest, depth + 1);
      } finally {
        rmSync(item.file, { force: true });
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ one file

  private async processNode(node: Node): Promise<void> {
    if (this.signal.aborted) throw abortError();
    const id = node.reuseId ?? this.writes.takeEvidenceId();
    const t0 = performance.now();
    // Sniffed before the manifest row is written, so the row is written once with its format.
    let sniff: SniffResult | null = null;
    let unreadable: string | null = null;
    /** The whole file, when it fits in the sniffed head: hashed from memory, not read again. */
    let whole: Buffer | null = null;
    try {
      const head = readHead(node.file, SNIFF_BYTES);
      if (head.length === node.size && head.length < SNIFF_BYTES) whole = head;
      sniff = sniffFormat(head, basename(node.member ? (node.member.split('!').pop() ?? node.label) : node.label));
    } catch (e) {
      unreadable = `cannot be read: ${e instanceof Error ? e.message : String(e)}`;
    }
    const container = sniff !== null && (sniff.format === 'zip' || sniff.format === 'gzip' || sniff.format === 'tar');
    const forced = sniff !== null && !container && node.format !== undefined;
    const format: FormatName | null = sniff === null ? null : forced ? (node.format as FormatName) : sniff.format;
    const kind = container ? ('container' as const) : ('file' as const);
    const formatFacts = {
      format,
      formatConfidence: sniff === null ? null : forced ? 1 : sniff.confidence,
      formatReason: sniff === null ? null : forced ? 'chosen by the analyst' : sniff.reason,
      formatForced: forced,
      encoding: container || sniff === null ? null : sniff.encoding,
    };
    const reuse = node.reuseId !== undefined;
    let sha = node.sha256 ?? (whole ? createHash('sha256').update(whole).digest('hex') : null);
    const startedAt = new Date().toISOString();
    /**
     * The evidence row as a file starts: written by the loader inside its
     * first transaction, so a small file (one transaction) costs one commit
     * and is in the case whole or not at all; a file of several chunks has
     * its row `importing` from the first committed chunk on.
     */
    const ev: EvidenceRow = {
      id,
      inDb: reuse,
      start: async () => {
        if (reuse) {
          await updateEvidence(this.conn, id, {
            status: 'importing',
            importId: this.req.importId,
            seen: 0,
            stored: 0,
            rejected: 0,
            warnings: 0,
            bytesRead: 0,
            message: null,
            tz: node.tz ?? null,
            startedAt,
            finishedAt: null,
            size: node.size,
            kind,
            ...formatFacts,
            ...(sha ? { sha256: sha } : {}),
          });
        } else {
          await insertEvidence(this.conn, {
            id,
            parentId: node.parentId,
            importId: this.req.importId,
            path: node.label,
            origin: node.origin,
            member: node.member,
            kind,
            sha256: sha,
            size: node.size,
            mtime: node.mtime,
            tz: node.tz ?? null,
            status: 'importing',
            startedAt,
            ...formatFacts,
          });
        }
      },
    };
    const fp = this.track(id, { path: node.label, kind, parentId: node.parentId, status: 'importing', totalBytes: node.size, format, confidence: formatFacts.formatConfidence, formatReason: formatFacts.formatReason });
    let hashing: Promise<string> | null = null;
    /** The evidence's final state as one patch: status, counts, hash, time range. */
    const finalPatch = async (status: EvidenceStatus, patch: EvidencePatch = {}): Promise<EvidencePatch> => {
      const seconds = (performance.now() - t0) / 1000;
      const hashed = hashing ? await hashing.catch(() => null) : undefined;
      const withEvents = kind === 'file' && (status === 'imported' || status === 'incomplete');
      return { ...patch, status, finishedAt: new Date().toISOString(), seconds, ...(hashed ? { sha256: hashed } : {}), ...(withEvents ? { timeRange: true } : {}) };
    };
    /** The progress entry (and the summary) take the state the case now holds. */
    const settle = (status: EvidenceStatus, patch: EvidencePatch): void => {
      const counts = { seen: patch.seen ?? fp.seen, stored: patch.stored ?? fp.stored, rejected: patch.rejected ?? fp.rejected, warnings: patch.warnings ?? fp.warnings };
      Object.assign(fp, counts, { status, seconds: patch.seconds ?? (performance.now() - t0) / 1000, message: patch.message ?? fp.message });
      if (kind === 'file' && (status === 'imported' || status === 'incomplete')) this.imported.push(id);
      if (status === 'imported') {
        this.importedSizes.add(`${kind}:${node.size}`);
        const hash = patch.sha256 ?? sha;
        if (hash) this.importedHashes.add(`${kind}:${hash}`);
      }
      this.emitSoon(true);
    };
    /** Final state outside any loader: the row is inserted first if no transaction of this file wrote it. */
    const finish = async (status: EvidenceStatus, patch: EvidencePatch = {}): Promise<void> => {
      const full = await finalPatch(status, patch);
      await this.inTransaction(async () => {
        if (!ev.inDb && !(await evidenceExists(this.conn, id))) await ev.start();
        await updateEvidence(this.conn, id, full);
      });
      ev.inDb = true;
      settle(status, full);
    };

    try {
      if (sniff === null || format === null) {
        await finish('failed', { message: unreadable ?? 'cannot be read' });
        return;
      }
      // Same content imported before? Hash first only when a file of the same size exists;
      // otherwise hash while loading.
      const mayBeDuplicate = !this.req.force && !reuse && (sha !== null || this.importedSizes.has(`${kind}:${node.size}`));
      if (sha === null && mayBeDuplicate) sha = await sha256File(node.file, this.signal);
      else if (sha === null) hashing = sha256File(node.file, this.signal);
      if (mayBeDuplicate && sha !== null && this.importedHashes.has(`${kind}:${sha}`)) {
        const dup = await findDuplicate(this.conn, sha, kind);
        if (dup && dup.id !== id) {
          await finish('skipped-duplicate', { message: `same content (SHA-256) as evidence #${dup.id}, ${dup.path}, imported before: skipped (import with force to read it again)` });
          return;
        }
      }
      if (container) {
        // Members point at their archive: its row is there before them.
        await this.inTransaction(() => ev.start());
        ev.inDb = true;
        await this.processContainer(node, id, sniff, finish);
      } else {
        const outcome = await this.processLeaf(node, id, format, sniff, fp, ev, finalPatch);
        if (outcome.done) settle(outcome.status, outcome.patch);
        else await finish(outcome.status, outcome.patch);
      }
    } catch (e) {
      await hashing?.catch(() => null);
      if (isAbort(e) || this.signal.aborted) {
        await this.cancelEvidence(ev, (performance.now() - t0) / 1000);
        Object.assign(fp, { status: 'cancelled', seen: 0, stored: 0, rejected: 0, warnings: 0, seconds: (performance.now() - t0) / 1000, message: 'cancelled by the analyst: nothing of it was kept' });
        throw abortError();
      }
      if (this.kase.isClosed) throw e;
      // Nothing of a failed file stays, and its counts say so: seen = stored + rejected = 0.
      const why = `could not be imported: ${errorText(e)}`;
      try {
        await this.deleteData(id);
        await finish('failed', { message: why, seen: 0, stored: 0, rejected: 0, warnings: 0, bytesRead: 0 });
      } catch (e2) {
        // The case refused the clean-up too (DuckDB out of memory): the file is failed in the
        // summary whatever the case says, and the check below reports what the case holds of it.
        Object.assign(fp, { status: 'failed', seen: 0, stored: 0, rejected: 0, warnings: 0, message: `${why}; then: ${errorText(e2)}` });
        if (this.kase.isClosed) throw e2;
      }
    }
    if (kind === 'file') this.leaves.set(id, ev);
  }

  /**
   * Every file of the run checked against what the case holds (reconcile.ts):
   * rows counted in the tables, not taken from the loaders' counters. A file
   * whose rows did not all land is never reported imported: its rows are
   * deleted and it is marked failed with the reason, or, when the case
   * refuses even that, marked as what it holds (incomplete, for the analyst
   * to reimport or remove). The summary's counts are the case's.
   */
  private async reconcileFiles(): Promise<void> {
    const ids = [...this.leaves.keys()];
    let held: Map<number, HeldCounts> | null = null;
    let unreadable: string | null = null;
    try {
      held = await heldCounts(this.conn, ids);
    } catch (e) {
      unreadable = `its rows could not be counted: ${errorText(e)}`;
    }
    for (const [id, ev] of this.leaves) {
      const fp = this.files.get(id);
      if (!fp) continue;
      const h = held?.get(id) ?? null;
      const why = h ? mismatch(h) : unreadable;
      if (why === null && h) Object.assign(fp, { status: h.status, seen: h.seen, stored: h.stored, rejected: h.rejected });
      else await this.failUnreconciled(ev, fp, h, why ?? 'not counted');
    }
  }

  private async failUnreconciled(ev: EvidenceRow, fp: ImportFileProgress, held: HeldCounts | null, why: string): Promise<void> {
    const id = ev.id;
    const failedBefore = fp.status === 'failed' && typeof fp.message === 'string' ? `${fp.message}; ` : '';
    const dropImported = (): void => {
      const at = this.imported.indexOf(id);
      if (at >= 0) this.imported.splice(at, 1);
    };
    try {
      await this.deleteData(id);
      const patch: EvidencePatch = { status: 'failed', seen: 0, stored: 0, rejected: 0, warnings: 0, message: `${failedBefore}could not be imported: ${why}`, finishedAt: new Date().toISOString() };
      await this.inTransaction(async () => {
        if (!(await evidenceExists(this.conn, id))) await ev.start();
        await updateEvidence(this.conn, id, patch);
      });
      Object.assign(fp, { status: 'failed', seen: 0, stored: 0, rejected: 0, warnings: 0, message: patch.message });
      dropImported();
    } catch (e) {
      const state = held ? reconciledState(held, `${why}; its rows could not be deleted: ${errorText(e)}`) : null;
      if (state) {
        await updateEvidence(this.conn, id, state).catch(() => undefined);
        Object.assign(fp, state);
        if (state.status === 'failed') dropImported();
      } else {
        Object.assign(fp, { status: 'failed', message: `${failedBefore}not verified: ${why}; ${errorText(e)}` });
        dropImported();
      }
    }
    this.emitSoon(true);
  }

  /** One transaction around `fn` (its statements commit together, with one WAL flush). */
  private async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.conn.run('COMMIT');
      return out;
    } catch (e) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** What an evidence put in the case, deleted in one transaction; the table cache forgets dropped tables. */
  private async deleteData(id: number): Promise<void> {
    const dropped = await this.inTransaction(() => deleteEvidenceData(this.conn, id));
    this.tables.forget(dropped);
  }

  /**
   * Load one file. `done`: the loader wrote the evidence's final state in
   * its last transaction (the usual case); otherwise the caller writes it.
   */
  private async processLeaf(
    node: Node,
    id: number,
    format: FormatName,
    sniff: SniffResult,
    fp: ImportFileProgress,
    ev: EvidenceRow,
    finalPatch: (status: EvidenceStatus, patch?: EvidencePatch) => Promise<EvidencePatch>,
  ): Promise<{ done: boolean; status: EvidenceStatus; patch: EvidencePatch }> {
    if (format === 'binary') return { done: false, status: 'failed', patch: { message: `not a log Loupe can read: ${sniff.reason}` } };
    const problem = node.problem;
    const status: EvidenceStatus = problem ? 'incomplete' : 'imported';
    /** What the analyst reads beside the counts: the member's damage, or a chosen format that read nothing. */
    const messageFor = (c: Counts): string | null =>
      problem ??
      (format !== sniff.format && c.stored === 0 && c.rejected > 0
        ? `none of its ${c.rejected.toLocaleString('en-US')} records reads as ${format}, the format chosen for it; its content looks like ${sniff.format} (${sniff.reason})`
        : null);
    let written: EvidencePatch | null = null;
    /** The final state, written inside the loader's last transaction. */
    const final = async (c: Counts): Promise<void> => {
      let warnings = c.warnings;
      if (problem) {
        await insertIngestError(this.conn, { evidenceId: id, pos: null, posKind: null, kind: 'warning', reason: problem, excerpt: null });
        warnings++;
      }
      const patch = await finalPatch(status, { seen: c.seen, stored: c.stored, rejected: c.rejected, warnings, bytesRead: c.bytes ?? node.size, message: messageFor(c) });
      await updateEvidence(this.conn, id, patch);
      written = patch;
    };
    const loaded = async (c: Counts): Promise<{ done: boolean; status: EvidenceStatus; patch: EvidencePatch }> => {
      ev.inDb = true;
      fp.bytes = node.size;
      if (written) return { done: true, status, patch: written };
      // The loader did not write the final state (it could not know its last chunk): write it now.
      return { done: false, status, patch: { seen: c.seen, stored: c.stored, rejected: c.rejected, warnings: c.warnings + (problem ? 1 : 0), bytesRead: c.bytes ?? node.size, message: messageFor(c) } };
    };

    if (format === 'evtx') return loaded(await this.loadEvtx(node, id, fp, ev, final));
    const shape = JSON_SHAPES[format];
    if (shape) {
      const family: JsonFamily = format === 'suricata-eve' ? 'suricata' : format === 'zeek-json' ? 'zeek' : (sniff.jsonFamily ?? 'generic');
      if (!this.settings.duckdbReaders) {
        return loaded(await this.loadWithWorker(node, id, format, fp, { kind: 'json', shape, family, path: sniff.zeekPath ?? null, tz: node.tz ?? null }, sniff, node.file, ev, final));
      }
      return loaded(await this.loadJson(node, id, format, shape, family, sniff, fp, ev, final));
    }
    if (format === 'zeek-tsv' && this.settings.duckdbReaders && sniff.encoding === 'utf8' && sniff.bom === 0 && !sniff.crOnly) {
      const bulk = await this.loadZeekBulk(node, id, fp, ev, final);
      if (bulk) return loaded(bulk);
    }
    if (isLineFormat(format)) {
      const counts = await this.loadWithWorker(
        node,
        id,
        format,
        fp,
        {
          kind: 'lines',
          format,
          parser: {
            ...(node.tz ? { tz: node.tz } : {}),
            fileName: basename(node.member ? (node.member.split('!').pop() ?? node.label) : node.label),
            ...(node.mtime ? { notAfter: Date.parse(node.mtime) } : {}),
            ...(sniff.csv ? { csv: { flavor: sniff.csv.flavor, delimiter: sniff.csv.delimiter, noHeader: sniff.csv.columns === null } } : {}),
          },
        },
        sniff,
        node.file,
        ev,
        final,
      );
      return loaded(counts);
    }
    return { done: false, status: 'failed', patch: { message: `format ${format} (${FORMATS[format] ?? format}) cannot be read as records` } };
  }

  /**
   * A small JSON file is read by the JS reader rather than read_json, whose
   * fixed cost per file (schema pass, plans for the field table and the core
   * columns) dominates there. Measured on Windows events (OTRF records, one
   * file at a time into a fresh case): 22 against 49 ms per 8 KiB file, 30
   * against 55 at 128 KiB, 45 against 69 at 512 KiB, even at 2 MiB; from
   * 4 MiB read_json is ahead (157 against 194 ms).
   */
  private readsSmallJsonInJs(file: string): boolean {
    return statSync(file).size <= this.settings.jsonJsMaxBytes;
  }

  /** JSON through read_json; a small file, or one it refuses, is read record by record by a worker. */
  private async loadJson(
    node: Node,
    id: number,
    format: FormatName,
    shape: JsonShape,
    family: JsonFamily,
    sniff: SniffResult,
    fp: ImportFileProgress,
    ev: EvidenceRow,
    final: (c: Counts) => Promise<void>,
  ): Promise<Counts> {
    const zeekPath = sniff.zeekPath ?? null;
    let file = node.file;
    let transcoded: string | null = null;
    let unwrapped: string | null = null;
    let unwrapped2: string | null = null;
    let unwrapNote = '';
    if (sniff.encoding !== 'utf8' || sniff.bom > 0) {
      transcoded = this.tmpFile('utf8');
      await transcodeToUtf8(node.file, transcoded, sniff.encoding, sniff.bom);
      file = transcoded;
    }
    try {
      let readShape = shape;
      if (sniff.jsonUnwrap) {
        // {"Records": [...]}: its elements, one per line, are the records (json-unwrap.ts).
        unwrapped = this.tmpFile('unwrapped.ndjson');
        const u = await unwrapJsonArray(file, unwrapped, sniff.jsonUnwrap, this.signal);
        if (u) {
          file = unwrapped;
          readShape = 'ndjson';
          if (u.truncated) unwrapNote = ` (the file ends inside "${sniff.jsonUnwrap}": the records before the cut are kept)`;
        } else {
          unwrapNote = ` (not one "${sniff.jsonUnwrap}" array throughout: read as whole objects)`;
        }
      }
      /** The final state, with what the analyst should know about how the file was read. */
      const done = async (c: Counts, why = ''): Promise<void> => {
        const note = unwrapNote + why;
        if (note) await this.conn.run(`UPDATE evidence SET format_reason = format_reason || $why WHERE id = $id`, { id, why: note });
        await final(c);
      };
      /** The records through the JS reader, from the file as it now stands (`why` tells the analyst how it was read). */
      const byWorker = (why: string): Promise<Counts> =>
        this.loadWithWorker(node, id, format, fp, { kind: 'json', shape: readShape, family, path: zeekPath, tz: node.tz ?? null }, file === node.file ? sniff : { ...sniff, encoding: 'utf8', bom: 0 }, file, ev, async (c) => done(c, why));
      // One array on a line longer than the line reader takes (a compact export).
      const longArrayLine = readShape === 'array' && (await firstLineLonger(file, this.settings.maxLineChars));
      // EventData as text is expanded into its fields by the JS reader only (flattenRecord), whatever the size.
      if ((this.readsSmallJsonInJs(file) || sniff.eventDataText === true) && !longArrayLine) return await byWorker('');
      // Awaited just before DuckDB reads the file (readJson). Its reads are synchronous up to 64 MiB
      // (json-depth.ts), so starting it earlier, at the sniff, overlapped nothing and read duplicates for naught.
      const tooDeep = nestsDeeperThan(file, readShape === 'ndjson', MAX_JSON_DEPTH, this.signal);
      // Handled where it is awaited; a failure before that point must not surface as unhandled.
      tooDeep.catch(() => undefined);
      const result = await this.readJson(file, readShape, node, fp, true, tooDeep, {
        family,
        zeekPath,
        tz: node.tz ?? null,
        evidenceId: id,
        bytes: node.size,
        prelude: ev.start,
        finalize: async ({ rows, warnings }) => done({ seen: rows, stored: rows, rejected: 0, warnings, bytes: node.size }),
      });
      if (result.ok) return { seen: result.rows, stored: result.rows, rejected: 0, warnings: result.warnings, bytes: node.size };
      if (result.interrupted || this.signal.aborted) throw abortError();
      // read_json refused the file: read it in JS, record by record, so each bad one is reported.
      let why = ` (read record by record: DuckDB's reader refused it: ${result.reason.slice(0, 300)})`;
      if (longArrayLine) {
        // Its elements one per line instead, so a bad one costs only itself. Positions are then the elements' ordinals.
        const elements = this.tmpFile('elements.ndjson');
        if (await unwrapJsonArray(file, elements, null, this.signal)) {
          unwrapped2 = elements;
          file = elements;
          readShape = 'ndjson';
          why += '; its one long line read element by element (positions are element numbers)';
        } else rmSync(elements, { force: true });
      }
      return await byWorker(why);
    } finally {
      if (transcoded) rmSync(transcoded, { force: true });
      if (unwrapped) rmSync(unwrapped, { force: true });
      if (unwrapped2) rmSync(unwrapped2, { force: true });
    }
  }

  /**
   * One JSON file through read_json (json-loader.ts), cancellable: a big
   * NDJSON file in two halves on two connections (splitJson), both
   * interrupted on cancel; the file's bytes follow DuckDB's progress when
   * `trackBytes`. The halves and their connection are gone when it returns.
   */
  private async readJson(
    file: string,
    shape: JsonShape,
    node: Node,
    fp: ImportFileProgress,
    trackBytes: boolean,
    /** Resolves true when a record nests too deep for DuckDB's reader (json-depth.ts): the file is then not given to it. */
    tooDeep: Promise<boolean> | null,
    req: Omit<JsonLoadRequest, 'conn' | 'file' | 'shape' | 'idBase' | 'maxColumns' | 'tables' | 'setThreads' | 'halves' | 'beside'>,
  ): Promise<JsonLoadResult> {
    const halves = await this.splitJson(file, shape);
    const conns = halves ? [this.conn, halves.conn] : [this.conn];
    /** The second connection and scratch file of the events core beside the load, once the loader asks (json-loader.ts). */
    let beside: { conn: DuckDBConnection; file: string } | null = null;
    const besideOnAsk = async (columns: number): Promise<typeof beside> => {
      const min = this.settings.eventsBesideMinColumns;
      if (min <= 0 || columns < min) return null;
      beside = await this.besideFor(file);
      if (beside) conns.push(beside.conn);
      return beside;
    };
    const onAbort = (): void => {
      for (const c of conns) c.interrupt();
    };
    this.signal.addEventListener('abort', onAbort, { once: true });
    const poll = trackBytes
      ? setInterval(() => {
          const each = conns.map((c) => safeProgress(c));
          if (each.some((p) => p === null)) return;
          fp.bytes = Math.round((node.size * (each as number[]).reduce((a, b) => a + b, 0)) / each.length / 100);
          if (node.depth === 0) this.currentTopBytes = fp.bytes;
          this.emitSoon(false);
        }, 250)
      : null;
    try {
      if (await tooDeep) {
        return { ok: false, reason: `a record nests deeper than ${MAX_JSON_DEPTH.toLocaleString('en-US')} levels, more than DuckDB's reader can take`, interrupted: false };
      }
      await this.setThreads('default');
      return await this.writeEvents(async () => {
        const r = await loadJsonWithDuckDB({
          ...req,
          conn: this.conn,
          file,
          shape,
          idBase: this.ids.next,
          maxColumns: this.settings.maxColumns,
          tables: this.tables,
          setThreads: (n) => this.setThreads(n),
          ...(halves ? { halves } : { beside: besideOnAsk }),
        });
        if (r.ok) this.ids.next += r.rows;
        return r;
      }, node.size);
    } finally {
      if (poll) clearInterval(poll);
      this.signal.removeEventListener('abort', onAbort);
      if (halves) {
        this.kase.release(halves.conn);
        for (const f of halves.files) rmSync(f, { force: true });
      }
      // Set in the loader's callback, which TypeScript's narrowing does not see.
      const b = beside as { conn: DuckDBConnection; file: string } | null;
      if (b) {
        this.kase.release(b.conn);
        rmSync(b.file, { force: true });
      }
    }
  }

  /**
   * A second connection and a scratch file name under the case's tmp/ (the
   * caller releases and removes them), when the disk has room for the staged
   * events: at most about the JSON's own size (its text, less the names).
   */
  private async besideFor(json: string): Promise<{ conn: DuckDBConnection; file: string } | null> {
    mkdirSync(this.tmpDir, { recursive: true });
    if (!diskHasRoom(this.tmpDir, statSync(json).size)) return null;
    return { conn: await this.kase.connect(), file: this.tmpFile('events.parquet') };
  }

  /**
   * A big NDJSON file in two halves with a second connection, so read_json
   * reads both at once (json-loader.ts); null for other files, or when the
   * file cannot be cut or the disk has no room for the copy.
   */
  private async splitJson(file: string, shape: JsonShape): Promise<JsonHalves | null> {
    const min = this.settings.splitJsonMinBytes;
    if (shape !== 'ndjson' || min <= 0) return null;
    const size = statSync(file).size;
    if (size < min) return null;
    mkdirSync(this.tmpDir, { recursive: true });
    let cut;
    try {
      cut = await splitNdjsonInHalves(file, size, this.tmpDir, `halves-${++this.tmpCounter}`, this.settings.splitJsonGroupRows);
    } catch {
      // The copy failed (a full disk, a vanished file): read it whole, which reports its own errors.
      return null;
    }
    if (!cut) return null;
    try {
      return { files: cut.files, conn: await this.kase.connect() };
    } catch (e) {
      for (const f of cut.files) rmSync(f, { force: true });
      throw e;
    }
  }

  /**
   * EVTX: the EVTX reader renders records as NDJSON in its workers (System
   * fields, EventData under its own names); that goes to a staging file and
   * through the JSON loader, so an EVTX file is one bulk load. Damage the
   * reader reports becomes ingest_errors rows: a record it could not read is
   * rejected (with its byte offset), anything else a warning.
   */
  private async loadEvtx(node: Node, id: number, fp: ImportFileProgress, ev: EvidenceRow, final: (c: Counts) => Promise<void>): Promise<Counts> {
    const staging = this.tmpFile('evtx.ndjson');
    const issues: EvtxIssue[] = [];
    const reader = readEvtxNdjson(node.file, {
      signal: this.signal,
      onIssue: (i) => {
        if (issues.length < MAX_EVTX_ISSUES || i.kind === 'record') issues.push(i);
      },
      onProgress: (done) => {
        fp.bytes = done;
        if (node.depth === 0) this.currentTopBytes = done;
        this.emitSoon(false);
      },
    });
    const out = createWriteStream(staging);
    try {
      for await (const piece of reader) if (!out.write(piece)) await once(out, 'drain');
    } catch (e) {
      out.destroy();
      if ((e as { code?: string }).code === 'CANCELLED') throw abortError();
      throw e;
    }
    out.end();
    await once(out, 'finish');
    const summary = reader.summary;
    if (!summary.signature && summary.recordsSeen === 0) {
      // Forced onto a file that is no EVTX: nothing of it was read, which "imported, 0 events" would hide.
      rmSync(staging, { force: true });
      throw new Error(`not an EVTX file: no "ElfFile" signature and no readable chunk in its ${summary.fileSize.toLocaleString('en-US')} bytes`);
    }
    const writeIssues = async (): Promise<number> => {
      let warnings = 0;
      for (const i of issues) {
        const rejected = i.kind === 'record';
        if (!rejected) warnings++;
        await insertIngestError(this.conn, {
          evidenceId: id,
          pos: i.offset,
          posKind: 'byte',
          kind: rejected ? 'rejected' : 'warning',
          reason: `${i.reason}${i.recordId !== null ? ` (record ${i.recordId})` : ''}${i.lostRecords > 0 && !rejected ? `; ${i.lostRecords} record${i.lostRecords === 1 ? '' : 's'} lost` : ''}`,
          excerpt: null,
        });
      }
      return warnings;
    };
    try {
      let issueWarnings = 0;
      /** The records through the JS reader (`why` tells the analyst, when it is not the usual way). */
      const byWorker = async (why: string): Promise<Counts> => {
        const js = await this.loadWithWorker(node, id, 'evtx', fp, { kind: 'json', shape: 'ndjson', family: 'windows', path: null, hoist: 'EventData' }, { encoding: 'utf8', bom: 0 }, staging, ev, async (c) => {
          issueWarnings = await writeIssues();
          if (why) await this.conn.run(`UPDATE evidence SET format_reason = format_reason || $why WHERE id = $id`, { id, why });
          await final({ seen: c.seen + summary.recordsRejected, stored: c.stored, rejected: c.rejected + summary.recordsRejected, warnings: c.warnings + issueWarnings, bytes: node.size });
        });
        return { seen: js.seen + summary.recordsRejected, stored: js.stored, rejected: js.rejected + summary.recordsRejected, warnings: js.warnings + issueWarnings, bytes: node.size };
      };
      if (this.readsSmallJsonInJs(staging)) return await byWorker('');
      // Our own NDJSON, its depth bounded by the EVTX reader: no walk.
      const result = await this.readJson(staging, 'ndjson', node, fp, false, null, {
        family: 'windows',
        zeekPath: null,
        tz: null,
        evidenceId: id,
        hoist: 'EventData',
        bytes: node.size,
        prelude: ev.start,
        finalize: async ({ rows, warnings }) => {
          issueWarnings = await writeIssues();
          await final({ seen: rows + summary.recordsRejected, stored: rows, rejected: summary.recordsRejected, warnings: warnings + issueWarnings, bytes: node.size });
        },
      });
      if (result.ok) {
        return { seen: result.rows + summary.recordsRejected, stored: result.rows, rejected: summary.recordsRejected, warnings: result.warnings + issueWarnings, bytes: node.size };
      }
      if (result.interrupted || this.signal.aborted) throw abortError();
      // read_json refused the records (EventData names differing only in case, which
      // DuckDB's structs cannot hold): load them record by record instead.
      return await byWorker(` (records loaded one by one: ${result.reason.slice(0, 200)})`);
    } finally {
      rmSync(staging, { force: true });
    }
  }

  /** Zeek TSV through read_csv; null when the file is not clean enough (the caller parses it in JS). */
  private async loadZeekBulk(node: Node, id: number, fp: ImportFileProgress, ev: EvidenceRow, final: (c: Counts) => Promise<void>): Promise<Counts | null> {
    const onAbort = (): void => this.conn.interrupt();
    this.signal.addEventListener('abort', onAbort, { once: true });
    let result;
    try {
      await this.setThreads('default');
      result = await this.writeEvents(async () => {
        const r = await loadZeekWithDuckDB({
          conn: this.conn,
          file: node.file,
          evidenceId: id,
          idBase: this.ids.next,
          pathHint: zeekPathFromFileName(basename(node.member ? (node.member.split('!').pop() ?? node.label) : node.label)),
          tz: node.tz ?? null,
          tables: this.tables,
          bytes: node.size,
          prelude: ev.start,
          finalize: async ({ rows, warnings }) => final({ seen: rows, stored: rows, rejected: 0, warnings, bytes: node.size }),
        });
        if (r.ok) this.ids.next += r.rows;
        return r;
      }, node.size);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
    }
    if (result.ok) {
      fp.bytes = node.size;
      return { seen: result.rows, stored: result.rows, rejected: 0, warnings: result.warnings, bytes: node.size };
    }
    if (result.interrupted || this.signal.aborted) throw abortError();
    this.zeekFallbackReason.set(id, ` (rows parsed one by one: ${result.reason.slice(0, 300)})`);
    return null;
  }

  /**
   * DuckDB's threads while a worker feeds it: one. The parse worker needs the
   * other core, and a single-threaded insert costs DuckDB less CPU than a
   * parallel one that keeps insertion order (measured: 8.1 s against 10.7 s
   * of CPU for a 1M-line auth.log, and faster in wall time too). read_json's
   * schema pass and read_csv of whole files run with every thread, read_json's
   * load with one (json-loader.ts says why). Set only when it changes:
   * a folder of small files would otherwise pay two statements per file.
   */
  private async setThreads(n: number | 'default'): Promise<void> {
    if (this.threads === n) return;
    if (n === 'default') await this.conn.run('RESET threads');
    else await this.conn.run(`SET threads = ${n}`);
    this.threads = n;
  }

  private async loadWithWorker(
    node: Node,
    id: number,
    format: FormatName,
    fp: ImportFileProgress,
    mode: ParseMode,
    enc: { encoding: SniffResult['encoding']; bom: number; zeekPath?: string | null; crOnly?: boolean },
    file: string,
    ev: EvidenceRow,
    final: (c: Counts) => Promise<void>,
  ): Promise<Counts & { bytes: number }> {
    const zeekWhy = this.zeekFallbackReason.get(id);
    this.zeekFallbackReason.delete(id);
    const family = mode.kind === 'json' ? `stage:json:${mode.family}${mode.path ? `:${mode.path}` : ''}` : format === 'zeek-tsv' ? `zeek-tsv:${enc.zeekPath ?? zeekPathFromFileName(basename(node.label)) ?? ''}` : `stage:${format}`;
    const loader = new StageLoader(this.conn, id, format, this.ids, {
      tables: this.tables,
      family,
      share: this.tables.shares(node.size),
      prelude: ev.start,
      finalize: async (l) => {
        if (zeekWhy) await this.conn.run(`UPDATE evidence SET format_reason = format_reason || $why WHERE id = $id`, { id, why: zeekWhy });
        await final({ seen: l.seen, stored: l.stored, rejected: l.rejected, warnings: l.warnings, bytes: l.bytes });
      },
    });
    await this.setThreads(1);
    const staging = join(this.tmpDir, 'staging');
    mkdirSync(staging, { recursive: true });
    const done = await this.workers.run(
      {
        file,
        mode,
        encoding: enc.encoding,
        bom: enc.bom,
        ...(enc.crOnly ? { crOnly: true } : {}),
        stagingDir: staging,
        chunkRows: this.settings.chunkRows,
        credit: 2,
        maxLineChars: this.settings.maxLineChars,
        maxRecordChars: this.settings.maxRecordChars,
        maxColumns: this.settings.maxColumns,
      },
      {
        onChunk: async (c) => {
          if (this.signal.aborted) {
            removeChunkFiles(c);
            return;
          }
          await this.writeEvents(() => loader.load(c));
          ev.inDb = true;
          Object.assign(fp, { seen: loader.seen, stored: loader.stored, rejected: loader.rejected, warnings: loader.warnings, bytes: c.bytes });
          if (node.depth === 0) this.currentTopBytes = c.bytes;
          this.emitSoon(false);
        },
      },
      this.signal,
    );
    if (done.cancelled || this.signal.aborted) throw abortError();
    // The worker's totals and the loaded chunks must agree: the reconciliation the summary promises.
    if (done.seen !== loader.seen || done.stored !== loader.stored || done.rejected !== loader.rejected || !loader.finished) {
      throw new Error(`internal count mismatch (parsed ${done.seen}/${done.stored}/${done.rejected}, loaded ${loader.seen}/${loader.stored}/${loader.rejected}${loader.finished ? '' : ', no last chunk'})`);
    }
    return { seen: loader.seen, stored: loader.stored, rejected: loader.rejected, warnings: loader.warnings, bytes: done.bytes };
  }

  // ------------------------------------------------------------------ archives

  private openContainer(file: string, format: FormatName, label: string): AsyncGenerator<ArchiveItem> {
    const opts = { tmpDir: this.tmpDir, signal: this.signal };
    const limits = this.settings.limits;
    if (format === 'zip') return readZip(file, limits, this.budget, opts);
    if (format === 'tar') return readTar(createReadStream(file), limits, this.budget, { ...opts, label });
    return this.readGzip(file, label);
  }

  private async *readGzip(file: string, label: string): AsyncGenerator<ArchiveItem> {
    const head = await gunzipHead(file, SNIFF_BYTES);
    const inner = sniffFormat(head);
    if (inner.format === 'tar') {
      const { stream, compressed } = gunzipStream(file, true);
      yield* readTar(stream, this.settings.limits, this.budget, { tmpDir: this.tmpDir, signal: this.signal, compressedSoFar: compressed, label });
      return;
    }
    yield await readGzipMember(file, this.settings.limits, this.budget, { tmpDir: this.tmpDir, signal: this.signal });
  }

  private async processContainer(
    node: Node,
    id: number,
    sniff: SniffResult,
    finish: (status: EvidenceStatus, patch?: Parameters<typeof updateEvidence>[2]) => Promise<void>,
  ): Promise<void> {
    if (node.depth >= this.settings.limits.maxDepth) {
      await finish('failed', { message: `archive nested more than ${this.settings.limits.maxDepth} levels deep: not opened (a recursive archive bomb, or unpack it first)` });
      return;
    }
    let members = 0;
    let refused = 0;
    let skipped = 0;
    let problem: string | null = null;
    let bomb = false;
    let membersCut = 0;
    const notes: string[] = [];
    try {
      for await (const item of this.openContainer(node.file, sniff.format, node.label)) {
        if (item.type === 'note') {
          notes.push(item.text);
          continue;
        }
        if (item.type === 'skipped') {
          skipped++;
          continue;
        }
        const chain = node.member ? `${node.member}!${item.name}` : item.name;
        const label = `${node.label}!${item.name}`;
        if (item.type === 'refused') {
          refused++;
          await this.recordRefused(label, node.origin, chain, id, item.reason, item.mtime, item.size ?? 0);
          continue;
        }
        members++;
        if (item.problem) membersCut++;
        try {
          await this.processNode({
            file: item.file,
            label,
            origin: node.origin,
            member: chain,
            parentId: id,
            depth: node.depth + 1,
            size: item.size,
            mtime: item.mtime,
            sha256: item.sha256,
            problem: item.problem,
            ...(node.format ? { format: node.format } : {}),
            tz: node.tz ?? null,
          });
        } finally {
          rmSync(item.file, { force: true });
        }
      }
    } catch (e) {
      if (isAbort(e) || this.signal.aborted) throw e;
      bomb = e instanceof ArchiveBombError;
      problem = (e as Error).message;
    }
    const counts = [
      `${members} member${members === 1 ? '' : 's'}`,
      refused ? `${refused} refused` : '',
      skipped ? `${skipped} OS metadata entr${skipped === 1 ? 'y' : 'ies'} skipped` : '',
      ...notes,
    ].filter(Boolean);
    if (problem === null && membersCut > 0) await finish('incomplete', { message: `${membersCut === members ? (members === 1 ? 'its member' : `all ${members} members`) : `${membersCut} of its ${members} members`} could be read only in part${counts.length > 1 ? ` (${counts.slice(1).join(', ')})` : ''}` });
    else if (problem === null) await finish('imported', { message: counts.join(', ') });
    else if (!bomb && (members > 0 || membersCut > 0)) {
      // Members before the damage are in the case; whatever followed it is lost.
      await finish('incomplete', { message: `${problem}: ${counts.join(', ')} read before it; anything after it could not be read` });
    } else await finish('failed', { message: `${problem} (${counts.join(', ')})` });
  }

  /** An entry that is recorded (hash-less) but not read: symlink, zip slip, password, unreadable. */
  private async recordRefused(label: string, origin: string, member: string | null, parentId: number | null, reason: string, mtime: string | null, size: number): Promise<void> {
    const id = this.writes.takeEvidenceId();
    await insertEvidence(this.conn, {
      id,
      parentId,
      importId: this.req.importId,
      path: label,
      origin,
      member,
      kind: 'file',
      sha256: null,
      size,
      mtime,
      tz: null,
      status: 'failed',
      message: reason,
    });
    this.track(id, { path: label, kind: 'file', parentId, status: 'failed', message: reason });
    this.emitSoon(true);
  }

  private async cancelEvidence(ev: EvidenceRow, seconds: number): Promise<void> {
    if (this.kase.isClosed) return;
    const cancelled: EvidencePatch = { status: 'cancelled', message: 'cancelled by the analyst: nothing of it was kept', seen: 0, stored: 0, rejected: 0, warnings: 0, finishedAt: new Date().toISOString(), seconds };
    await this.deleteData(ev.id);
    await this.inTransaction(async () => {
      if (!ev.inDb && !(await evidenceExists(this.conn, ev.id))) await ev.start();
      await updateEvidence(this.conn, ev.id, cancelled);
    });
  }

  private tmpFile(tag: string): string {
    return join(this.tmpDir, `${tag}-${++this.tmpCounter}`);
  }

  // ------------------------------------------------------------------ progress

  private track(id: number, init: Partial<ImportFileProgress> & Pick<ImportFileProgress, 'path' | 'kind' | 'status'>): ImportFileProgress {
    let fp = this.files.get(id);
    if (!fp) {
      fp = {
        evidenceId: id,
        parentId: null,
        format: null,
        confidence: null,
        formatReason: null,
        bytes: 0,
        totalBytes: null,
        seen: 0,
        stored: 0,
        rejected: 0,
        warnings: 0,
        seconds: 0,
        message: null,
        ...init,
      };
      this.files.set(id, fp);
      this.order.push(id);
    } else Object.assign(fp, init);
    return fp;
  }

  private emitSoon(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < 250) return;
    this.emitNow();
  }

  private emitNow(): void {
    this.lastEmit = performance.now();
    this.emit(this.snapshot());
  }

  snapshot(): ImportProgress {
    const elapsed = (performance.now() - this.started) / 1000;
    let events = 0;
    let rejected = 0;
    let warnings = 0;
    let filesDone = 0;
    const files = this.order.map((id) => this.files.get(id) as ImportFileProgress);
    for (const f of files) {
      events += f.stored;
      rejected += f.rejected;
      warnings += f.warnings;
      if (f.status !== 'importing' && f.status !== 'pending') filesDone++;
    }
    const bytes = Math.min(this.totalBytes, this.doneBytes + this.currentTopBytes);
    const bps = elapsed > 0 ? bytes / elapsed : 0;
    const running = this.state === 'running';
    return {
      importId: this.req.importId,
      state: this.state,
      files: files.map((f) => ({ ...f })),
      overall: {
        bytes: this.state === 'finished' ? this.totalBytes : bytes,
        totalBytes: this.totalBytes,
        events,
        rejected,
        warnings,
        eventsPerSecond: elapsed > 0 ? Math.round(events / elapsed) : 0,
        bytesPerSecond: Math.round(bps),
        etaSeconds: running && bps > 0 ? Math.max(0, (this.totalBytes - bytes) / bps) : running ? null : 0,
        filesDone,
        filesSeen: files.length,
      },
      elapsedSeconds: elapsed,
      message: this.message,
    };
  }

  summary(): ImportSummary {
    const files = this.order.map((id) => this.files.get(id) as ImportFileProgress);
    const totals = { seen: 0, stored: 0, rejected: 0 };
    for (const f of files) {
      totals.seen += f.seen;
      totals.stored += f.stored;
      totals.rejected += f.rejected;
    }
    return {
      importId: this.req.importId,
      state: this.state,
      files: files.map((f) => ({
        evidenceId: f.evidenceId,
        path: f.path,
        kind: f.kind,
        format: f.format,
        seen: f.seen,
        stored: f.stored,
        rejected: f.rejected,
        warnings: f.warnings,
        status: f.status,
        seconds: Math.round(f.seconds * 1000) / 1000,
        message: f.message,
      })),
      totals,
      seconds: Math.round((performance.now() - this.started)) / 1000,
      firstNewEventId: this.firstNewEventId,
      message: this.message ?? (this.budget.used > 0 ? `${formatBytes(this.budget.used)} extracted from archives` : null),
    };
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || /interrupt/i.test(e.message));
}

function safeSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

function existsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function safeProgress(conn: DuckDBConnection): number | null {
  try {
    const p = conn.progress;
    return p.percentage >= 0 ? Math.min(100, p.percentage) : null;
  } catch {
    return null;
  }
}
