import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { markdownTable, type Bench, type BenchRow } from './harness';

/**
 * `npm run bench [name-filter...]`: runs every test/bench/*.bench.ts and prints
 * one markdown table. Logs go to stderr so the table can be piped into README.
 */
async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const dir = __dirname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Bench };
    const bench = mod.default;
    if (filters.length > 0 && !filters.some((f) => bench.name.includes(f) || file.includes(f))) continue;
    const why = bench.skip?.();
    if (why) {
      process.stderr.write(`SKIP ${bench.name}: ${why}\n`);
      continue;
    }
    process.stderr.write(`RUN  ${bench.name}\n`);
    try {
      rows.push(...(await bench.run((line) => process.stderr.write(`     ${line}\n`))));
    } catch (e) {
      process.stderr.write(`FAIL ${bench.name}: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    }
  }
  process.stdout.write(`${markdownTable(rows)}\n`);
}

void main();
