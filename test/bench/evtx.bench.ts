import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCorpus, corpusPath } from '../corpus';
import { realChunks, writeRepeated } from '../fixtures/evtx-builder';
import { mbPerSecond, perSecond, seconds, speedRatio, type Bench, type BenchRow } from './harness';

/**
 * `loupe evtx dump --json` as a whole process against `evtxexport` (Debian
 * libevtx-utils) on the same >= 50 MB file: the chunks of a real Security log
 * repeated behind a fresh header. Both write to a file in a temp folder.
 *
 * The CLI runs as `node out/main/cli.js` when the app is built. Without a
 * build, the bench bundles the CLI and its worker with esbuild into the temp
 * folder (one bundle plus evtx-worker.js beside it, the layout of out/main)
 * and also shows one run through tsx, whose per-import getters make the same
 * code ~2-3x slower. Each figure is the best of RUNS runs, because other work
 * on a shared machine only ever adds time.
 */
const ROOT = join(__dirname, '..', '..');
const SOURCE = ['evtx', 'evtx-rs-samples', 'security.evtx'];
const TARGET_BYTES = 60e6;
const RUNS = 5;

interface Run {
  ms: number;
  rssKb: number | null;
  outBytes: number;
  lines: number;
}

const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Run a command with stdout into `outFile`; wall time, and peak RSS when GNU time is there. */
function measure(cmd: string, args: string[], outFile: string, env: NodeJS.ProcessEnv = process.env): Run {
  const fd = openSync(outFile, 'w');
  const started = performance.now();
  const r = timeBinary
    ? spawnSync(timeBinary, ['-f', 'RSSKB=%M', cmd, ...args], { stdio: ['ignore', fd, 'pipe'], env, encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { stdio: ['ignore', fd, 'pipe'], env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - started;
  closeSync(fd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(-500)}`);
  const rss = /RSSKB=(\d+)/.exec(String(r.stderr));
  const out = readFileSync(outFile);
  let lines = 0;
  for (let i = out.indexOf(10); i >= 0; i = out.indexOf(10, i + 1)) lines++;
  return { ms, rssKb: rss ? Number(rss[1]) : null, outBytes: out.length, lines };
}

function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function rss(run: Run): string {
  return run.rssKb === null ? 'peak RSS n/a' : `peak RSS ${(run.rssKb / 1024).toFixed(0)} MB`;
}

/** A production-like bundle of the CLI when out/main/cli.js is absent; null if esbuild is unavailable. */
async function bundleCli(dir: string): Promise<string | null> {
  try {
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    await esbuild.build({
      entryPoints: { cli: join(ROOT, 'src/main/hosts/cli/main.ts'), 'evtx-worker': join(ROOT, 'src/main/engine/evtx/evtx-worker.ts') },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outdir: dir,
      alias: { '@shared': join(ROOT, 'src/shared') },
      external: ['@duckdb/node-api', 'electron'],
      logLevel: 'error',
    });
    return join(dir, 'cli.js');
  } catch {
    return null;
  }
}

const bench: Bench = {
  name: 'evtx',
  skip: () => {
    if (!hasCorpus(...SOURCE)) return `corpus file ${SOURCE.join('/')} not found`;
    if (spawnSync('evtxexport', ['-h']).error) return 'evtxexport not installed (apt-get install libevtx-utils)';
    return undefined;
  },
  async run(log) {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-evtx-bench-'));
    try {
      const big = join(dir, 'big.evtx');
      const chunkCount = writeRepeated(big, realChunks(corpusPath(...SOURCE)), TARGET_BYTES);
      const size = statSync(big).size;
      const sizeText = `${(size / 1e6).toFixed(0)} MB`;
      log(`built ${big}: ${chunkCount} chunks, ${sizeText}, from ${SOURCE.join('/')}`);
      const out = join(dir, 'out.txt');

      const peerText = best(Array.from({ length: RUNS }, () => measure('evtxexport', [big], out)));
      const peerXml = best(Array.from({ length: RUNS }, () => measure('evtxexport', ['-f', 'xml', big], out)));
      log(`evtxexport text ${seconds(peerText.ms)}, xml ${seconds(peerXml.ms)}`);
      const reference = `evtxexport (text): ${seconds(peerText.ms)}, ${mbPerSecond(size, peerText.ms)}, ${rss(peerText)}; -f xml: ${seconds(peerXml.ms)}, ${mbPerSecond(size, peerXml.ms)}`;

      const built = join(ROOT, 'out', 'main', 'cli.js');
      let cli: string | null = existsSync(built) ? built : null;
      let how = 'node out/main/cli.js';
      if (cli === null) {
        cli = await bundleCli(join(dir, 'bundle'));
        how = 'node <esbuild bundle> (no out/main build)';
      }
      const env = { ...process.env, LOUPE_CLI_MAIN: '1' };
      const rows: BenchRow[] = [];
      const dump = (workers: number, runs: number, viaTsx = false): Run => {
        const args = ['evtx', 'dump', big, '--json', '--workers', String(workers)];
        const runner = viaTsx ? ['--import', 'tsx', join(ROOT, 'src/main/hosts/cli/main.ts')] : [cli!];
        const r = best(Array.from({ length: runs }, () => measure(process.execPath, [...runner, ...args], out, env)));
        log(`${viaTsx ? 'tsx' : 'built'} workers=${workers}: ${seconds(r.ms)}, ${r.lines} records, ${(r.outBytes / 1e6).toFixed(0)} MB NDJSON`);
        return r;
      };
      const row = (label: string, r: Run, target?: string, met?: boolean): BenchRow => ({
        capability: `evtx dump --json, ${label} (${sizeText} Security log, ${how.startsWith('node out') || label.includes('tsx') ? '' : 'bundled, '}best of ${label.includes('tsx') ? 1 : RUNS})`,
        loupe: `${seconds(r.ms)}, ${mbPerSecond(size, r.ms)}, ${perSecond(r.lines, r.ms, 'records')}, ${rss(r)}`,
        reference,
        ratio: speedRatio(r.ms, peerText.ms),
        ...(target ? { target, met } : {}),
      });

      if (cli !== null) {
        const one = dump(1, RUNS);
        const two = dump(2, RUNS);
        const inline = dump(0, RUNS);
        if (one.lines !== two.lines || one.lines !== inline.lines) throw new Error(`record counts differ: ${inline.lines} / ${one.lines} / ${two.lines}`);
        rows.push(row(`1 worker, ${how}`, one, '>= 40 MB/s with 1 worker', size / 1e3 / one.ms >= 40));
        rows.push(row(`2 workers, ${how}`, two, 'scales: faster than 1 worker', two.ms < one.ms));
        rows.push(row(`inline (--workers 0), ${how}`, inline));
        const fastest = [one, two].reduce((a, b) => (b.ms < a.ms ? b : a));
        rows.push({
          ...row(`fastest of the above vs evtxexport`, fastest),
          target: '>= 15x evtxexport (the brief assumed evtxexport at ~2.5 MB/s)',
          met: peerText.ms / fastest.ms >= 15,
        });
      } else {
        log('esbuild not available and no out/main build: tsx only');
      }
      rows.push(row('1 worker, via tsx', dump(1, 1, true)));
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
