import { z } from 'zod';

/**
 * Live sources (issue 10): a syslog listener or a set of watched files that
 * feeds a case while the analyst works. Operations start, stop, list and
 * remove them; `liveStats` pushes their counters about once a second.
 */

const Port = z.number().int().min(0).max(65535);
const FilePath = z.string().min(1).max(4096);
/** An IPv4 or IPv6 address to bind; names are refused so the interface is exactly what the analyst typed. */
const BindAddress = z
  .string()
  .min(2)
  .max(64)
  .regex(/^([0-9.]+|[0-9a-fA-F:.]+)$/, 'an IP address of this machine, such as 127.0.0.1, 0.0.0.0 or ::1');
const TimeZoneName = z.string().min(1).max(64);

export const ListenerSpec = z
  .object({
    /** Interface to bind; 127.0.0.1 unless the analyst names one. */
    host: BindAddress.default('127.0.0.1'),
    udp: Port.optional(),
    tcp: Port.optional(),
    /** Syslog over TLS (RFC 5425) with the analyst's certificate and key (PEM files). */
    tls: z.object({ port: Port, certPath: FilePath, keyPath: FilePath }).strict().optional(),
    /** Zone of timestamps that carry none (RFC 3164). */
    tz: TimeZoneName.optional(),
  })
  .strict()
  .refine((s) => s.udp !== undefined || s.tcp !== undefined || s.tls !== undefined, 'name at least one of udp, tcp or tls');
export type ListenerSpec = z.output<typeof ListenerSpec>;

export const WatchSpec = z
  .object({
    /** Files and folders to follow (tail -F); a folder's files, including new ones. */
    paths: z.array(FilePath).min(1).max(1000),
    /** Start files that exist now at their end: only lines written from now on. */
    fromEnd: z.boolean().default(false),
    tz: TimeZoneName.optional(),
  })
  .strict();
export type WatchSpec = z.output<typeof WatchSpec>;

export const LIVE_STATES = ['running', 'stopped', 'failed'] as const;

export const LiveCounters = z.object({
  /** Messages (lines) written to the source's journal: taken in, safe from a crash of Loupe. */
  received: z.number(),
  /** Stored as events. */
  stored: z.number(),
  /** Could not be read as a record (kept in ingest_errors with the reason). */
  rejected: z.number(),
  /** Neither record nor error: header lines of a followed Zeek or IIS log, blank messages. */
  skipped: z.number(),
  /** Received but lost by Loupe (the journal could not be written). Stays 0 unless the disk fails. */
  dropped: z.number(),
  /** Cut at the size limit (64 KiB) and stored cut. */
  truncated: z.number(),
  /** Received, not yet stored (waiting in the journal). */
  backlog: z.number(),
  /** Datagrams the operating system discarded before Loupe read them (Linux, UDP only; null when unknown). */
  udpSocketDrops: z.number().nullable(),
  /** Open TCP/TLS connections. */
  connections: z.number(),
});
export type LiveCounters = z.infer<typeof LiveCounters>;

export const LiveSourceInfo = z.object({
  id: z.number().int(),
  kind: z.enum(['listener', 'watch']),
  /** What an analyst reads: "udp 127.0.0.1:5514, tcp 127.0.0.1:5514" or the watched paths. */
  label: z.string(),
  listener: z.object({ host: z.string(), udp: z.number().nullable(), tcp: z.number().nullable(), tls: z.number().nullable(), certPath: z.string().nullable(), keyPath: z.string().nullable() }).nullable(),
  watch: z.object({ paths: z.array(z.string()), fromEnd: z.boolean() }).nullable(),
  /** Ports actually bound while running (port 0 asks for a free one). */
  bound: z.object({ udp: z.number().nullable(), tcp: z.number().nullable(), tls: z.number().nullable() }).nullable(),
  state: z.enum(LIVE_STATES),
  /** Its evidence row: the events of the source carry this evidence_id. */
  evidenceId: z.number().int(),
  counters: LiveCounters,
  /** Messages received per second over the last interval. */
  rate: z.number(),
  /** Receive-to-searchable time of the messages stored in the last interval, ms. */
  latencyMs: z.object({ p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() }).nullable(),
  /** Watched files: each file followed, how it is read and how far. */
  files: z.array(z.object({ path: z.string(), format: z.string().nullable(), offset: z.number() })),
  startedAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  /** Why it failed or stopped, or the last storage problem (messages wait in the journal meanwhile). */
  message: z.string().nullable(),
});
export type LiveSourceInfo = z.infer<typeof LiveSourceInfo>;

const Empty = z.object({}).strict();
const SourceId = z.object({ id: z.number().int().positive() }).strict();

export const liveOperations = {
  /** Start a syslog listener for the open case (UDP, TCP and/or TLS); resumes a stopped source with the same settings. */
  startListener: { input: ListenerSpec, output: LiveSourceInfo },
  /** Follow files and folders (tail -F) into the open case; resumes where a stopped source with the same paths left off. */
  startWatch: { input: WatchSpec, output: LiveSourceInfo },
  /** Stop a source: the sockets close (or files stop being followed) and what was received is stored. */
  stopLiveSource: { input: SourceId, output: LiveSourceInfo },
  /** Stop a source and take it out of the case: its events, field table, errors and journal. */
  removeLiveSource: { input: SourceId, output: z.object({ removed: z.boolean() }) },
  listLiveSources: { input: Empty, output: z.object({ sources: z.array(LiveSourceInfo) }) },
} as const;

export const livePushEvents = {
  /** About once a second while a source runs: every source's counters, and the case's event count. */
  liveStats: z.object({ sources: z.array(LiveSourceInfo), events: z.number(), at: z.string() }),
} as const;
