// Interim stand-in for ingest/formats/json-map.ts (parsers branch): the same MapExpr
// language and a small generic/windows mapping, so the SQL generator can be built
// and tested before that branch lands. Removed when it does.
import type { CoreFields, Severity } from '@shared/events';
import type { JsonFamily } from './formats';
import { canonicalIp } from './net';
import { emptyCore, type FieldValue, type Fields } from './types';

export type MapExpr =
  | { kind: 'field'; names: readonly string[]; exclude?: readonly string[] }
  | { kind: 'const'; value: string | null }
  | { kind: 'context'; name: 'path' }
  | { kind: 'core'; column: keyof CoreFields }
  | { kind: 'first'; of: readonly MapExpr[] }
  | { kind: 'lookup'; of: MapExpr; table: Readonly<Record<string, string | null>>; otherwise?: MapExpr }
  | { kind: 'switch'; on: MapExpr; cases: Readonly<Record<string, MapExpr>>; otherwise?: MapExpr }
  | { kind: 'concat'; parts: ReadonlyArray<MapExpr | string>; sep: string }
  | { kind: 'lower'; of: MapExpr }
  | { kind: 'replace'; of: MapExpr; pattern: string; with: string; global: boolean }
  | { kind: 'band'; of: MapExpr; bands: ReadonlyArray<readonly [number, number, string]> };

export const COLUMN_CONVERSIONS: Readonly<Record<keyof CoreFields, 'timestamp' | 'ip' | 'port' | 'severity' | 'outcome' | 'text'>> = {
  ts: 'timestamp',
  dataset: 'text',
  host: 'text',
  event_code: 'text',
  severity: 'severity',
  message: 'text',
  src_ip: 'ip',
  src_port: 'port',
  dst_ip: 'ip',
  dst_port: 'port',
  protocol: 'text',
  user: 'text',
  process: 'text',
  action: 'text',
  outcome: 'outcome',
};

export interface CoreMapping {
  family: JsonFamily;
  prefixes: readonly string[];
  looseNames?: boolean;
  columns: Readonly<Record<keyof CoreFields, MapExpr>>;
}

const f = (...names: string[]): MapExpr => ({ kind: 'field', names });
const c = (value: string | null): MapExpr => ({ kind: 'const', value });

const GENERIC: CoreMapping = {
  family: 'generic',
  prefixes: [''],
  columns: {
    ts: f('@timestamp', 'timestamp', 'time', 'ts', 'TimeCreated'),
    dataset: c('json'),
    host: f('host', 'hostname', 'Hostname', 'Computer'),
    event_code: f('event_id', 'EventID', 'event_type'),
    severity: { kind: 'lookup', of: f('severity', 'level'), table: { info: 'informational', warning: 'medium', error: 'high', critical: 'critical' } },
    message: f('message', 'msg', 'Message'),
    src_ip: f('src_ip', 'source_ip', 'IpAddress'),
    src_port: f('src_port', 'source_port'),
    dst_ip: f('dst_ip', 'dest_ip'),
    dst_port: f('dst_port', 'dest_port'),
    protocol: { kind: 'lower', of: f('protocol', 'proto') },
    user: f('user', 'username', 'TargetUserName'),
    process: f('process', 'Image'),
    action: { kind: 'lower', of: f('action') },
    outcome: { kind: 'lookup', of: f('outcome'), table: { success: 'success', failure: 'failure' } },
  },
};

const WINDOWS: CoreMapping = {
  ...GENERIC,
  family: 'windows',
  prefixes: ['', 'EventData.'],
  columns: {
    ...GENERIC.columns,
    dataset: { kind: 'first', of: [{ kind: 'lookup', of: f('Channel'), table: { security: 'windows.security' } }, { kind: 'concat', sep: '', parts: ['windows.', { kind: 'lower', of: f('Channel') }] }, c('windows')] },
    event_code: f('EventID'),
    severity: { kind: 'lookup', of: f('Level'), table: { '1': 'critical', '2': 'high', '3': 'medium', '4': 'informational' } },
    action: { kind: 'lookup', of: { kind: 'concat', sep: ':', parts: [{ kind: 'core', column: 'dataset' }, f('EventID')] }, table: { 'windows.security:4624': 'logon', 'windows.security:4625': 'logon-failed' } },
    outcome: { kind: 'band', of: f('EventID'), bands: [[4625, 4625, 'failure']] },
  },
};

export const JSON_CORE_MAPPINGS: Readonly<Record<JsonFamily, CoreMapping>> = { windows: WINDOWS, suricata: GENERIC, zeek: GENERIC, generic: GENERIC };

export function looseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

export function flattenRecord(obj: Readonly<Record<string, unknown>>): Fields {
  const out: Fields = {};
  const walk = (o: Readonly<Record<string, unknown>>, prefix: string, depth: number): void => {
    for (const [k, v] of Object.entries(o)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 16) walk(v as Record<string, unknown>, `${prefix}${k}.`, depth + 1);
      else out[prefix + k] = v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
    }
  };
  walk(obj, '', 0);
  return out;
}

function textOf(v: FieldValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' || v === '-' ? null : v;
  return String(v);
}

export function mapFlatRecord(fields: Fields, family: JsonFamily, ctx: { path?: string | null } = {}): CoreFields {
  const m = JSON_CORE_MAPPINGS[family];
  const core = emptyCore('json');
  const ev = (e: MapExpr): string | null => {
    switch (e.kind) {
      case 'field':
        for (const n of e.names)
          for (const p of m.prefixes) {
            const t = textOf(fields[p + n]);
            if (t !== null && !(e.exclude ?? []).includes(t.toLowerCase())) return t;
          }
        return null;
      case 'const':
        return e.value;
      case 'context':
        return ctx.path ?? null;
      case 'core': {
        const v = core[e.column];
        return v === null ? null : String(v);
      }
      case 'first':
        for (const x of e.of) {
          const v = ev(x);
          if (v !== null) return v;
        }
        return null;
      case 'lookup': {
        const v = ev(e.of);
        if (v !== null && Object.prototype.hasOwnProperty.call(e.table, v.toLowerCase())) return e.table[v.toLowerCase()] ?? null;
        return e.otherwise ? ev(e.otherwise) : null;
      }
      case 'switch': {
        const v = ev(e.on);
        const x = v === null ? undefined : e.cases[v.toLowerCase()];
        return x ? ev(x) : e.otherwise ? ev(e.otherwise) : null;
      }
      case 'concat': {
        const parts = e.parts.map((p) => (typeof p === 'string' ? p : ev(p)));
        if (e.parts.every((p, i) => typeof p === 'string' || parts[i] === null)) return null;
        return parts.filter((p) => p !== null).join(e.sep);
      }
      case 'lower': {
        const v = ev(e.of);
        return v === null ? null : v.toLowerCase();
      }
      case 'replace': {
        const v = ev(e.of);
        if (v === null) return null;
        const r = v.replace(new RegExp(e.pattern, e.global ? 'g' : ''), e.with);
        return r === '' ? null : r;
      }
      case 'band': {
        const v = Number(ev(e.of));
        if (!Number.isFinite(v)) return null;
        for (const [lo, hi, out] of e.bands) if (v >= lo && v <= hi) return out;
        return null;
      }
    }
  };
  for (const col of Object.keys(m.columns) as (keyof CoreFields)[]) {
    const v = ev(m.columns[col]);
    const conv = COLUMN_CONVERSIONS[col];
    if (conv === 'port') (core[col] as number | null) = v !== null && /^\d{1,5}$/.test(v) && Number(v) <= 65535 ? Number(v) : null;
    else if (conv === 'timestamp') core.ts = toTs(v);
    else if (conv === 'ip') (core[col] as string | null) = canonicalIp(v);
    else if (conv === 'severity') core.severity = v as Severity | null;
    else if (conv === 'outcome') core.outcome = v === 'success' || v === 'failure' ? v : null;
    else if (col === 'dataset') core.dataset = v ?? 'json';
    else (core[col] as string | null) = v;
  }
  return core;
}

function toTs(v: string | null): string | null {
  if (v === null) return null;
  if (/^-?\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    const ms = Math.abs(n) < 1e11 ? n * 1000 : Math.abs(n) < 1e14 ? n : Math.abs(n) < 1e17 ? n / 1000 : n / 1e6;
    return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
  }
  const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
