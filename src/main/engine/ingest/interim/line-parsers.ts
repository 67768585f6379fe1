// Interim stand-in for ingest/formats/index.ts (parsers branch): every line format is
// read as plain text until that branch lands.
import type { CsvFlavor, FormatName, LineFormatName } from './formats';
import { emptyCore, type LineParser, type LineResult } from './types';

export interface ParserOptions {
  tz?: string;
  year?: number;
  notAfter?: number;
  fileName?: string;
  csv?: { flavor?: CsvFlavor; delimiter?: string; noHeader?: boolean };
}

class TextParser implements LineParser {
  constructor(readonly format: FormatName) {}
  line(text: string): LineResult {
    if (text.trim().length === 0) return { skip: 'blank line' };
    const core = emptyCore('text');
    core.message = text;
    return { fields: { message: text }, core };
  }
  end(): LineResult[] {
    return [];
  }
}

export function createLineParser(format: LineFormatName, _opts: ParserOptions = {}): LineParser {
  return new TextParser(format);
}

export function checkTimeZone(spec: string): string | null {
  if (/^(UTC|Z|[+-]\d{2}:?\d{2})$/i.test(spec)) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: spec });
    return null;
  } catch {
    return `Unknown time zone "${spec}"`;
  }
}
