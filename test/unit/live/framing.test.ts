import { describe, expect, it } from 'vitest';
import { SyslogFramer } from '../../../src/main/engine/live/framing';

const msgs = ['<34>1 2026-11-01T10:00:00Z host app 1 - - first', '<13>Nov  1 10:00:01 host sshd[12]: Failed password for root from 10.0.0.1 port 22 ssh2', 'line with\nembedded newline'];

function octet(m: string): string {
  return `${Buffer.byteLength(m)} ${m}`;
}

function feedInPieces(stream: Buffer, cut: number): string[] {
  const f = new SyslogFramer();
  const out: string[] = [];
  for (let i = 0; i < stream.length; i += cut) out.push(...f.push(stream.subarray(i, i + cut)).map((x) => x.message));
  out.push(...f.flush().map((x) => x.message));
  return out;
}

describe('TCP syslog framing (RFC 6587)', () => {
  it('splits octet-counted frames, including ones that carry newlines, whatever the chunking', () => {
    const stream = Buffer.from(msgs.map(octet).join(''));
    for (const cut of [1, 2, 3, 7, 64, 4096]) expect(feedInPieces(stream, cut)).toEqual(msgs);
  });

  it('splits newline-framed messages with LF, CRLF and NUL terminators', () => {
    const stream = Buffer.from(`${msgs[0]}\n${msgs[1]}\r\nthird\0fourth\n`);
    for (const cut of [1, 5, 1000]) expect(feedInPieces(stream, cut)).toEqual([msgs[0], msgs[1], 'third', 'fourth']);
  });

  it('handles both framings on one connection and a last line without terminator', () => {
    const stream = Buffer.from(`${octet('alpha')}beta\n${octet('gamma')}delta`);
    expect(feedInPieces(stream, 3)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
  });

  it('treats digits not followed by a space as an ordinary line', () => {
    expect(feedInPieces(Buffer.from('2026-11-01 12:00:00 host msg\n'), 4)).toEqual(['2026-11-01 12:00:00 host msg']);
  });

  it('truncates oversized frames of either framing and keeps in step afterwards', () => {
    const f = new SyslogFramer({ maxMessageBytes: 10 });
    const big = 'x'.repeat(100);
    const frames = [...f.push(Buffer.from(`${octet(big)}${octet('ok')}`)), ...f.push(Buffer.from(`${big}\nafter\n`))];
    expect(frames).toEqual([
      { message: 'x'.repeat(10), truncated: true },
      { message: 'ok', truncated: false },
      { message: 'x'.repeat(10), truncated: true },
      { message: 'after', truncated: false },
    ]);
  });

  it('stays bounded on garbage', () => {
    const f = new SyslogFramer({ maxMessageBytes: 1024 });
    const junk = Buffer.alloc(1_000_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; i < junk.length; i += 4096) n += f.push(junk.subarray(i, i + 4096)).length;
    expect(n).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
