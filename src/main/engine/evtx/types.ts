/**
 * The shapes the EVTX reader hands to its callers (see index.ts for the API).
 * They are plain data so they cross worker threads and serialise as JSON.
 */

/** One event record, flattened for search and Sigma. */
export interface EvtxEvent {
  /** EventRecordID from the record header (the id Windows shows). */
  recordId: number;
  /**
   * System/TimeCreated/@SystemTime as ISO 8601 UTC with FILETIME's 100 ns
   * precision (`2022-10-11T19:26:52.0456558Z`); the record's written time when
   * the event has no TimeCreated; null when neither is a valid time.
   */
  timeCreated: string | null;
  /** System/EventID (without Qualifiers), or null when absent. */
  eventId: number | null;
  /**
   * System fields: element text under the element's name, attributes as
   * `Element_Attribute`. Typically: Provider_Name, Provider_Guid,
   * Provider_EventSourceName, EventID, EventID_Qualifiers, Version, Level,
   * Task, Opcode, Keywords, TimeCreated_SystemTime, EventRecordID,
   * Correlation_ActivityID, Correlation_RelatedActivityID,
   * Execution_ProcessID, Execution_ThreadID, Channel, Computer,
   * Security_UserID. Counters are numbers; Keywords stays hex text.
   */
  system: Record<string, string | number>;
  /**
   * EventData / UserData (and other payload sections) flattened to named
   * fields; see event-flattener.ts for the naming rules (Data_1.. for unnamed
   * Data items, `_2` suffixes for repeats).
   */
  eventData: Record<string, string>;
  /** Byte offset of the record in the file. */
  offset: number;
  /** Index of its chunk (0 = first chunk after the file header). */
  chunk: number;
  /** Present and true for records recovered from chunk slack space (option recoverSlack). */
  recovered?: true;
}

/** Damage found while reading. Issues never stop the read. */
export interface EvtxIssue {
  /** Byte offset in the file where the damage is (record, chunk or header start). */
  offset: number;
  /** Chunk index, or null for the file header / the file as a whole. */
  chunk: number | null;
  /** EventRecordID when the damaged record's header still told it. */
  recordId: number | null;
  /** One line for a person. */
  reason: string;
  /**
   * Event records lost to this damage: records seen but not returned, plus
   * records the chunk header announces that were never found. 0 when nothing
   * was lost (e.g. a checksum mismatch whose records all parsed).
   */
  lostRecords: number;
  /**
   * 'record': one record rejected (counted in recordsRejected);
   * 'chunk': a chunk damaged or skipped; 'file': the file header or layout;
   * 'checksum': a CRC mismatch, flagged only.
   */
  kind: 'record' | 'chunk' | 'file' | 'checksum';
}

/**
 * The read's accounting, final when iteration ends:
 * recordsSeen === recordsReturned + recordsRejected, always.
 * recordsMissing counts records chunk headers announced but that were never
 * seen (a zeroed or truncated chunk); they cannot be counted as seen.
 */
export interface EvtxSummary {
  fileSize: number;
  /** Chunk slots in the file (64 KiB each after the header block), partial last one included. */
  chunks: number;
  /** Chunks skipped whole (bad signature, zeroed, truncated header). */
  chunksSkipped: number;
  recordsSeen: number;
  recordsReturned: number;
  recordsRejected: number;
  recordsMissing: number;
  /** Of recordsReturned, how many came from slack space. */
  recordsRecovered: number;
  issues: number;
  /** The file header says the file was not closed cleanly. */
  dirty: boolean;
  /** The file starts with the EVTX signature ("ElfFile"). */
  signature: boolean;
}

export interface EvtxReadOptions {
  /**
   * Worker threads parsing chunks; 0 parses inline on the calling thread
   * (tests, tiny files). Default: one per CPU core, at most 4.
   */
  workers?: number;
  /** Also scan each chunk's free space for older records (flagged `recovered`). */
  recoverSlack?: boolean;
  signal?: AbortSignal;
  onIssue?: (issue: EvtxIssue) => void;
  /** After each chunk: bytes of the file read so far and the file size. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** What one parsed chunk yields; the unit passed back from workers. */
export interface ChunkResult {
  chunk: number;
  events: EvtxEvent[];
  issues: EvtxIssue[];
  seen: number;
  rejected: number;
  missing: number;
  recovered: number;
  /** The slot held no readable chunk (see `unused`) or the chunk was damaged beyond reading. */
  skipped: boolean;
  /**
   * A slot past the header's chunk count without a chunk signature: space the
   * writer has not used (yet). Not damage on its own; the reader reports such
   * slots once, together, instead of one issue each.
   */
  unused: boolean;
}
