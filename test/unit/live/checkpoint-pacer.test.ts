import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../../src/main/engine/case/case-file';
import { queryValue } from '../../../src/main/engine/db/sql';
import { eventWrites } from '../../../src/main/engine/ingest/event-writes';
import { CheckpointPacer } from '../../../src/main/engine/live/checkpoint-pacer';
import { freshEngine } from '../ingest/import-helpers';

/**
 * While live sources run, checkpoints move out of their commits into quiet
 * seconds (checkpoint-pacer.ts). On a real case database: the log grows past
 * DuckDB's 16 MiB threshold without a checkpoint while held, a quiet tick
 * takes the checkpoint, a busy one does not, and release restores the default.
 */
describe('live checkpoint pacing', () => {
  let cleanup: (() => void) | null = null;
  afterEach(() => {
    cleanup?.();
    cleanup = null;
  });

  /** Small transactions (below one row group each) go through the write-ahead log, as live batches do. */
  async function writeLog(conn: Parameters<typeof queryValue>[0], batches: number): Promise<void> {
    for (let i = 0; i < batches; i++) {
      await conn.run(`INSERT INTO t SELECT range, repeat(md5(range::VARCHAR), 4) FROM range(${i * 60_000}, ${(i + 1) * 60_000})`);
    }
  }

  it('holds DuckDB checkpoints off while sources run and takes them in quiet seconds', async () => {
    const fx = await freshEngine();
    cleanup = fx.cleanup;
    const kase = fx.engine.case;
    const conn = await kase.connect();
    const wal = join(kase.dir, `${DB_FILE}.wal`);
    const walBytes = (): number => {
      try {
        return statSync(wal).size;
      } catch {
        return 0;
      }
    };
    await conn.run('CREATE TABLE t (i BIGINT, s VARCHAR)');
    const pacer = new CheckpointPacer(conn, wal, eventWrites(kase));
    const threshold = async (): Promise<string> => String(await queryValue(conn, `SELECT current_setting('checkpoint_threshold')`));
    const defaultThreshold = await threshold();

    // Not held: DuckDB checkpoints inside the commits, the log stays under its threshold.
    await writeLog(conn, 4);
    expect(walBytes()).toBeLessThan(16 * 1024 * 1024);

    await pacer.hold();
    expect(await threshold()).not.toBe(defaultThreshold);
    await writeLog(conn, 4);
    const grown = walBytes();
    expect(grown).toBeGreaterThan(16 * 1024 * 1024);

    // A busy second leaves the log alone; a quiet one checkpoints it.
    pacer.tick(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(pacer.checkpoints).toBe(0);
    expect(walBytes()).toBe(grown);
    pacer.tick(true);
    for (let i = 0; i < 100 && pacer.checkpoints === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pacer.checkpoints).toBe(1);
    expect(walBytes()).toBeLessThan(grown / 4);

    await pacer.release();
    expect(await threshold()).toBe(defaultThreshold);
    expect(Number(await queryValue(conn, 'SELECT count(*) FROM t'))).toBe(8 * 60_000);
    kase.release(conn);
  }, 60_000);

  it('a bulk load lowers the threshold for its own commits only, and never under a live hold', async () => {
    const fx = await freshEngine();
    cleanup = fx.cleanup;
    const kase = fx.engine.case;
    const conn = await kase.connect();
    const writes = eventWrites(kase);
    const pacer = new CheckpointPacer(conn, join(kase.dir, `${DB_FILE}.wal`), writes);
    const threshold = async (): Promise<string> => String(await queryValue(conn, `SELECT current_setting('checkpoint_threshold')`));
    const defaultThreshold = await threshold();

    let inside = '';
    await writes.withBulkThreshold(conn, '1MB', async () => {
      inside = await threshold();
    });
    expect(inside).not.toBe(defaultThreshold);
    expect(await threshold()).toBe(defaultThreshold);

    // A hold taken while a bulk load runs survives that load's end.
    let release!: () => void;
    const loading = writes.withBulkThreshold(conn, '1MB', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    await pacer.hold();
    const held = await threshold();
    expect(held).not.toBe(defaultThreshold);
    release();
    await loading;
    expect(await threshold()).toBe(held);

    // Under the hold a bulk load leaves the threshold as the sources want it.
    await writes.withBulkThreshold(conn, '1MB', async () => {
      inside = await threshold();
    });
    expect(inside).toBe(held);
    await pacer.release();
    expect(await threshold()).toBe(defaultThreshold);
    kase.release(conn);
  }, 60_000);
});
