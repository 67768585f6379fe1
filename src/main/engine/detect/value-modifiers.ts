/**
 * Sigma value semantics: wildcards and escapes, and the value-rewriting
 * modifiers (windash, utf16*, base64, base64offset, expand). Everything
 * here is pure string work; the result is a list of patterns per value.
 */

/** A Sigma string after escape processing: literal runs and single-char/any wildcards. */
export type Segment = { lit: string } | '*' | '?';

/**
 * Sigma v2 escapes: backslash escapes `*`, `?` and itself; before any other
 * character (or at the end) it is a literal backslash, which is what makes
 * `C:\Windows\` work unescaped.
 */
export function parseWildcards(value: string): Segment[] {
  const out: Segment[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) out.push({ lit });
    lit = '';
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\') {
      const next = value[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else {
        lit += '\\';
      }
    } else if (ch === '*' || ch === '?') {
      flush();
      // Consecutive stars mean the same as one.
      if (!(ch === '*' && out[out.length - 1] === '*')) out.push(ch);
    } else {
      lit += ch;
    }
  }
  flush();
  return out;
}

export function literalSegments(value: string): Segment[] {
  return value ? [{ lit: value }] : [];
}

export type StringMatch =
  | { op: 'eq' | 'prefix' | 'suffix' | 'contains'; value: string }
  | { op: 'like'; value: string }
  | { op: 'any' };

/** Turn segments (with contains/startswith/endswith already applied as stars) into the cheapest SQL operator. */
export function segmentsToMatch(segs: Segment[], lower: boolean): StringMatch {
  const low = (s: string): string => (lower ? s.toLowerCase() : s);
  const lits = segs.filter((s): s is { lit: string } => typeof s !== 'string');
  const wild = segs.filter((s) => typeof s === 'string');
  if (wild.length === 0) return { op: 'eq', value: low(lits.map((l) => l.lit).join('')) };
  if (lits.length === 0 && wild.every((w) => w === '*')) return { op: 'any' };
  if (!wild.includes('?') && lits.length === 1) {
    const lit = low((lits[0] as { lit: string }).lit);
    const first = segs[0];
    const last = segs[segs.length - 1];
    if (segs.length === 3 && first === '*' && last === '*') return { op: 'contains', value: lit };
    if (segs.length === 2 && first === '*') return { op: 'suffix', value: lit };
    if (segs.length === 2 && last === '*') return { op: 'prefix', value: lit };
  }
  const pattern = segs
    .map((s) => (s === '*' ? '%' : s === '?' ? '_' : low(s.lit).replace(/[\\%_]/g, (c) => `\\${c}`)))
    .join('');
  return { op: 'like', value: pattern };
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
const MAX_WINDASH_VARIANTS = 625;

/** windash: every `-` and `/` (and the three Unicode dashes) may be written as any of the five. */
export function windash(segs: Segment[]): Segment[][] {
  let variants: Segment[][] = [[]];
  for (const s of segs) {
    if (typeof s === 'string') {
      variants = variants.map((v) => [...v, s]);
      continue;
    }
    let lits = [''];
    for (const ch of s.lit) {
      if (DASHES.includes(ch)) {
        const next: string[] = [];
        for (const l of lits) for (const d of DASHES) next.push(l + d);
        lits = next;
      } else {
        lits = lits.map((l) => l + ch);
      }
      if (lits.length * variants.length > MAX_WINDASH_VARIANTS) throw new ModifierError(`windash: value has too many dashes (over ${MAX_WINDASH_VARIANTS} variants)`, true);
    }
    variants = variants.flatMap((v) => lits.map((l) => [...v, { lit: l }]));
  }
  return variants;
}

export class ModifierError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'ModifierError';
  }
}

export type Encoding = 'utf16le' | 'utf16be' | 'utf16' | 'wide';

export function encodeUtf16(bytes: Buffer, enc: Encoding): Buffer {
  const text = bytes.toString('utf8');
  const le = Buffer.from(text, 'utf16le');
  if (enc === 'utf16le' || enc === 'wide') return le;
  if (enc === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    be[i] = le[i + 1] as number;
    be[i + 1] = le[i] as number;
  }
  return be;
}

/**
 * base64offset: the value may sit at any of three byte offsets inside a
 * larger base64 blob. Encode it behind 0, 1 and 2 filler bytes and keep only
 * the characters that do not depend on the unknown neighbours.
 */
export function base64Offsets(bytes: Buffer): string[] {
  const out: string[] = [];
  const startCut = [0, 2, 3];
  const endCut = [0, 3, 2];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const cutEnd = endCut[(bytes.length + shift) % 3] as number;
    const piece = encoded.slice(startCut[shift] as number, cutEnd === 0 ? encoded.length : encoded.length - cutEnd);
    if (piece) out.push(piece);
  }
  return out;
}

const PLACEHOLDER = /%([A-Za-z0-9_.-]+)%/g;
const MAX_EXPANSIONS = 10_000;

/** expand: replace `%name%` with each configured value (cross product when several). */
export function expandPlaceholders(value: string, placeholders: Record<string, string[]> | undefined): string[] {
  let results = [''];
  let last = 0;
  for (const m of value.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    const vals = placeholders?.[name];
    if (!vals || vals.length === 0) throw new ModifierError(`expand: placeholder %${name}% has no configured values`, true);
    const before = value.slice(last, m.index);
    const next: string[] = [];
    for (const r of results) for (const v of vals) next.push(r + before + v);
    if (next.length > MAX_EXPANSIONS) throw new ModifierError(`expand: over ${MAX_EXPANSIONS} values`, true);
    results = next;
    last = (m.index ?? 0) + m[0].length;
  }
  return results.map((r) => r + value.slice(last));
}

/** Parse an IPv4 or IPv6 CIDR into the numbers the SQL test needs. */
export function parseCidr(text: string): { family: 4; lo: number; hi: number } | { family: 6; hextets: number[]; prefix: number } {
  const [addr, lenText] = text.trim().split('/');
  if (!addr) throw new ModifierError(`cidr: "${text}" is not a network`);
  if (addr.includes(':')) {
    const hextets = parseIpv6(addr);
    const prefix = lenText === undefined ? 128 : Number(lenText);
    if (!hextets || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) throw new ModifierError(`cidr: "${text}" is not an IPv6 network`);
    return { family: 6, hextets, prefix };
  }
  const parts = addr.split('.');
  const prefix = lenText === undefined ? 32 : Number(lenText);
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new ModifierError(`cidr: "${text}" is not an IPv4 network`);
  }
  const n = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  const size = 2 ** (32 - prefix);
  const lo = Math.floor(n / size) * size;
  return { family: 4, lo, hi: lo + size - 1 };
}

export function parseIpv6(addr: string): number[] | undefined {
  const text = addr.split('%')[0] as string;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let head = toGroups(halves[0] as string);
  let tail = halves.length === 2 ? toGroups(halves[1] as string) : [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two hextets.
  const lastGroups = halves.length === 2 ? tail : head;
  const lastGroup = lastGroups[lastGroups.length - 1];
  if (lastGroup?.includes('.')) {
    const v4 = lastGroup.split('.').map(Number);
    if (v4.length !== 4 || v4.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
    const extra = [(((v4[0] as number) << 8) | (v4[1] as number)).toString(16), (((v4[2] as number) << 8) | (v4[3] as number)).toString(16)];
    if (halves.length === 2) tail = [...tail.slice(0, -1), ...extra];
    else head = [...head.slice(0, -1), ...extra];
  }
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  const nums = groups.map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return nums.some(Number.isNaN) ? undefined : nums;
}
