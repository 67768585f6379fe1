import { spawnSync } from 'node:child_process';

/**
 * Runs Debian's `evtxexport -f xml` (libevtx-utils) and reads its output into
 * the same flat shape Loupe produces, so the differential test can compare
 * field by field. The flattening mirrors the rules documented in
 * src/main/engine/evtx/event-flattener.ts but is written independently over
 * the peer's XML text, so a bug in our tree walk does not hide here too.
 */

export interface PeerRecord {
  recordId: number | null;
  timeCreated: string | null;
  eventId: number | null;
  channel: string | null;
  computer: string | null;
  eventData: Record<string, string>;
}

export interface PeerOutput {
  records: PeerRecord[];
  exitCode: number;
  stderr: string;
}

export function hasEvtxexport(): boolean {
  const r = spawnSync('evtxexport', ['-h'], { encoding: 'utf8' });
  return r.error === undefined;
}

export function runEvtxexport(file: string): PeerOutput {
  // Argument array, no shell: corpus paths hold spaces, &, @ and %.
  const r = spawnSync('evtxexport', ['-f', 'xml', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const records: PeerRecord[] = [];
  for (const event of parseXmlEvents(r.stdout ?? '')) records.push(flattenPeer(event));
  return { records, exitCode: r.status ?? -1, stderr: r.stderr ?? '' };
}

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

/** Every top-level <Event> element in the peer's output (a header line precedes them). */
export function parseXmlEvents(text: string): Node[] {
  const events: Node[] = [];
  let at = 0;
  for (;;) {
    const start = text.indexOf('<Event ', at);
    if (start < 0) break;
    const parser = new MiniXml(text, start);
    events.push(parser.element());
    at = parser.pos;
  }
  return events;
}

class MiniXml {
  constructor(
    readonly s: string,
    public pos: number,
  ) {}

  element(): Node {
    const s = this.s;
    if (s[this.pos] !== '<') throw new Error(`expected < at ${this.pos}`);
    this.pos++;
    const name = this.name();
    const attrs: Record<string, string> = {};
    for (;;) {
      this.skipSpace();
      if (s.startsWith('/>', this.pos)) {
        this.pos += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (s[this.pos] === '>') {
        this.pos++;
        break;
      }
      const attr = this.name();
      if (s[this.pos] !== '=' || s[this.pos + 1] !== '"') throw new Error(`bad attribute at ${this.pos}`);
      const end = s.indexOf('"', this.pos + 2);
      attrs[attr] = decode(s.slice(this.pos + 2, end));
      this.pos = end + 1;
    }
    const children: Node[] = [];
    let text = '';
    for (;;) {
      const lt = s.indexOf('<', this.pos);
      if (lt < 0) throw new Error('unterminated element');
      text += s.slice(this.pos, lt);
      this.pos = lt;
      if (s.startsWith('</', lt)) {
        const gt = s.indexOf('>', lt);
        this.pos = gt + 1;
        break;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt);
        text += s.slice(lt + 9, end);
        this.pos = end + 3;
        continue;
      }
      children.push(this.element());
    }
    // Whitespace between child elements is the peer's indentation, not data.
    const decoded = decode(text);
    return { name, attrs, children, text: children.length > 0 && decoded.trim() === '' ? '' : decoded };
  }

  private name(): string {
    const m = /^[^\s=/>]+/.exec(this.s.slice(this.pos, this.pos + 200));
    if (!m) throw new Error(`expected a name at ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  private skipSpace(): void {
    while (/\s/.test(this.s[this.pos] ?? '')) this.pos++;
  }
}

function decode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_m, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function flattenPeer(event: Node): PeerRecord {
  const system = event.children.find((c) => c.name === 'System');
  const field = (name: string): Node | undefined => system?.children.find((c) => c.name === name);
  const data: Record<string, string> = {};
  const put = (key: string, value: string): void => {
    let name = key;
    for (let n = 2; Object.prototype.hasOwnProperty.call(data, name); n++) name = `${key}_${n}`;
    data[name] = value;
  };
  const leaves = (nodes: Node[], prefix: string): void => {
    for (const el of nodes) {
      for (const [k, v] of Object.entries(el.attrs)) if (k !== 'xmlns' && !k.startsWith('xmlns:')) put(`${prefix}${el.name}_${k}`, v);
      if (el.children.length > 0) leaves(el.children, prefix);
      else if (el.text !== '' || Object.keys(el.attrs).length === 0) put(prefix + el.name, el.text);
    }
  };
  for (const section of event.children) {
    if (section.name === 'System') continue;
    if (section.name === 'EventData') {
      let unnamed = 0;
      for (const el of section.children) {
        if (el.name === 'Data') put(el.attrs.Name ? el.attrs.Name : `Data_${++unnamed}`, el.text);
        else if (el.children.length > 0) leaves(el.children, `${el.name}.`);
        else put(el.name, el.text);
      }
    } else if (section.name === 'UserData') {
      for (const wrapper of section.children) leaves(wrapper.children, '');
    } else if (section.name === 'RenderingInfo') {
      leaves(section.children, 'RenderingInfo.');
    } else {
      leaves(section.children, '');
    }
  }
  const num = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
  return {
    recordId: num(field('EventRecordID')?.text),
    timeCreated: field('TimeCreated')?.attrs.SystemTime ?? null,
    eventId: num(field('EventID')?.text),
    channel: field('Channel')?.text ?? null,
    computer: field('Computer')?.text ?? null,
    eventData: data,
  };
}
