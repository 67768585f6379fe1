import { z } from 'zod';

/** Sigma's severity scale, used for events, rules and alerts alike. */
export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/**
 * The normalised core of every event (the `events` table; docs/data-model.md).
 * Parsers fill what their format knows and leave the rest null.
 */
export interface CoreFields {
  /** ISO 8601 in UTC (`2024-03-01T12:00:00.123Z`), or null when the source time did not parse. */
  ts: string | null;
  dataset: string;
  host: string | null;
  event_code: string | null;
  severity: Severity | null;
  message: string | null;
  src_ip: string | null;
  src_port: number | null;
  dst_ip: string | null;
  dst_port: number | null;
  protocol: string | null;
  user: string | null;
  process: string | null;
  action: string | null;
  outcome: 'success' | 'failure' | null;
}

/** Column order of `events` after the bookkeeping columns; also the CSV staging order. */
export const CORE_COLUMNS = [
  'ts',
  'dataset',
  'host',
  'event_code',
  'severity',
  'message',
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
  'protocol',
  'user',
  'process',
  'action',
  'outcome',
] as const satisfies readonly (keyof CoreFields)[];

/** Bookkeeping columns that tie an event to its evidence and its field-table row. */
export const EVENT_ID_COLUMNS = ['id', 'evidence_id', 'source_id', 'rid', 'pos'] as const;

export const ALL_EVENT_COLUMNS = [...EVENT_ID_COLUMNS, ...CORE_COLUMNS, 'raw'] as const;
export type EventColumn = (typeof ALL_EVENT_COLUMNS)[number];
