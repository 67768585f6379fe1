import type { DuckDBConnection } from '@duckdb/node-api';
import { LoupeError } from '@shared/errors';
import { writeEnrichment } from './enrichment-writer';
import { parseCidr } from '../net/ip-address';
import type { IntelStore } from './intel-store';

/**
 * Intel inside a case database. Enrichment costs grow with the number of
 * distinct IPs, never with the number of events:
 *
 *   ips             one row per distinct src_ip/dst_ip value, with first/last
 *                   seen and event counts; filled incrementally from events
 *                   with id > the stored watermark.
 *   ip_enrichment   one row per ips.ip: scope, geo, AS, IPsum score, IOC
 *                   lists, malicious flag. Rewritten whole when the intel
 *                   changes (no re-import), appended for new IPs otherwise.
 *   ioc_indicators  a copy of the analyst's IOC lists, for domain/hash joins.
 *   intel_state     watermark and the intel stamp the enrichment was made with.
 *
 * Views ip_intel, event_intel, malicious_ips, malicious_events and a few
 * macros are what search, rules and dashboards join (docs/intel.md).
 */

export const INTEL_SCHEMA_VERSION = 2;

/** IPs enriched between two yields to the event loop (about 50 ms of lookups). */
const YIELD_EVERY = 5000;

/** Suffix levels are bounded so a hostile value cannot make a huge list. */
const MAX_DOMAIN_LABELS = 32;

const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS intel_state (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  // No primary key: syncIps is its only writer, and each of its runs adds a
  // GROUP BY ip delta with a MERGE inside one transaction that also rewrites
  // the intel_state watermark row, so two overlapping runs conflict there and
  // one rolls back. The index cost ~10% of the whole intel step (build and
  // checkpoint) and no query needs it: every reader joins or scans ips.
  `CREATE TABLE IF NOT EXISTS ips (
     ip VARCHAR NOT NULL,
     first_seen TIMESTAMP,
     last_seen TIMESTAMP,
     events BIGINT NOT NULL,
     src_events BIGINT NOT NULL,
     dst_events BIGINT NOT NULL)`,
  // No primary key: rows are only ever appended for ips rows that have none
  // (anti join) or rewritten whole, and the index would cost more than the
  // rest of the append.
  `CREATE TABLE IF NOT EXISTS ip_enrichment (
     ip VARCHAR NOT NULL,
     family UTINYINT,
     ip_num UHUGEINT,
     scope VARCHAR NOT NULL,
     country VARCHAR,
     city VARCHAR,
     asn UINTEGER,
     as_org VARCHAR,
     ipsum INTEGER,
     ioc_lists VARCHAR[],
     malicious BOOLEAN NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ioc_indicators (
     list_name VARCHAR NOT NULL,
     kind VARCHAR NOT NULL,
     value VARCHAR NOT NULL,
     family UTINYINT,
     first_num UHUGEINT,
     last_num UHUGEINT)`,
  `CREATE OR REPLACE VIEW ip_intel AS
   SELECT i.ip, i.first_seen, i.last_seen, i.events, i.src_events, i.dst_events,
          e.family, e.ip_num, e.scope, e.country, e.city, e.asn, e.as_org, e.ipsum,
          coalesce(e.ioc_lists, []::VARCHAR[]) AS ioc_lists,
          coalesce(e.malicious, false) AS malicious,
          e.ip IS NOT NULL AS enriched
   FROM ips i LEFT JOIN ip_enrichment e ON e.ip = i.ip`,
  `CREATE OR REPLACE VIEW malicious_ips AS SELECT ip FROM ip_enrichment WHERE malicious`,
  `CREATE OR REPLACE VIEW event_intel AS
   SELECT ev.id AS event_id, ev.src_ip, ev.dst_ip,
          s.scope AS src_scope, s.country AS src_country, s.city AS src_city, s.asn AS src_asn, s.as_org AS src_as_org,
          s.ipsum AS src_ipsum, coalesce(s.ioc_lists, []::VARCHAR[]) AS src_ioc_lists, coalesce(s.malicious, false) AS src_malicious,
          d.scope AS dst_scope, d.country AS dst_country, d.city AS dst_city, d.asn AS dst_asn, d.as_org AS dst_as_org,
          d.ipsum AS dst_ipsum, coalesce(d.ioc_lists, []::VARCHAR[]) AS dst_ioc_lists, coalesce(d.malicious, false) AS dst_malicious,
          coalesce(s.malicious, false) OR coalesce(d.malicious, false) AS malicious,
          list_sort(list_distinct(list_concat(coalesce(s.ioc_lists, []::VARCHAR[]), coalesce(d.ioc_lists, []::VARCHAR[])))) AS ioc_lists
   FROM events ev
   LEFT JOIN ip_enrichment s ON s.ip = ev.src_ip
   LEFT JOIN ip_enrichment d ON d.ip = ev.dst_ip`,
  // The one-click hunt: a semi join of events against the (small) set of bad IPs.
  `CREATE OR REPLACE VIEW malicious_events AS
   SELECT ev.* FROM events ev
   WHERE ev.src_ip IN (SELECT ip FROM malicious_ips) OR ev.dst_ip IN (SELECT ip FROM malicious_ips)`,
  // IPv4 text -> number, NULL for anything else: CIDR filters on columns outside the ips table.
  `CREATE OR REPLACE MACRO ipv4_num(x) AS
   CASE WHEN regexp_full_match(x::VARCHAR, '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}')
   THEN (split_part(x::VARCHAR, '.', 1)::UBIGINT * 16777216 + split_part(x::VARCHAR, '.', 2)::UBIGINT * 65536
         + split_part(x::VARCHAR, '.', 3)::UBIGINT * 256 + split_part(x::VARCHAR, '.', 4)::UBIGINT) END`,
  // A domain and each parent domain down to two labels (a.evil.com -> evil.com, a.evil.com),
  // lower case, no trailing dot. Built from the right so a hostile 1000-label value still
  // yields the short, meaningful suffixes first.
  `CREATE OR REPLACE MACRO ioc_domain_suffixes(x) AS
   list_filter(
     list_transform(
       generate_series(2, least(len(string_split(lower(trim(x::VARCHAR, '. ')), '.')), ${MAX_DOMAIN_LABELS})),
       lambda k: array_to_string(list_slice(string_split(lower(trim(x::VARCHAR, '. ')), '.'), -k, -1), '.')),
     lambda s: s <> '' AND NOT starts_with(s, '.'))`,
  // Every MD5/SHA-1/SHA-256-length hex token of a value (also the Sysmon "Hashes" field).
  `CREATE OR REPLACE MACRO ioc_hash_tokens(x) AS
   regexp_extract_all(lower(x::VARCHAR), '\\b([0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})\\b')`,
  // For display of a few rows only: correlated, slow over whole tables (use the *MatchSql helpers to filter).
  `CREATE OR REPLACE MACRO ioc_domain_lists(x) AS (
     SELECT list(DISTINCT i.list_name ORDER BY i.list_name) FROM ioc_indicators i
     WHERE i.kind = 'domain' AND i.value IN (SELECT unnest(ioc_domain_suffixes(x))))`,
  `CREATE OR REPLACE MACRO ioc_hash_lists(x) AS (
     SELECT list(DISTINCT i.list_name ORDER BY i.list_name) FROM ioc_indicators i
     WHERE i.kind IN ('md5', 'sha1', 'sha256') AND i.value IN (SELECT unnest(ioc_hash_tokens(x))))`,
];

async function scalar(conn: DuckDBConnection, sql: string, params: Array<string | number | bigint | null> = []): Promise<unknown> {
  const r = await conn.runAndReadAll(sql, params);
  const row = r.getRows()[0];
  return row ? row[0] : null;
}

async function getState(conn: DuckDBConnection, key: string): Promise<string | null> {
  const v = await scalar(conn, `SELECT value FROM intel_state WHERE key = $1`, [key]);
  return typeof v === 'string' ? v : null;
}

async function setState(conn: DuckDBConnection, key: string, value: string): Promise<void> {
  await conn.run(`INSERT OR REPLACE INTO intel_state VALUES ($1, $2)`, [key, value]);
}

async function tableExists(conn: DuckDBConnection, name: string): Promise<boolean> {
  const n = await scalar(conn, `SELECT count(*) FROM duckdb_tables() WHERE table_name = $1 AND schema_name = current_schema()`, [name]);
  return Number(n) > 0;
}

/**
 * Create (or bring up to date) the intel tables, views and macros. Needs the
 * events table. `force` recreates views and macros (after a migration that
 * rebuilt events, which the views read).
 */
export async function ensureIntelSchema(conn: DuckDBConnection, options: { force?: boolean } = {}): Promise<void> {
  // duckdb_tables() costs ~10-20 ms of CPU; a connection checks once.
  if (!options.force && ensured.has(conn)) return;
  if (!(await tableExists(conn, 'events'))) {
    throw new LoupeError('NOT_A_CASE', 'the database has no events table: open a case before enriching');
  }
  if (options.force || !(await tableExists(conn, 'intel_state')) || (await getState(conn, 'schema_version')) !== String(INTEL_SCHEMA_VERSION)) {
    await dropIpsPrimaryKey(conn);
    for (const sql of SCHEMA_SQL) await conn.run(sql);
    await setState(conn, 'schema_version', String(INTEL_SCHEMA_VERSION));
  }
  ensured.add(conn);
}

const ensured = new WeakSet<DuckDBConnection>();

/**
 * Schema 1 gave ips a primary key. DuckDB cannot drop a constraint, so the
 * table is copied without it (its views are recreated right after by
 * SCHEMA_SQL). Cases written by schema 2 have no key and skip this.
 */
async function dropIpsPrimaryKey(conn: DuckDBConnection): Promise<void> {
  const keyed = await scalar(
    conn,
    `SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'ips' AND schema_name = current_schema() AND constraint_type = 'PRIMARY KEY'`,
  );
  if (Number(keyed) === 0) return;
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`CREATE TABLE ips_unkeyed AS SELECT * FROM ips`);
    await conn.run(`DROP VIEW IF EXISTS ip_intel`);
    await conn.run(`DROP TABLE ips`);
    await conn.run(`ALTER TABLE ips_unkeyed RENAME TO ips`);
    await conn.run(`ALTER TABLE ips ALTER COLUMN ip SET NOT NULL`);
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

const queues = new WeakMap<DuckDBConnection, Promise<unknown>>();

/**
 * One intel transaction at a time per connection, with its reads inside it:
 * an import finishing while the analyst updates IPsum must not read the same
 * watermark twice or interleave two enrichments (DuckDB has no nested
 * transactions, and ip_enrichment relies on one writer).
 */
function serialTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    await conn.run('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await conn.run('COMMIT');
      return out;
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  };
  const prev = queues.get(conn) ?? Promise.resolve();
  const next = prev.then(run, run);
  queues.set(
    conn,
    next.catch(() => undefined),
  );
  return next;
}

export interface SyncResult {
  /** Events read this time (id in (previous watermark, new watermark]). */
  events: number;
  /** ips rows created this time. */
  newIps: number;
  totalIps: number;
  watermark: string | null;
}

/**
 * Bring the ips table up to date with events imported since the last call
 * (events.id > the stored watermark). An event whose src and dst are the same
 * IP counts once in `events`.
 */
export async function syncIps(conn: DuckDBConnection): Promise<SyncResult> {
  await ensureIntelSchema(conn);
  return serialTransaction(conn, async () => {
    const prevText = await getState(conn, 'ips_watermark');
    const prev = prevText === null ? null : BigInt(prevText);
    const hiVal = await scalar(conn, `SELECT max(id) FROM events`);
    const before = Number(await scalar(conn, `SELECT count(*) FROM ips`));
    if (hiVal === null || hiVal === undefined || (prev !== null && BigInt(hiVal as bigint) <= prev)) {
      return { events: 0, newIps: 0, totalIps: before, watermark: prevText };
    }
    const hi = BigInt(hiVal as bigint);
    // Both bounds are integers we read from the database, not user text.
    const range = prev === null ? `id <= ${hi}` : `id > ${prev} AND id <= ${hi}`;
    const counted = await scalar(conn, `SELECT count(*) FROM events WHERE ${range}`);
    // Aggregate src and dst separately (each GROUP BY sees one column), plus the
    // rare events whose src and dst are the same IP, so that such an event
    // counts once in `events`: measured ~10% less CPU than one GROUP BY over a
    // UNION ALL with a per-row comparison.
    const delta = `
      SELECT ip, min(f) AS f, max(l) AS l, sum(sn) + sum(dn) - sum(same) AS ev, sum(sn) AS sn, sum(dn) AS dn FROM (
        SELECT src_ip AS ip, min(ts) AS f, max(ts) AS l, count(*) AS sn, 0 AS dn, 0 AS same
        FROM events WHERE ${range} AND src_ip <> '' GROUP BY src_ip
        UNION ALL
        SELECT dst_ip, min(ts), max(ts), 0, count(*), 0
        FROM events WHERE ${range} AND dst_ip <> '' GROUP BY dst_ip
        UNION ALL
        SELECT src_ip, NULL, NULL, 0, 0, count(*)
        FROM events WHERE ${range} AND src_ip = dst_ip AND src_ip <> '' GROUP BY src_ip
      ) GROUP BY ip`;
    if (before === 0) {
      // First import: nothing to merge with.
      await conn.run(`INSERT INTO ips ${delta}`);
    } else {
      // The delta has one row per IP (GROUP BY), so the MERGE keeps ips unique.
      await conn.run(`
        MERGE INTO ips USING (${delta}) AS d ON ips.ip = d.ip
        WHEN MATCHED THEN UPDATE SET
          first_seen = least(ips.first_seen, d.f),
          last_seen = greatest(ips.last_seen, d.l),
          events = ips.events + d.ev,
          src_events = ips.src_events + d.sn,
          dst_events = ips.dst_events + d.dn
        WHEN NOT MATCHED THEN INSERT VALUES (d.ip, d.f, d.l, d.ev, d.sn, d.dn)`);
    }
    await setState(conn, 'ips_watermark', hi.toString());
    const after = Number(await scalar(conn, `SELECT count(*) FROM ips`));
    return { events: Number(counted), newIps: after - before, totalIps: after, watermark: hi.toString() };
  });
}

/** Rebuild ips from every event (after events were deleted); enrichment follows on the next enrichIps. */
export async function rebuildIps(conn: DuckDBConnection): Promise<SyncResult> {
  await ensureIntelSchema(conn);
  await serialTransaction(conn, async () => {
    await conn.run(`DELETE FROM ips`);
    await conn.run(`DELETE FROM ip_enrichment`);
    await conn.run(`DELETE FROM intel_state WHERE key IN ('ips_watermark', 'enrich_stamp')`);
  });
  return syncIps(conn);
}

export interface EnrichResult {
  /** IPs looked up this time. */
  enriched: number;
  /** True when the whole table was rewritten (the intel changed since the last enrichment). */
  full: boolean;
  /** Indicators copied into ioc_indicators (0 when the lists did not change). */
  indicators: number;
  stamp: string;
}

async function copyIndicators(conn: DuckDBConnection, store: IntelStore): Promise<number> {
  await conn.run(`DELETE FROM ioc_indicators`);
  const ap = await conn.createAppender('ioc_indicators');
  let n = 0;
  try {
    for (const ind of store.indicators()) {
      ap.appendVarchar(ind.list);
      ap.appendVarchar(ind.kind);
      ap.appendVarchar(ind.value);
      const range = ind.kind === 'ip' || ind.kind === 'cidr' ? parseCidr(ind.value) : null;
      if (range) {
        ap.appendUTinyInt(range.family);
        ap.appendUHugeInt(range.first);
        ap.appendUHugeInt(range.last);
      } else {
        ap.appendNull();
        ap.appendNull();
        ap.appendNull();
      }
      ap.endRow();
      n++;
    }
    ap.flushSync();
  } finally {
    ap.closeSync();
  }
  return n;
}

/**
 * Enrich the IPs of the ips table that have no enrichment yet, or all of them
 * when the intel changed since the last run (or `force`). Never reads events.
 */
export async function enrichIps(conn: DuckDBConnection, store: IntelStore, options: { force?: boolean } = {}): Promise<EnrichResult> {
  await ensureIntelSchema(conn);
  return serialTransaction(conn, async () => {
    store.refresh();
    const stamp = store.stamp();
    const iocStamp = store.iocStamp();
    const full = options.force === true || (await getState(conn, 'enrich_stamp')) !== stamp;
    const iocChanged = (await getState(conn, 'ioc_stamp')) !== iocStamp;
    if (full) await conn.run(`DELETE FROM ip_enrichment`);
    const enriched = await writeEnrichment(conn, store, YIELD_EVERY);
    const indicators = iocChanged ? await copyIndicators(conn, store) : 0;
    await setState(conn, 'enrich_stamp', stamp);
    await setState(conn, 'ioc_stamp', iocStamp);
    await setState(conn, 'enriched_at', new Date().toISOString());
    return { enriched, full, indicators, stamp };
  });
}

export interface RefreshResult {
  sync: SyncResult;
  enrich: EnrichResult;
}

/**
 * What the import pipeline calls after each import, and the app after an
 * intel update or when a case opens: new events -> ips -> enrichment. Cheap
 * when nothing changed (two small queries).
 */
export async function refreshCaseIntel(conn: DuckDBConnection, store: IntelStore): Promise<RefreshResult> {
  const sync = await syncIps(conn);
  const enrich = await enrichIps(conn, store);
  return { sync, enrich };
}

export interface CaseIntelStatus {
  ips: number;
  enriched: number;
  malicious: number;
  iocHits: number;
  watermark: string | null;
  enrichedAt: string | null;
  /** The intel changed since this case was enriched (refreshCaseIntel will redo it). */
  stale: boolean;
}

export async function caseIntelStatus(conn: DuckDBConnection, store: IntelStore): Promise<CaseIntelStatus> {
  await ensureIntelSchema(conn);
  const r = await conn.runAndReadAll(`
    SELECT (SELECT count(*) FROM ips), count(*), count(*) FILTER (WHERE malicious), count(*) FILTER (WHERE ioc_lists IS NOT NULL)
    FROM ip_enrichment`);
  const row = r.getRows()[0] ?? [];
  return {
    ips: Number(row[0] ?? 0),
    enriched: Number(row[1] ?? 0),
    malicious: Number(row[2] ?? 0),
    iocHits: Number(row[3] ?? 0),
    watermark: await getState(conn, 'ips_watermark'),
    enrichedAt: await getState(conn, 'enriched_at'),
    stale: (await getState(conn, 'enrich_stamp')) !== store.stamp(),
  };
}

// ---------------------------------------------------------------- SQL builders for search and rules

/** `column` must be a trusted SQL expression (a quoted identifier the caller built), never user text. */
function assertSqlExpr(column: string): void {
  if (column.length === 0 || column.includes(';')) throw new LoupeError('BAD_INPUT', `not a column expression: ${column}`);
}

/**
 * SQL boolean: `column` (IP text) is in one of the CIDRs. Numbers are inlined
 * (they come from our own parser, not from the user's text). IPv4 ranges test
 * the value itself (ipv4_num); IPv6 ranges go through ip_enrichment, which
 * knows every IP seen in events.src_ip/dst_ip. With `viaIpsTable` (for
 * src_ip/dst_ip) both go through ip_enrichment, whose size is the number of
 * distinct IPs.
 */
export function cidrMatchSql(column: string, cidrs: string[], options: { viaIpsTable?: boolean } = {}): string {
  assertSqlExpr(column);
  if (cidrs.length === 0) return 'false';
  const parts: string[] = [];
  const v6: string[] = [];
  const v4ViaTable: string[] = [];
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (!c) throw new LoupeError('BAD_INPUT', `not an IP address or CIDR: ${text}`);
    if (c.family === 4 && !options.viaIpsTable) parts.push(`ipv4_num(${column}) BETWEEN ${c.first} AND ${c.last}`);
    else (c.family === 4 ? v4ViaTable : v6).push(`(family = ${c.family} AND ip_num BETWEEN ${c.first} AND ${c.last})`);
  }
  const viaTable = [...v4ViaTable, ...v6];
  if (viaTable.length > 0) parts.push(`${column} IN (SELECT ip FROM ip_enrichment WHERE ${viaTable.join(' OR ')})`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/** SQL boolean: the IP text in `column` is malicious (IPsum over threshold or on an IOC list). */
export function maliciousIpSql(column: string): string {
  assertSqlExpr(column);
  return `${column} IN (SELECT ip FROM malicious_ips)`;
}

/**
 * SQL boolean: the value of `column` in `table` is, or is under, a domain of
 * an IOC list. Works on distinct values of the column (the join is as big as
 * the number of distinct values, not rows): measured 70 ms on 1M rows, where
 * a per-row correlated lookup took minutes.
 */
export function iocDomainMatchSql(column: string, table: string, list?: string): string {
  assertSqlExpr(column);
  assertSqlExpr(table);
  const listFilter = list === undefined ? '' : ` AND list_name = '${list.replace(/'/g, "''")}'`;
  return `${column} IN (SELECT dv.v FROM (SELECT DISTINCT ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL) dv, unnest(ioc_domain_suffixes(dv.v)) s(x) WHERE s.x IN (SELECT value FROM ioc_indicators WHERE kind = 'domain'${listFilter}))`;
}

/** SQL boolean: `column` in `table` holds an MD5/SHA-1/SHA-256 of an IOC list (also inside "SHA1=..,MD5=.." fields). */
export function iocHashMatchSql(column: string, table: string, list?: string): string {
  assertSqlExpr(column);
  assertSqlExpr(table);
  const listFilter = list === undefined ? '' : ` AND list_name = '${list.replace(/'/g, "''")}'`;
  return `${column} IN (SELECT dv.v FROM (SELECT DISTINCT ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL) dv, unnest(ioc_hash_tokens(dv.v)) s(x) WHERE s.x IN (SELECT value FROM ioc_indicators WHERE kind IN ('md5', 'sha1', 'sha256')${listFilter}))`;
}
