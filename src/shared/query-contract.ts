import { z } from 'zod';
import { CORE_COLUMNS } from './events';

/**
 * The hunt's operations: search, histogram, field statistics, event detail,
 * timeline and context, bookmarks/tags, saved searches and the SQL console.
 * Spread into the contract's operation table (contract.ts).
 */

/** The columns of `events` a result can be sorted by and the table shows. */
export const EVENT_TABLE_COLUMNS = [...CORE_COLUMNS, 'id', 'evidence_id', 'source_id', 'pos'] as const;
export const SortColumn = z.enum(EVENT_TABLE_COLUMNS);
export type SortColumn = z.infer<typeof SortColumn>;

const Json = z.json();
export const EventRow = z.record(z.string(), Json);
export type EventRow = z.infer<typeof EventRow>;

/** A keyset position: the sort column's value and the event id of one row. */
export const Cursor = z.object({ value: z.union([z.string(), z.number(), z.null()]), id: z.number() }).strict();
export type Cursor = z.infer<typeof Cursor>;

const QueryText = z.string().max(20_000);
/** ISO 8601 (UTC unless an offset is given) or relative (`now-15m`); null/absent: unbounded. */
const TimeBound = z.string().max(64).nullable().optional();
/** Lets the UI cancel a query it no longer needs (cancelQuery) by naming it. */
const QueryId = z.string().min(1).max(100).optional();
const TimeoutMs = z.number().int().min(100).max(600_000).optional();

const Filter = { query: QueryText.default(''), from: TimeBound, to: TimeBound };

export const SearchInput = z
  .object({
    ...Filter,
    queryId: QueryId,
    timeoutMs: TimeoutMs,
    sort: z.object({ column: SortColumn, dir: z.enum(['asc', 'desc']) }).strict().optional(),
    /** At most one of after/before/offset/at: the page after or before a cursor, a far jump, or the first event at a time. */
    after: Cursor.optional(),
    before: Cursor.optional(),
    offset: z.number().int().min(0).max(1_000_000_000).optional(),
    at: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** Count every match (exact) as well; costs a second scan on slow queries. */
    count: z.boolean().default(false),
  })
  .strict();

export const SearchPage = z.object({
  columns: z.array(z.string()),
  rows: z.array(EventRow),
  total: z.number().nullable(),
  first: Cursor.nullable(),
  last: Cursor.nullable(),
  hasMoreBefore: z.boolean(),
  hasMoreAfter: z.boolean(),
  tookMs: z.number(),
});
export type SearchPage = z.infer<typeof SearchPage>;

export const HistogramInput = z
  .object({ ...Filter, queryId: QueryId, timeoutMs: TimeoutMs, buckets: z.number().int().min(5).max(1000).default(80), split: z.enum(['dataset']).optional() })
  .strict();
export const Histogram = z.object({
  bucketMs: z.number(),
  /** A human label of the bucket size: "1 h", "5 min". */
  interval: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  buckets: z.array(z.object({ t: z.string(), count: z.number() })),
  /** With split: one count per bucket for each dataset, in bucket order. */
  series: z.array(z.object({ name: z.string(), counts: z.array(z.number()) })).optional(),
  total: z.number(),
  /** Matching events with no time (not in any bucket). */
  noTime: z.number(),
  tookMs: z.number(),
});
export type Histogram = z.infer<typeof Histogram>;

export const FieldStatsInput = z.object({ ...Filter, queryId: QueryId, timeoutMs: TimeoutMs, field: z.string().min(1).max(300), limit: z.number().int().min(1).max(100).default(10) }).strict();
export const FieldStats = z.object({
  field: z.string(),
  origin: z.enum(['core', 'original', 'virtual']),
  total: z.number(),
  present: z.number(),
  nullRatio: z.number(),
  distinct: z.number(),
  top: z.array(z.object({ value: Json, count: z.number() })),
  tookMs: z.number(),
});
export type FieldStats = z.infer<typeof FieldStats>;

export const EventDetail = z.object({
  id: z.number(),
  core: EventRow,
  /** Every non-null field: the core columns, then the source's original fields. */
  fields: z.array(z.object({ name: z.string(), value: Json, origin: z.enum(['core', 'source']) })),
  raw: z.string().nullable(),
  source: z
    .object({ evidenceId: z.number(), sourceId: z.number(), path: z.string().nullable(), pos: z.number().nullable(), format: z.string().nullable(), table: z.string().nullable() })
    .nullable(),
  starred: z.boolean(),
  note: z.string().nullable(),
  tags: z.array(z.string()),
});
export type EventDetail = z.infer<typeof EventDetail>;

export const AroundResult = z.object({ columns: z.array(z.string()), rows: z.array(EventRow), anchorIndex: z.number(), tookMs: z.number() });
export type AroundResult = z.infer<typeof AroundResult>;

export const FieldSuggestion = z.object({
  name: z.string(),
  kind: z.enum(['string', 'number', 'time', 'boolean', 'other']),
  origin: z.enum(['core', 'alias', 'original', 'virtual']),
  /** For original fields: how many sources carry it, and their datasets. */
  sources: z.number(),
  datasets: z.array(z.string()),
});
export type FieldSuggestion = z.infer<typeof FieldSuggestion>;

export const QueryProblem = z.object({ message: z.string(), start: z.number(), end: z.number(), suggestion: z.string().nullable() });
export type QueryProblem = z.infer<typeof QueryProblem>;

export const SavedSearch = z.object({ id: z.number(), name: z.string(), query: z.string(), from: z.string().nullable(), to: z.string().nullable(), createdAt: z.string() });
export type SavedSearch = z.infer<typeof SavedSearch>;

export const SqlResult = z.object({ total: z.number(), columns: z.array(z.string()), types: z.array(z.string()), rows: z.array(EventRow), truncated: z.boolean(), tookMs: z.number() });
export type SqlResult = z.infer<typeof SqlResult>;

const EventId = z.number().int().min(0);
const Tag = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\s,"]+$/, 'a tag has no spaces, commas or quotes');

export const queryOperations = {
  search: { input: SearchInput, output: SearchPage },
  histogram: { input: HistogramInput, output: Histogram },
  fieldStats: { input: FieldStatsInput, output: FieldStats },
  eventDetail: { input: z.object({ id: EventId }).strict(), output: EventDetail },
  /** Events around a time, all sources merged (the timeline's jump). */
  timeline: {
    input: z.object({ ...Filter, queryId: QueryId, at: z.string().max(64), before: z.number().int().min(0).max(1000).default(50), after: z.number().int().min(0).max(1000).default(50) }).strict(),
    output: AroundResult,
  },
  /** Events around one event, on the same host or in the whole case. */
  context: {
    input: z.object({ id: EventId, scope: z.enum(['host', 'case']).default('host'), before: z.number().int().min(0).max(1000).default(25), after: z.number().int().min(0).max(1000).default(25) }).strict(),
    output: AroundResult,
  },
  checkQuery: { input: z.object({ query: QueryText }).strict(), output: z.object({ ok: z.boolean(), problem: QueryProblem.nullable() }) },
  suggestFields: { input: z.object({ prefix: z.string().max(300).default(''), limit: z.number().int().min(1).max(1000).default(50) }).strict(), output: z.array(FieldSuggestion) },
  suggestValues: {
    input: z.object({ field: z.string().min(1).max(300), prefix: z.string().max(300).default(''), limit: z.number().int().min(1).max(100).default(10) }).strict(),
    output: z.array(z.object({ value: z.string(), count: z.number() })),
  },
  setStar: { input: z.object({ id: EventId, starred: z.boolean(), note: z.string().max(4000).nullable().optional() }).strict(), output: z.object({ id: z.number(), starred: z.boolean() }) },
  setTags: { input: z.object({ id: EventId, tags: z.array(Tag).max(50) }).strict(), output: z.object({ id: z.number(), tags: z.array(z.string()) }) },
  listTags: { input: z.object({}).strict(), output: z.array(z.object({ tag: z.string(), count: z.number() })) },
  listSavedSearches: { input: z.object({}).strict(), output: z.array(SavedSearch) },
  saveSearch: { input: z.object({ name: z.string().trim().min(1).max(200), query: QueryText, from: TimeBound, to: TimeBound }).strict(), output: SavedSearch },
  deleteSavedSearch: { input: z.object({ id: z.number().int() }).strict(), output: z.object({ deleted: z.boolean() }) },
  /** The SQL console: one read-only SELECT over the case's tables; no files, no settings. */
  sqlQuery: { input: z.object({ sql: z.string().min(1).max(100_000), queryId: QueryId, timeoutMs: TimeoutMs, limit: z.number().int().min(1).max(100_000).default(1000) }).strict(), output: SqlResult },
  cancelQuery: { input: z.object({ queryId: z.string().min(1).max(100) }).strict(), output: z.object({ cancelled: z.boolean() }) },
} as const;
