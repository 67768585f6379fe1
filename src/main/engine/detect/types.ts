import type { Severity } from '@shared/events';

/**
 * The public shapes of the Sigma engine. Parsing and the detection IR are
 * independent of any case; binding to a case's sources happens at run time,
 * so one loaded rule set serves every case.
 */

export type RuleStatus = 'active' | 'unsupported' | 'error';

/** Where a rule came from: a file on disk or a member of a zip (`archive.zip!dir/rule.yml`). */
export interface RuleOrigin {
  path: string;
  /** 0-based index of the YAML document inside a multi-document file. */
  doc: number;
  /** 1-based line of the document's start (or of the error, for errors). */
  line?: number;
}

export interface SigmaLogsource {
  product?: string;
  service?: string;
  category?: string;
}

/** One rule as the loader saw it, whatever its status. */
export interface RuleRecord {
  /** The rule's `id`, or a stable synthetic one (`path#doc`) when it has none. */
  id: string;
  /** The rule's `name` (v2, used by correlation references), if any. */
  name?: string;
  title: string;
  origin: RuleOrigin;
  status: RuleStatus;
  /** Why it is unsupported or in error (one line, for people). Empty for active rules. */
  reason: string;
  kind: 'detection' | 'correlation' | 'filter';
  level?: Severity;
  sigmaStatus?: string;
  description?: string;
  tags: string[];
  author?: string;
  references: string[];
  falsepositives: string[];
  logsource?: SigmaLogsource;
  /** How the logsource is served: labels of its variants ("Sysmon 1", "Security 4688", "dataset zeek.conn"). */
  targets: string[];
  /** True for rules referenced by a correlation whose `generate` is not true: their own hits are inputs, not alerts. */
  correlationOnly: boolean;
}

/** Analyst-configured values for `|expand` placeholders, e.g. `{ known_cdcs: ['dc1', '10.0.0.5'] }`. */
export type Placeholders = Record<string, string[]>;

export interface LoadOptions {
  placeholders?: Placeholders;
  /** Upper bound on one rule file (bytes). Default 1 MiB: Sigma rules are a few KiB. */
  maxFileBytes?: number;
  /** Upper bound on the total bytes read out of one zip. Default 256 MiB. */
  maxZipBytes?: number;
  /** Upper bound on the number of files read (folder walk + zip members). Default 100,000. */
  maxFiles?: number;
}

export interface RuleCounts {
  active: number;
  unsupported: number;
  error: number;
}
