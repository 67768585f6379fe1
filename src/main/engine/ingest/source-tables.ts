import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, quoteIdent } from '../db/sql';
import { sqlString } from './core-sql';
import { BOOKKEEPING_COLUMNS } from './worker-protocol';

/**
 * Which field table a source's rows go into. DuckDB gives every table at
 * least one block per column and keeps catalog and buffer memory per table,
 * so a table per file made a folder of 4,800 small files a 1.6 GB case that
 * ran out of memory (docs/data-model.md has the measurements). So:
 *
 * - a small source (at most `shareMaxBytes`) goes into a SHARED table of its
 *   family (same loader, same format family: column types agree), which is
 *   widened with ALTER TABLE ADD COLUMN for the fields it brings, up to
 *   `sharedMaxColumns`; past that a new shared table of the family starts;
 * - a big source gets a table of its own, only as wide as itself: the
 *   insert cost grows with the target's width (1M rows: 1.3 s into 11
 *   columns, 24 s into 500), so a big source never lands in a wide table.
 *
 * Every field table starts with `rid BIGINT` (the row's key: the import sets
 * it to the event's id, so `events.source_id` + `events.rid` find the row)
 * and `evidence_id INTEGER` (so removing one file deletes only its rows).
 * Table changes happen inside the loader's transaction; this cache follows
 * the database only once that transaction commits (`committed`).
 */

/** An original-field column: its name and the DuckDB type of its values. */
export interface FieldColumn {
  name: string;
  type: string;
}

export { BOOKKEEPING_COLUMNS };

export interface SharingPolicy {
  /** Sources of at most this many bytes share a table of their family. */
  shareMaxBytes: number;
  /** Field columns (bookkeeping excluded) a shared table grows to before a new one starts. */
  sharedMaxColumns: number;
}

/**
 * The insert cost grows with the target's width (docs/data-model.md: 1M rows
 * took 1.3 s into 11 columns, 24 s into 500), so only small sources share,
 * into tables kept at most 256 columns wide: a source of a few MB pays a few
 * tens of milliseconds for the width, far less than a table of its own costs
 * the case.
 */
/** Ids of tables whose creator's evidence id was taken already start here (sources.id is an INTEGER). */
const OVERFLOW_IDS = 1_000_000_000;

export const DEFAULT_SHARING: SharingPolicy = { shareMaxBytes: 4 << 20, sharedMaxColumns: 256 };

interface TableState {
  id: number;
  table: string;
  family: string;
  /** lower-case name -> the column's name and type */
  columns: Map<string, FieldColumn>;
}

export interface Placement {
  sourceId: number;
  /** Unquoted table name (`src_<id>`). */
  table: string;
  shared: boolean;
  family: string;
  format: string;
  /** The placement creates the table (CREATE TABLE, and its sources row). */
  create: boolean;
  /** Columns the table gets (all of them when it is created). */
  add: FieldColumn[];
  /** For each of the source's columns (by lower-case name): the table column and its type there. */
  target: Map<string, FieldColumn>;
}

/** Is a value of type `from` storable in a column of type `to` without losing anything? */
function storable(from: string, to: string): boolean {
  return from === to || to === 'VARCHAR';
}

export class SourceTables {
  /** Shared tables by family, as committed. */
  private readonly byFamily = new Map<string, TableState[]>();
  /** Tables changed by a transaction that has not committed yet, by name. */
  private readonly pending = new Map<string, TableState>();
  /** Tables of one source created during this run (several chunks of one file widen them). */
  private readonly own = new Map<string, TableState>();
  /** sources.id values in use (or being created). */
  private readonly taken: Set<number>;

  private constructor(
    readonly policy: SharingPolicy,
    taken: Iterable<number>,
  ) {
    this.taken = new Set(taken);
  }

  /** The shared tables of a case, read once per import run. */
  static async load(conn: DuckDBConnection, policy: SharingPolicy): Promise<SourceTables> {
    const ids = await queryRows(conn, 'SELECT id FROM sources');
    const t = new SourceTables(policy, ids.map((r) => Number(r.id)));
    const rows = await queryRows(
      conn,
      `SELECT s.id, s.table_name, s.family, c.column_name, c.data_type
         FROM sources s JOIN duckdb_columns() c ON c.table_name = s.table_name AND c.schema_name = 'main'
        WHERE s.shared ORDER BY s.id, c.column_index`,
    );
    const byId = new Map<number, TableState>();
    for (const r of rows) {
      const id = Number(r.id);
      let st = byId.get(id);
      if (!st) {
        st = { id, table: String(r.table_name), family: String(r.family ?? ''), columns: new Map() };
        byId.set(id, st);
        t.listOf(st.family).push(st);
      }
      const name = String(r.column_name);
      if ((BOOKKEEPING_COLUMNS as readonly string[]).includes(name)) continue;
      st.columns.set(name.toLowerCase(), { name, type: String(r.data_type) });
    }
    return t;
  }

  private listOf(family: string): TableState[] {
    let list = this.byFamily.get(family);
    if (!list) {
      list = [];
      this.byFamily.set(family, list);
    }
    return list;
  }

  /** Whether a source of this size shares a table (else it gets its own). */
  shares(bytes: number): boolean {
    return bytes <= this.policy.shareMaxBytes;
  }

  /**
   * Where a source goes. `columns` are its fields with unique lower-case
   * names (the loaders make them so). A shared table of the family takes it
   * when every common column can store its values and the union stays within
   * the width cap; of those, the one it adds the fewest columns to. A source
   * too wide for any shared table gets its own.
   */
  place(family: string, format: string, columns: readonly FieldColumn[], share: boolean, evidenceId: number): Placement {
    const shared = share && columns.length <= this.policy.sharedMaxColumns;
    if (shared) {
      let best: { st: TableState; add: FieldColumn[]; target: Map<string, FieldColumn> } | null = null;
      for (const st of this.listOf(family)) {
        const fit = this.fit(st, columns);
        if (fit && (!best || fit.add.length < best.add.length)) best = { st, ...fit };
      }
      if (best) return { sourceId: best.st.id, table: best.st.table, shared: true, family, format, create: false, add: best.add, target: best.target };
    }
    const id = this.newId(evidenceId);
    const target = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
    return { sourceId: id, table: `src_${id}`, shared, family, format, create: true, add: [...columns], target };
  }

  /**
   * A new table takes the id of the evidence that creates it (`src_<evidence
   * id>`, as when every file had its own table). Live sources name their
   * tables after their own evidence ids, taken from the same counter as the
   * import's, so the two never meet. Only when that id is taken already (the
   * evidence is read again and its old table still holds other files' rows)
   * does the table get one above 10^9, beyond any evidence id.
   */
  private newId(evidenceId: number): number {
    let id = Math.trunc(evidenceId);
    if (this.taken.has(id)) {
      id = OVERFLOW_IDS + Math.trunc(evidenceId);
      while (this.taken.has(id)) id++;
    }
    this.taken.add(id);
    return id;
  }

  private fit(st: TableState, columns: readonly FieldColumn[]): { add: FieldColumn[]; target: Map<string, FieldColumn> } | null {
    const add: FieldColumn[] = [];
    const target = new Map<string, FieldColumn>();
    for (const c of columns) {
      const key = c.name.toLowerCase();
      const have = st.columns.get(key);
      if (have) {
        if (!storable(c.type, have.type)) return null;
        target.set(key, have);
      } else {
        add.push(c);
        target.set(key, c);
      }
    }
    return st.columns.size + add.length <= this.policy.sharedMaxColumns ? { add, target } : null;
  }

  /**
   * More columns for a placed source (a later chunk of a staged file brings
   * fields its first chunk did not have): the ones its table lacks, which
   * the placement's target learns. Past the shared width cap the table still
   * takes them (the file is in it already); the cap only steers new sources.
   */
  widen(p: Placement, columns: readonly FieldColumn[]): FieldColumn[] {
    const st = this.current(p);
    const add: FieldColumn[] = [];
    for (const c of columns) {
      const key = c.name.toLowerCase();
      if (p.target.has(key)) continue;
      const have = st?.columns.get(key);
      if (have) {
        p.target.set(key, have);
        continue;
      }
      add.push(c);
      p.target.set(key, c);
    }
    return add;
  }

  private current(p: Placement): TableState | undefined {
    return this.pending.get(p.table) ?? this.own.get(p.table) ?? this.listOf(p.family).find((s) => s.id === p.sourceId);
  }

  /**
   * Create or widen the table, inside the caller's transaction. A created
   * table gets its `sources` row (rows are counted by `recordRows`).
   */
  async prepare(conn: DuckDBConnection, p: Placement, add: readonly FieldColumn[] = p.add, evidenceId: number | null = null): Promise<void> {
    const table = quoteIdent(p.table);
    if (p.create) {
      // A table of that name without a sources row can only be debris of a database edited by hand.
      await conn.run(`DROP TABLE IF EXISTS ${table}`);
      const defs = ['rid BIGINT', 'evidence_id INTEGER', ...add.map((c) => `${quoteIdent(c.name)} ${c.type}`)];
      await conn.run(`CREATE TABLE ${table} (${defs.join(', ')})`);
      await this.insertSourceRow(conn, p, evidenceId);
      this.pending.set(p.table, { id: p.sourceId, table: p.table, family: p.family, columns: new Map(add.map((c) => [c.name.toLowerCase(), c])) });
      return;
    }
    for (const c of add) await conn.run(`ALTER TABLE ${table} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
    const before = this.current(p);
    const st: TableState = { id: p.sourceId, table: p.table, family: p.family, columns: new Map(before?.columns ?? []) };
    for (const c of add) st.columns.set(c.name.toLowerCase(), c);
    this.pending.set(p.table, st);
  }

  /** The `sources` row of a table (for a caller that creates the table itself, with CREATE TABLE AS). */
  async insertSourceRow(conn: DuckDBConnection, p: Placement, evidenceId: number | null): Promise<void> {
    await conn.run(`INSERT INTO sources (id, evidence_id, table_name, format, rows, shared, family) VALUES ($id, $ev, $t, $f, 0, $shared, $family)`, {
      id: p.sourceId,
      ev: p.shared ? null : evidenceId,
      t: p.table,
      f: p.format,
      shared: p.shared,
      family: p.family,
    });
    if (!this.pending.has(p.table)) this.pending.set(p.table, { id: p.sourceId, table: p.table, family: p.family, columns: new Map([...p.target.values()].map((c) => [c.name.toLowerCase(), c])) });
  }

  /** Count rows an evidence added to a table (inside the caller's transaction). `first`: its first rows there. */
  async recordRows(conn: DuckDBConnection, p: Placement, evidenceId: number, rows: number, first: boolean): Promise<void> {
    await conn.run(`UPDATE sources SET rows = rows + $n WHERE id = $id`, { n: rows, id: p.sourceId });
    if (first) await conn.run(`INSERT INTO source_evidence (source_id, evidence_id, rows) VALUES ($id, $ev, $n)`, { id: p.sourceId, ev: evidenceId, n: rows });
    else await conn.run(`UPDATE source_evidence SET rows = rows + $n WHERE source_id = $id AND evidence_id = $ev`, { id: p.sourceId, ev: evidenceId, n: rows });
  }

  /**
   * A table of its own, made with CREATE TABLE AS in the open transaction:
   * commit it, open the next transaction and number its rows from their
   * place (committed, its row ids are 0..n-1 in file order). Reading or
   * updating a table in the transaction that created it is slow (the events
   * of 1M Zeek rows: 2.4 s so, 1.0 s after a commit; LSASS_campaign_02: a
   * 0.56 s COMMIT against 0.02 s). Until the caller's second commit its
   * evidence stays `importing`: a crash leaves it incomplete and removable,
   * a failure or cancel deletes it (import-run.ts).
   */
  async commitAndNumber(conn: DuckDBConnection, p: Placement, idBase: number, onCommitted: () => void): Promise<void> {
    await conn.run('COMMIT');
    this.committed(p);
    // From here a failure leaves committed rows: the caller must delete them, not retry.
    onCommitted();
    await conn.run('BEGIN TRANSACTION');
    await conn.run(`UPDATE ${quoteIdent(p.table)} SET rid = rowid + ${Math.trunc(idBase)}`);
  }

  /** The caller's transaction committed: the cache takes the table's new shape, and the table exists from now on. */
  committed(p: Placement): void {
    const st = this.pending.get(p.table);
    this.pending.delete(p.table);
    p.create = false;
    p.add = [];
    if (!st) return;
    if (!p.shared) {
      this.own.set(p.table, st);
      return;
    }
    const list = this.listOf(p.family);
    const at = list.findIndex((s) => s.id === st.id);
    if (at >= 0) list[at] = st;
    else list.push(st);
  }

  /** The caller's transaction rolled back: nothing of it happened (a table it created does not exist). */
  rolledBack(p: Placement): void {
    this.pending.delete(p.table);
    // A table it was to create does not exist: its id is free again.
    if (p.create && !this.own.has(p.table) && !this.listOf(p.family).some((st) => st.id === p.sourceId)) this.taken.delete(p.sourceId);
  }

  /** Tables dropped (their last evidence removed). */
  forget(tables: readonly string[]): void {
    for (const table of tables) {
      this.own.delete(table);
      const id = Number(table.slice('src_'.length));
      if (Number.isInteger(id)) this.taken.delete(id);
      for (const list of this.byFamily.values()) {
        const at = list.findIndex((s) => s.table === table);
        if (at >= 0) list.splice(at, 1);
      }
    }
  }
}

/** SQL for a field table's name, for statements built elsewhere. */
export function tableSql(p: Placement): string {
  return quoteIdent(p.table);
}

/** Rows an evidence has in its field tables, deleted; tables it alone used, dropped. Returns the dropped tables. */
export async function deleteSourceRows(conn: DuckDBConnection, evidenceId: number): Promise<string[]> {
  const parts = await queryRows(
    conn,
    `SELECT s.id, s.table_name, se.rows,
            (SELECT count(*) FROM source_evidence o WHERE o.source_id = s.id AND o.evidence_id <> $ev) AS others
       FROM source_evidence se JOIN sources s ON s.id = se.source_id WHERE se.evidence_id = $ev`,
    { ev: evidenceId },
  );
  const dropped: string[] = [];
  for (const p of parts) {
    const table = String(p.table_name);
    if (Number(p.others) > 0) {
      await conn.run(`DELETE FROM ${quoteIdent(table)} WHERE evidence_id = $ev`, { ev: evidenceId });
      await conn.run(`UPDATE sources SET rows = rows - $n WHERE id = $id`, { n: Number(p.rows), id: Number(p.id) });
    } else {
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
      await conn.run(`DELETE FROM sources WHERE id = $id`, { id: Number(p.id) });
      dropped.push(table);
    }
  }
  await conn.run(`DELETE FROM source_evidence WHERE evidence_id = $ev`, { ev: evidenceId });
  // A table of this evidence alone that source_evidence does not list (written by hand or by
  // an older writer that knew only sources.evidence_id) goes with it too.
  const lone = await queryRows(conn, 'SELECT id, table_name FROM sources WHERE evidence_id = $ev AND NOT coalesce(shared, false)', { ev: evidenceId });
  for (const t of lone) {
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(String(t.table_name))}`);
    await conn.run(`DELETE FROM sources WHERE id = $id`, { id: Number(t.id) });
    dropped.push(String(t.table_name));
  }
  return dropped;
}

/** `'a', 'b'` for an IN list of our own names (never user text in SQL otherwise). */
export function sqlList(names: readonly string[]): string {
  return names.map(sqlString).join(', ');
}
