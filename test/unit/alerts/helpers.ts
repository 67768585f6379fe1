import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Case } from '../../../src/main/engine/case/case';
import { AlertService, type AlertServiceOptions } from '../../../src/main/engine/alerts/alert-service';
import { PushBus } from '../../../src/main/engine/service/push';
import { appendSource, evtxRecords, jsonRecords, parseLines, type LoadedRecord } from '../../fixtures/case-loader';
import { buildEvtx, type WinEvent } from '../../fixtures/windows-evtx';

/** A fresh case in a temp folder, with an AlertService over it and the pushes it sent. */
export interface TestCase {
  dir: string;
  kase: Case;
  alerts: AlertService;
  pushed: { event: string; payload: unknown }[];
  close(): void;
}

export async function newCase(options: AlertServiceOptions = { refreshIntel: false }): Promise<TestCase> {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-alerts-'));
  const kase = await Case.create(join(dir, 'case'), 'test');
  const push = new PushBus();
  const pushed: TestCase['pushed'] = [];
  push.subscribe((event, payload) => pushed.push({ event, payload }));
  return {
    dir,
    kase,
    alerts: new AlertService(() => kase, push, options),
    pushed,
    close() {
      kase.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inputs of one test, by format; each becomes one source (file) of the case. */
export type Input =
  | { auth: string }
  | { web: string }
  | { ids: string }
  | { zeek: string }
  | { eve: Record<string, unknown> }
  | { win: WinEvent };

export const ZEEK_HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring',
];

/** A Zeek conn.log row: ts (epoch seconds), orig, orig port, resp, resp port, proto, conn_state. */
export function conn(ts: number, orig: string, resp: string, respPort: number, state = 'SF', proto = 'tcp'): string {
  return [ts.toFixed(6), `C${Math.round(ts * 1000) % 100000}${respPort}`, orig, '50000', resp, String(respPort), proto, '-', '1.5', '100', '200', state].join('\t');
}

/**
 * Load every input into the case (one source per format, in order) and
 * return the events.id of each input, in the order given.
 */
export async function loadInputs(tc: TestCase, inputs: Input[]): Promise<number[]> {
  const conn = tc.kase.conn;
  const ids: number[] = new Array(inputs.length).fill(-1);
  const pick = <K extends string>(key: K): { i: number; v: unknown }[] =>
    inputs.flatMap((inp, i) => (key in inp ? [{ i, v: (inp as Record<string, unknown>)[key] }] : []));
  const place = (list: { i: number }[], got: number[]): void => list.forEach((x, k) => (ids[x.i] = got[k] ?? -1));
  const auth = pick('auth');
  if (auth.length) place(auth, await appendSource(conn, 'auth-log', parseLines('auth-log', auth.map((x) => String(x.v)), { year: 2024 }), 'auth.log'));
  const web = pick('web');
  if (web.length) place(web, await appendSource(conn, 'web-access', parseLines('web-access', web.map((x) => String(x.v))), 'access.log'));
  const ids_ = pick('ids');
  if (ids_.length) place(ids_, await appendSource(conn, 'ids-slg', parseLines('ids-slg', ids_.map((x) => String(x.v))), 'ids.log'));
  const zeek = pick('zeek');
  if (zeek.length) {
    const recs = parseLines('zeek-tsv', [...ZEEK_HEADER, ...zeek.map((x) => String(x.v))], { fileName: 'conn.log' });
    place(zeek, await appendSource(conn, 'zeek-tsv', recs, 'conn.log'));
  }
  const eve = pick('eve');
  if (eve.length) place(eve, await appendSource(conn, 'suricata-eve', jsonRecords(eve.map((x) => x.v as Record<string, unknown>), 'suricata'), 'eve.json'));
  const win = pick('win');
  if (win.length) {
    const file = join(tc.dir, `events-${Date.now()}-${Math.random().toString(36).slice(2)}.evtx`);
    writeFileSync(file, buildEvtx(win.map((x) => x.v as WinEvent)));
    const recs: LoadedRecord[] = await evtxRecords(file);
    if (recs.length !== win.length) throw new Error(`EVTX round trip: wrote ${win.length} events, read ${recs.length}`);
    place(win, await appendSource(conn, 'evtx', recs, file));
  }
  return ids;
}
