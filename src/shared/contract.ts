import { z } from 'zod';
import { alertOperations, alertPushEvents } from './alerts-contract';
import type { ErrorBody } from './errors';
import { findingsOperations, findingsPushEvents } from './findings-contract';
import { liveOperations, livePushEvents } from './live-contract';
import { overviewOperations } from './overview-contract';
import { queryOperations } from './query-contract';

export * from './alerts-contract';
export * from './live-contract';

/**
 * The contract: every call between a UI (or the CLI, or a test) and the engine.
 *
 * One table of operations, each an input and an output schema. Hosts register
 * the table generically (parse the input, call the engine, wrap the result),
 * the preload turns it into one typed function per operation, and the HTTP
 * client does the same over fetch. Adding an operation here is the only way
 * to add a call; a type test keeps all three sides in step.
 */

export const CaseInfo = z.object({
  dir: z.string(),
  id: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  createdAt: z.string(),
  events: z.number().int(),
  evidence: z.number().int(),
  sizeBytes: z.number().int(),
});
export type CaseInfo = z.infer<typeof CaseInfo>;

export const RecentCase = z.object({ dir: z.string(), name: z.string(), openedAt: z.string() });
export type RecentCase = z.infer<typeof RecentCase>;

export const AppInfo = z.object({
  version: z.string(),
  host: z.enum(['electron', 'web', 'cli', 'test']),
  platform: z.string(),
  dataDir: z.string(),
  case: CaseInfo.nullable(),
  /** What this host can do that others cannot (native dialogs, drag-drop paths, uploads). */
  capabilities: z.object({ nativeDialogs: z.boolean(), filePaths: z.boolean(), uploads: z.boolean() }),
});
export type AppInfo = z.infer<typeof AppInfo>;

const Dir = z.string().min(1).max(4096);
// ------------------------------------------------------------------ import (issue 3)

export const EVIDENCE_STATUSES = ['pending', 'importing', 'imported', 'incomplete', 'failed', 'skipped-duplicate', 'cancelled'] as const;
export const EvidenceStatus = z.enum(EVIDENCE_STATUSES);
export type EvidenceStatus = z.infer<typeof EvidenceStatus>;
/**
 * The message of a file left `incomplete` because Loupe stopped while reading
 * it: reading it again resumes it. Other incomplete files are damaged
 * (a truncated gzip, a member failing its CRC), and reading them again reads
 * the same damage.
 */
export const INTERRUPTED_MESSAGE = 'The import was interrupted (Loupe stopped while reading this file): resume or remove it';

/** One row of the case's evidence manifest: a file, an archive, or an archive member. */
export const EvidenceInfo = z.object({
  id: z.number().int(),
  parentId: z.number().int().nullable(),
  importId: z.number().int().nullable(),
  /** What the analyst sees: the file's path, `archive!member` for members. */
  path: z.string(),
  origin: z.string().nullable(),
  member: z.string().nullable(),
  kind: z.enum(['file', 'container']),
  sha256: z.string().nullable(),
  size: z.number().nullable(),
  mtime: z.string().nullable(),
  format: z.string().nullable(),
  formatConfidence: z.number().nullable(),
  formatReason: z.string().nullable(),
  formatForced: z.boolean(),
  encoding: z.string().nullable(),
  tz: z.string().nullable(),
  status: EvidenceStatus,
  seen: z.number(),
  stored: z.number(),
  rejected: z.number(),
  warnings: z.number(),
  bytesRead: z.number(),
  firstTs: z.string().nullable(),
  lastTs: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  seconds: z.number().nullable(),
  message: z.string().nullable(),
});
export type EvidenceInfo = z.infer<typeof EvidenceInfo>;

export const IngestErrorRow = z.object({
  pos: z.number().nullable(),
  posKind: z.enum(['line', 'record', 'byte']).nullable(),
  kind: z.enum(['rejected', 'warning']),
  reason: z.string(),
  excerpt: z.string().nullable(),
});
export type IngestErrorRow = z.infer<typeof IngestErrorRow>;

/** Progress of one file of an import (pushed several times a second while it runs). */
export const ImportFileProgress = z.object({
  evidenceId: z.number().int(),
  parentId: z.number().int().nullable(),
  path: z.string(),
  kind: z.enum(['file', 'container']),
  format: z.string().nullable(),
  confidence: z.number().nullable(),
  formatReason: z.string().nullable(),
  status: EvidenceStatus,
  bytes: z.number(),
  totalBytes: z.number().nullable(),
  seen: z.number(),
  stored: z.number(),
  rejected: z.number(),
  warnings: z.number(),
  seconds: z.number(),
  message: z.string().nullable(),
});
export type ImportFileProgress = z.infer<typeof ImportFileProgress>;

export const IMPORT_STATES = ['queued', 'running', 'finished', 'cancelled', 'failed'] as const;
export const ImportProgress = z.object({
  importId: z.number().int(),
  state: z.enum(IMPORT_STATES),
  files: z.array(ImportFileProgress),
  overall: z.object({
    bytes: z.number(),
    /** Bytes of the inputs named (archive members are inside these). */
    totalBytes: z.number(),
    events: z.number(),
    rejected: z.number(),
    warnings: z.number(),
    eventsPerSecond: z.number(),
    bytesPerSecond: z.number(),
    etaSeconds: z.number().nullable(),
    filesDone: z.number(),
    filesSeen: z.number(),
  }),
  elapsedSeconds: z.number(),
  message: z.string().nullable(),
});
export type ImportProgress = z.infer<typeof ImportProgress>;

/** The summary of a finished import, one entry per file (archive members as `archive!member`). */
export const ImportSummary = z.object({
  importId: z.number().int(),
  state: z.enum(IMPORT_STATES),
  files: z.array(
    z.object({
      evidenceId: z.number().int(),
      path: z.string(),
      kind: z.enum(['file', 'container']),
      format: z.string().nullable(),
      seen: z.number(),
      stored: z.number(),
      rejected: z.number(),
      warnings: z.number(),
      status: EvidenceStatus,
      seconds: z.number(),
      message: z.string().nullable(),
    }),
  ),
  totals: z.object({ seen: z.number(), stored: z.number(), rejected: z.number() }),
  seconds: z.number(),
  /** The first events.id this import added (null when it added none). */
  firstNewEventId: z.number().nullable(),
  message: z.string().nullable(),
});
export type ImportSummary = z.infer<typeof ImportSummary>;

const FormatOverride = z.string().regex(/^[a-z0-9-]{1,40}$/);
const TimeZoneName = z.string().min(1).max(64);
const ImportPath = z.string().min(1).max(4096);

const Empty = z.object({}).strict();

export const operations = {
  getAppInfo: { input: Empty, output: AppInfo },
  createCase: {
    input: z.object({ dir: Dir.optional(), name: z.string().min(1).max(200) }).strict(),
    output: CaseInfo,
  },
  openCase: { input: z.object({ dir: Dir }).strict(), output: CaseInfo },
  closeCase: { input: Empty, output: z.object({ closed: z.boolean() }) },
  getCaseInfo: { input: Empty, output: CaseInfo },
  listRecentCases: { input: Empty, output: z.array(RecentCase) },
  /** Start importing files, folders and archives in the background; progress arrives as importProgress events. */
  importPaths: {
    input: z
      .object({
        paths: z.array(ImportPath).min(1).max(10_000),
        /** Display names for the paths (browser uploads land under a temp name), same order; null keeps the path. */
        labels: z.array(z.string().max(1024).nullable()).max(10_000).optional(),
        /** Zone of timestamps that carry none (IANA name such as Europe/Paris, UTC, or +hh:mm). */
        tz: TimeZoneName.optional(),
        /** Read every file as this format instead of detecting it (archives are still opened). */
        format: FormatOverride.optional(),
        /** Import files whose content was imported before, instead of skipping them. */
        force: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ importId: z.number().int() }),
  },
  /** Re-read evidence already in the case: resume an interrupted file, or apply another format or time zone. */
  reimportEvidence: {
    input: z.object({ evidenceIds: z.array(z.number().int().positive()).min(1).max(10_000), format: FormatOverride.optional(), tz: TimeZoneName.optional() }).strict(),
    output: z.object({ importId: z.number().int() }),
  },
  cancelImport: {
    input: z.object({ importId: z.number().int().optional() }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
  /** The state of an import (the latest when no id is given); null when there is none. */
  getImport: {
    input: z.object({ importId: z.number().int().optional() }).strict(),
    output: ImportProgress.nullable(),
  },
  listEvidence: { input: Empty, output: z.object({ evidence: z.array(EvidenceInfo) }) },
  /** The records of one file that could not be imported (and warnings), in file order, a page at a time. */
  getIngestErrors: {
    input: z
      .object({
        evidenceId: z.number().int().positive(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
        kind: z.enum(['rejected', 'warning']).optional(),
      })
      .strict(),
    output: z.object({ total: z.number(), rows: z.array(IngestErrorRow) }),
  },
  /** Take evidence out of the case: its events, field table and errors (archive members go with their archive). */
  removeEvidence: {
    input: z.object({ evidenceIds: z.array(z.number().int().positive()).min(1).max(10_000) }).strict(),
    output: z.object({ removed: z.number() }),
  },
  listFormats: {
    input: Empty,
    output: z.object({ formats: z.array(z.object({ name: z.string(), label: z.string() })) }),
  },
  /** Native file/folder picker; hosts without one answer UNSUPPORTED. */
  pickPaths: {
    input: z.object({ kind: z.enum(['files', 'folder', 'case']), title: z.string().max(200).optional() }).strict(),
    output: z.object({ paths: z.array(z.string()) }),
  },
  ...queryOperations,
  ...alertOperations,
  ...overviewOperations,
  ...findingsOperations,
  ...liveOperations,
} as const;

export type Operations = typeof operations;
export type OpName = keyof Operations;
export type OpInput<K extends OpName> = z.input<Operations[K]['input']>;
export type OpParsedInput<K extends OpName> = z.output<Operations[K]['input']>;
export type OpOutput<K extends OpName> = z.output<Operations[K]['output']>;

export const OP_NAMES = Object.keys(operations) as OpName[];

/** Events the engine pushes to every connected UI. */
export const pushEvents = {
  caseChanged: z.object({ case: CaseInfo.nullable() }),
  /** An import's progress, several times a second while it runs. */
  importProgress: ImportProgress,
  importFinished: ImportSummary,
  /** Desktop menu commands the UI carries out (new case, open case, import). */
  menuCommand: z.object({ command: z.enum(['newCase', 'openCase', 'importFiles']) }),
  ...alertPushEvents,
  ...findingsPushEvents,
  ...livePushEvents,
} as const;

export type PushEvents = typeof pushEvents;
export type PushEventName = keyof PushEvents;
export type PushEventPayload<K extends PushEventName> = z.output<PushEvents[K]>;
export const PUSH_EVENT_NAMES = Object.keys(pushEvents) as PushEventName[];

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/** The shape every client presents to the UI: one async function per operation. */
export type LoupeApi = { [K in OpName]: (input: OpInput<K>) => Promise<OpOutput<K>> };

/** What the preload exposes on window.loupe (IPC returns envelopes, never throws across the bridge). */
export type BridgeApi = {
  [K in OpName]: (input: OpInput<K>) => Promise<Result<OpOutput<K>>>;
} & {
  on<E extends PushEventName>(event: E, listener: (payload: PushEventPayload<E>) => void): () => void;
  /** Electron only: the absolute path of a dropped File (webUtils.getPathForFile). */
  pathForFile(file: File): string;
};

export function isOpName(name: string): name is OpName {
  return Object.prototype.hasOwnProperty.call(operations, name);
}

export function isPushEventName(name: string): name is PushEventName {
  return Object.prototype.hasOwnProperty.call(pushEvents, name);
}
