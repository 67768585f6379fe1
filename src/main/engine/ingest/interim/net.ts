// Interim stand-in for ingest/formats/net.ts (parsers branch).
import { isIPv4, isIPv6 } from 'node:net';

export function canonicalIp(text: string | null | undefined): string | null {
  if (!text || text.length > 64) return null;
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    return parts.every((p) => p <= 255) ? parts.join('.') : null;
  }
  if (isIPv4(s)) return s;
  if (!isIPv6(s)) return null;
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const a = parseInt(mapped[1] as string, 16);
    const b = parseInt(mapped[2] as string, 16);
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return host;
}
