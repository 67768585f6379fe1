/**
 * The one door from the pipeline to the format layer (sniffing, line
 * parsers, the JSON core mapping: sniff.ts, formats/, @shared/formats). The
 * pipeline imports those names from here only.
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
} from '@shared/formats';
export { sniffFormat, SNIFF_BYTES, type SniffResult, type TextEncodingName } from './sniff';
export {
  createLineParser,
  checkTimeZone,
  isRejection,
  isSkipped,
  excerpt,
  emptyCore,
  MAX_LINE_CHARS,
  EXCERPT_CHARS,
  RowRecord,
  JSON_CORE_MAPPINGS,
  COLUMN_CONVERSIONS,
  flattenRecord,
  mapFlatRecord,
  detectJsonFamily,
  looseName,
  canonicalIp,
  zeekHeaderFromLines,
  zeekPathFromFileName,
  type ParserOptions,
  type LineParser,
  type LineResult,
  type ParsedRecord,
  type Fields,
  type FieldValue,
  type MapExpr,
  type CoreMapping,
  type ZeekHeader,
} from './formats';
export { unescapeZeek } from './formats/zeek-tsv';
