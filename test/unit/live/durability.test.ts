import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitBatch, fieldColumns, getSourceRow } from '../../../src/main/engine/live/live-store';
import { Engine } from '../../../src/main/engine/service/engine';
import { call } from '../../../src/main/engine/service/dispatch';
import { queryRows } from '../../../src/main/engine/db/sql';
import { StagingChunk, ColumnSet } from '../../../src/main/engine/ingest/staging-writer';
import { emptyCore } from '../../../src/main/engine/ingest/format-support';
import { FAST_LIVE, liveFixture, searchTotal, sendTcp, until, type LiveFixture } from './helpers';

let f: LiveFixture;
beforeEach(async () => {
  f = await liveFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const line = (i: number, host = 'web01') => `<38>Nov  1 10:00:${String(i % 60).padStart(2, '0')} ${host} sshd[${1000 + i}]: Failed password for root from 10.0.0.${i % 250} port ${40000 + i} ssh2`;

async function tableState(fx: LiveFixture, evidenceId: number) {
  const [ev] = await fx.sql('SELECT seen, stored, rejected FROM evidence WHERE id = $id', { id: evidenceId });
  const [events] = await fx.sql('SELECT count(*) AS n FROM events');
  const [errors] = await fx.sql('SELECT count(*) AS n FROM ingest_errors');
  const [src] = await fx.sql(`SELECT count(*) AS n FROM src_${evidenceId}`);
  const row = await getSourceRow(fx.engine.case.conn, 1);
  return { ev, events: events?.n, errors: errors?.n, src: src?.n, seq: row?.committedSeq, stored: row?.stored, columns: await fieldColumns(fx.engine.case.conn, evidenceId) };
}

describe('the sink transaction', () => {
  it('never half-applies: rows, counters, new columns and the journal position go together or not at all', async () => {
    const info = await f.op('startListener', { tcp: 0 });
    await sendTcp(info.bound?.tcp as number, `${line(1)}\n`);
    await until(async () => (await searchTotal(f, '')) === 1, 'the first event');
    await f.op('stopLiveSource', { id: info.id });
    const before = await tableState(f, info.evidenceId);

    // A batch with a row, a rejection and a column the table does not have, failing just before COMMIT.
    const dir = join(f.dir, 'staging');
    mkdirSync(dir, { recursive: true });
    const cols = new ColumnSet(100);
    cols.restore(before.columns);
    const chunk = new StagingChunk(1, cols, dir, 'half');
    chunk.add(1, 2, { ...emptyCore('text'), message: 'half' }, { brand_new_field: 'x', message: 'half' }, 'half');
    chunk.error({ pos: 3, posKind: 'record', kind: 'rejected', reason: 'test', excerpt: 'bad' });
    const files = chunk.finish();
    const conn = f.engine.case.conn;
    const attempt = (fail: boolean) =>
      commitBatch(conn, {
        sourceId: info.id,
        evidenceId: info.evidenceId,
        seq: 999_999,
        chunks: [{ ...files, rows: 1, firstRid: 1 }],
        known: new Set(before.columns),
        idBase: 100,
        firstRid: 1,
        totals: { received: 3, stored: 2, rejected: 1, skipped: 0, warnings: 0, dropped: 0, truncated: 0 },
        readings: null,
        positions: null,
        failBeforeCommit: fail,
      });
    await expect(attempt(true)).rejects.toThrow(/injected failure/);
    expect(await tableState(f, info.evidenceId)).toEqual(before);
  });

  it('a failed commit is replayed from the journal and stored exactly once', async () => {
    const info = await f.op('startListener', { tcp: 0 });
    const rt = f.engine.live.runtime(info.id);
    if (!rt) throw new Error('no runtime');
    rt.sink.failNextCommit = true;
    const n = 500;
    await sendTcp(info.bound?.tcp as number, Array.from({ length: n }, (_, i) => line(i)).join('\n') + '\n');
    await until(async () => (await searchTotal(f, '')) === n, `${n} events`);
    const [r] = await f.sql('SELECT count(*) AS c, count(DISTINCT pos) AS p, count(DISTINCT rid) AS r, min(id) AS lo, max(id) AS hi FROM events');
    expect(r).toMatchObject({ c: n, p: n, r: n, lo: 1, hi: n });
    const [src] = await f.sql(`SELECT count(*) AS c FROM src_${info.evidenceId}`);
    expect(src?.c).toBe(n);
    const listed = (await f.op('listLiveSources', {})).sources[0];
    expect(listed?.counters).toMatchObject({ received: n, stored: n, backlog: 0, dropped: 0 });
  });
});

describe('post-import hooks', () => {
  it('run over new live events, a few seconds apart at most, with their id range', async () => {
    const seen: Array<{ live?: boolean; first: number | null; evidence: number[] }> = [];
    f.engine.onImported((e) => {
      seen.push({ live: e.live, first: e.firstNewEventId, evidence: e.evidenceIds });
    });
    const info = await f.op('startListener', { tcp: 0 });
    await sendTcp(info.bound?.tcp as number, `${line(1)}\n${line(2)}\n`);
    await until(() => seen.length > 0, 'a hook run');
    expect(seen[0]).toEqual({ live: true, first: 1, evidence: [info.evidenceId] });
    await sendTcp(info.bound?.tcp as number, `${line(3)}\n`);
    await until(() => seen.length > 1, 'a second hook run');
    expect(seen[1]?.first).toBe(3);
  });
});

describe('imports and live sources together', () => {
  it('share one id sequence: no id is handed out twice while both write', async () => {
    const info = await f.op('startListener', { tcp: 0 });
    const file = join(f.dir, 'big-syslog.log');
    writeFileSync(file, Array.from({ length: 60_000 }, (_, i) => line(i, 'imported')).join('\n') + '\n');
    let sending = true;
    let sent = 0;
    // Paced (a few thousand a second) and capped: the point is overlap with the import, not a flood the test then waits on.
    const sender = (async () => {
      while (sending && sent < 100_000) {
        await sendTcp(info.bound?.tcp as number, Array.from({ length: 50 }, (_, i) => line(sent + i, 'live')).join('\n') + '\n');
        sent += 50;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const importId = await f.engine.imports.start({ paths: [file] });
    await f.engine.imports.wait(importId);
    sending = false;
    await sender;
    await until(async () => (await searchTotal(f, 'host:live')) === sent, 'every live event', 30_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify((await f.op('listLiveSources', {})).sources[0])}, search ${await searchTotal(f, 'host:live')} of ${sent}`);
    });
    const [r] = await f.sql('SELECT count(*) AS c, count(DISTINCT id) AS d, min(id) AS lo, max(id) AS hi FROM events');
    expect(r?.c).toBe(60_000 + sent);
    expect(r?.d).toBe(r?.c);
    expect(r?.lo).toBe(1);
    expect(r?.hi).toBe(r?.c);
    expect(sent).toBeGreaterThan(0);
  });
});

describe('watched files', () => {
  it('resume after a stop, a rotation while stopped, and a crash, without duplicates or losses', async () => {
    const logs = join(f.dir, 'logs');
    mkdirSync(logs);
    const auth = join(logs, 'auth.log');
    const all: string[] = [];
    const write = (file: string, from: number, count: number) => {
      const lines = Array.from({ length: count }, (_, i) => line(from + i, 'watched'));
      appendFileSync(file, lines.join('\n') + '\n');
      all.push(...lines);
    };
    write(auth, 0, 3);
    const info = await f.op('startWatch', { paths: [logs] });
    await until(async () => (await searchTotal(f, '')) === 3, 'three lines');
    expect(info.watch?.paths).toEqual([logs]);

    // Stopped, the file grows, then is rotated and recreated: the late lines and the new file are read once.
    await f.op('stopLiveSource', { id: info.id });
    write(auth, 3, 2);
    renameSync(auth, join(logs, 'auth.log.1'));
    write(join(logs, 'auth.log.1'), 5, 1);
    write(auth, 6, 2);
    await f.op('startWatch', { paths: [logs] });
    // auth.log.1 is the old auth.log under its new name: it is not read again.
    await until(async () => (await searchTotal(f, 'host:watched')) === 8, 'the lines after the rotation');

    const countOf = async () => Number((await f.sql(`SELECT count(*) AS n FROM src_${info.evidenceId} WHERE _file = $p`, { p: auth }))[0]?.n);
    await until(async () => (await countOf()) === 8, 'auth.log lines 0-7 under its path');

    // A crash: storing fails, lines reach only the journal, and the process goes away without draining.
    const rt = f.engine.live.runtime(info.id);
    if (!rt) throw new Error('no runtime');
    const failing = setInterval(() => (rt.sink.failNextCommit = true), 1);
    rt.sink.failNextCommit = true;
    write(auth, 8, 4);
    await until(() => rt.counters().received >= 12, 'the journal to hold the new lines');
    // Leave as a crash would: nothing more is stored (the sink still fails while the source stops).
    await f.engine.live.detach(0);
    clearInterval(failing);
    f.engine.closeCase();

    const engine2 = new Engine({ host: 'test', live: FAST_LIVE });
    try {
      await engine2.useCase(f.caseDir, { mode: 'open' });
      write(auth, 12, 2);
      await call(engine2.handlers, 'startWatch', { paths: [logs] });
      const n = async () => Number((await queryRows(engine2.case.conn, `SELECT count(*) AS n FROM src_${info.evidenceId} WHERE _file = $p`, { p: auth }))[0]?.n);
      await until(async () => (await n()) === 14, 'auth.log lines 0-13');
      const lines = await queryRows(engine2.case.conn, `SELECT e.raw FROM events e JOIN src_${info.evidenceId} s ON s.rid = e.rid WHERE e.evidence_id = $ev AND s._file = $p ORDER BY e.id`, { ev: info.evidenceId, p: auth });
      expect(lines.map((r) => r.raw)).toEqual(all.slice(0, 14));
      // Nothing was stored twice, under any file name.
      const [dups] = await queryRows(engine2.case.conn, 'SELECT count(*) AS n, count(DISTINCT raw) AS d FROM events');
      expect(dups?.n).toBe(14);
      expect(dups?.d).toBe(14);
    } finally {
      await engine2.close();
    }
  });
});
