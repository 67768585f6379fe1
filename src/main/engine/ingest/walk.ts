import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One thing found under a folder the analyst named. */
export type WalkItem = { type: 'file'; path: string } | { type: 'refused'; path: string; reason: string };

/**
 * Every file under a folder, depth first in name order (stable, so two
 * imports of the same folder list the same evidence in the same order).
 * Symbolic links are reported, never followed: a link in a triage folder may
 * point anywhere on the analyst's machine, or in a loop. Bounded: at most
 * `maxItems` entries and `maxDepth` levels.
 */
export function* walkFolder(root: string, maxItems = 1_000_000, maxDepth = 64): Generator<WalkItem> {
  let count = 0;
  const stack: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  while (stack.length > 0) {
    const { dir, depth } = stack.pop() as { dir: string; depth: number };
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      yield { type: 'refused', path: dir, reason: `folder cannot be read: ${(e as Error).message}` };
      continue;
    }
    const subdirs: string[] = [];
    for (const name of names) {
      if (++count > maxItems) {
        yield { type: 'refused', path: dir, reason: `more than ${maxItems.toLocaleString('en-US')} entries under ${root}: the rest were not read` };
        return;
      }
      const p = join(dir, name);
      let st;
      try {
        st = lstatSync(p);
      } catch (e) {
        yield { type: 'refused', path: p, reason: `cannot be read: ${(e as Error).message}` };
        continue;
      }
      if (st.isSymbolicLink()) yield { type: 'refused', path: p, reason: 'symbolic link: not followed' };
      else if (st.isDirectory()) {
        if (depth + 1 > maxDepth) yield { type: 'refused', path: p, reason: `folder nested deeper than ${maxDepth} levels: not read` };
        else subdirs.push(p);
      } else if (st.isFile()) yield { type: 'file', path: p };
      else yield { type: 'refused', path: p, reason: 'not a regular file (device, socket or pipe): not read' };
    }
    // Reverse so the stack pops them in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ dir: subdirs[i] as string, depth: depth + 1 });
  }
}
