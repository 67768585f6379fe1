import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, positionsInJournal } from '../../../src/main/engine/live/journal';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const msg = (i: number) => ({ receivedAt: 1000 + i, peer: '127.0.0.1:5', transport: 'tcp' as const, message: `message ${i}` });

describe('live journal', () => {
  it('hands messages back in order from memory', () => {
    const j = new Journal(tmp.dir);
    j.append([msg(1), msg(2), msg(3)]);
    const got = j.take(10);
    expect(got.map((m) => m.message)).toEqual(['message 1', 'message 2', 'message 3']);
    expect(got[2]?.seq).toBeGreaterThan(got[0]?.seq ?? Infinity);
    expect(j.take(10)).toEqual([]);
    j.close();
  });

  it('spills beyond the memory bound and reads the rest back from disk in order', () => {
    const j = new Journal(tmp.dir, 100);
    for (let i = 0; i < 1000; i += 10) j.append(Array.from({ length: 10 }, (_, k) => msg(i + k)));
    const got: string[] = [];
    for (let guard = 0; guard < 100; guard++) {
      const b = j.take(77);
      if (b.length === 0) break;
      got.push(...b.map((m) => m.message));
    }
    expect(got).toHaveLength(1000);
    expect(got[999]).toBe('message 999');
    expect(new Set(got).size).toBe(1000);
    // After catching up, new messages take the in-memory path again.
    j.append([msg(5000)]);
    expect(j.take(5).map((m) => m.message)).toEqual(['message 5000']);
    j.close();
  });

  it('replays everything after the committed position after a restart, skipping a torn record', () => {
    const j = new Journal(tmp.dir);
    j.append([msg(1), msg(2)]);
    const [first] = j.take(1);
    j.append([msg(3)]);
    j.close();
    const seg = readdirSync(tmp.dir)[0] as string;
    appendFileSync(join(tmp.dir, seg), '[1,"peer","tcp","torn'); // a crash mid-write
    const again = new Journal(tmp.dir);
    again.replayFrom(first?.seq ?? 0);
    expect(again.take(10).map((m) => m.message)).toEqual(['message 2', 'message 3']);
    again.close();
  });

  it('remembers followed-file positions for resume', () => {
    const j = new Journal(tmp.dir);
    j.append([{ ...msg(1), transport: 'file', pos: { path: '/var/log/a', inode: 7, offset: 10 } }]);
    j.append([{ ...msg(2), transport: 'file', pos: { path: '/var/log/a', inode: 7, offset: 25 } }]);
    j.close();
    expect(positionsInJournal(tmp.dir).get('/var/log/a')).toEqual({ inode: 7, offset: 25 });
  });
});
