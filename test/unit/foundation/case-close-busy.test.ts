import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Case } from '../../../src/main/engine/case/case';
import { tempDir } from '../../helpers';

/**
 * Closing a DuckDB connection while a statement still runs on it deadlocks
 * the thread running that statement for good (the statement's promise never
 * settles, and the process can no longer exit): CI saw `loupe serve` outlive
 * SIGTERM because a request's query was running as the case closed. The case
 * interrupts such statements and closes their connections once they ended.
 */
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** A statement that runs for seconds unless interrupted. */
const LONG = 'SELECT count(*) FROM range(40000000000) t(x) WHERE x % 7 = 3';

/** Whether the promise settles within `ms` (resolved or rejected). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([p.then(() => true, () => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

/** Give the statement time to start on DuckDB's side. */
async function underWay(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

describe('closing a case while statements run', () => {
  it('interrupts a statement on a released connection and closes the connection once it ended', async () => {
    const kase = await Case.create(join(tmp.dir, 'c'));
    const c = await kase.connect();
    const running = c.run(LONG);
    await underWay();
    kase.release(c);
    expect(await settlesWithin(running, 5000)).toBe(true);
    await expect(running).rejects.toThrow(/interrupt/i);
    kase.close();
  });

  it('settles what runs on any of its connections, then closes, and the case opens again', async () => {
    const dir = join(tmp.dir, 'c');
    const kase = await Case.create(dir);
    const c = await kase.connect();
    const onOwn = c.run(LONG);
    const onMain = kase.conn.run(LONG);
    await underWay();
    await kase.settle();
    kase.close();
    expect(await settlesWithin(Promise.allSettled([onOwn, onMain]), 5000)).toBe(true);
    const again = await Case.open(dir);
    expect((await again.info()).events).toBe(0);
    again.close();
  });

  it('closes without waiting (close alone) and still leaves no statement hanging', async () => {
    const kase = await Case.create(join(tmp.dir, 'c'));
    const c = await kase.connect();
    const running = c.run(LONG);
    await underWay();
    kase.close();
    expect(await settlesWithin(running, 5000)).toBe(true);
  });
});

describe('a connection released while its statement runs, then the case closed', () => {
  it('keeps the database open until that statement ended', async () => {
    const kase = await Case.create(join(tmp.dir, 'c'));
    const c = await kase.connect();
    const running = c.run(LONG);
    await underWay();
    kase.release(c);
    kase.close();
    expect(await settlesWithin(running, 5000)).toBe(true);
  });
});
