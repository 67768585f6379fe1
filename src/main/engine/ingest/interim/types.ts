// Interim copy of ingest/formats/types.ts (parsers branch); removed when it lands on main.
import type { CoreFields } from '@shared/events';
import type { FormatName } from './formats';

export type FieldValue = string | number | boolean | null;
export type Fields = Record<string, FieldValue>;
export interface ParsedRecord {
  fields: Fields;
  core: CoreFields;
  warnings?: string[];
  pos?: number;
  raw?: string;
}
export interface Rejection {
  error: string;
}
export interface Skipped {
  skip: string;
}
export type ParseResult = ParsedRecord | Rejection;
export type LineResult = ParsedRecord | Rejection | Skipped;
export function isRejection(r: LineResult): r is Rejection {
  return (r as Rejection).error !== undefined;
}
export function isSkipped(r: LineResult): r is Skipped {
  return (r as Skipped).skip !== undefined;
}
export interface LineParser {
  readonly format: FormatName;
  line(text: string, lineNo: number): LineResult;
  end(): LineResult[];
}
export function emptyCore(dataset: string): CoreFields {
  return {
    ts: null,
    dataset,
    host: null,
    event_code: null,
    severity: null,
    message: null,
    src_ip: null,
    src_port: null,
    dst_ip: null,
    dst_port: null,
    protocol: null,
    user: null,
    process: null,
    action: null,
    outcome: null,
  };
}
export const MAX_LINE_CHARS = 1 << 20;
export const EXCERPT_CHARS = 1024;
export function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? text : `${text.slice(0, EXCERPT_CHARS - 1)}…`;
}
