import { join, resolve } from 'node:path';
import type { OpName } from '../../src/shared/contract';
import { call } from '../../src/main/engine/service/dispatch';
import { Engine } from '../../src/main/engine/service/engine';
import { SCENARIO_TRUTH as T } from '../fixtures/scenario';
import { cachedScenario } from './scenario-cache';
import { speedRatio, type Bench, type BenchRow } from './harness';

/**
 * Search latency on a generated case of 10M events (LOUPE_BENCH_EVENTS to
 * change), each figure beside the same query written by hand in plain DuckDB
 * SQL on the same database in the same run: the difference is our layer
 * (parsing, compiling, the field catalog, JSON rows, marks on the page).
 *
 * The case is generated once into .tmp/bench and reused while its size and
 * seed match (generation takes minutes at 10M; the queries take ms).
 */
const EVENTS = Number(process.env.LOUPE_BENCH_EVENTS ?? 10_000_000);
const RUNS = Number(process.env.LOUPE_BENCH_RUNS ?? 7);
const ROOT = resolve(__dirname, '..', '..');
const DIR = join(ROOT, '.tmp', 'bench', `query-${EVENTS}`);

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm: the first run pays for reading the columns from disk
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

const bench: Bench = {
  name: 'query',
  async run(log) {
    await cachedScenario(DIR, EVENTS, 2, log);
    process.env.LOUPE_HOME = join(DIR, '..', 'home');
    const engine = new Engine({ host: 'test' });
    await engine.useCase(DIR, { mode: 'open' });
    const conn = engine.case.conn;
    const op = (name: OpName, input: unknown) => () => call(engine.handlers, name, input);
    const hand = (...sqls: string[]) => async () => {
      for (const s of sqls) await conn.runAndReadAll(s);
    };
    const page = (where: string, from = 'events e') => `SELECT * FROM ${from} WHERE ${where} ORDER BY e.ts DESC NULLS LAST, e.id DESC LIMIT 101`;
    const count = (where: string, from = 'events e') => `SELECT count(*) FROM ${from} WHERE ${where}`;
    const rows: BenchRow[] = [];
    const add = async (capability: string, loupe: () => Promise<unknown>, reference: () => Promise<unknown>, refLabel: string, target?: number) => {
      const a = await median(loupe);
      const b = await median(reference);
      log(`${capability}: ${ms(a)} (by hand ${ms(b)})`);
      rows.push({
        capability: `${capability} (${(EVENTS / 1e6).toFixed(0)}M events)`,
        loupe: ms(a),
        reference: `${refLabel}: ${ms(b)}`,
        ratio: speedRatio(a, b),
        ...(target !== undefined ? { target: `< ${target} ms`, met: a < target } : {}),
      });
    };
    try {
      await add(
        'field equality event_code:4625, page + exact total',
        op('search', { query: 'event_code:4625', count: true }),
        hand(page(`lower(e.event_code) = '4625'`), count(`lower(e.event_code) = '4625'`)),
        'same SQL by hand',
        150,
      );
      const semi = `events e SEMI JOIN (SELECT 1 AS sid, rid FROM src_1 WHERE lower("TargetUserName") = 'administrator' UNION ALL SELECT 2, rid FROM src_2 WHERE lower("TargetUserName") = 'administrator') k ON e.source_id = k.sid AND e.rid = k.rid`;
      await add('original field TargetUserName:administrator, page + total', op('search', { query: `TargetUserName:${T.bruteForce.user}`, count: true }), hand(page('TRUE', semi), count('TRUE', semi)), 'semi-join by hand', 150);
      await add('CIDR src_ip:10.1.0.0/16, page + total', op('search', { query: 'src_ip:10.1.0.0/16', count: true }), hand(page(`e.src_ip LIKE '10.1.%'`), count(`e.src_ip LIKE '10.1.%'`)), "LIKE '10.1.%' by hand", 300);
      await add('CIDR ip:172.16.0.0/12 OR 10.0.0.0/8 (partial octet), page', op('search', { query: 'ip:172.16.0.0/12 OR ip:10.0.0.0/8' }), hand(page(`e.src_ip LIKE '10.%' OR e.dst_ip LIKE '10.%'`)), 'prefix LIKE by hand', 300);
      const text = `contains(lower(e.message), 'failed password') OR (e.raw IS NOT NULL AND contains(lower(e.raw), 'failed password'))`;
      const ilike = `e.message ILIKE '%failed password%' OR e.raw ILIKE '%failed password%'`;
      await add('free text "failed password", page + total', op('search', { query: '"failed password"', count: true }), hand(page(text), count(text)), 'same SQL by hand', 1500);
      await add('free text "failed password", first page only', op('search', { query: '"failed password"' }), hand(page(ilike)), 'ILIKE by hand (the obvious SQL)', 1500);
      await add(
        'histogram, all events (auto bucket)',
        op('histogram', {}),
        hand(`SELECT min(ts), max(ts) FROM events`, `SELECT epoch_ms(ts) // 3600000 AS b, count(*) FROM events GROUP BY b`),
        'min/max + GROUP BY by hand',
        300,
      );
      await add(
        'histogram, dataset:sysmon',
        op('histogram', { query: 'dataset:sysmon' }),
        hand(`SELECT min(ts), max(ts) FROM events WHERE dataset = 'sysmon'`, `SELECT epoch_ms(ts) // 3600000 AS b, count(*) FROM events WHERE dataset = 'sysmon' GROUP BY b`),
        'same SQL by hand',
        300,
      );
      await add('top values of user (all events)', op('fieldStats', { field: 'user' }), hand(`SELECT "user", count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 10`), 'GROUP BY by hand', 300);
      await add('top values of dataset (all events)', op('fieldStats', { field: 'dataset' }), hand(`SELECT dataset, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 10`), 'GROUP BY by hand', 300);
      await add(
        'top values of TargetUserName (original field, all events)',
        op('fieldStats', { field: 'TargetUserName' }),
        hand(`SELECT "TargetUserName", count(*) AS n FROM (SELECT "TargetUserName" FROM src_1 UNION ALL SELECT "TargetUserName" FROM src_2) GROUP BY 1 ORDER BY n DESC LIMIT 10`),
        'GROUP BY over the field tables by hand',
        300,
      );
      await add(
        'top values of TargetUserName within dataset:windows.security (join)',
        op('fieldStats', { field: 'TargetUserName', query: 'dataset:windows.security' }),
        hand(`SELECT s."TargetUserName", count(*) AS n FROM events e JOIN src_1 s ON s.rid = e.rid WHERE e.source_id = 1 GROUP BY 1 UNION ALL SELECT s."TargetUserName", count(*) AS n FROM events e JOIN src_2 s ON s.rid = e.rid WHERE e.source_id = 2 GROUP BY 1`),
        'join + GROUP BY by hand',
      );
      const first = (await call(engine.handlers, 'search', { query: 'dataset:zeek.conn' })) as { last: { value: string; id: number } };
      const cur = first.last;
      const ts = cur.value.replace('Z', '');
      await add(
        'next page (keyset) dataset:zeek.conn',
        op('search', { query: 'dataset:zeek.conn', after: cur }),
        hand(page(`e.dataset = 'zeek.conn' AND e.ts <= '${ts}' AND (e.ts < '${ts}' OR e.id < ${cur.id})`)),
        'keyset SQL by hand',
        50,
      );
      await add('far jump: offset 5,000,000 of all events', op('search', { offset: Math.floor(EVENTS / 2) }), hand(`SELECT * FROM events ORDER BY ts DESC NULLS LAST, id DESC LIMIT 101 OFFSET ${Math.floor(EVENTS / 2)}`), 'OFFSET by hand');
    } finally {
      await engine.close();
    }
    return rows;
  },
};

export default bench;
