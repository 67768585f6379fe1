// Interim stand-in for ingest/sniff.ts (parsers branch): magic numbers, encodings,
// JSON shapes, binary; every other text is `text`. Removed when that branch lands.
import { isUtf8 } from 'node:buffer';
import type { CsvFlavor, FormatName, JsonFamily } from './formats';

export type TextEncodingName = 'utf8' | 'utf16le' | 'utf16be' | 'latin1';
export interface SniffResult {
  format: FormatName;
  confidence: number;
  reason: string;
  encoding: TextEncodingName;
  bom: number;
  csv?: { delimiter: string; columns: string[] | null; flavor: CsvFlavor };
  jsonFamily?: JsonFamily;
  zeekPath?: string | null;
}
export const SNIFF_BYTES = 64 * 1024;

function starts(b: Buffer, bytes: number[], offset = 0): boolean {
  if (b.length < offset + bytes.length) return false;
  return bytes.every((x, i) => b[offset + i] === x);
}

export function sniffFormat(head: Buffer, _name?: string): SniffResult {
  const base = { confidence: 1, encoding: 'utf8' as TextEncodingName, bom: 0 };
  if (starts(head, [...Buffer.from('ElfFile\0')])) return { ...base, format: 'evtx', reason: 'EVTX header' };
  if (starts(head, [0x50, 0x4b, 0x03, 0x04]) || starts(head, [0x50, 0x4b, 0x05, 0x06])) return { ...base, format: 'zip', reason: 'ZIP header' };
  if (starts(head, [0x1f, 0x8b])) return { ...base, format: 'gzip', reason: 'gzip magic' };
  if (starts(head, [...Buffer.from('ustar')], 257)) return { ...base, format: 'tar', reason: 'tar magic' };
  let encoding: TextEncodingName = 'utf8';
  let bom = 0;
  if (starts(head, [0xef, 0xbb, 0xbf])) bom = 3;
  else if (starts(head, [0xff, 0xfe])) [encoding, bom] = ['utf16le', 2];
  else if (starts(head, [0xfe, 0xff])) [encoding, bom] = ['utf16be', 2];
  let text: string;
  if (encoding === 'utf8') {
    const body = head.subarray(bom);
    let zeros = 0;
    for (const byte of body) if (byte === 0) zeros++;
    if (body.length > 0 && zeros / body.length > 0.01) return { ...base, format: 'binary', reason: 'NUL bytes', confidence: 0.9 };
    // A cut multi-byte character at the end of the sample is not a reason for Latin-1.
    const valid = isUtf8(body) || isUtf8(body.subarray(0, Math.max(0, body.length - 3)));
    if (!valid) encoding = 'latin1';
    text = body.toString(encoding === 'latin1' ? 'latin1' : 'utf8');
  } else {
    text = new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be').decode(head.subarray(bom));
  }
  let ctrl = 0;
  for (let i = 0; i < Math.min(text.length, 4096); i++) {
    const c = text.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32)) ctrl++;
  }
  if (ctrl > 8) return { ...base, encoding, bom, format: 'binary', reason: 'control characters', confidence: 0.8 };
  const t = text.trimStart();
  if (t.startsWith('[')) return { ...base, encoding, bom, format: 'json-array', reason: 'starts with [', jsonFamily: 'generic' };
  if (t.startsWith('{')) {
    const firstLine = t.split('\n')[0] ?? '';
    let ndjson: boolean;
    try {
      JSON.parse(firstLine);
      ndjson = true;
    } catch {
      ndjson = false;
    }
    return { ...base, encoding, bom, format: ndjson ? 'ndjson' : 'json-concat', reason: 'JSON objects', jsonFamily: 'generic' };
  }
  return { ...base, encoding, bom, format: 'text', reason: 'text', confidence: 0.3 };
}
