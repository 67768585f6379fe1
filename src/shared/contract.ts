import { z } from 'zod';
import type { ErrorBody } from './errors';
import { findingsOperations, findingsPushEvents } from './findings-contract';
import { queryOperations } from './query-contract';

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
  /** Native file/folder picker; hosts without one answer UNSUPPORTED. */
  pickPaths: {
    input: z.object({ kind: z.enum(['files', 'folder', 'case']), title: z.string().max(200).optional() }).strict(),
    output: z.object({ paths: z.array(z.string()) }),
  },
  ...queryOperations,
  ...findingsOperations,
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
  /** Desktop menu commands the UI carries out (new case, open case, import). */
  menuCommand: z.object({ command: z.enum(['newCase', 'openCase', 'importFiles']) }),
  ...findingsPushEvents,
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
