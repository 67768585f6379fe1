import type { ParsedIp } from '../net/ip-address';

/**
 * Sorted address ranges with binary search: IOC CIDR sets and the embedded
 * IP-to-ASN table. IPv4 bounds live in typed arrays (numbers); IPv6 bounds in
 * bigint arrays, which are slower, but IPv6 entries are the minority in every
 * feed we read.
 */

interface Pending {
  first: bigint;
  last: bigint;
  value: number;
}

/** Index of the last range whose start is <= x, or -1. */
function searchNumber(starts: Float64Array, x: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function searchBig(starts: bigint[], x: bigint): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Membership in a union of ranges (overlapping and nested CIDRs merge on build).
 */
export class IntervalSet {
  private v4Start = new Float64Array(0);
  private v4End = new Float64Array(0);
  private v6Start: bigint[] = [];
  private v6End: bigint[] = [];
  private pending4: Pending[] = [];
  private pending6: Pending[] = [];
  private built = true;

  add(family: 4 | 6, first: bigint, last: bigint): void {
    (family === 4 ? this.pending4 : this.pending6).push({ first, last, value: 0 });
    this.built = false;
  }

  get size(): number {
    this.build();
    return this.v4Start.length + this.v6Start.length;
  }

  private build(): void {
    if (this.built) return;
    const merge = (items: Pending[]): Array<[bigint, bigint]> => {
      items.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
      const out: Array<[bigint, bigint]> = [];
      for (const it of items) {
        const prev = out[out.length - 1];
        if (prev && it.first <= prev[1] + 1n) {
          if (it.last > prev[1]) prev[1] = it.last;
        } else out.push([it.first, it.last]);
      }
      return out;
    };
    const m4 = merge([...this.pending4, ...Array.from(this.v4Start, (s, i) => ({ first: BigInt(s), last: BigInt(this.v4End[i]!), value: 0 }))]);
    this.v4Start = Float64Array.from(m4, (r) => Number(r[0]));
    this.v4End = Float64Array.from(m4, (r) => Number(r[1]));
    const m6 = merge([...this.pending6, ...this.v6Start.map((s, i) => ({ first: s, last: this.v6End[i]!, value: 0 }))]);
    this.v6Start = m6.map((r) => r[0]);
    this.v6End = m6.map((r) => r[1]);
    this.pending4 = [];
    this.pending6 = [];
    this.built = true;
  }

  has(ip: ParsedIp): boolean {
    this.build();
    if (ip.family === 4) {
      const x = Number(ip.value);
      const i = searchNumber(this.v4Start, x);
      return i >= 0 && this.v4End[i]! >= x;
    }
    const i = searchBig(this.v6Start, ip.value);
    return i >= 0 && this.v6End[i]! >= ip.value;
  }

  /** IPv4 membership from a 32-bit number (the hot path of enrichment). */
  hasV4(x: number): boolean {
    this.build();
    const i = searchNumber(this.v4Start, x);
    return i >= 0 && this.v4End[i]! >= x;
  }
}

/**
 * Non-overlapping ranges each carrying a value index (the embedded ASN
 * table). A range that overlaps the one before it is dropped and counted:
 * the source is a merged table, so overlaps are data errors.
 */
export class RangeTable<V> {
  private v4Start = new Float64Array(0);
  private v4End = new Float64Array(0);
  private v4Value = new Uint32Array(0);
  private v6Start: bigint[] = [];
  private v6End: bigint[] = [];
  private v6Value: number[] = [];
  readonly values: V[] = [];
  private readonly valueIndex = new Map<string, number>();
  private p4First: number[] = [];
  private p4Last: number[] = [];
  private p4Value: number[] = [];
  private pending6: Pending[] = [];
  overlapsDropped = 0;

  /** `key` dedupes equal values (many ranges share one AS). */
  add(family: 4 | 6, first: bigint, last: bigint, key: string, value: V): void {
    if (family === 4) {
      this.addV4(Number(first), Number(last), key, value);
      return;
    }
    this.pending6.push({ first, last, value: this.indexOf(key, value) });
  }

  /** IPv4 without bigints: the bulk of every table, loaded at start-up. */
  addV4(first: number, last: number, key: string, value: V): void {
    this.p4First.push(first);
    this.p4Last.push(last);
    this.p4Value.push(this.indexOf(key, value));
  }

  private indexOf(key: string, value: V): number {
    let idx = this.valueIndex.get(key);
    if (idx === undefined) {
      idx = this.values.length;
      this.values.push(value);
      this.valueIndex.set(key, idx);
    }
    return idx;
  }

  /** Sort and freeze what was added. */
  build(): this {
    const clean = (items: Pending[]): Pending[] => {
      items.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
      const out: Pending[] = [];
      for (const it of items) {
        const prev = out[out.length - 1];
        if (prev && it.first <= prev.last) {
          this.overlapsDropped++;
          continue;
        }
        out.push(it);
      }
      return out;
    };
    const order = Array.from(this.p4First.keys()).sort((a, b) => this.p4First[a]! - this.p4First[b]!);
    const s4: number[] = [];
    const e4: number[] = [];
    const v4: number[] = [];
    for (const i of order) {
      const first = this.p4First[i]!;
      if (e4.length > 0 && first <= e4[e4.length - 1]!) {
        this.overlapsDropped++;
        continue;
      }
      s4.push(first);
      e4.push(this.p4Last[i]!);
      v4.push(this.p4Value[i]!);
    }
    this.v4Start = Float64Array.from(s4);
    this.v4End = Float64Array.from(e4);
    this.v4Value = Uint32Array.from(v4);
    const p6 = clean(this.pending6);
    this.v6Start = p6.map((r) => r.first);
    this.v6End = p6.map((r) => r.last);
    this.v6Value = p6.map((r) => r.value);
    this.p4First = [];
    this.p4Last = [];
    this.p4Value = [];
    this.pending6 = [];
    this.valueIndex.clear();
    return this;
  }

  get size(): number {
    return this.v4Start.length + this.v6Start.length;
  }

  get(ip: ParsedIp): V | null {
    if (ip.family === 4) {
      const x = Number(ip.value);
      const i = searchNumber(this.v4Start, x);
      return i >= 0 && this.v4End[i]! >= x ? (this.values[this.v4Value[i]!] ?? null) : null;
    }
    const i = searchBig(this.v6Start, ip.value);
    return i >= 0 && this.v6End[i]! >= ip.value ? (this.values[this.v6Value[i]!] ?? null) : null;
  }
}
