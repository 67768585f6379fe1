import type { MmdbKind } from './geoip';
import type { IpScope } from '../net/ip-address';
import type { RejectedLine } from './ipsum';

/** Public shapes of the intel store, shared by the store, its status builders and the hosts. */

export const DEFAULT_IPSUM_URL = 'https://raw.githubusercontent.com/stamparm/ipsum/master/ipsum.txt';
/**
 * IPs on 3 or more blocklists count as malicious: the IPsum author's own
 * suggested ban level. 1-2 lists catch many scanners and shared hosting
 * addresses that are noise in an investigation.
 */
export const DEFAULT_MALICIOUS_THRESHOLD = 3;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

export interface IntelSettings {
  /** An IP on at least this many IPsum lists is malicious (1-100). */
  maliciousThreshold: number;
  ipsumUrl: string;
  downloadTimeoutMs: number;
}

/** `loupe intel lookup --json` prints exactly this; null where unknown. */
export interface IpIntel {
  ip: string;
  scope: IpScope;
  country: string | null;
  city: string | null;
  asn: number | null;
  asOrg: string | null;
  /** Number of IPsum lists; 0 when a list is loaded and the IP is not on it; null with no list. */
  ipsum: number | null;
  /** ipsum >= threshold, or the IP is on any IOC list. */
  malicious: boolean;
  iocLists: string[];
}

/** What enrichment stores per IP: the lookup plus the parsed address for range queries. */
export interface IpEnrichment extends IpIntel {
  family: 4 | 6 | null;
  /** The address as an unsigned integer (UHUGEINT in DuckDB), null when not an IP. */
  num: bigint | null;
}

export type IntelSourceKind = 'ipsum' | MmdbKind | 'ioc';

export interface IntelSourceStatus {
  /** 'ipsum', 'geoip:city', 'geoip:country', 'geoip:asn', 'embedded:country', 'embedded:asn', 'ioc:<name>'. */
  id: string;
  kind: IntelSourceKind;
  name: string;
  state: 'ok' | 'missing' | 'error';
  embedded: boolean;
  /** ISO date of the data: the feed's own date, the database build date, the package data date, else the file's mtime. */
  version: string | null;
  versionFrom: 'feed-header' | 'build-epoch' | 'file-mtime' | 'package' | null;
  entries: number | null;
  rejected: number | null;
  rejectedSamples?: RejectedLine[];
  file: string | null;
  origin: string | null;
  importedAt: string | null;
  /** The database type, the package version, the indicator counts, or why the source is missing/broken. */
  detail: string | null;
  licence: string | null;
  attribution: string | null;
}

export interface IntelStatus {
  dir: string;
  settings: IntelSettings;
  stamp: string;
  sources: IntelSourceStatus[];
}

export function sourceStatus(partial: Partial<IntelSourceStatus> & Pick<IntelSourceStatus, 'id' | 'kind' | 'name' | 'state'>): IntelSourceStatus {
  return {
    embedded: false,
    version: null,
    versionFrom: null,
    entries: null,
    rejected: null,
    file: null,
    origin: null,
    importedAt: null,
    detail: null,
    licence: null,
    attribution: null,
    ...partial,
  };
}
