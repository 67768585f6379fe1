import type { Command } from 'commander';
import { LoupeError } from '@shared/errors';
import { loadRules, type RuleRecord } from '../../../engine/detect';
import { caseOptions, withCase } from '../case-option';
import { action, type RegisterCommand } from '../command';

/**
 * `loupe rules check DIR... [--json] [--placeholder name=v1,v2]`: load Sigma
 * rules (folders, files, zips) and say, for each, whether Loupe can run it
 * and if not, why. "active" means it compiles for at least one logsource
 * Loupe maps; the exit code is 0 even when some rules are unsupported,
 * because that is a finding about the rules, not a failure of the command.
 */

interface CheckOpts {
  json?: boolean;
  placeholder?: string[];
  onlyProblems?: boolean;
}

function parsePlaceholders(list: string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of list ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new LoupeError('USAGE', `--placeholder wants name=value[,value...], got "${p}"`);
    out[p.slice(0, eq)] = p
      .slice(eq + 1)
      .split(',')
      .filter((v) => v !== '');
  }
  return out;
}

function human(rules: RuleRecord[], counts: { active: number; unsupported: number; error: number }, onlyProblems: boolean): string {
  const lines: string[] = [];
  for (const r of rules) {
    if (onlyProblems && r.status === 'active') continue;
    const where = `${r.origin.path}${r.origin.line ? `:${r.origin.line}` : ''}`;
    lines.push(`${r.status.padEnd(11)} ${where}  ${r.title || r.id}${r.reason ? ` - ${r.reason}` : ''}`);
  }
  const reasons = new Map<string, number>();
  for (const r of rules) if (r.status !== 'active') reasons.set(`${r.status}: ${r.reason}`, (reasons.get(`${r.status}: ${r.reason}`) ?? 0) + 1);
  lines.push('', `${counts.active} active, ${counts.unsupported} unsupported, ${counts.error} error (${rules.length} rules)`);
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (top.length) lines.push('Top reasons:', ...top.map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`));
  return lines.join('\n');
}

export const registerRules: RegisterCommand = (program: Command) => {
  const rules = program.command('rules').description('Sigma rules: check what Loupe can run, import packs into a case, list a case\'s rules');
  rules
    .command('check')
    .description('Load Sigma rules from folders, files or zips and report each rule\'s status')
    .argument('<paths...>', 'rule folders (searched recursively), .yml files or .zip packs')
    .option('--json', 'one JSON document on stdout')
    .option('--placeholder <name=values>', 'values for |expand placeholders, e.g. known_cdcs=dc1,dc2 (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--only-problems', 'list only unsupported and error rules (human output)')
    .action(
      action<CheckOpts>(async (io, opts, args) => {
        const set = await loadRules(args, { placeholders: parsePlaceholders(opts.placeholder) });
        const doc = {
          rules: set.rules.map((r) => ({ id: r.id, title: r.title, path: r.origin.path, ...(r.origin.line ? { line: r.origin.line } : {}), status: r.status, reason: r.reason })),
          counts: set.counts,
        };
        io.result(doc, () => human(set.rules, set.counts, Boolean(opts.onlyProblems)));
      }),
    );

  caseOptions(rules.command('import').description('copy a rule folder, .yml file or .zip pack into the case; later runs use it').argument('<path>', 'folder, .yml or .zip')).action(
    action<{ json?: boolean; case?: string }>(async (io, opts, args) => {
      const res = await withCase({ case: opts.case }, (engine) => engine.alerts.importRules(args[0] ?? ''));
      io.result(res, () => {
        const c = res.counts;
        return `imported ${res.pack.name} as pack ${res.pack.id}: ${res.pack.rules} rules (${c.active} active, ${c.unsupported} unsupported, ${c.error} error)`;
      });
    }),
  );

  caseOptions(rules.command('list').description("the case's rules (built-in pack and imported packs) with status, level and alert count"))
    .option('--problems', 'only unsupported and error rules')
    .action(
      action<{ json?: boolean; case?: string; problems?: boolean }>(async (io, opts) => {
        const res = await withCase({ case: opts.case }, async (engine) => ({
          packs: await engine.alerts.packs(),
          ...(await engine.alerts.listRules({ offset: 0, limit: 100_000, ...(opts.problems ? { statuses: ['unsupported', 'error'] as const } : {}) })),
        }));
        io.result(res, () => {
          const lines = res.packs.map((p) => `pack ${p.id} ${p.name} (${p.kind}): ${p.counts.active} active, ${p.counts.unsupported} unsupported, ${p.counts.error} error`);
          lines.push('');
          for (const r of res.rules) lines.push(`${r.status.padEnd(11)} ${(r.level ?? '-').padEnd(13)} ${String(r.alerts).padStart(5)}  ${r.enabled ? '' : '[disabled] '}${r.title || r.id}${r.reason ? ` - ${r.reason}` : ''}`);
          return lines.join('\n');
        });
      }),
    );
};
