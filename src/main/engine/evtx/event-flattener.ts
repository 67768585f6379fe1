import * as binxml from './binxml';
import type { BinXmlReader, ValueTable, XNode, XSub } from './binxml';
import * as values from './values';

// Bound once here, not at each use: run from source (tsx, Vitest), every use
// of an imported name is a getter call, which made the hot loop ~30% slower.
const { BinXmlError, K_ELEMENT, K_INSTANCE, K_SUB, MAX_DOC_DEPTH, XElement } = binxml;
const { integerValue, renderArray, renderScalar, V_ARRAY, V_BINXML, V_NULL } = values;
type XElement = binxml.XElement;

/**
 * Turns a record's BinXml tree (templates + substitution values) into the flat
 * fields Loupe stores, without building the XML text first.
 *
 * Naming rules (stable: field tables and saved searches depend on them):
 * - System: an element's text under its name (`EventID`, `Channel`), each
 *   attribute as `Element_Attribute` (`Provider_Name`, `EventID_Qualifiers`,
 *   `Execution_ProcessID`, `Security_UserID`, `TimeCreated_SystemTime`).
 * - EventData: `<Data Name="X">` as `X`; unnamed `<Data>` items as `Data_1`,
 *   `Data_2`, ... numbered in document order among the unnamed ones (classic
 *   providers, PowerShell 400/800); other children (`Binary`) under their
 *   element name; a child with elements of its own as `Parent.Leaf`.
 * - UserData (and other payload sections such as ProcessingErrorData): the
 *   wrapper element is dropped and every leaf element becomes a field under
 *   its own name (`SubjectUserName` of a 1102 LogFileCleared), attributes as
 *   `Leaf_Attribute`; xmlns attributes are skipped. This is how Sigma rules
 *   address UserData fields.
 * - RenderingInfo (forwarded events): leaves as `RenderingInfo.Message` etc.,
 *   so they never mix with the System fields of the same name.
 * - A name already taken gets `_2`, `_3`, ... in order of appearance.
 * - An element holding an array value is repeated per item, as Windows
 *   renders it (so unnamed items become Data_1, Data_2, ...); an array inside
 *   an attribute is joined with ", "; a BinXml value inside a field is
 *   rendered as XML text.
 * - Following MS-EVEN6, an element or attribute holding an optional
 *   substitution whose value is NULL is left out.
 */

/** Element visits allowed per record, against templates that expand without end. */
const MAX_VISITS = 200_000;

/** System fields that hold counters; they are emitted as numbers. */
const NUMERIC_SYSTEM = new Set([
  'EventID',
  'EventID_Qualifiers',
  'Version',
  'Level',
  'Task',
  'Opcode',
  'EventRecordID',
  'Execution_ProcessID',
  'Execution_ThreadID',
  'Execution_ProcessorID',
  'Execution_SessionID',
  'Execution_KernelTime',
  'Execution_UserTime',
  'Execution_ProcessorTime',
]);

const DECIMAL = /^\d{1,15}$/;

export interface FlatRecord {
  system: Record<string, string | number>;
  eventData: Record<string, string>;
}

/** depth: how many template instances / BinXml values deep the element sits. */
type Visit = (el: XElement, vals: ValueTable | null, depth: number) => void;

export class EventFlattener {
  private visits = 0;
  private system: Record<string, string | number> = {};
  private data: Record<string, string> = {};
  /** Next `_n` suffix per repeated field name, so repeats cost O(1) each. */
  private repeats = new Map<string, number>();

  constructor(private readonly reader: BinXmlReader) {}

  flatten(nodes: XNode[]): FlatRecord {
    this.visits = 0;
    this.system = {};
    this.data = {};
    this.repeats.clear();
    this.eachElement(nodes, null, 0, (root, vals, depth) => {
      this.eachElement(root.content, vals, depth, (section, v, d) => this.section(section, v, d));
    });
    return { system: this.system, eventData: this.data };
  }

  private section(section: XElement, vals: ValueTable | null, depth: number): void {
    switch (section.name) {
      case 'System':
        this.eachElement(section.content, vals, depth, (el, v, d) => this.systemField(el, v, d));
        break;
      case 'EventData':
        this.eventData(section, vals, depth);
        break;
      case 'RenderingInfo':
        this.leaves(section.content, vals, 'RenderingInfo.', depth);
        break;
      case 'UserData':
        // The single wrapper element (<LogFileCleared xmlns=...>) names the
        // event type only; its leaves are the fields.
        this.eachElement(section.content, vals, depth, (wrapper, v, d) => this.leaves(wrapper.content, v, '', d));
        break;
      default:
        this.leaves(section.content, vals, '', depth);
    }
  }

  private systemField(el: XElement, vals: ValueTable | null, depth: number): void {
    const sys = this.system;
    if (el.attrs !== null) {
      for (const attr of el.attrs) {
        const value = this.attrValue(attr.value, vals, depth);
        if (value !== null) this.set(sys, attr.qualified, systemValue(attr.qualified, value));
      }
    }
    if (el.content !== null) {
      if (this.hasChildElements(el.content, vals)) {
        // Not seen in real System blocks; keep the leaves rather than drop them.
        this.eachElement(el.content, vals, depth, (child, v, d) => {
          if (child.content !== null) this.set(sys, `${el.name}.${child.name}`, this.text(child.content, v, d));
        });
      } else {
        const only = el.content.length === 1 ? el.content[0]! : null;
        // Counters usually arrive as one integer substitution: take the number
        // as is rather than printing it and parsing it back.
        const direct = only !== null && typeof only !== 'string' && only.kind === K_SUB && NUMERIC_SYSTEM.has(el.name) ? this.subNumber(only, vals) : null;
        this.set(sys, el.name, direct ?? systemValue(el.name, this.text(el.content, vals, depth)));
      }
    }
  }

  private eventData(section: XElement, vals: ValueTable | null, depth: number): void {
    let unnamed = 0;
    this.eachElement(section.content, vals, depth, (el, v, d) => {
      let key = el.name;
      if (key === 'Data') {
        const name = el.attrs === null ? null : this.namedAttr(el, 'Name', v, d);
        key = name !== null && name !== '' ? name : `Data_${++unnamed}`;
      } else if (el.content !== null && this.hasChildElements(el.content, v)) {
        this.leaves(el.content, v, `${key}.`, d);
        return;
      }
      this.set(this.data, key, el.content === null ? '' : this.text(el.content, v, d));
    });
  }

  /** Every leaf element under `nodes` becomes `prefix + name`; attributes `prefix + name_attr`. */
  private leaves(nodes: XNode[] | null, vals: ValueTable | null, prefix: string, depth: number): void {
    this.eachElement(nodes, vals, depth, (el, v, d) => {
      if (el.attrs !== null) {
        for (const attr of el.attrs) {
          if (attr.name === 'xmlns' || attr.name.startsWith('xmlns:')) continue;
          const value = this.attrValue(attr.value, v, d);
          if (value !== null) this.set(this.data, prefix === '' ? attr.qualified : prefix + attr.qualified, value);
        }
      }
      if (el.content === null) {
        if (el.attrs === null) this.set(this.data, prefix + el.name, '');
      } else if (this.hasChildElements(el.content, v)) {
        this.leaves(el.content, v, prefix, d);
      } else {
        this.set(this.data, prefix + el.name, this.text(el.content, v, d));
      }
    });
  }

  /** Set a field, numbering repeats `_2`, `_3`...; never lets a name reach the prototype. */
  private set<V extends string | number>(target: Record<string, V>, key: string, value: V): void {
    const name = key === '__proto__' ? '__proto___' : key;
    // Our values are strings and numbers; anything else found under the name
    // (toString, constructor...) comes from Object.prototype, so the name is free.
    const current: unknown = target[name];
    if (typeof current !== 'string' && typeof current !== 'number') {
      target[name] = value;
      return;
    }
    const tag = target === (this.system as unknown) ? `s:${name}` : `d:${name}`;
    let n = this.repeats.get(tag) ?? 2;
    while (hasOwn(target, `${name}_${n}`)) n++;
    this.repeats.set(tag, n + 1);
    target[`${name}_${n}`] = value;
  }

  /**
   * Call `fn` for each element in `nodes`, looking through template
   * instances and BinXml substitution values as if they were inline.
   */
  private eachElement(nodes: XNode[] | null, vals: ValueTable | null, depth: number, fn: Visit): void {
    if (nodes === null) return;
    if (depth > MAX_DOC_DEPTH) throw new BinXmlError('event nested too deeply', 0);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (typeof node === 'string') continue;
      if (++this.visits > MAX_VISITS) throw new BinXmlError('record expands to too many elements', 0);
      if (node.kind === K_ELEMENT) {
        if (this.omitted(node, vals)) continue;
        const array = arrayIn(node, vals);
        if (array < 0) fn(node, vals, depth);
        else for (const item of this.arrayItems(node, array, vals)) fn(item, vals, depth);
      } else if (node.kind === K_INSTANCE) {
        this.eachElement(node.template.body, node.values, depth + 1, fn);
      } else {
        const nested = this.nestedDocument(node, vals, depth);
        if (nested !== null) this.eachElement(nested, null, depth + 1, fn);
      }
    }
  }

  /**
   * An element whose content holds an array value is repeated once per item
   * (an empty array still gives one empty element), as Windows renders it:
   * `<Data>%1</Data>` with three strings becomes three Data elements.
   */
  private arrayItems(el: XElement, at: number, vals: ValueTable | null): XElement[] {
    const content = el.content!;
    const sub = content[at] as XSub;
    const i = sub.index;
    const items = vals === null ? [] : renderArray(this.reader.buf, vals.offset(i), vals.size(i), vals.type(i));
    if (items.length === 0) items.push('');
    return items.map((item) => new XElement(el.name, el.attrs, content.map((node, k) => (k === at ? item : node))));
  }

  /** MS-EVEN6: an optional substitution with a NULL value removes its enclosing element. */
  private omitted(el: XElement, vals: ValueTable | null): boolean {
    const content = el.content;
    if (content === null) return false;
    for (let i = 0; i < content.length; i++) {
      const node = content[i]!;
      if (typeof node !== 'string' && node.kind === K_SUB && node.optional && isNull(node, vals)) return true;
    }
    return false;
  }

  private hasChildElements(nodes: XNode[], vals: ValueTable | null): boolean {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (typeof node === 'string') continue;
      if (node.kind !== K_SUB) return true;
      if (vals !== null && node.index < vals.count && vals.type(node.index) === V_BINXML) return true;
    }
    return false;
  }

  private namedAttr(el: XElement, name: string, vals: ValueTable | null, depth: number): string | null {
    for (const attr of el.attrs!) if (attr.name === name) return this.attrValue(attr.value, vals, depth);
    return null;
  }

  /** An attribute's text, or null when it is omitted (optional NULL substitution). */
  private attrValue(parts: XNode[], vals: ValueTable | null, depth: number): string | null {
    if (parts.length === 1) {
      const only = parts[0]!;
      if (typeof only === 'string') return only;
      if (only.kind === K_SUB) return only.optional && isNull(only, vals) ? null : this.subText(only, vals, depth);
    }
    for (const part of parts) if (typeof part !== 'string' && part.kind === K_SUB && part.optional && isNull(part, vals)) return null;
    return this.text(parts, vals, depth);
  }

  /** The text content of `nodes`: literal text and rendered substitutions, in order. */
  private text(nodes: XNode[], vals: ValueTable | null, depth: number): string {
    if (nodes.length === 1) {
      const only = nodes[0]!;
      if (typeof only === 'string') return only;
      if (only.kind === K_SUB) return this.subText(only, vals, depth);
    }
    let s = '';
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (typeof node === 'string') s += node;
      else if (node.kind === K_SUB) s += this.subText(node, vals, depth);
      else s += this.xml([node], vals, depth + 1);
    }
    return s;
  }

  private subText(sub: XSub, vals: ValueTable | null, depth: number): string {
    if (vals === null || sub.index >= vals.count) return '';
    const i = sub.index;
    const type = vals.type(i);
    const size = vals.size(i);
    if (type === V_NULL || size === 0) return '';
    const offset = vals.offset(i);
    const buf = this.reader.buf;
    if (type === V_BINXML) {
      const nested = this.nestedDocument(sub, vals, depth);
      return nested === null ? '' : this.xml(nested, null, depth + 1);
    }
    if ((type & V_ARRAY) !== 0) return renderArray(buf, offset, size, type).join(', ');
    return renderScalar(buf, offset, size, type);
  }

  /** An integer substitution's value as a number; null for other types or beyond 2^53. */
  private subNumber(sub: XSub, vals: ValueTable | null): number | null {
    if (vals === null || sub.index >= vals.count) return null;
    return integerValue(this.reader.buf, vals.offset(sub.index), vals.size(sub.index), vals.type(sub.index));
  }

  /** The parsed BinXml of a substitution whose value is BinXml (type 0x21), else null. */
  private nestedDocument(sub: XSub, vals: ValueTable | null, depth: number): XNode[] | null {
    if (vals === null || sub.index >= vals.count || vals.type(sub.index) !== V_BINXML) return null;
    const start = vals.offset(sub.index);
    const size = vals.size(sub.index);
    if (size === 0) return null;
    return this.reader.parseDocument(start, start + size, depth + 1);
  }

  /** XML text of nodes: only for BinXml nested inside a field's value, which is rare. */
  private xml(nodes: XNode[], vals: ValueTable | null, depth: number): string {
    if (depth > MAX_DOC_DEPTH) throw new BinXmlError('event nested too deeply', 0);
    let s = '';
    for (const node of nodes) {
      if (typeof node === 'string') {
        s += escapeXml(node);
      } else if (node.kind === K_SUB) {
        const nested = this.nestedDocument(node, vals, depth);
        s += nested === null ? escapeXml(this.subText(node, vals, depth)) : this.xml(nested, null, depth + 1);
      } else if (node.kind === K_INSTANCE) {
        s += this.xml(node.template.body, node.values, depth + 1);
      } else {
        if (++this.visits > MAX_VISITS) throw new BinXmlError('record expands to too many elements', 0);
        if (this.omitted(node, vals)) continue;
        s += `<${node.name}`;
        if (node.attrs !== null) {
          for (const attr of node.attrs) {
            const value = this.attrValue(attr.value, vals, depth);
            if (value !== null) s += ` ${attr.name}="${escapeXml(value)}"`;
          }
        }
        s += node.content === null ? '/>' : `>${this.xml(node.content, vals, depth)}</${node.name}>`;
      }
    }
    return s;
  }
}

/** Position in `el`'s content of a substitution whose value is an array, or -1. */
function arrayIn(el: XElement, vals: ValueTable | null): number {
  const content = el.content;
  if (content === null || vals === null) return -1;
  for (let k = 0; k < content.length; k++) {
    const node = content[k]!;
    if (typeof node === 'string' || node.kind !== K_SUB || node.index >= vals.count) continue;
    if ((vals.type(node.index) & V_ARRAY) !== 0) return k;
  }
  return -1;
}

function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

function isNull(sub: XSub, vals: ValueTable | null): boolean {
  return vals === null || sub.index >= vals.count || vals.type(sub.index) === V_NULL;
}

function systemValue(key: string, text: string): string | number {
  return NUMERIC_SYSTEM.has(key) && DECIMAL.test(text) ? Number(text) : text;
}


function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&quot;'));
}
