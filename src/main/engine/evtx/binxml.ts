import * as bytes from './bytes';

// Bound once here, not at each use: run from source (tsx, Vitest), every use
// of an imported name is a getter call, which made the hot loop ~30% slower.
const { u16, u32, utf16 } = bytes;

/**
 * Binary XML (MS-EVEN6 BinXml, as stored in EVTX chunks) to a small node tree.
 *
 * A record's BinXml is nearly always one template instance: a reference to a
 * template definition (stored once per chunk, often in an earlier record) plus
 * the record's substitution values. Definitions are parsed once per chunk and
 * cached by offset, so a record costs one pass over its value descriptors; the
 * values themselves are decoded later, only when the flattener needs them.
 *
 * Every read is bounds-checked against the range being parsed and every loop
 * advances the cursor, so parsing is linear in the bytes; depth limits stop
 * hostile nesting and a sentinel stops a template that references itself.
 */

export const T_EOF = 0x00;
export const T_OPEN_START = 0x01;
export const T_CLOSE_START = 0x02;
export const T_CLOSE_EMPTY = 0x03;
export const T_END_ELEMENT = 0x04;
export const T_VALUE = 0x05;
export const T_ATTRIBUTE = 0x06;
export const T_CDATA = 0x07;
export const T_CHAR_REF = 0x08;
export const T_ENTITY_REF = 0x09;
export const T_PI_TARGET = 0x0a;
export const T_PI_DATA = 0x0b;
export const T_TEMPLATE_INSTANCE = 0x0c;
export const T_NORMAL_SUB = 0x0d;
export const T_OPTIONAL_SUB = 0x0e;
export const T_FRAGMENT_HEADER = 0x0f;
/** The "more data follows" bit some tokens carry (0x41, 0x45, 0x46 ...). */
const MORE = 0x40;

/** Deepest element nesting accepted; real events nest 4-6 levels. */
const MAX_ELEMENT_DEPTH = 64;
/** Deepest chain of templates and BinXml values inside each other. */
export const MAX_DOC_DEPTH = 12;
/** Chunk offsets below this are the chunk header, never BinXml. */
const CHUNK_DATA_START = 512;

export class BinXmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'BinXmlError';
  }
}

export const K_ELEMENT = 1;
export const K_SUB = 2;
export const K_INSTANCE = 3;

export class XElement {
  readonly kind = K_ELEMENT;
  constructor(
    readonly name: string,
    readonly attrs: XAttr[] | null,
    readonly content: XNode[] | null,
  ) {
    if (attrs !== null) for (const attr of attrs) attr.qualified = `${name}_${attr.name}`;
  }
}

export class XAttr {
  /**
   * `Element_Attribute`, the attribute's flattened field name. Set once when
   * the (cached) template is parsed rather than concatenated per record.
   */
  qualified = '';
  constructor(
    readonly name: string,
    /** Text parts and substitutions, in order. */
    readonly value: XNode[],
  ) {}
}

/** A placeholder for substitution value `index` of the enclosing template instance. */
export class XSub {
  readonly kind = K_SUB;
  constructor(
    readonly index: number,
    readonly optional: boolean,
    readonly declaredType: number,
  ) {}
}

/**
 * Where a template instance's values sit in the chunk, by value index. One
 * flat array of (type, offset, size) triples: a record allocates one of these
 * per instance, and three typed arrays each time cost more than the parse.
 */
export class ValueTable {
  constructor(
    readonly count: number,
    private readonly cells: number[],
  ) {}

  type(i: number): number {
    return this.cells[3 * i]!;
  }

  offset(i: number): number {
    return this.cells[3 * i + 1]!;
  }

  size(i: number): number {
    return this.cells[3 * i + 2]!;
  }
}

export class XTemplate {
  constructor(
    /** Chunk offset of the definition; the cache key. */
    readonly offset: number,
    readonly body: XNode[],
  ) {}
}

export class XInstance {
  readonly kind = K_INSTANCE;
  constructor(
    readonly template: XTemplate,
    readonly values: ValueTable,
  ) {}
}

/** Text is a plain string; everything else is one of the classes above. */
export type XNode = string | XElement | XSub | XInstance;

const PARSING = 'parsing';

/**
 * Parses the BinXml of one chunk. One reader per chunk: its caches (names,
 * template definitions) are only valid inside the chunk they came from.
 */
export class BinXmlReader {
  private pos = 0;
  private end = 0;
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, XTemplate | BinXmlError | typeof PARSING>();

  /** `buf` is the whole chunk: every offset inside BinXml is relative to its start. */
  constructor(readonly buf: Buffer) {}

  /**
   * Parse the document in [start, end): a record's event, or a BinXml
   * substitution value. Returns its top-level nodes.
   */
  parseDocument(start: number, end: number, docDepth = 0): XNode[] {
    if (docDepth > MAX_DOC_DEPTH) throw new BinXmlError('BinXml nested too deeply', start);
    if (start < 0 || end > this.buf.length || start > end) throw new BinXmlError('BinXml range outside the chunk', start);
    const savedPos = this.pos;
    const savedEnd = this.end;
    this.pos = start;
    this.end = end;
    try {
      return this.parseNodes(false, 0, false, docDepth);
    } finally {
      this.pos = savedPos;
      this.end = savedEnd;
    }
  }

  /**
   * The token loop shared by documents and element content. In element content
   * it stops after the end-element token; in a document, at EOF or the range end.
   */
  private parseNodes(inElement: boolean, depth: number, inTemplate: boolean, docDepth: number): XNode[] {
    const b = this.buf;
    const nodes: XNode[] = [];
    while (this.pos < this.end) {
      const at = this.pos;
      const token = b[at]!;
      switch (token & ~MORE) {
        case T_EOF:
          if (inElement) throw new BinXmlError('end of document inside an element', at);
          this.pos = at + 1;
          return nodes;
        case T_END_ELEMENT:
          if (!inElement) throw new BinXmlError('end-element token outside an element', at);
          this.pos = at + 1;
          return nodes;
        case T_OPEN_START:
          if (depth >= MAX_ELEMENT_DEPTH) throw new BinXmlError('elements nested too deeply', at);
          nodes.push(this.parseElement(depth + 1, inTemplate, docDepth));
          break;
        case T_VALUE:
          this.appendText(nodes, this.readValueText());
          break;
        case T_CDATA:
          this.need(3);
          this.pos = at + 1;
          this.appendText(nodes, this.readCountedString());
          break;
        case T_CHAR_REF:
        case T_ENTITY_REF:
          this.appendText(nodes, this.readReference());
          break;
        case T_NORMAL_SUB:
        case T_OPTIONAL_SUB:
          nodes.push(this.readSubstitution());
          break;
        case T_TEMPLATE_INSTANCE:
          if (token !== T_TEMPLATE_INSTANCE) throw new BinXmlError(`unknown token 0x${token.toString(16)}`, at);
          nodes.push(this.parseTemplateInstance(docDepth));
          break;
        case T_FRAGMENT_HEADER:
          if (token !== T_FRAGMENT_HEADER) throw new BinXmlError(`unknown token 0x${token.toString(16)}`, at);
          this.need(4);
          this.pos = at + 4;
          break;
        case T_PI_TARGET:
          // Processing instructions carry no event data: read past them.
          this.need(5);
          this.readNameRef(at + 1);
          break;
        case T_PI_DATA:
          this.need(3);
          this.pos = at + 1;
          this.readCountedString();
          break;
        default:
          throw new BinXmlError(`unexpected token 0x${token.toString(16)}`, at);
      }
    }
    if (inElement) throw new BinXmlError('element runs past the end of its data', this.pos);
    return nodes;
  }

  private appendText(nodes: XNode[], text: string): void {
    // Adjacent text tokens (a value split over several tokens) become one string.
    const last = nodes.length - 1;
    if (last >= 0 && typeof nodes[last] === 'string') nodes[last] = (nodes[last] as string) + text;
    else nodes.push(text);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new BinXmlError('BinXml token runs past the end of its data', this.pos);
  }

  private parseElement(depth: number, inTemplate: boolean, docDepth: number): XElement {
    const b = this.buf;
    const at = this.pos;
    const hasAttrs = (b[at]! & MORE) !== 0;
    // The 2-byte dependency identifier is written inside template definitions
    // but not in elements outside them (BinXml values, WEC-forwarded records).
    // Try the layout expected here first and fall back to the other when its
    // name reference does not check out, so both kinds of writer parse.
    let withDep = inTemplate;
    let afterName = this.tryElementHeader(at, withDep);
    if (afterName < 0) {
      withDep = !withDep;
      afterName = this.tryElementHeader(at, withDep);
    }
    if (afterName < 0) throw new BinXmlError('element start with an invalid name reference', at);
    const sizeAt = withDep ? at + 3 : at + 1;
    const elementEnd = sizeAt + 4 + u32(b, sizeAt);
    if (elementEnd > this.end) throw new BinXmlError('element size runs past the end of its data', at);
    const name = this.headerName;
    this.pos = afterName;

    const savedEnd = this.end;
    this.end = elementEnd;
    try {
      let attrs: XAttr[] | null = null;
      if (hasAttrs) {
        this.need(4);
        const listEnd = this.pos + 4 + u32(b, this.pos);
        if (listEnd > elementEnd) throw new BinXmlError('attribute list runs past its element', this.pos);
        this.pos += 4;
        attrs = [];
        while (this.pos < listEnd && (b[this.pos]! & ~MORE) === T_ATTRIBUTE) {
          this.need(5);
          const attrName = this.readNameRef(this.pos + 1);
          attrs.push(new XAttr(attrName, this.parseAttributeValue()));
        }
      }
      this.need(1);
      const close = b[this.pos]!;
      if (close === T_CLOSE_EMPTY) {
        this.pos += 1;
        return new XElement(name, attrs, null);
      }
      if (close !== T_CLOSE_START) throw new BinXmlError(`expected the end of a start tag, found 0x${close.toString(16)}`, this.pos);
      this.pos += 1;
      const content = this.parseNodes(true, depth, inTemplate, docDepth);
      return new XElement(name, attrs, content.length > 0 ? content : null);
    } finally {
      this.end = savedEnd;
    }
  }

  /** Set by tryElementHeader: the name it found (saves returning a pair per element). */
  private headerName = '';

  /**
   * Check one element-start layout at `at`; returns the offset after the name
   * (and its inline definition) or -1 when the name reference is not plausible.
   */
  private tryElementHeader(at: number, withDep: boolean): number {
    const nameRefAt = withDep ? at + 7 : at + 5;
    if (nameRefAt + 4 > this.end) return -1;
    const nameOffset = u32(this.buf, nameRefAt);
    const after = nameRefAt + 4;
    const name = this.nameAt(nameOffset, after);
    if (name === null) return -1;
    this.headerName = name;
    return nameOffset === after ? after + 10 + 2 * u16(this.buf, after + 6) : after;
  }

  /**
   * The name at `offset`, either defined inline right here (`offset === here`)
   * or earlier in the chunk; null when the bytes there are not a name.
   */
  private nameAt(offset: number, here: number): string | null {
    const cached = this.names.get(offset);
    if (cached !== undefined) return offset <= here ? cached : null;
    if (offset > here || offset < CHUNK_DATA_START) return null;
    const b = this.buf;
    const limit = offset === here ? this.end : b.length;
    if (offset + 10 > limit) return null;
    const chars = u16(b, offset + 6);
    const terminator = offset + 8 + 2 * chars;
    if (terminator + 2 > limit || u16(b, terminator) !== 0) return null;
    const name = utf16(b, offset + 8, chars);
    this.names.set(offset, name);
    return name;
  }

  /** Read a 4-byte name reference at `refAt`, leaving the cursor after the name. */
  private readNameRef(refAt: number): string {
    if (refAt + 4 > this.end) throw new BinXmlError('name reference runs past the end of its data', refAt);
    const offset = u32(this.buf, refAt);
    const after = refAt + 4;
    const name = this.nameAt(offset, after);
    if (name === null) throw new BinXmlError('invalid name reference', refAt);
    this.pos = offset === after ? after + 10 + 2 * u16(this.buf, after + 6) : after;
    return name;
  }

  private parseAttributeValue(): XNode[] {
    const b = this.buf;
    const parts: XNode[] = [];
    while (this.pos < this.end) {
      const token = b[this.pos]! & ~MORE;
      if (token === T_VALUE) this.appendText(parts, this.readValueText());
      else if (token === T_NORMAL_SUB || token === T_OPTIONAL_SUB) parts.push(this.readSubstitution());
      else if (token === T_CHAR_REF || token === T_ENTITY_REF) this.appendText(parts, this.readReference());
      else if (token === T_CDATA) {
        this.need(3);
        this.pos += 1;
        this.appendText(parts, this.readCountedString());
      } else break;
    }
    return parts;
  }

  /** Value text token: 0x05/0x45, value type (a string), counted UTF-16 text. */
  private readValueText(): string {
    this.need(4);
    const type = this.buf[this.pos + 1]!;
    if (type !== 0x01) throw new BinXmlError(`value text of unsupported type 0x${type.toString(16)}`, this.pos);
    this.pos += 2;
    return this.readCountedString();
  }

  /** A 2-byte character count then that many UTF-16 code units. */
  private readCountedString(): string {
    this.need(2);
    const chars = u16(this.buf, this.pos);
    this.pos += 2;
    this.need(2 * chars);
    const s = utf16(this.buf, this.pos, chars);
    this.pos += 2 * chars;
    return s;
  }

  /** Character and entity references become the characters they stand for. */
  private readReference(): string {
    const b = this.buf;
    const token = b[this.pos]! & ~MORE;
    if (token === T_CHAR_REF) {
      this.need(3);
      const code = u16(b, this.pos + 1);
      this.pos += 3;
      return String.fromCharCode(code);
    }
    this.need(5);
    const name = this.readNameRef(this.pos + 1);
    return ENTITIES[name] ?? `&${name};`;
  }

  private readSubstitution(): XSub {
    this.need(4);
    const b = this.buf;
    const sub = new XSub(u16(b, this.pos + 1), (b[this.pos]! & ~MORE) === T_OPTIONAL_SUB, b[this.pos + 3]!);
    this.pos += 4;
    return sub;
  }

  /**
   * Template instance: token, 1 unknown byte, 4-byte template id, 4-byte
   * definition offset; the definition follows inline when that offset points
   * right here, else it was written earlier in the chunk. Then the values:
   * a count, 4-byte descriptors (size, type, pad), and the value bytes.
   */
  private parseTemplateInstance(docDepth: number): XInstance {
    const b = this.buf;
    const at = this.pos;
    this.need(10);
    const defOffset = u32(b, at + 6);
    let cursor = at + 10;
    const template = this.templateAt(defOffset, docDepth);
    if (defOffset === cursor) {
      // Inline definition: skip its 24-byte header and body.
      cursor = defOffset + 24 + u32(b, defOffset + 20);
    }
    if (cursor + 4 > this.end) throw new BinXmlError('template instance without its values', at);
    const count = u32(b, cursor);
    cursor += 4;
    if (count > (this.end - cursor) / 4) throw new BinXmlError(`template instance claims ${count} values`, at);
    const cells: number[] = new Array<number>(3 * count);
    let valueAt = cursor + 4 * count;
    for (let i = 0; i < count; i++) {
      const d = cursor + 4 * i;
      const size = u16(b, d);
      cells[3 * i] = b[d + 2]!;
      cells[3 * i + 1] = valueAt;
      cells[3 * i + 2] = size;
      valueAt += size;
    }
    if (valueAt > this.end) throw new BinXmlError('template values run past the end of the record', at);
    this.pos = valueAt;
    return new XInstance(template, new ValueTable(count, cells));
  }

  /** The template defined at `offset` in this chunk, parsed once and cached. */
  private templateAt(offset: number, docDepth: number): XTemplate {
    const cached = this.templates.get(offset);
    if (cached instanceof XTemplate) return cached;
    if (cached instanceof BinXmlError) throw cached;
    if (cached === PARSING) throw new BinXmlError('template definition refers to itself', offset);
    const b = this.buf;
    if (offset < CHUNK_DATA_START || offset + 24 > b.length) throw new BinXmlError('template definition offset outside the chunk', offset);
    const bodyStart = offset + 24;
    const bodyEnd = bodyStart + u32(b, offset + 20);
    if (bodyEnd > b.length) throw new BinXmlError('template definition runs past the end of the chunk', offset);
    this.templates.set(offset, PARSING);
    const savedPos = this.pos;
    const savedEnd = this.end;
    this.pos = bodyStart;
    this.end = bodyEnd;
    try {
      if (docDepth + 1 > MAX_DOC_DEPTH) throw new BinXmlError('templates nested too deeply', offset);
      const template = new XTemplate(offset, this.parseNodes(false, 0, true, docDepth + 1));
      this.templates.set(offset, template);
      return template;
    } catch (e) {
      const err = e instanceof BinXmlError ? e : new BinXmlError(String(e), offset);
      this.templates.set(offset, err);
      throw err;
    } finally {
      this.pos = savedPos;
      this.end = savedEnd;
    }
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
