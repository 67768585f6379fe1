import { describe, expect, it } from 'vitest';
import { mergeHits, type MergeInput } from '../../../src/main/engine/alerts/alert-merge';
import { queryRows } from '../../../src/main/engine/db/sql';
import type { CorrelationHit } from '../../../src/main/engine/detect';
import { freshEngine } from '../ingest/import-helpers';

function hit(ruleId: string, ip: string, ids: number[]): CorrelationHit {
  return { ruleId, type: 'event_count', group: { 'loupe.src_ip': ip }, firstTs: 0, lastTs: 0, count: ids.length, eventIds: ids };
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('merging correlation hits into alerts', () => {
  it('a hit with more event ids than one statement binds is linked whole, and merging it again adds nothing', async () => {
    const { engine, cleanup } = await freshEngine();
    try {
      const conn = engine.case.conn;
      await conn.run(
        `INSERT INTO events (id, evidence_id, source_id, rid, ts, dataset, host)
         SELECT i, 1, 1, i, TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i), 'linux.auth', 'h1' FROM range(1, 150001) t(i)`,
      );
      // 140,000 ids: more than two statements' worth (65,536 each); then two small hits of other groups.
      const input: MergeInput = {
        hitsTable: null,
        correlations: [hit('brute', '10.0.0.1', range(1, 140_000)), hit('brute', '10.0.0.2', range(140_001, 10)), hit('spray', '10.0.0.3', range(145_001, 5))],
        alerting: () => true,
        meta: (id) => ({ title: id, level: 'high', tags: [] }),
        suppressions: [],
        runId: 1,
      };
      const first = await mergeHits(conn, input);
      expect(first).toMatchObject({ links: 140_015, alertsNew: 3 });
      const alerts = await queryRows(conn, 'SELECT rule_id, group_key, event_count, first_ts::VARCHAR AS first, last_ts::VARCHAR AS last FROM alerts ORDER BY rule_id, group_key');
      expect(alerts.map((a) => [a.rule_id, Number(a.event_count)])).toEqual([
        ['brute', 140_000],
        ['brute', 10],
        ['spray', 5],
      ]);
      expect(alerts[0]).toMatchObject({ first: '2024-01-01 00:00:01', last: '2024-01-02 14:53:20' });
      const links = await queryRows(conn, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d, min(event_id) AS lo, max(event_id) AS hi FROM alert_events');
      expect(links[0]).toEqual({ n: 140_015, d: 140_015, lo: 1, hi: 145_005 });

      const again = await mergeHits(conn, { ...input, runId: 2 });
      expect(again).toMatchObject({ alertsNew: 0, alertsUpdated: 0 });
      expect((await queryRows(conn, 'SELECT count(*) AS n FROM alert_events'))[0]).toEqual({ n: 140_015 });
    } finally {
      cleanup();
    }
  });
});
