import { rmSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CORE_COLUMNS } from '@shared/events';
import { quoteIdent } from '../db/sql';
import { sqlString } from './core-sql';
import { sourceTable } from './evidence-store';
import { ERRORS_STAGING_COLUMNS, EVENTS_STAGING_COLUMNS, type StagedChunk } from './worker-protocol';

/**
 * Loads the staging chunks of one source (written by parse-file.ts) into
 * its field table, the events table and ingest_errors. Each chunk is one
 * transaction together with the evidence counters, so after a crash a file
 * is a prefix of whole chunks whose counts match its rows: no event without
 * its field-table row, no row without its evidence.
 */
export class StageLoader {
  private readonly table: string;
  private readonly known = new Set<string>();
  seen = 0;
  stored = 0;
  rejected = 0;
  warnings = 0;
  bytes = 0;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly evidenceId: number,
    private readonly format: string,
    /** Next free events.id; advanced as chunks load. */
    private readonly ids: { next: number },
  ) {
    this.table = quoteIdent(sourceTable(evidenceId));
  }

  /** The empty field table and its sources row. */
  async begin(): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await this.conn.run(`DROP TABLE IF EXISTS ${this.table}`);
      await this.conn.run(`CREATE TABLE ${this.table} (rid BIGINT)`);
      await this.conn.run(`INSERT INTO sources (id, evidence_id, table_name, format, rows) VALUES ($id, $id, $t, $f, 0)`, {
        id: this.evidenceId,
        t: sourceTable(this.evidenceId),
        f: this.format,
      });
      await this.conn.run('COMMIT');
    } catch (e) {
      await this.conn.run('ROLLBACK');
      throw e;
    }
  }

  async load(c: StagedChunk): Promise<void> {
    const conn = this.conn;
    await conn.run('BEGIN TRANSACTION');
    try {
      await insertStagedChunk(conn, { table: this.table, evidenceId: this.evidenceId, known: this.known, idBase: this.ids.next - c.firstRid }, c);
      this.seen += c.rows + c.rejected;
      this.stored += c.rows;
      this.rejected += c.rejected;
      this.warnings += c.warnings;
      this.bytes = c.bytes;
      await conn.run(`UPDATE evidence SET seen = $seen, stored = $stored, rejected = $rej, warnings = $warn, bytes_read = $bytes WHERE id = $ev`, {
        seen: this.seen,
        stored: this.stored,
        rej: this.rejected,
        warn: this.warnings,
        bytes: this.bytes,
        ev: this.evidenceId,
      });
      await conn.run(`UPDATE sources SET rows = $rows WHERE id = $ev`, { rows: this.stored, ev: this.evidenceId });
      await conn.run('COMMIT');
      this.ids.next += c.rows;
    } catch (e) {
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
 * The rows of one staged chunk into the field table, events and
 * ingest_errors, inside the caller's transaction (the import commits a chunk
 * with its evidence counters, a live source with its journal position).
 */
export async function insertStagedChunk(
  conn: DuckDBConnection,
  t: ChunkTarget,
  c: Pick<StagedChunk, 'srcFile' | 'eventsFile' | 'errorsFile' | 'columns'>,
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
    await conn.run(`INSERT INTO ${t.table} (${target}) SELECT * FROM ${readCsv(c.srcFile, spec)}`);
  }
  if (c.eventsFile) {
    const spec = EVENTS_STAGING_COLUMNS.map((n) => `'${n}': '${n === 'rid' || n === 'pos' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
    const core = CORE_COLUMNS.map((col) => {
      const q = quoteIdent(col);
      if (col === 'ts') return 'TRY_CAST(ts AS TIMESTAMP)';
      if (col === 'src_port' || col === 'dst_port') return `TRY_CAST(${q} AS INTEGER)`;
      if (col === 'dataset') return `COALESCE(dataset, 'text')`;
      return q;
    });
    await conn.run(
      `INSERT INTO events (id, evidence_id, source_id, rid, pos, ${CORE_COLUMNS.map((col) => quoteIdent(col)).join(', ')}, raw)
       SELECT rid + $base, $ev, $ev, rid, pos, ${core.join(', ')}, raw FROM ${readCsv(c.eventsFile, spec)}`,
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

export function removeChunkFiles(c: Pick<StagedChunk, 'eventsFile' | 'srcFile' | 'errorsFile'>): void {
  for (const f of [c.eventsFile, c.srcFile, c.errorsFile]) if (f) rmSync(f, { force: true });
}

function readCsv(file: string, columns: string): string {
  // Explicit columns and no sniffing: the file is ours and its layout is known.
  return `read_csv(${sqlString(file)}, header=false, auto_detect=false, delim=',', quote='"', escape='"', allow_quoted_nulls=false, new_line='\\n', max_line_size=8388608, buffer_size=16777216, columns={${columns}})`;
}
