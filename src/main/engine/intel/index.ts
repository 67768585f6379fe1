/**
 * IP intelligence, offline: scope labels, GeoIP (maxmind), IPsum, custom IOC
 * lists, and the enrichment of a case's distinct IPs. See docs/intel.md.
 */
export {
  SCOPES,
  canonicalIp,
  cidrContains,
  formatIp,
  formatIpv4,
  formatIpv6,
  ipScope,
  isGlobalScope,
  isIp,
  parseCidr,
  parseIp,
  parseIpv4Number,
  scopeOfIpv4,
  scopeOfParsed,
  type IpFamily,
  type IpScope,
  type ParsedCidr,
  type ParsedIp,
} from '../net/ip-address';
export { IntervalSet, RangeTable } from './ip-ranges';
export { MMDB_KINDS, MmdbError, MmdbSource, kindOfDatabaseType, type GeoFields, type MmdbKind, type MmdbSourceInfo } from './geoip';
export { checkMmdb, type MmdbInfo } from './mmdb-check';
export { parseIpsum, type IpsumParse, type RejectedLine } from './ipsum';
export { IOC_KINDS, IocIndex, classifyIndicator, normaliseDomain, parseIocList, type Indicator, type IocKind, type IocParse } from './ioc-lists';
export {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_IPSUM_URL,
  DEFAULT_MALICIOUS_THRESHOLD,
  IntelStore,
  intelStore,
  type IntelSettings,
  type IntelSourceKind,
  type IntelSourceStatus,
  type IntelStatus,
  type IntelStoreOptions,
  type IpEnrichment,
  type IpIntel,
} from './intel-store';
export {
  INTEL_SCHEMA_VERSION,
  caseIntelStatus,
  cidrMatchSql,
  enrichIps,
  ensureIntelSchema,
  iocDomainMatchSql,
  iocHashMatchSql,
  maliciousIpSql,
  rebuildIps,
  refreshCaseIntel,
  syncIps,
  type CaseIntelStatus,
  type EnrichResult,
  type RefreshResult,
  type SyncResult,
} from './case-intel';
