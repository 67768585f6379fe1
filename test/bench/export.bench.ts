import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportFormat } from '../../src/shared/findings-contract';
import { call } from '../../src/main/engine/service/dispatch';
import { Engine } from '../../src/main/engine/service/engine';
import { startFakeSiem } from '../fixtures/fake-siem';
import { cachedScenario } from './scenario-cache';
import { mbPerSecond, perSecond, seconds, speedRatio, timed, type Bench, type BenchRow } from './harness';

/**
 * Findings at scale, each figure beside a reference measured in the same run:
 *
 * - exports (our shaping: evidence join, marks, ISO times, time order) against
 *   DuckDB's COPY of the bare events table in the same format, and NDJSON
 *   against encoding the same rows in JS (the design alternative COPY beat);
 * - the full report against one aggregate scan of the events (its floor);
 * - forwarding to a local fake Splunk HEC against posting the same documents
 *   in the same batches by hand (no queue, no log, no retries).
 *
 * A scenario case of 1M events (LOUPE_BENCH_EVENTS) is generated once into .tmp/bench.
 */
const EVENTS = Number(process.env.LOUPE_BENCH_EVENTS ?? 1_000_000);
const FORWARD = Number(process.env.LOUPE_BENCH_FORWARD ?? 20_000);
const ROOT = resolve(__dirname, '..', '..');
const DIR = join(ROOT, '.tmp', 'bench', `export-${EVENTS}`);
const OUT = join(ROOT, '.tmp', 'bench', 'export-out');

const bench: Bench = {
  name: 'export',
  async run(log) {
    await cachedScenario(DIR, EVENTS, 1, log);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    process.env.LOUPE_HOME = join(DIR, '..', 'home');
    const engine = new Engine({ host: 'test', findings: { forwarder: { baseDelayMs: 5, maxDelayMs: 20 } } });
    await engine.useCase(DIR, { mode: 'open' });
    const conn = engine.case.conn;
    const rows: BenchRow[] = [];
    let seq = 0;
    try {
      // Bookmarks for the report's timeline (a realistic evidence set).
      await conn.run('DELETE FROM bookmarks');
      await conn.run(`INSERT INTO bookmarks SELECT id, now()::TIMESTAMP, 'bench' FROM events WHERE id % ${Math.max(1, Math.floor(EVENTS / 200))} = 0`);

      const copyOpts: Record<string, string> = { csv: 'FORMAT csv, HEADER true', ndjson: 'FORMAT json', parquet: 'FORMAT parquet, COMPRESSION zstd' };
      for (const format of ['csv', 'ndjson', 'parquet'] as const) {
        const ours = await timed(() => call(engine.handlers, 'exportData', { exportId: `b${++seq}`, source: { kind: 'search', query: '' }, format: format as ExportFormat }));
        const refFile = join(OUT, `ref.${format}`);
        const ref = await timed(() => conn.run(`COPY (SELECT * FROM events ORDER BY ts, id) TO '${refFile}' (${copyOpts[format]})`));
        const bytes = ours.value.bytes;
        log(`${format}: ${ours.value.rows} rows, ${(bytes / 1e6).toFixed(0)} MB in ${seconds(ours.ms)}; bare COPY ${(statSync(refFile).size / 1e6).toFixed(0)} MB in ${seconds(ref.ms)}`);
        rows.push({
          capability: `export all ${EVENTS.toLocaleString('en-US')} events to ${format.toUpperCase()} (normalised columns, time order)`,
          loupe: `${seconds(ours.ms)}, ${perSecond(ours.value.rows, ours.ms, 'rows')}, ${mbPerSecond(bytes, ours.ms)}`,
          reference: `DuckDB COPY of the bare events table, same format: ${seconds(ref.ms)}`,
          ratio: speedRatio(ours.ms, ref.ms),
        });
      }

      const js = await timed(async () => {
        const out = createWriteStream(join(OUT, 'js.ndjson'));
        const r = await conn.stream(`SELECT id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, * EXCLUDE (id, ts) FROM events ORDER BY ts, id`);
        const names = r.columnNames();
        for (;;) {
          const chunk = await r.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          let buf = '';
          for (const row of chunk.getRows()) {
            const o: Record<string, unknown> = {};
            row.forEach((v, i) => (o[names[i] as string] = typeof v === 'bigint' ? Number(v) : v));
            buf += `${JSON.stringify(o)}\n`;
          }
          if (!out.write(buf)) await new Promise<void>((ok) => out.once('drain', () => ok()));
        }
        await new Promise<void>((ok) => out.end(() => ok()));
      });
      const nd = await timed(() => call(engine.handlers, 'exportData', { exportId: `b${++seq}`, source: { kind: 'search', query: '' }, format: 'ndjson' }));
      rows.push({
        capability: `export all ${EVENTS.toLocaleString('en-US')} events to NDJSON: COPY (ours) vs encoding rows in JS`,
        loupe: seconds(nd.ms),
        reference: `DuckDB rows streamed to JS, JSON.stringify, written: ${seconds(js.ms)}`,
        ratio: speedRatio(nd.ms, js.ms),
      });

      const all = await timed(() => call(engine.handlers, 'exportData', { exportId: `b${++seq}`, source: { kind: 'search', query: 'dataset:windows.security' }, format: 'parquet', fields: 'all' }));
      const allRef = await timed(() =>
        conn.run(`COPY (SELECT e.*, s.* EXCLUDE (rid) FROM events e JOIN src_1 s ON s.rid = e.rid AND e.source_id = 1 UNION ALL BY NAME SELECT e.*, s.* EXCLUDE (rid) FROM events e JOIN src_2 s ON s.rid = e.rid AND e.source_id = 2) TO '${join(OUT, 'ref-all.parquet')}' (FORMAT parquet)`),
      );
      rows.push({
        capability: `export windows.security (${all.value.rows.toLocaleString('en-US')} rows) with every original field to Parquet`,
        loupe: `${seconds(all.ms)}, ${perSecond(all.value.rows, all.ms, 'rows')}`,
        reference: `the same joins written by hand: ${seconds(allRef.ms)}`,
        ratio: speedRatio(all.ms, allRef.ms),
      });

      // The first report of a case also enriches its IPs (once) and loads ECharts and the intel databases.
      const first = await timed(() => call(engine.handlers, 'previewReport', {}));
      const report = await timed(() => call(engine.handlers, 'previewReport', {}));
      const floor = await timed(() => conn.runAndReadAll(`SELECT dataset, count(*), min(ts), max(ts), count(DISTINCT host) FROM events GROUP BY dataset`));
      log(`report: ${(report.value.bytes / 1024).toFixed(0)} KiB HTML; first ${seconds(first.ms)}`);
      rows.push({
        capability: `full report (8 sections, 4 charts, ${Math.floor(EVENTS / Math.max(1, Math.floor(EVENTS / 200)))} bookmarks) over ${EVENTS.toLocaleString('en-US')} events`,
        loupe: `${seconds(report.ms)} (${(report.value.bytes / 1024).toFixed(0)} KiB); the first of a case ${seconds(first.ms)}`,
        reference: `one aggregate scan of the events: ${seconds(floor.ms)}`,
        ratio: speedRatio(report.ms, floor.ms),
      });

      const siem = await startFakeSiem();
      try {
        await call(engine.handlers, 'saveDestination', { name: 'bench', kind: 'splunk-hec', url: siem.url, token: 'good-token' });
        await conn.run(`DELETE FROM forward_log WHERE destination = 'bench'`); // a fresh run every time
        const q = `id:<=${FORWARD}`;
        const fwd = await timed(() => call(engine.handlers, 'forwardItems', { forwardId: `f${++seq}`, destination: 'bench', source: { kind: 'search', query: q } }));
        log(`forward: ${fwd.value.sent} sent in ${fwd.value.batches} batches, p50 ${fwd.value.latencyMs.p50} ms`);
        const docs = await conn.runAndReadAll(`SELECT id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts, * EXCLUDE (id, ts) FROM events WHERE id <= ${FORWARD} ORDER BY ts, id`);
        const objs = docs.getRowObjectsJson();
        const hand = await timed(async () => {
          for (let i = 0; i < objs.length; i += 500) {
            const body = objs
              .slice(i, i + 500)
              .map((o) => JSON.stringify({ source: 'bench', sourcetype: '_json', event: o }))
              .join('\n');
            const res = await fetch(`${siem.url}/services/collector/event`, { method: 'POST', headers: { Authorization: 'Splunk good-token' }, body });
            await res.text();
          }
        });
        rows.push({
          capability: `forward ${FORWARD.toLocaleString('en-US')} events to Splunk HEC (local fake), logged as acknowledged`,
          loupe: `${seconds(fwd.ms)}, ${perSecond(fwd.value.sent, fwd.ms, 'events')}`,
          reference: `the same documents POSTed in batches of 500 by hand: ${seconds(hand.ms)}`,
          ratio: speedRatio(fwd.ms, hand.ms),
        });
      } finally {
        await siem.close();
      }
    } finally {
      await engine.close();
    }
    return rows;
  },
};

export default bench;
