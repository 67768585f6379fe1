import { join } from 'node:path';
import { call } from '../../../src/main/engine/service/dispatch';
import { Engine, type EngineOptions } from '../../../src/main/engine/service/engine';
import { addAlerts, addHostileEvents, HOSTILE } from '../../fixtures/findings-case';
import { fillScenario, SCENARIO_TRUTH as T } from '../../fixtures/scenario';
import { tempDir } from '../../helpers';

export interface FindingsCase {
  engine: Engine;
  dir: string;
  hostile: number[];
  brute: number[];
  alerts: number[];
  cleanup: () => Promise<void>;
}

/**
 * A scenario case with hostile events, bookmarks with tags and comments, and
 * an alert list: what the findings tests report on, export and forward.
 */
export async function findingsCase(opts: { events?: number; alerts?: boolean; engine?: Partial<EngineOptions> } = {}): Promise<FindingsCase> {
  const tmp = tempDir('loupe-findings-');
  process.env.LOUPE_HOME = join(tmp.dir, 'home');
  const engine = new Engine({ host: 'test', ...opts.engine });
  const dir = join(tmp.dir, 'case');
  await engine.useCase(dir, { mode: 'create', name: 'Findings test' });
  await fillScenario(engine.case.conn, { events: opts.events ?? 20_000 });
  const hostile = await addHostileEvents(engine.case.conn, 3);
  const brute = (await call(engine.handlers, 'search', { query: `src_ip:${T.bruteForce.ip}`, sort: { column: 'ts', dir: 'asc' }, limit: 100 })).rows.map((r) => Number(r.id));
  for (const id of [...hostile, ...brute.slice(0, 4)]) await call(engine.handlers, 'setStar', { id, starred: true, note: id === hostile[0] ? HOSTILE.comment : null });
  await call(engine.handlers, 'setTags', { id: brute[0] as number, tags: ['brute-force', 'initial-access'] });
  await call(engine.handlers, 'setTags', { id: hostile[0] as number, tags: ['lateral-movement'] });
  const alerts =
    opts.alerts === false
      ? []
      : await addAlerts(engine.case.conn, [
          { ruleId: 'loupe-brute-force', title: 'Brute force against a domain controller', level: 'high', host: T.bruteForce.host, events: brute.slice(0, T.bruteForce.failed) },
          { ruleId: 'loupe-hostile', title: HOSTILE.ruleTitle, level: 'critical', host: HOSTILE.host, events: hostile },
          { ruleId: 'loupe-login', title: 'Successful login after failures', level: 'medium', host: T.bruteForce.host, events: brute.slice(-1), status: 'ack' },
        ]);
  return {
    engine,
    dir,
    hostile,
    brute,
    alerts,
    cleanup: async () => {
      await engine.close();
      tmp.cleanup();
    },
  };
}
