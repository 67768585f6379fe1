import type { EvtxEvent } from './types';

/**
 * The record shape of `loupe evtx dump --json` (one JSON object per line).
 * It leads with the fields an analyst scans for, named as in Windows' XML,
 * then every other System field under its flattened name, then EventData:
 *
 *   {"EventRecordID":31791,"TimeCreated":"2022-10-11T19:26:52.0456558Z",
 *    "EventID":5058,"Provider":"Microsoft-Windows-Security-Auditing",
 *    "Channel":"Security","Computer":"DESKTOP-JK4Q86I","Level":0,...,
 *    "EventData":{"SubjectUserSid":"S-1-5-21-...","SubjectUserName":"analysis",...}}
 *
 * `Recovered: true` marks a record read from slack space. Lives in the engine
 * because workers write these lines themselves (the CLI only copies them out).
 */
const LEADING = new Set(['EventRecordID', 'EventID', 'Channel', 'Computer', 'Provider_Name', 'TimeCreated_SystemTime']);

export function dumpRecord(e: EvtxEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {
    EventRecordID: e.recordId,
    TimeCreated: e.timeCreated,
    EventID: e.eventId,
    Provider: e.system.Provider_Name ?? null,
    Channel: e.system.Channel ?? null,
    Computer: e.system.Computer ?? null,
  };
  for (const key in e.system) if (!LEADING.has(key)) out[key] = e.system[key];
  out.EventData = e.eventData;
  if (e.recovered) out.Recovered = true;
  return out;
}

/** One NDJSON line (with its newline) per event. */
export function dumpLines(events: readonly EvtxEvent[]): string {
  let text = '';
  for (const e of events) text += `${JSON.stringify(dumpRecord(e))}\n`;
  return text;
}

/** The compact line `loupe evtx dump` prints without --json. */
export function humanLine(e: EvtxEvent): string {
  const fields = Object.entries(e.eventData)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v.length > 80 ? `${v.slice(0, 77)}...` : v}`)
    .join(' ');
  const head = `${e.timeCreated ?? '-'} #${e.recordId} ${e.system.Channel ?? '-'} ${e.eventId ?? '-'} ${e.system.Provider_Name ?? '-'} @${e.system.Computer ?? '-'}`;
  return (fields ? `${head} ${fields}` : head).replace(/[\r\n]+/g, ' ');
}
