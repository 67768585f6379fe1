import { CORE_COLUMNS } from '@shared/events';
import type { ColumnInfo } from './catalog';

/**
 * Loupe's own fields, which a Sigma rule names with the `loupe.` prefix on
 * any logsource:
 *
 * - `loupe.<core column>` (`loupe.src_ip`, `loupe.action`, `loupe.outcome`,
 *   `loupe.user`, `loupe.severity` ...): the normalised `events` columns. An
 *   auth.log line keeps its source address only there (the field table holds
 *   the syslog fields), and the action/outcome words are what our parsers
 *   made of the message, so rules over several formats test one name.
 * - `loupe.src_ipsum`, `loupe.dst_ipsum`, `loupe.ipsum` (the larger of the
 *   two), `loupe.{src,dst}_malicious`, `loupe.malicious`, `loupe.{src,dst}_scope`,
 *   `_country`, `_asn`, `_as_org`, `loupe.{src,dst}_ioc_lists`, `loupe.ioc_lists`
 *   (list names joined with commas, NULL when none): the case's IP
 *   enrichment (docs/intel.md), joined on events.src_ip / dst_ip. Present
 *   only once the case has an enrichment table; before that a rule testing
 *   them does not apply (like any absent field).
 *
 * The prefix keeps them apart from source fields: SigmaHQ's `User` must stay
 * Sysmon's User, never fall back to events.user.
 *
 * Expressions are written over fixed aliases: `e` (events), `ies` and `ied`
 * (ip_enrichment of the source and destination address).
 */

export const LOUPE_PREFIX = 'loupe.';

export function isLoupeField(field: string): boolean {
  return field.length > LOUPE_PREFIX.length && field.slice(0, LOUPE_PREFIX.length).toLowerCase() === LOUPE_PREFIX;
}

const CORE_TYPES: Partial<Record<string, { type: string; kind: ColumnInfo['kind'] }>> = {
  ts: { type: 'TIMESTAMP', kind: 'timestamp' },
  src_port: { type: 'INTEGER', kind: 'number' },
  dst_port: { type: 'INTEGER', kind: 'number' },
};

const INTEL_SIDE: Record<string, { col: string; type: string; kind: ColumnInfo['kind'] }> = {
  ipsum: { col: 'ipsum', type: 'INTEGER', kind: 'number' },
  scope: { col: 'scope', type: 'VARCHAR', kind: 'string' },
  country: { col: 'country', type: 'VARCHAR', kind: 'string' },
  city: { col: 'city', type: 'VARCHAR', kind: 'string' },
  asn: { col: 'asn', type: 'BIGINT', kind: 'number' },
  as_org: { col: 'as_org', type: 'VARCHAR', kind: 'string' },
  malicious: { col: 'malicious', type: 'BOOLEAN', kind: 'boolean' },
};

function sideExpr(alias: 'ies' | 'ied', key: string): string | undefined {
  if (key === 'ioc_lists') return `nullif(array_to_string(list_sort(${alias}.ioc_lists), ','), '')`;
  const spec = INTEL_SIDE[key];
  if (!spec) return undefined;
  return spec.type === 'BIGINT' ? `CAST(${alias}.${spec.col} AS BIGINT)` : `${alias}.${spec.col}`;
}

function intelColumn(key: string): ColumnInfo | undefined {
  const side = key.startsWith('src_') ? 'ies' : key.startsWith('dst_') ? 'ied' : null;
  if (side) {
    const rest = key.slice(4);
    const expr = sideExpr(side, rest);
    if (expr === undefined) return undefined;
    const spec = INTEL_SIDE[rest];
    return { name: `loupe.${key}`, type: spec?.type ?? 'VARCHAR', kind: spec?.kind ?? 'string', expr, needs: 'intel' };
  }
  switch (key) {
    case 'ipsum':
      // DuckDB's greatest() skips NULLs: NULL only when neither side is listed or enriched.
      return { name: 'loupe.ipsum', type: 'INTEGER', kind: 'number', expr: 'greatest(ies.ipsum, ied.ipsum)', needs: 'intel' };
    case 'malicious':
      return { name: 'loupe.malicious', type: 'BOOLEAN', kind: 'boolean', expr: '(coalesce(ies.malicious, false) OR coalesce(ied.malicious, false))', needs: 'intel' };
    case 'ioc_lists':
      return {
        name: 'loupe.ioc_lists',
        type: 'VARCHAR',
        kind: 'string',
        expr: `nullif(array_to_string(list_sort(list_distinct(list_concat(coalesce(ies.ioc_lists, []::VARCHAR[]), coalesce(ied.ioc_lists, []::VARCHAR[])))), ','), '')`,
        needs: 'intel',
      };
    default:
      return undefined;
  }
}

/**
 * The column a `loupe.` field means: a core column of events, or (when the
 * case has an IP enrichment) an intel value. Null when the name is not one
 * of ours or the intel is not there, so the rule folds as for any absent field.
 */
export function loupeColumn(field: string, intel: boolean): ColumnInfo | null {
  const key = field.slice(LOUPE_PREFIX.length).toLowerCase();
  if ((CORE_COLUMNS as readonly string[]).includes(key)) {
    const t = CORE_TYPES[key] ?? { type: 'VARCHAR', kind: 'string' as const };
    return { name: `loupe.${key}`, type: t.type, kind: t.kind, expr: `e.${key === 'user' ? '"user"' : key}`, needs: 'events' };
  }
  if (key === 'id') return { name: 'loupe.id', type: 'BIGINT', kind: 'number', expr: 'e.id', needs: 'events' };
  if (!intel) return null;
  return intelColumn(key) ?? null;
}

/** The joins an intel expression needs, after `events e` is joined. */
export const INTEL_JOINS = ' LEFT JOIN ip_enrichment ies ON ies.ip = e.src_ip LEFT JOIN ip_enrichment ied ON ied.ip = e.dst_ip';
