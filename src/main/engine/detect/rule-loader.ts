import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import yauzl from 'yauzl';
import { SEVERITIES, type Severity } from '@shared/events';
import { buildDetection, UnsupportedError } from './detection-builder';
import type { Expr } from './ir';
import { fieldsOf } from './ir';
import { resolveLogsource, type LogsourceVariant } from './logsource-map';
import { CorrelationRuleSchema, DetectionRuleSchema, zodMessage, type CorrelationSection } from './sigma-schema';
import type { LoadOptions, RuleCounts, RuleRecord } from './types';

/**
 * Rule loading: folders (recursive), single files and zip archives ->
 * one RuleRecord per YAML document, each with a status. A document that
 * cannot be read still yields a record (status error, with file and line),
 * so the count of records is the count of documents seen.
 */

export interface CompiledDetection {
  record: RuleRecord;
  expr: Expr;
  variants: LogsourceVariant[];
  /** Every field name the rule tests. */
  fields: string[];
}

export interface CompiledCorrelation {
  record: RuleRecord;
  section: CorrelationSection;
  /** Resolved references, in the order written: detection ids or correlation ids. */
  refs: { ref: string; kind: 'detection' | 'correlation'; id: string; name?: string }[];
}

export interface RuleSet {
  /** Every document seen, in load order. */
  rules: RuleRecord[];
  detections: CompiledDetection[];
  correlations: CompiledCorrelation[];
  counts: RuleCounts;
  /** Files that were not rules (README.md ...) and were not read. */
  ignoredFiles: number;
}

interface ParsedDoc {
  record: RuleRecord;
  detection?: { expr: Expr; variants: LogsourceVariant[]; fields: string[] };
  correlation?: CorrelationSection;
}

const DEFAULT_MAX_FILE = 1024 * 1024;
const DEFAULT_MAX_ZIP = 256 * 1024 * 1024;
const DEFAULT_MAX_FILES = 100_000;
const MAX_DOCS_PER_FILE = 1000;

function emptyRecord(path: string, doc: number, line: number | undefined): RuleRecord {
  return {
    id: `${path}#${doc}`,
    title: '',
    origin: line === undefined ? { path, doc } : { path, doc, line },
    status: 'error',
    reason: '',
    kind: 'detection',
    tags: [],
    references: [],
    falsepositives: [],
    targets: [],
    correlationOnly: false,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sigma v1 collections: `action: global` documents are merged into the ones that follow. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isRecord(b) && isRecord(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Parse one file's text into documents. Pure: no IO, so tests feed it strings. */
export function parseRuleText(text: string, path: string, opts: LoadOptions = {}): ParsedDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const out: ParsedDoc[] = [];
  if (!Array.isArray(docs)) return out;
  let global: Record<string, unknown> | undefined;
  let previous: Record<string, unknown> | undefined;
  for (let i = 0; i < docs.length && i < MAX_DOCS_PER_FILE; i++) {
    const doc = docs[i] as (typeof docs)[number];
    const startLine = lineCounter.linePos(doc.range[0]).line;
    const err = doc.errors[0];
    if (err) {
      const rec = emptyRecord(path, i, err.linePos?.[0].line ?? startLine);
      rec.reason = `YAML: ${err.message.split('\n')[0]}`;
      out.push({ record: rec });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const rec = emptyRecord(path, i, startLine);
      rec.reason = `YAML: ${e instanceof Error ? e.message : String(e)}`;
      out.push({ record: rec });
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document (trailing ---) is not a rule
    if (!isRecord(value)) {
      const rec = emptyRecord(path, i, startLine);
      rec.reason = 'document is not a map';
      out.push({ record: rec });
      continue;
    }
    const action = value.action;
    if (action === 'global') {
      const { action: _a, ...rest } = value;
      global = rest;
      continue;
    }
    if (action === 'reset') {
      global = undefined;
      continue;
    }
    let merged = value;
    if (action === 'repeat') {
      const { action: _a, ...rest } = value;
      merged = deepMerge(previous ?? {}, rest);
    } else if (global) {
      merged = deepMerge(global, value);
    }
    previous = merged;
    out.push(parseDoc(merged, path, i, startLine, opts));
  }
  if (docs.length > MAX_DOCS_PER_FILE) {
    const rec = emptyRecord(path, MAX_DOCS_PER_FILE, undefined);
    rec.reason = `file has over ${MAX_DOCS_PER_FILE} YAML documents; the rest were not read`;
    out.push({ record: rec });
  }
  return out;
}

function parseDoc(value: Record<string, unknown>, path: string, doc: number, line: number, opts: LoadOptions): ParsedDoc {
  const rec = emptyRecord(path, doc, line);
  if (typeof value.title === 'string') rec.title = value.title;
  if (typeof value.id === 'string' && value.id) rec.id = value.id;
  if ('correlation' in value) {
    rec.kind = 'correlation';
    const parsed = CorrelationRuleSchema.safeParse(value);
    if (!parsed.success) {
      rec.reason = zodMessage(parsed.error);
      return { record: rec };
    }
    fillMeta(rec, parsed.data);
    rec.status = 'active';
    rec.targets = ['correlation'];
    return { record: rec, correlation: parsed.data.correlation };
  }
  if ('filter' in value && !('detection' in value)) {
    rec.kind = 'filter';
    rec.status = 'unsupported';
    rec.reason = 'Sigma filter documents (meta filters) are not applied yet';
    return { record: rec };
  }
  const parsed = DetectionRuleSchema.safeParse(value);
  if (!parsed.success) {
    rec.reason = zodMessage(parsed.error);
    return { record: rec };
  }
  const d = parsed.data;
  fillMeta(rec, d);
  const ls: RuleRecord['logsource'] = {};
  if (d.logsource.product) ls.product = d.logsource.product;
  if (d.logsource.service) ls.service = d.logsource.service;
  if (d.logsource.category) ls.category = d.logsource.category;
  rec.logsource = ls;
  let expr: Expr;
  try {
    expr = buildDetection(d.detection, { placeholders: opts.placeholders ?? {} });
  } catch (e) {
    if (e instanceof UnsupportedError) {
      rec.status = 'unsupported';
      rec.reason = e.message;
    } else {
      rec.reason = e instanceof Error ? e.message : String(e);
    }
    return { record: rec };
  }
  const resolved = resolveLogsource(ls);
  if ('unsupported' in resolved) {
    rec.status = 'unsupported';
    rec.reason = resolved.unsupported;
    return { record: rec };
  }
  rec.status = 'active';
  rec.targets = resolved.variants.map((v) => v.label);
  return { record: rec, detection: { expr, variants: resolved.variants, fields: [...fieldsOf(expr)] } };
}

function fillMeta(rec: RuleRecord, d: { name?: string | undefined; status?: string | undefined; description?: string | undefined; author?: string | undefined; level?: string | undefined; tags: string[]; references: string[]; falsepositives: string[] }): void {
  if (d.name) rec.name = d.name;
  if (d.status) rec.sigmaStatus = d.status;
  if (d.description) rec.description = d.description;
  if (d.author) rec.author = d.author;
  const level = d.level?.toLowerCase();
  if (level && (SEVERITIES as readonly string[]).includes(level)) rec.level = level as Severity;
  rec.tags = d.tags;
  rec.references = d.references;
  rec.falsepositives = d.falsepositives;
}

/**
 * Link correlations to their rules (by id, or by name: same file first),
 * flag duplicates, and count. Correlations whose references are missing or
 * not active take the status of the weakest reference.
 */
export function buildRuleSet(parsed: ParsedDoc[], ignoredFiles = 0): RuleSet {
  const seenIds = new Map<string, string>();
  for (const p of parsed) {
    if (p.record.status === 'error' && p.record.id.includes('#')) continue;
    const prior = seenIds.get(p.record.id);
    if (prior !== undefined) {
      p.record.status = 'error';
      p.record.reason = `duplicate rule id ${p.record.id} (first seen in ${prior})`;
      p.detection = undefined;
      p.correlation = undefined;
    } else {
      seenIds.set(p.record.id, p.record.origin.path);
    }
  }
  const byId = new Map<string, ParsedDoc>();
  const byName = new Map<string, ParsedDoc[]>();
  for (const p of parsed) {
    if (p.record.status === 'error') continue;
    byId.set(p.record.id, p);
    if (p.record.name) byName.set(p.record.name, [...(byName.get(p.record.name) ?? []), p]);
  }
  const correlations: CompiledCorrelation[] = [];
  // Resolve in dependency order; a correlation chain is at most as deep as the number of correlations.
  const state = new Map<ParsedDoc, 'pending' | 'done'>();
  const resolve = (p: ParsedDoc, depth: number): void => {
    if (!p.correlation || state.get(p) === 'done') return;
    if (state.get(p) === 'pending' || depth > 50) {
      p.record.status = 'error';
      p.record.reason = 'correlation references form a cycle';
      return;
    }
    state.set(p, 'pending');
    const refs: CompiledCorrelation['refs'] = [];
    for (const ref of p.correlation.rules) {
      const named = byName.get(ref);
      const target = byId.get(ref) ?? named?.find((n) => n.record.origin.path === p.record.origin.path) ?? named?.[0];
      if (!target) {
        p.record.status = 'error';
        p.record.reason = `correlation references unknown rule "${ref}"`;
        break;
      }
      resolve(target, depth + 1);
      if (target.record.status !== 'active') {
        p.record.status = target.record.status === 'error' ? 'error' : 'unsupported';
        p.record.reason = `referenced rule "${ref}" is ${target.record.status}: ${target.record.reason}`;
        break;
      }
      const entry: CompiledCorrelation['refs'][number] = { ref, kind: target.correlation ? 'correlation' : 'detection', id: target.record.id };
      if (target.record.name) entry.name = target.record.name;
      refs.push(entry);
    }
    const c = p.correlation;
    if (p.record.status === 'active') {
      if (c.type === 'value_count' && !c.condition?.field) {
        p.record.status = 'error';
        p.record.reason = 'value_count needs condition.field';
      } else if ((c.type === 'event_count' || c.type === 'value_count') && !c.condition) {
        p.record.status = 'error';
        p.record.reason = `${c.type} needs a condition`;
      }
    }
    if (p.record.status === 'active') {
      correlations.push({ record: p.record, section: c, refs });
      if (!c.generate) {
        for (const r of refs) {
          const t = byId.get(r.id);
          if (t && t.detection) t.record.correlationOnly = true;
        }
      }
    }
    state.set(p, 'done');
  };
  for (const p of parsed) resolve(p, 0);
  const detections: CompiledDetection[] = [];
  for (const p of parsed) {
    if (p.detection && p.record.status === 'active') detections.push({ record: p.record, ...p.detection });
  }
  const rules = parsed.map((p) => p.record);
  const counts: RuleCounts = { active: 0, unsupported: 0, error: 0 };
  for (const r of rules) counts[r.status]++;
  return { rules, detections, correlations, counts, ignoredFiles };
}

function isRuleFile(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

/** Load rules from folders, files and zips. Paths inside a zip read `archive.zip!member`. */
export async function loadRules(paths: string[], opts: LoadOptions = {}): Promise<RuleSet> {
  const parsed: ParsedDoc[] = [];
  const budget = { files: opts.maxFiles ?? DEFAULT_MAX_FILES, ignored: 0 };
  const maxFile = opts.maxFileBytes ?? DEFAULT_MAX_FILE;
  const fail = (path: string, reason: string): void => {
    const rec = emptyRecord(path, 0, undefined);
    rec.reason = reason;
    parsed.push({ record: rec });
  };
  const loadFile = async (path: string, shown: string): Promise<void> => {
    if (budget.files-- <= 0) return fail(shown, 'file limit reached; not read');
    try {
      const st = await stat(path);
      if (st.size > maxFile) return fail(shown, `file is ${st.size} bytes, over the ${maxFile}-byte limit for one rule file`);
      parsed.push(...parseRuleText(await readFile(path, 'utf8'), shown, opts));
    } catch (e) {
      fail(shown, `cannot read: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const walk = async (dir: string, root: string, depth: number): Promise<void> => {
    if (depth > 64) return fail(dir, 'folder nesting over 64 levels; not read');
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      return fail(dir, `cannot read folder: ${e instanceof Error ? e.message : String(e)}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const full = join(dir, ent.name);
      if (ent.isDirectory()) await walk(full, root, depth + 1);
      else if (ent.isFile() && isRuleFile(ent.name)) await loadFile(full, full);
      else if (ent.isFile() && /\.zip$/i.test(ent.name)) parsed.push(...(await parseZip(full, opts, budget)));
      else budget.ignored++;
    }
    void root;
  };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      fail(p, 'no such file or folder');
      continue;
    }
    if (st.isDirectory()) await walk(p, p, 0);
    else if (/\.zip$/i.test(p)) parsed.push(...(await parseZip(p, opts, budget)));
    else await loadFile(p, p);
  }
  return buildRuleSet(parsed, budget.ignored);
}

/** Display path relative to a root, with forward slashes. */
export function displayPath(root: string, full: string): string {
  return relative(root, full).split(sep).join('/');
}

function parseZip(path: string, opts: LoadOptions, budget: { files: number; ignored: number }): Promise<ParsedDoc[]> {
  const maxFile = opts.maxFileBytes ?? DEFAULT_MAX_FILE;
  let zipLeft = opts.maxZipBytes ?? DEFAULT_MAX_ZIP;
  const out: ParsedDoc[] = [];
  const fail = (shown: string, reason: string): void => {
    const rec = emptyRecord(shown, 0, undefined);
    rec.reason = reason;
    out.push({ record: rec });
  };
  return new Promise((resolvePromise) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) {
        fail(path, `cannot open zip: ${err?.message ?? 'unknown error'}`);
        resolvePromise(out);
        return;
      }
      let finished = false;
      const finish = (): void => {
        if (!finished) {
          finished = true;
          zip.close();
          resolvePromise(out);
        }
      };
      zip.on('error', (e: Error) => {
        fail(path, `zip is damaged: ${e.message}`);
        finish();
      });
      zip.on('end', finish);
      zip.on('entry', (entry: yauzl.Entry) => {
        const shown = `${path}!${entry.fileName}`;
        if (entry.fileName.endsWith('/') || !isRuleFile(entry.fileName)) {
          if (!entry.fileName.endsWith('/')) budget.ignored++;
          zip.readEntry();
          return;
        }
        if (budget.files-- <= 0) {
          fail(shown, 'file limit reached; not read');
          finish();
          return;
        }
        if (entry.uncompressedSize > maxFile) {
          fail(shown, `member is ${entry.uncompressedSize} bytes, over the ${maxFile}-byte limit for one rule file`);
          zip.readEntry();
          return;
        }
        if (entry.uncompressedSize > zipLeft) {
          fail(shown, 'zip total size limit reached; the rest was not read');
          finish();
          return;
        }
        zip.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) {
            fail(shown, `cannot read member: ${e2?.message ?? 'unknown error'}`);
            zip.readEntry();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxFile) {
              stream.destroy(new Error(`member is over the ${maxFile}-byte limit`));
              return;
            }
            chunks.push(c);
          });
          stream.on('error', (e3: Error) => {
            fail(shown, `cannot read member: ${e3.message}`);
            zip.readEntry();
          });
          stream.on('end', () => {
            zipLeft -= size;
            out.push(...parseRuleText(Buffer.concat(chunks).toString('utf8'), shown, opts));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
