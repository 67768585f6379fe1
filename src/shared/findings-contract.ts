import { z } from 'zod';
import { Severity } from './events';

/**
 * Findings: case notes, the bookmarked evidence, the incident report, exports
 * and the hand-off to a SIEM. Spread into the contract's operation table
 * (contract.ts); docs/report.md describes what each produces.
 */

const EventId = z.number().int().min(0);
const AlertId = z.number().int().min(0);
const TimeBound = z.string().max(64).nullable().optional();
/** Names a long job so the UI can cancel it and match its progress events. */
const JobId = z.string().min(1).max(100);

// ------------------------------------------------------------------ notes

export const NoteLinkEvent = z.object({ id: z.number(), ts: z.string().nullable(), host: z.string().nullable(), dataset: z.string().nullable(), exists: z.boolean() });
export const NoteLinkAlert = z.object({ id: z.number(), title: z.string().nullable(), level: z.string().nullable(), exists: z.boolean() });
export const Note = z.object({
  id: z.number(),
  title: z.string(),
  /** Markdown (a safe subset; src/shared/markdown.ts). */
  body: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  events: z.array(NoteLinkEvent),
  alerts: z.array(NoteLinkAlert),
});
export type Note = z.infer<typeof Note>;

export const NOTE_BODY_MAX = 200_000;

// ------------------------------------------------------------------ bookmarks

export const BookmarkRow = z.object({
  id: z.number(),
  ts: z.string().nullable(),
  dataset: z.string(),
  host: z.string().nullable(),
  eventCode: z.string().nullable(),
  user: z.string().nullable(),
  srcIp: z.string().nullable(),
  dstIp: z.string().nullable(),
  message: z.string().nullable(),
  /** The analyst's comment on the bookmark. */
  note: z.string().nullable(),
  tags: z.array(z.string()),
  starredAt: z.string(),
  evidence: z.string().nullable(),
  pos: z.number().nullable(),
});
export type BookmarkRow = z.infer<typeof BookmarkRow>;

// ------------------------------------------------------------------ report

export const REPORT_SECTIONS = ['summary', 'evidence', 'timeline', 'alerts', 'charts', 'intel', 'notes', 'versions'] as const;
export const ReportSection = z.enum(REPORT_SECTIONS);
export type ReportSection = z.infer<typeof ReportSection>;
export const REPORT_SECTION_LABELS: Record<ReportSection, string> = {
  summary: 'Case summary',
  evidence: 'Evidence manifest',
  timeline: 'Timeline of bookmarked events',
  alerts: 'Alerts by level',
  charts: 'Key charts',
  intel: 'IP intelligence',
  notes: 'Analyst notes',
  versions: 'Intel and rule versions',
};

export const ReportOptions = z
  .object({
    sections: z.array(ReportSection).min(1).max(REPORT_SECTIONS.length).default([...REPORT_SECTIONS]),
    title: z.string().trim().max(200).optional(),
    /** Who wrote it, printed on the cover. */
    author: z.string().trim().max(200).optional(),
    /** An executive summary in Markdown, printed first. */
    summary: z.string().max(50_000).optional(),
  })
  .strict();
export type ReportOptions = z.infer<typeof ReportOptions>;

export const ReportPreview = z.object({ html: z.string(), bytes: z.number(), warnings: z.array(z.string()), tookMs: z.number() });
export const ReportFile = z.object({ path: z.string(), format: z.enum(['html', 'pdf']), bytes: z.number(), sha256: z.string(), warnings: z.array(z.string()), tookMs: z.number() });
export type ReportFile = z.infer<typeof ReportFile>;

// ------------------------------------------------------------------ exports

export const ExportSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('search'), query: z.string().max(20_000).default(''), from: TimeBound, to: TimeBound }).strict(),
  z.object({ kind: z.literal('alerts'), levels: z.array(Severity).max(5).optional(), statuses: z.array(z.string().min(1).max(40)).max(20).optional() }).strict(),
  z.object({ kind: z.literal('bookmarks'), tag: z.string().min(1).max(64).optional() }).strict(),
]);
export type ExportSource = z.infer<typeof ExportSource>;

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson', 'parquet', 'timesketch', 'timesketch-csv'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;
export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = {
  csv: 'csv',
  json: 'json',
  ndjson: 'ndjson',
  parquet: 'parquet',
  timesketch: 'jsonl',
  'timesketch-csv': 'csv',
};

export const ExportRequest = z
  .object({
    exportId: JobId,
    source: ExportSource,
    format: ExportFormat,
    /** core: the normalised columns; all: plus every original field of each event's source. */
    fields: z.enum(['core', 'all']).default('core'),
  })
  .strict();
export type ExportRequest = z.infer<typeof ExportRequest>;

export const ExportResult = z.object({
  exportId: z.string(),
  path: z.string(),
  format: ExportFormat,
  rows: z.number(),
  bytes: z.number(),
  sha256: z.string(),
  /** Rows of the selection left out, and why (Timesketch needs a time on every row). */
  skipped: z.number(),
  skippedReason: z.string().nullable(),
  tookMs: z.number(),
});
export type ExportResult = z.infer<typeof ExportResult>;

export const OutputRecord = z.object({
  id: z.number(),
  kind: z.enum(['export', 'report']),
  what: z.string(),
  format: z.string(),
  path: z.string(),
  rows: z.number().nullable(),
  bytes: z.number().nullable(),
  sha256: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(['running', 'done', 'failed', 'cancelled']),
  message: z.string().nullable(),
});
export type OutputRecord = z.infer<typeof OutputRecord>;

// ------------------------------------------------------------------ hand-off

export const DESTINATION_KINDS = ['splunk-hec', 'elastic-bulk'] as const;
export const DestinationKind = z.enum(DESTINATION_KINDS);
const DestName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a destination name is letters, digits, dot, dash or underscore');
const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/i, 'an http:// or https:// URL without query or fragment');

export const DestinationInput = z
  .object({
    name: DestName,
    kind: DestinationKind,
    url: HttpUrl,
    /** Splunk: the index (optional, the token's default otherwise); Elasticsearch: the target index (required). */
    index: z.string().trim().min(1).max(255).nullable().optional(),
    sourcetype: z.string().trim().min(1).max(255).nullable().optional(),
    /** Splunk indexer acknowledgment: the channel id (a GUID) when the token has acks on. */
    ackChannel: z.string().trim().min(1).max(64).nullable().optional(),
    /** Elasticsearch: how the token is sent (`ApiKey <token>`, `Basic <token>`, `Bearer <token>`). */
    authScheme: z.enum(['ApiKey', 'Basic', 'Bearer']).nullable().optional(),
    /** The secret. Omitted: keep the stored one; null: remove it. Never returned by any operation. */
    token: z.string().min(1).max(4096).nullable().optional(),
  })
  .strict();
export type DestinationInput = z.infer<typeof DestinationInput>;

export const ForwardRun = z.object({
  id: z.number(),
  destination: z.string(),
  what: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(['running', 'done', 'partial', 'failed', 'cancelled']),
  selected: z.number(),
  /** Already acknowledged by this destination in an earlier run: not sent again. */
  skipped: z.number(),
  sent: z.number(),
  failed: z.number(),
  retried: z.number(),
  batches: z.number(),
  latencyMs: z.object({ last: z.number().nullable(), p50: z.number().nullable(), p95: z.number().nullable() }),
  lastError: z.string().nullable(),
});
export type ForwardRun = z.infer<typeof ForwardRun>;

export const Destination = z.object({
  name: z.string(),
  kind: DestinationKind,
  url: z.string(),
  index: z.string().nullable(),
  sourcetype: z.string().nullable(),
  ackChannel: z.string().nullable(),
  authScheme: z.string().nullable(),
  hasToken: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** From the forward log: items this destination acknowledged / gave up on (latest outcome per item). */
  acked: z.number(),
  failed: z.number(),
  lastRun: ForwardRun.nullable(),
});
export type Destination = z.infer<typeof Destination>;

export const ForwardLogEntry = z.object({ key: z.string(), kind: z.enum(['event', 'alert']), ref: z.number(), status: z.enum(['acked', 'failed']), attempts: z.number(), reason: z.string().nullable(), at: z.string() });
export type ForwardLogEntry = z.infer<typeof ForwardLogEntry>;

export const Health = z.object({ ok: z.boolean(), detail: z.string(), latencyMs: z.number() });

export const findingsOperations = {
  listNotes: { input: z.object({ eventId: EventId.optional(), alertId: AlertId.optional() }).strict(), output: z.array(Note) },
  saveNote: {
    input: z
      .object({
        id: z.number().int().min(1).optional(),
        title: z.string().trim().min(1).max(200),
        body: z.string().max(NOTE_BODY_MAX),
        events: z.array(EventId).max(500).default([]),
        alerts: z.array(AlertId).max(500).default([]),
      })
      .strict(),
    output: Note,
  },
  deleteNote: { input: z.object({ id: z.number().int() }).strict(), output: z.object({ deleted: z.boolean() }) },
  listBookmarks: {
    input: z.object({ limit: z.number().int().min(1).max(5000).default(500), offset: z.number().int().min(0).default(0), tag: z.string().min(1).max(64).optional() }).strict(),
    output: z.object({ total: z.number(), rows: z.array(BookmarkRow) }),
  },
  reportCapabilities: {
    input: z.object({}).strict(),
    output: z.object({ pdf: z.boolean(), renderer: z.enum(['electron', 'chromium']).nullable(), detail: z.string() }),
  },
  previewReport: { input: ReportOptions, output: ReportPreview },
  /** Writes the report into the case's reports/ folder. */
  exportReport: { input: ReportOptions.extend({ format: z.enum(['html', 'pdf']) }).strict(), output: ReportFile },
  /** Writes a search result, the alert list or the bookmarks into the case's exports/ folder; progress as exportProgress events. */
  exportData: { input: ExportRequest, output: ExportResult },
  cancelExport: { input: z.object({ exportId: JobId }).strict(), output: z.object({ cancelled: z.boolean() }) },
  listOutputs: { input: z.object({ limit: z.number().int().min(1).max(1000).default(100) }).strict(), output: z.array(OutputRecord) },
  listDestinations: { input: z.object({}).strict(), output: z.array(Destination) },
  saveDestination: { input: DestinationInput, output: Destination },
  deleteDestination: { input: z.object({ name: DestName }).strict(), output: z.object({ deleted: z.boolean() }) },
  checkDestination: { input: z.object({ name: DestName }).strict(), output: Health },
  /** Send alerts or events to a destination; only acknowledged items count as sent. Progress as forwardProgress events. */
  forwardItems: {
    input: z
      .object({
        forwardId: JobId,
        destination: DestName,
        source: ExportSource,
        /** Send again what this destination already acknowledged. */
        resend: z.boolean().default(false),
      })
      .strict(),
    output: ForwardRun,
  },
  cancelForward: { input: z.object({ forwardId: JobId }).strict(), output: z.object({ cancelled: z.boolean() }) },
  listForwardLog: {
    input: z.object({ destination: DestName, status: z.enum(['acked', 'failed']).optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.array(ForwardLogEntry),
  },
  /** Show a file of the case (a report, an export) in the system file manager; desktop only. */
  revealPath: { input: z.object({ path: z.string().min(1).max(4096) }).strict(), output: z.object({ revealed: z.boolean() }) },
} as const;

export const findingsPushEvents = {
  exportProgress: z.object({
    exportId: z.string(),
    state: z.enum(['running', 'done', 'failed', 'cancelled']),
    /** 0-100 while DuckDB reports it; null when unknown. */
    percent: z.number().nullable(),
    rows: z.number().nullable(),
    message: z.string().nullable(),
  }),
  forwardProgress: z.object({
    forwardId: z.string(),
    destination: z.string(),
    state: z.enum(['running', 'done', 'partial', 'failed', 'cancelled']),
    selected: z.number(),
    skipped: z.number(),
    sent: z.number(),
    failed: z.number(),
    retried: z.number(),
  }),
} as const;
