import { LIST, listValue, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { SEVERITIES, type Severity } from '@shared/events';
import type { EntityKind, EntityListItem, EntityProfile, PeerGroup, RelatedAlert } from '@shared/overview-contract';
import { termFor } from '@shared/search-terms';
import { queryOne, queryRows } from '../db/sql';
import type { IntelStore } from '../intel';
import { compileQuery, type Compiled } from '../query/compile';
import type { FieldCatalog } from '../query/fields';
import { histogram } from '../query/search';
import { parseTimeValue } from '../query/time';
import { LOGON } from './dimensions';
import { tableNames } from './intel-aggregates';
import { ipFacts } from './ip-facts';

/**
 * Entity pages: everything the case says about one IP, user or host. Each
 * figure is a query over the entity's own search (`ip:X`, `user:X`,
 * `host:X`), so the page and the "search it" button always agree.
 */

const PEERS = 20;

/** The search that finds an entity's events. */
export function entityQuery(kind: EntityKind, value: string): string {
  return termFor(kind === 'ip' ? 'ip' : kind, value);
}

interface PeerSpec {
  id: string;
  title: string;
  kind: EntityKind;
  field: string;
  /** The peer value per event (SQL over e), NULL when the event has none. */
  value: string;
  /** Count logon successes and failures beside the events. */
  logons: boolean;
}

function peerSpecs(kind: EntityKind): PeerSpec[] {
  switch (kind) {
    case 'ip':
      return [
        // The other end of each event: the destination when it was the source, and back.
        { id: 'ips', title: 'IPs it talked to', kind: 'ip', field: 'ip', value: `CASE WHEN e.src_ip = $v THEN e.dst_ip ELSE e.src_ip END`, logons: false },
        { id: 'hosts', title: 'Hosts it reached or was seen on', kind: 'host', field: 'host', value: 'e.host', logons: true },
        { id: 'users', title: 'Users seen with it', kind: 'user', field: 'user', value: 'e."user"', logons: true },
      ];
    case 'user':
      return [
        { id: 'hosts', title: 'Hosts it logged onto or was seen on', kind: 'host', field: 'host', value: 'e.host', logons: true },
        { id: 'ips', title: 'Source IPs', kind: 'ip', field: 'src_ip', value: 'e.src_ip', logons: true },
      ];
    case 'host':
      return [
        { id: 'users', title: 'Users on this host', kind: 'user', field: 'user', value: 'e."user"', logons: true },
        { id: 'src-ips', title: 'Source IPs (connections and logons to it)', kind: 'ip', field: 'src_ip', value: 'e.src_ip', logons: true },
        { id: 'dst-ips', title: 'Destination IPs (it talked to)', kind: 'ip', field: 'dst_ip', value: 'e.dst_ip', logons: false },
      ];
  }
}

const LEVEL_RANK = `CASE a.level WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'informational' THEN 1 ELSE 0 END`;

function severityOf(v: unknown): Severity | null {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : null;
}

export async function entityProfile(
  conn: DuckDBConnection,
  catalog: FieldCatalog,
  store: IntelStore,
  req: { kind: EntityKind; value: string; from?: string | null | undefined; to?: string | null | undefined },
): Promise<Omit<EntityProfile, 'tookMs'>> {
  const value = req.value.trim();
  const query = entityQuery(req.kind, value);
  const q: Compiled = await compileQuery(conn, catalog, query, { from: req.from, to: req.to });
  const tables = await tableNames(conn);

  const head = await queryOne(
    conn,
    `SELECT count(*) AS n, strftime(min(e.ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(max(e.ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS hi
            ${req.kind === 'ip' ? `, count(*) FILTER (WHERE e.src_ip = $ip) AS src, count(*) FILTER (WHERE e.dst_ip = $ip) AS dst` : ''}
       FROM ${q.from} WHERE ${q.where}`,
    req.kind === 'ip' ? { ...q.params, ip: canonicalOr(store, value) } : q.params,
  );
  const datasets = (await queryRows(conn, `SELECT e.dataset AS v, count(*) AS n FROM ${q.from} WHERE ${q.where} GROUP BY 1 ORDER BY n DESC, v`, q.params)).map((r) => ({
    value: String(r.v),
    count: Number(r.n),
  }));
  // The chart spans the entity's own activity (not the whole case), unless a range was asked for.
  const lo = typeof head?.lo === 'string' ? Date.parse(head.lo) : null;
  const hi = typeof head?.hi === 'string' ? Date.parse(head.hi) + 1 : null;
  const range = {
    from: req.from ? (parseTimeValue(req.from)?.start ?? null) : lo === null ? null : new Date(lo),
    to: req.to ? (parseTimeValue(req.to)?.start ?? null) : hi === null ? null : new Date(hi),
  };
  const hist = await histogram(conn, q, range, 60, 'dataset', 0, false);

  store.refresh();
  const intel = req.kind === 'ip' ? ipFacts(store, value) : null;

  let alerts: RelatedAlert[] | null = null;
  if (tables.has('alerts') && tables.has('alert_events')) {
    const rows = await queryRows(
      conn,
      `SELECT a.id, a.rule_id, a.title, a.level, a.status, count(*) AS n,
              strftime(min(e.ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(max(e.ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS hi
         FROM ${q.from} JOIN alert_events ae ON ae.event_id = e.id JOIN alerts a ON a.id = ae.alert_id
        WHERE ${q.where} GROUP BY a.id, a.rule_id, a.title, a.level, a.status
        ORDER BY ${LEVEL_RANK} DESC, n DESC, a.id LIMIT 200`,
      q.params,
    );
    alerts = rows.map((r) => ({
      id: Number(r.id),
      ruleId: String(r.rule_id),
      title: String(r.title),
      level: severityOf(r.level),
      status: String(r.status),
      count: Number(r.n),
      firstSeen: typeof r.lo === 'string' ? r.lo : null,
      lastSeen: typeof r.hi === 'string' ? r.hi : null,
    }));
  }

  const peers: PeerGroup[] = [];
  const self = req.kind === 'ip' ? canonicalOr(store, value) : value.toLowerCase();
  for (const p of peerSpecs(req.kind)) {
    const outcome = p.logons ? `count(*) FILTER (WHERE ${LOGON} AND e.outcome = 'success') AS s, count(*) FILTER (WHERE ${LOGON} AND e.outcome = 'failure') AS f` : 'NULL AS s, NULL AS f';
    const sameKind = p.kind === req.kind;
    // DuckDB refuses named parameters the statement does not use: bind only these.
    const params = { ...q.params, ...(p.value.includes('$v') ? { v: self } : {}), ...(sameKind ? { self } : {}) };
    const rows = await queryRows(
      conn,
      `SELECT v, n, s, f FROM (
         SELECT ${p.value} AS v, count(*) AS n, ${outcome} FROM ${q.from} WHERE ${q.where} GROUP BY 1)
        WHERE v IS NOT NULL AND v <> '' AND ${sameKind ? (p.kind === 'ip' ? 'v <> $self' : 'lower(v) <> $self') : 'TRUE'}
        ORDER BY n DESC, v LIMIT ${PEERS}`,
      params,
    );
    if (rows.length === 0) continue;
    peers.push({
      id: p.id,
      title: p.title,
      kind: p.kind,
      field: p.field,
      items: rows.map((r) => ({
        value: String(r.v),
        count: Number(r.n),
        success: r.s === null ? null : Number(r.s),
        failure: r.f === null ? null : Number(r.f),
        ip: p.kind === 'ip' ? ipFacts(store, String(r.v)) : null,
      })),
    });
  }

  return {
    kind: req.kind,
    value,
    query,
    events: Number(head?.n ?? 0),
    firstSeen: typeof head?.lo === 'string' ? head.lo : null,
    lastSeen: typeof head?.hi === 'string' ? head.hi : null,
    datasets,
    histogram: { ...hist, tookMs: 0 },
    intel,
    roles: req.kind === 'ip' ? { src: Number(head?.src ?? 0), dst: Number(head?.dst ?? 0) } : null,
    alerts,
    peers,
  };
}

/** The canonical spelling of an IP (what events store), or the text as typed. */
function canonicalOr(store: IntelStore, text: string): string {
  const e = store.enrich(text);
  return e.scope === 'invalid' ? text : e.ip;
}

/**
 * The entities of a kind, most events first. IPs come from the intel's ips
 * table (every distinct address with counts and first/last seen); users and
 * hosts from the dashboard rollup, with first/last seen for the page shown.
 */
export async function listEntities(conn: DuckDBConnection, store: IntelStore, req: { kind: EntityKind; text: string; limit: number }): Promise<{ items: EntityListItem[]; total: number }> {
  const tables = await tableNames(conn);
  const text = req.text.trim().toLowerCase();
  if (req.kind === 'ip') {
    if (!tables.has('ips')) return { items: [], total: 0 };
    const rows = await queryRows(
      conn,
      `SELECT ip, events, strftime(first_seen, '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(last_seen, '%Y-%m-%dT%H:%M:%S.%fZ') AS hi, count(*) OVER () AS total
         FROM ips WHERE $t = '' OR contains(lower(ip), $t) ORDER BY events DESC, ip LIMIT ${req.limit}`,
      { t: text },
    );
    store.refresh();
    return {
      items: rows.map((r) => ({ value: String(r.ip), events: Number(r.events), firstSeen: typeof r.lo === 'string' ? r.lo : null, lastSeen: typeof r.hi === 'string' ? r.hi : null, ip: ipFacts(store, String(r.ip)) })),
      total: Number(rows[0]?.total ?? 0),
    };
  }
  if (!tables.has('overview_counts')) return { items: [], total: 0 };
  const rows = await queryRows(
    conn,
    `SELECT value, n, count(*) OVER () AS total FROM overview_counts WHERE dim = $d AND ($t = '' OR contains(lower(value), $t)) ORDER BY n DESC, value LIMIT ${req.limit}`,
    { d: req.kind, t: text },
  );
  const values = rows.map((r) => String(r.value));
  const col = req.kind === 'user' ? '"user"' : 'host';
  const seen = new Map<string, { lo: string | null; hi: string | null }>();
  if (values.length > 0) {
    const reader = await conn.runAndReadAll(
      `SELECT ${col} AS v, strftime(min(ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS lo, strftime(max(ts), '%Y-%m-%dT%H:%M:%S.%fZ') AS hi FROM events WHERE ${col} IN (SELECT unnest($vs)) GROUP BY 1`,
      { vs: listValue(values) },
      { vs: LIST(VARCHAR) },
    );
    for (const r of reader.getRowObjectsJS()) seen.set(String(r.v), { lo: typeof r.lo === 'string' ? r.lo : null, hi: typeof r.hi === 'string' ? r.hi : null });
  }
  return {
    items: rows.map((r) => ({ value: String(r.value), events: Number(r.n), firstSeen: seen.get(String(r.value))?.lo ?? null, lastSeen: seen.get(String(r.value))?.hi ?? null, ip: null })),
    total: Number(rows[0]?.total ?? 0),
  };
}
