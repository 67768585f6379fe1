import { Argument, Option, type Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { intelStore, MMDB_KINDS, type IntelSourceStatus, type MmdbKind } from '../../../engine/intel';
import { action, type RegisterCommand } from '../command';

/**
 * `loupe intel ...`: the analyst's shared threat intel (IPsum, GeoIP
 * databases, IOC lists) and offline lookups.
 */

interface JsonOpt {
  json?: boolean;
}

function sourceLine(s: IntelSourceStatus): string {
  const date = s.version ? s.version.slice(0, 10) : '-';
  const entries = s.entries === null ? '-' : s.entries.toLocaleString('en-US');
  const rejected = s.rejected ? ` (${s.rejected} rejected)` : '';
  return `${s.state.padEnd(7)} ${s.name.padEnd(36)} ${date.padEnd(10)} ${entries.padStart(11)}${rejected}  ${s.detail ?? ''}`;
}

function parseKind(text: string | undefined): MmdbKind | undefined {
  if (text === undefined) return undefined;
  const k = text.toLowerCase();
  if (!(MMDB_KINDS as readonly string[]).includes(k)) throw new LoupeError('USAGE', `--kind is one of ${MMDB_KINDS.join(', ')}, not "${text}"`);
  return k as MmdbKind;
}

function parseSeconds(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 1 || n > 600) throw new LoupeError('USAGE', `${what} is a number of seconds from 1 to 600`);
  return Math.round(n * 1000);
}

export const registerIntel: RegisterCommand = (program: Command) => {
  const intel = program.command('intel').description('threat intel shared by all cases: IPsum, GeoIP, IOC lists; offline IP lookups');

  intel
    .command('status')
    .description('every intel source with its version date and entry count')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt>((io) => {
        const st = intelStore().status();
        io.result(st, () =>
          [
            `intel folder: ${st.dir}`,
            `malicious threshold: IPsum score >= ${st.settings.maliciousThreshold}, or on any IOC list`,
            '',
            `${'state'.padEnd(7)} ${'source'.padEnd(36)} ${'version'.padEnd(10)} ${'entries'.padStart(11)}  detail`,
            ...st.sources.map(sourceLine),
          ].join('\n'),
        );
      }),
    );

  intel
    .command('lookup')
    .argument('<ip>', 'IPv4 or IPv6 address')
    .description('what Loupe knows about an IP, with no network')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt>((io, _opts, args) => {
        const r = intelStore().lookup(args[0] ?? '');
        io.result(r, () =>
          [
            `ip:        ${r.ip}`,
            `scope:     ${r.scope}`,
            `country:   ${r.country ?? '-'}`,
            `city:      ${r.city ?? '-'}`,
            `asn:       ${r.asn === null ? '-' : `AS${r.asn}`}${r.asOrg ? ` ${r.asOrg}` : ''}`,
            `ipsum:     ${r.ipsum === null ? '- (no IPsum list loaded)' : `${r.ipsum} list(s)`}`,
            `malicious: ${r.malicious ? 'yes' : 'no'}`,
            `ioc lists: ${r.iocLists.length > 0 ? r.iocLists.join(', ') : '-'}`,
          ].join('\n'),
        );
      }),
    );

  intel
    .command('import-ipsum')
    .argument('<file>', 'an ipsum.txt (IP<TAB>count per line)')
    .description('replace the IPsum list with a file')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt>(async (io, _opts, args) => {
        const s = await intelStore().importIpsum(args[0] ?? '');
        io.result(s, () => `IPsum: ${s.entries} IPs, list of ${s.version?.slice(0, 10) ?? 'unknown date'}${s.rejected ? `, ${s.rejected} lines rejected` : ''}`);
      }),
    );

  intel
    .command('update-ipsum')
    .description('download the current IPsum list (the old one is kept when offline)')
    .option('--url <url>', 'download from this URL instead of the configured one')
    .option('--timeout <seconds>', 'give up after this many seconds')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt & { url?: string; timeout?: string }>(async (io, opts) => {
        const timeoutMs = parseSeconds(opts.timeout, '--timeout');
        const s = await intelStore().updateIpsum({ ...(opts.url ? { url: opts.url } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
        io.result(s, () => `IPsum updated: ${s.entries} IPs, list of ${s.version?.slice(0, 10) ?? 'unknown date'}`);
      }),
    );

  intel
    .command('add-mmdb')
    .argument('<file>', 'a MaxMind GeoIP2/GeoLite2 City, Country or ASN .mmdb')
    .description('add a GeoIP database (replaces the previous one of its kind)')
    .addOption(new Option('--kind <kind>', 'refuse the file unless it is this kind').choices(MMDB_KINDS))
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt & { kind?: string }>(async (io, opts, args) => {
        const s = await intelStore().addMmdb(args[0] ?? '', parseKind(opts.kind));
        io.result(s, () => `${s.name}: ${s.detail}, ${s.entries} networks, built ${s.version?.slice(0, 10) ?? 'unknown'}`);
      }),
    );

  intel
    .command('remove-mmdb')
    .addArgument(new Argument('<kind>', 'the kind of database').choices(MMDB_KINDS))
    .description('remove the GeoIP database of a kind')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt>(async (io, _opts, args) => {
        const kind = parseKind(args[0]) as MmdbKind;
        await intelStore().removeMmdb(kind);
        io.result({ removed: kind }, () => `removed the ${kind} database`);
      }),
    );

  intel
    .command('add-ioc')
    .argument('<file>', 'text or CSV of IPs, CIDRs, domains, MD5/SHA1/SHA256 hashes')
    .requiredOption('--name <name>', 'the list name shown on hits (an existing list of that name is replaced)')
    .description('import a custom IOC list')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt & { name: string }>(async (io, opts, args) => {
        const s = await intelStore().addIocList(args[0] ?? '', opts.name);
        io.result(s, () => {
          const lines = [`IOC list "${s.name}": ${s.entries} indicators (${s.detail})`];
          if (s.rejected) {
            lines.push(`${s.rejected} lines rejected:`);
            for (const r of (s.rejectedSamples ?? []).slice(0, 10)) lines.push(`  line ${r.line}: ${r.reason}: ${r.excerpt}`);
          }
          return lines.join('\n');
        });
      }),
    );

  intel
    .command('remove-ioc')
    .argument('<name>', 'the list name')
    .description('remove a custom IOC list')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt>(async (io, _opts, args) => {
        await intelStore().removeIocList(args[0] ?? '');
        io.result({ removed: args[0] }, () => `removed IOC list "${args[0]}"`);
      }),
    );

  intel
    .command('settings')
    .description('show or change the intel settings')
    .option('--threshold <lists>', 'an IP on at least this many IPsum lists is malicious (1-100)')
    .option('--ipsum-url <url>', 'where update-ipsum downloads from')
    .option('--timeout <seconds>', 'download timeout')
    .option('--json', 'one JSON document on stdout')
    .action(
      action<JsonOpt & { threshold?: string; ipsumUrl?: string; timeout?: string }>(async (io, opts) => {
        const store = intelStore();
        let threshold: number | undefined;
        if (opts.threshold !== undefined) {
          threshold = Number(opts.threshold);
          if (!Number.isInteger(threshold)) throw new LoupeError('USAGE', '--threshold is a whole number of lists');
        }
        const timeoutMs = parseSeconds(opts.timeout, '--timeout');
        const changed = threshold !== undefined || opts.ipsumUrl !== undefined || timeoutMs !== undefined;
        const s = changed
          ? await store.updateSettings({
              ...(threshold !== undefined ? { maliciousThreshold: threshold } : {}),
              ...(opts.ipsumUrl !== undefined ? { ipsumUrl: opts.ipsumUrl } : {}),
              ...(timeoutMs !== undefined ? { downloadTimeoutMs: timeoutMs } : {}),
            })
          : store.settings();
        io.result(s, () => [`threshold:    ${s.maliciousThreshold}`, `ipsum url:    ${s.ipsumUrl}`, `timeout:      ${s.downloadTimeoutMs / 1000} s`].join('\n'));
      }),
    );
};
