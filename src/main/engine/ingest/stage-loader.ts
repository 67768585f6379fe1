import { rmSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CORE_COLUMNS } from '@shared/events';
import { quoteIdent } from '../db/sql';
import { sqlString } from './core-sql';
import { DEFAULT_SHARING, SourceTables, type Placement } from './source-tables';
import { ERRORS_STAGING_COLUMNS, EVENTS_STAGING_COLUMNS, type StagedChunk } from './worker-protocol';

/**
 * Loads the staging chunks of one source (written by parse-file.ts) into
 * its field table, the events table and ingest_errors. Each chunk is one
 * transaction together with the evidence counters, so after a crash a file
 * is a prefix of whole chunks whose counts match its rows: no event without
 * its field-table row, no row without its evidence.
 *
 * The field table is chosen when the first chunk's columns are known
 * (source-tables.ts: a shared table of the format's family for a small
 * file, else one of its own) and widened as later chunks bring fields.
 */
export interface StageLoaderOptions {
  /** The case's field tables; loaded on first use when not given. */
  tables?: SourceTables;
  /** Sharing family (default: the format). */
  family?: string;
  /** The source is small enough to share a table (default: no). */
  share?: boolean;
  /** Runs first inside the first chunk's transaction (the evidence row, written with the data). */
  prelude?: () => Promise<void>;
  /** Runs last inside the last chunk's transaction (the evidence row's final state). */
  finalize?: (loader: StageLoader) => Promise<void>;
}

export class StageLoader {
  private placement: Placement | null = null;
  private tables: SourceTables | null;
  /** A transaction of this loader has committed (the prelude ran; source_evidence has its row once there are rows). */
  private begun = false;
  private hasRows = false;
  seen = 0;
  stored = 0;
  rejected = 0;
  warnings = 0;
  bytes = 0;
  /** The last chunk was loaded, with the finalize step. */
  finished = false;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly evidenceId: number,
    private readonly format: string,
    /** Next free events.id; advanced as chunks load. */
    private readonly ids: { next: number },
    private readonly options: StageLoaderOptions = {},
  ) {
    this.tables = options.tables ?? null;
  }

  /** The field table once the first rows are placed (its id is events.source_id). */
  get sourceId(): number | null {
    return this.placement?.sourceId ?? null;
  }

  /** Nothing to prepare: the field table is placed when the first chunk's columns are known. */
  async begin(): Promise<void> {
    this.tables ??= await SourceTables.load(this.conn, DEFAULT_SHARING);
  }

  async load(c: StagedChunk): Promise<void> {
    const conn = this.conn;
    const tables = (this.tables ??= await SourceTables.load(conn, DEFAULT_SHARING));
    const ev = Math.trunc(this.evidenceId);
    let placement = this.placement;
    let placedNow = false;
    const before = { seen: this.seen, stored: this.stored, rejected: this.rejected, warnings: this.warnings, bytes: this.bytes };
    await conn.run('BEGIN TRANSACTION');
    try {
      if (!this.begun) await this.options.prelude?.();
      let firstRows = false;
      if (c.srcFile && c.rows > 0) {
        const cols = c.columns.map((name) => ({ name, type: 'VARCHAR' }));
        if (!placement) {
          placement = tables.place(this.options.family ?? this.format, this.format, cols, this.options.share === true, ev);
          placedNow = true;
          await tables.prepare(conn, placement, placement.add, ev);
        } else {
          const add = tables.widen(placement, cols);
          if (add.length > 0) await tables.prepare(conn, placement, add, ev);
        }
        const p = placement;
        // read_csv gets positional names (c0, c1 ...): field names are hostile input.
        const spec = [`'rid': 'BIGINT'`, ...c.columns.map((_, i) => `'c${i}': 'VARCHAR'`)].join(', ');
        const target = ['rid', 'evidence_id', ...c.columns.map((n) => p.target.get(n.toLowerCase())?.name ?? n)].map((n) => quoteIdent(n)).join(', ');
        await conn.run(`INSERT INTO ${quoteIdent(p.table)} (${target}) SELECT rid + $base, $ev${c.columns.map((_, i) => `, c${i}`).join('')} FROM ${readCsv(c.srcFile, spec, c.padded === true)}`, {
          base: this.ids.next - c.firstRid,
          ev,
        });
        firstRows = !this.hasRows;
      }
      if (c.eventsFile && placement) {
        const spec = EVENTS_STAGING_COLUMNS.map((n) => `'${n}': '${n === 'rid' || n === 'pos' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
        await conn.run(
          `INSERT INTO events (id, evidence_id, source_id, rid, pos, ${CORE_COLUMNS.map((col) => quoteIdent(col)).join(', ')}, raw)
           SELECT rid + $base, $ev, $sid, rid + $base, pos, ${coreSelect().join(', ')}, raw FROM ${readCsv(c.eventsFile, spec)}`,
          { base: this.ids.next - c.firstRid, ev, sid: placement.sourceId },
        );
      }
      if (c.errorsFile) {
        const spec = ERRORS_STAGING_COLUMNS.map((n) => `'${n}': '${n === 'pos' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
        await conn.run(
          `INSERT INTO ingest_errors (evidence_id, pos, pos_kind, kind, reason, excerpt) SELECT $ev, pos, pos_kind, kind, reason, excerpt FROM ${readCsv(c.errorsFile, spec)}`,
          { ev },
        );
      }
      if (placement && c.rows > 0) await tables.recordRows(conn, placement, ev, c.rows, firstRows);
      const next = {
        seen: this.seen + c.rows + c.rejected,
        stored: this.stored + c.rows,
        rejected: this.rejected + c.rejected,
        warnings: this.warnings + c.warnings,
        bytes: c.bytes,
      };
      if (c.last && this.options.finalize) {
        // The final state is written with the last rows: counts as they will be once this commits.
        Object.assign(this, next);
        await this.options.finalize(this);
      } else {
        await conn.run(`UPDATE evidence SET seen = $seen, stored = $stored, rejected = $rej, warnings = $warn, bytes_read = $bytes WHERE id = $ev`, {
          seen: next.seen,
          stored: next.stored,
          rej: next.rejected,
          warn: next.warnings,
          bytes: next.bytes,
          ev,
        });
      }
      await conn.run('COMMIT');
      // Counted only once committed: a chunk that failed to commit stored nothing.
      Object.assign(this, next);
      if (placement) {
        tables.committed(placement);
        this.placement = placement;
      }
      if (c.srcFile && c.rows > 0) this.hasRows = true;
      this.begun = true;
      if (c.last) this.finished = true;
      this.ids.next += c.rows;
    } catch (e) {
      Object.assign(this, before);
      if (placement) tables.rolledBack(placement);
      if (placedNow) this.placement = null;
      try {
        await conn.run('ROLLBACK');
      } catch {
        // interrupted connection: the transaction is gone anyway
      }
      throw e;
    } finally {
      removeChunkFiles(c);
    }
  }
}

/** Where a chunk goes: the field table (quoted), its evidence, the columns it has, and events.id = rid + idBase. */
export interface ChunkTarget {
  table: string;
  evidenceId: number;
  /** Columns the field table has; new ones are added (and recorded here) as a chunk brings them. */
  known: Set<string>;
  idBase: number;
}

/**
 * The rows of one staged chunk into a field table of its own source (a live
 * source's: `rid` the record ordinal, `source_id` the evidence id), events and
 * ingest_errors, inside the caller's transaction (a live source commits a
 * chunk with its journal position). Imports load through StageLoader, which
 * places small sources in shared tables.
 */
export async function insertStagedChunk(
  conn: DuckDBConnection,
  t: ChunkTarget,
  c: Pick<StagedChunk, 'srcFile' | 'eventsFile' | 'errorsFile' | 'columns' | 'padded'>,
): Promise<void> {
  if (c.srcFile) {
    for (const name of c.columns) {
      if (t.known.has(name)) continue;
      await conn.run(`ALTER TABLE ${t.table} ADD COLUMN ${quoteIdent(name)} VARCHAR`);
      t.known.add(name);
    }
    // read_csv gets positional names (c0, c1 ...): field names are hostile input.
    const spec = [`'rid': 'BIGINT'`, ...c.columns.map((_, i) => `'c${i}': 'VARCHAR'`)].join(', ');
    const target = ['rid', ...c.columns].map((n) => quoteIdent(n)).join(', ');
    await conn.run(`INSERT INTO ${t.table} (${target}) SELECT * FROM ${readCsv(c.srcFile, spec, c.padded === true)}`);
  }
  if (c.eventsFile) {
    const spec = EVENTS_STAGING_COLUMNS.map((n) => `'${n}': '${n === 'rid' || n === 'pos' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
    await conn.run(
      `INSERT INTO events (id, evidence_id, source_id, rid, pos, ${CORE_COLUMNS.map((col) => quoteIdent(col)).join(', ')}, raw)
       SELECT rid + $base, $ev, $ev, rid, pos, ${coreSelect().join(', ')}, raw FROM ${readCsv(c.eventsFile, spec)}`,
      { base: t.idBase, ev: t.evidenceId },
    );
  }
  if (c.errorsFile) {
    const spec = ERRORS_STAGING_COLUMNS.map((n) => `'${n}': '${n === 'pos' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
    await conn.run(`INSERT INTO ingest_errors (evidence_id, pos, pos_kind, kind, reason, excerpt) SELECT $ev, pos, pos_kind, kind, reason, excerpt FROM ${readCsv(c.errorsFile, spec)}`, {
      ev: t.evidenceId,
    });
  }
}

/** The events core from the staging columns (all text there). */
function coreSelect(): string[] {
  return CORE_COLUMNS.map((col) => {
    const q = quoteIdent(col);
    if (col === 'ts') return 'TRY_CAST(ts AS TIMESTAMP)';
    if (col === 'src_port' || col === 'dst_port') return `TRY_CAST(${q} AS INTEGER)`;
    if (col === 'dataset') return `COALESCE(dataset, 'text')`;
    return q;
  });
}

export function removeChunkFiles(c: Pick<StagedChunk, 'eventsFile' | 'srcFile' | 'errorsFile'>): void {
  for (const f of [c.eventsFile, c.srcFile, c.errorsFile]) if (f) rmSync(f, { force: true });
}

function readCsv(file: string, columns: string, padded = false): string {
  // Explicit columns and no sniffing: the file is ours and its layout is known. Rows
  // written before a new field appeared are shorter; DuckDB pads them with NULLs only
  // in its serial reader (the parallel one refuses padding with quoted newlines).
  const pad = padded ? ', null_padding=true, parallel=false' : '';
  return `read_csv(${sqlString(file)}, header=false, auto_detect=false, delim=',', quote='"', escape='"', allow_quoted_nulls=false, new_line='\\n', max_line_size=8388608, buffer_size=16777216${pad}, columns={${columns}})`;
}
