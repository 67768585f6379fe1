/**
 * The input formats Loupe recognises by content (ingest/sniff.ts), with the
 * label an analyst sees in the import view and the evidence table.
 *
 * A format names how a file is *read*; the dataset of each event (events.dataset)
 * is decided per record by its parser, so one syslog file may hold both
 * `linux.auth` and `linux.syslog` events.
 */
export const FORMATS = {
  evtx: 'Windows event log (EVTX)',
  zip: 'ZIP archive',
  gzip: 'gzip-compressed file',
  tar: 'tar archive',
  'json-array': 'JSON array of records',
  ndjson: 'JSON lines (NDJSON)',
  'json-concat': 'Concatenated / pretty-printed JSON objects',
  'suricata-eve': 'Suricata EVE JSON',
  'zeek-tsv': 'Zeek log (TSV)',
  'zeek-json': 'Zeek log (JSON)',
  'syslog-3164': 'Syslog (BSD / RFC 3164)',
  'syslog-5424': 'Syslog (RFC 5424)',
  'auth-log': 'Linux auth.log / secure',
  'linux-audit': 'Linux audit log (auditd)',
  'ids-slg': 'IDS log (Security Log Generator)',
  'slg-access': 'Web access log (Security Log Generator)',
  'slg-endpoint': 'Endpoint protection log (Security Log Generator)',
  'web-access': 'Web access log (Apache / nginx)',
  'iis-w3c': 'W3C extended log (IIS, Windows Firewall)',
  'web-error': 'Web server error log (Apache / nginx)',
  csv: 'CSV with header',
  tsv: 'TSV with header',
  cef: 'ArcSight CEF',
  leef: 'IBM QRadar LEEF',
  text: 'Plain text (one event per line)',
  binary: 'Binary (not importable as text)',
} as const satisfies Record<string, string>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

export function isFormatName(s: string): s is FormatName {
  return Object.prototype.hasOwnProperty.call(FORMATS, s);
}

/** Containers the pipeline opens and sniffs again member by member. */
export const CONTAINER_FORMATS = ['zip', 'gzip', 'tar'] as const satisfies readonly FormatName[];

/** Formats read as JSON records (DuckDB read_json, or the JS fallback with mapJsonRecord). */
export const JSON_FORMATS = ['json-array', 'ndjson', 'json-concat', 'suricata-eve', 'zeek-json'] as const satisfies readonly FormatName[];

/** Formats read line by line with a parser from ingest/formats (createLineParser). */
export const LINE_FORMATS = [
  'syslog-3164',
  'syslog-5424',
  'auth-log',
  'linux-audit',
  'ids-slg',
  'slg-access',
  'slg-endpoint',
  'web-access',
  'iis-w3c',
  'web-error',
  'cef',
  'leef',
  'zeek-tsv',
  'csv',
  'tsv',
  'text',
] as const satisfies readonly FormatName[];
export type LineFormatName = (typeof LINE_FORMATS)[number];

export function isLineFormat(f: FormatName): f is LineFormatName {
  return (LINE_FORMATS as readonly FormatName[]).includes(f);
}

/**
 * Refinements sniff reports beside the format: which CSV timeline tool wrote a
 * CSV, which record family a JSON file holds. They choose the core mapping.
 */
export const CSV_FLAVORS = ['hayabusa', 'evtxecmd', 'mftecmd', 'plaso', 'generic'] as const;
export type CsvFlavor = (typeof CSV_FLAVORS)[number];

export const JSON_FAMILIES = ['windows', 'suricata', 'zeek', 'journald', 'cloudtrail', 'generic'] as const;
export type JsonFamily = (typeof JSON_FAMILIES)[number];
