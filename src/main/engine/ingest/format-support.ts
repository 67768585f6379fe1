/**
 * The one door from the pipeline to the format layer (sniffing, line parsers,
 * the JSON core mapping). The pipeline imports these names from here only, so
 * swapping the interim stand-ins for the parsers branch's modules is a change
 * to this file alone.
 */
export {
  FORMATS,
  FORMAT_NAMES,
  CONTAINER_FORMATS,
  JSON_FORMATS,
  LINE_FORMATS,
  isFormatName,
  isLineFormat,
  type FormatName,
  type LineFormatName,
  type JsonFamily,
  type CsvFlavor,
} from './interim/formats';
export { sniffFormat, SNIFF_BYTES, type SniffResult, type TextEncodingName } from './interim/sniff';
export { createLineParser, checkTimeZone, type ParserOptions } from './interim/line-parsers';
export { isRejection, isSkipped, excerpt, emptyCore, MAX_LINE_CHARS, EXCERPT_CHARS, type LineParser, type LineResult, type ParsedRecord, type Fields, type FieldValue } from './interim/types';
export { JSON_CORE_MAPPINGS, COLUMN_CONVERSIONS, flattenRecord, mapFlatRecord, looseName, type MapExpr, type CoreMapping } from './interim/json-map';
export { canonicalIp } from './interim/net';
