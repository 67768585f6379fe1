import { Reader, type Response } from 'maxmind';
import { formatIpv4, formatIpv6 } from '../net/ip-address';

/**
 * Structural check of a MaxMind DB (.mmdb) before Loupe trusts it.
 *
 * The maxmind reader decodes lazily and trusts the file: a corrupt search tree
 * or data section only shows up as an exception (or garbage) at lookup time,
 * in the middle of an enrichment. So a database the analyst adds is walked
 * once, fully and with a bound: every search-tree node is visited at most once,
 * every record must point at a node, at "no data" or inside the data section,
 * and a sample of the data records it reaches is decoded through the reader.
 */

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // "\xab\xcd\xefMaxMind.com"
const METADATA_MAX_SIZE = 128 * 1024;
const DATA_SEPARATOR = 16;
const DEFAULT_SAMPLES = 1000;

/** The reader's decoded-record cache (keyed by data offset). */
export interface ReaderCache {
  get(key: string | number): unknown;
  set(key: string | number, value: unknown): void;
}

export interface MmdbInfo {
  databaseType: string;
  ipVersion: number;
  /** Build date from the metadata; null when absent or out of range. */
  buildEpoch: Date | null;
  nodeCount: number;
  recordSize: number;
  languages: string[];
  description: string | null;
  /** Search-tree records that point at data: the number of networks the database answers for. */
  networks: number;
}

export class MmdbError extends Error {
  override name = 'MmdbError';
}

export interface CheckedMmdb {
  reader: Reader<Response>;
  info: MmdbInfo;
  /** The search tree's shape, for lookups that walk it directly. */
  tree: Tree;
  /** Decoded sample records (up to `samples`), for shape checks by the caller. */
  samples: unknown[];
}

export interface Tree {
  nodeCount: number;
  recordSize: number;
  nodeBytes: number;
  treeBytes: number;
  dataBytes: number;
}

function findMetadataStart(buf: Buffer): number {
  const from = Math.max(0, buf.length - METADATA_MAX_SIZE);
  const at = buf.lastIndexOf(METADATA_MARKER);
  return at >= from ? at : -1;
}

export function readRecord(buf: Buffer, t: Tree, node: number, right: 0 | 1): number {
  const o = node * t.nodeBytes;
  switch (t.recordSize) {
    case 24: {
      const p = o + right * 3;
      return (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
    }
    case 28: {
      const mid = buf[o + 3]!;
      if (right === 0) return ((mid & 0xf0) >>> 4) * 0x1000000 + ((buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!);
      return (mid & 0x0f) * 0x1000000 + ((buf[o + 4]! << 16) | (buf[o + 5]! << 8) | buf[o + 6]!);
    }
    default:
      return buf.readUInt32BE(o + right * 4);
  }
}

/** The node where IPv4 addresses start: ::/96 in an IPv6 tree (96 left turns), the root in an IPv4 tree. */
export function ipv4StartNode(buf: Buffer, t: Tree, ipVersion: number): number {
  let node = 0;
  if (ipVersion === 6) {
    for (let i = 0; i < 96 && node < t.nodeCount; i++) node = readRecord(buf, t, node, 0);
  }
  return node;
}

/**
 * Walk the search tree for an address given as a number (IPv4) or four
 * 32-bit words (IPv6, most significant first). Returns the record it ends
 * on: > nodeCount points at data, nodeCount means "no data". Bounded by the
 * address length.
 */
export function findRecord(buf: Buffer, t: Tree, ipv4Start: number, ipVersion: number, v4: number | null, v6: readonly number[] | null): number {
  const n = t.nodeCount;
  if (v4 !== null) {
    let node = ipv4Start;
    for (let bit = 31; bit >= 0 && node < n; bit--) node = readRecord(buf, t, node, ((v4 >>> bit) & 1) as 0 | 1);
    return node;
  }
  if (ipVersion === 4 || v6 === null) return n; // an IPv4-only database knows nothing of IPv6
  let node = 0;
  for (let depth = 0; depth < 128 && node < n; depth++) {
    node = readRecord(buf, t, node, ((v6[depth >>> 5]! >>> (31 - (depth & 31))) & 1) as 0 | 1);
  }
  return node;
}

function buildEpochOf(reader: Reader<Response>): Date | null {
  const d = reader.metadata.buildEpoch;
  // A build_epoch of UINT64_MAX (a known bad-data case) overflows Date: treat as unknown.
  return d instanceof Date && Number.isFinite(d.getTime()) ? d : null;
}

function describe(reader: Reader<Response>): string | null {
  const desc = reader.metadata.description as unknown;
  if (desc && typeof desc === 'object') {
    const rec = desc as Record<string, unknown>;
    const en = rec.en ?? Object.values(rec)[0];
    if (typeof en === 'string') return en.slice(0, 500);
  }
  return null;
}

function ipFromPath(path: Uint8Array, depth: number, bits: 32 | 128): string {
  let v = 0n;
  for (let i = 0; i < bits; i++) v = (v << 1n) | BigInt(i < depth ? path[i]! : 0);
  return bits === 32 ? formatIpv4(Number(v)) : formatIpv6(v);
}

/**
 * Open and check a database held in memory. Throws MmdbError with a sentence
 * an analyst can act on when the file is not a usable MaxMind DB.
 */
export function checkMmdb(buf: Buffer, options: { samples?: number; walk?: boolean; cache?: ReaderCache } = {}): CheckedMmdb {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    throw new MmdbError('the file is gzip-compressed: extract the .mmdb from it first');
  }
  const metaStart = findMetadataStart(buf);
  if (metaStart < 0) throw new MmdbError('no MaxMind DB metadata found: this is not a .mmdb file');
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(buf, options.cache ? { cache: options.cache } : {});
  } catch (e) {
    throw new MmdbError(`corrupt MaxMind DB metadata (${e instanceof Error ? e.message : String(e)})`);
  }
  const m = reader.metadata;
  if (typeof m.databaseType !== 'string' || m.databaseType.length === 0) throw new MmdbError('corrupt MaxMind DB: metadata has no database_type');
  if (m.ipVersion !== 4 && m.ipVersion !== 6) throw new MmdbError(`corrupt MaxMind DB: ip_version ${String(m.ipVersion)}`);
  if (!Number.isSafeInteger(m.nodeCount) || m.nodeCount <= 0) throw new MmdbError(`corrupt MaxMind DB: node_count ${String(m.nodeCount)}`);
  const t: Tree = {
    nodeCount: m.nodeCount,
    recordSize: m.recordSize,
    nodeBytes: m.nodeByteSize,
    treeBytes: m.searchTreeSize,
    dataBytes: metaStart - m.searchTreeSize - DATA_SEPARATOR,
  };
  if (t.dataBytes < 0) throw new MmdbError(`corrupt MaxMind DB: node_count ${t.nodeCount} does not fit in a ${buf.length}-byte file`);
  if (t.recordSize !== 24 && t.recordSize !== 28 && t.recordSize !== 32) throw new MmdbError(`corrupt MaxMind DB: record_size ${t.recordSize}`);

  const info: MmdbInfo = {
    databaseType: m.databaseType,
    ipVersion: m.ipVersion,
    buildEpoch: buildEpochOf(reader),
    nodeCount: t.nodeCount,
    recordSize: t.recordSize,
    languages: Array.isArray(m.languages) ? m.languages.filter((l): l is string => typeof l === 'string') : [],
    description: describe(reader),
    networks: 0,
  };
  if (options.walk === false) return { reader, info, tree: t, samples: [] };

  const maxSamples = options.samples ?? DEFAULT_SAMPLES;
  const bits: 32 | 128 = m.ipVersion === 4 ? 32 : 128;
  const visited = new Uint8Array(t.nodeCount);
  // Explicit DFS stack: node number, its depth, the bit that led to it.
  const stackNode = new Int32Array(t.nodeCount + 2);
  const stackDepth = new Uint8Array(t.nodeCount + 2);
  const stackBit = new Uint8Array(t.nodeCount + 2);
  const path = new Uint8Array(129);
  const sampled = new Set<number>();
  const samples: unknown[] = [];
  let sp = 0;
  stackNode[sp] = 0;
  stackDepth[sp] = 0;
  stackBit[sp] = 0;
  sp++;
  visited[0] = 1;
  let networks = 0;
  while (sp > 0) {
    sp--;
    const node = stackNode[sp]!;
    const depth = stackDepth[sp]!;
    if (depth > 0) path[depth - 1] = stackBit[sp]!;
    if (depth >= bits) throw new MmdbError(`corrupt MaxMind DB: search tree deeper than ${bits} bits at node ${node}`);
    for (const side of [1, 0] as const) {
      const rec = readRecord(buf, t, node, side);
      if (rec < t.nodeCount) {
        if (visited[rec]) continue; // shared subtrees (the IPv4 space inside IPv6) are walked once
        visited[rec] = 1;
        stackNode[sp] = rec;
        stackDepth[sp] = depth + 1;
        stackBit[sp] = side;
        sp++;
        continue;
      }
      if (rec === t.nodeCount) continue; // no data for this network
      const offset = rec - t.nodeCount - DATA_SEPARATOR;
      if (offset < 0 || offset >= t.dataBytes) {
        throw new MmdbError(`corrupt MaxMind DB: search tree node ${node} points outside the data section (record ${rec})`);
      }
      networks++;
      if (samples.length < maxSamples && !sampled.has(rec)) {
        sampled.add(rec);
        path[depth] = side;
        const ip = ipFromPath(path, depth + 1, bits);
        try {
          samples.push(reader.get(ip));
        } catch (e) {
          throw new MmdbError(`corrupt MaxMind DB data for ${ip}/${depth + 1} (${e instanceof Error ? e.message : String(e)})`);
        }
      }
    }
  }
  info.networks = networks;
  return { reader, info, tree: t, samples };
}
