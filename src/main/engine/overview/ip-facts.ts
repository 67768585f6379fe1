import type { IpFacts } from '@shared/overview-contract';
import type { IntelStore } from '../intel';

/**
 * What the intel knows about a few IPs (a top-10 list, a page of peers):
 * looked up in the store directly, which is always current and costs
 * microseconds per IP, rather than joined from the case's enrichment table.
 */
export function ipFacts(store: IntelStore, ip: string): IpFacts {
  const e = store.enrich(ip);
  return { scope: e.scope, country: e.country, city: e.city, asn: e.asn, asOrg: e.asOrg, ipsum: e.ipsum, malicious: e.malicious, iocLists: [...e.iocLists] };
}

export function withIpFacts<T extends { value: string }>(store: IntelStore, items: T[]): (T & { ip: IpFacts })[] {
  store.refresh();
  return items.map((i) => ({ ...i, ip: ipFacts(store, i.value) }));
}
