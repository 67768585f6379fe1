import type { EntityKind } from '@shared/overview-contract';

/** Where an entity's page lives: `#/entities?kind=ip&value=10.0.0.5`. */
export function entityHref(kind: EntityKind, value: string): string {
  return `#/entities?kind=${kind}&value=${encodeURIComponent(value)}`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}(%\S+)?$/i;

export function looksLikeIp(v: string): boolean {
  return IPV4.test(v) || (v.includes(':') && IPV6.test(v) && /[0-9a-f]/i.test(v));
}

/** Core columns that hold entities. */
const CORE: Record<string, EntityKind> = { src_ip: 'ip', dst_ip: 'ip', user: 'user', host: 'host' };

/** Original field names that hold users or hosts across the formats Loupe reads. */
const USER_FIELD = /^(target|subject)?user(name)?$|^(cs-username|ssh_user|user\.name|accountname|samaccountname)$/i;
const HOST_FIELD = /^(computer|hostname|host|host\.name|workstation(name)?|dvchost|shost|dhost)$/i;

/**
 * Which entity a field's value names, if any: core columns by name, other
 * fields by their name (users, hosts) or by their value (any IP).
 */
export function entityKindOf(field: string, value: unknown): EntityKind | null {
  if (typeof value !== 'string' || value === '' || value === '-' || value.length > 300) return null;
  const core = CORE[field];
  if (core) return core === 'ip' && !looksLikeIp(value) ? null : core;
  if (looksLikeIp(value)) return 'ip';
  if (USER_FIELD.test(field)) return 'user';
  if (HOST_FIELD.test(field)) return 'host';
  return null;
}
