import type { Command } from 'commander';
import { huntCase, huntWithRules, type HuntResult } from '../../../engine/alerts';
import { caseOptions, withCase } from '../case-option';
import { action, type RegisterCommand } from '../command';

/**
 * `loupe hunt --case DIR [--rules PATH...] [--all] [--json]`: run Sigma rules
 * over a case and print the alerts per rule and level.
 *
 * Without --rules, the case's own rules run (the built-in pack plus the
 * packs imported with `loupe rules import`) over the events no run has
 * examined yet (all of them with --all); their alerts are stored in the
 * case like after an import, and every alert of the case is printed.
 * With --rules, those folders, files or zips are run over every event
 * instead, as a what-if: the results are printed, nothing is stored.
 */

interface HuntOpts {
  json?: boolean;
  case?: string;
  rules?: string[];
  all?: boolean;
}

function human(r: HuntResult): string {
  const lines: string[] = [];
  let last: string | null | undefined;
  for (const a of r.alerts) {
    if (a.level !== last) {
      lines.push('', `${(a.level ?? 'no level').toUpperCase()}`);
      last = a.level;
    }
    const when = a.firstSeen ? `  ${a.firstSeen.slice(0, 19)} .. ${(a.lastSeen ?? a.firstSeen).slice(0, 19)}` : '';
    lines.push(`  ${String(a.count).padStart(7)}  ${a.title}${when}`);
  }
  const { active, unsupported, error } = r.rules;
  lines.push('', `${r.alerts.length} rule${r.alerts.length === 1 ? '' : 's'} with alerts; rules: ${active} active, ${unsupported} unsupported, ${error} error`);
  return lines.join('\n').replace(/^\n/, '');
}

export const registerHunt: RegisterCommand = (program: Command) => {
  caseOptions(program.command('hunt').description('run Sigma rules over a case and print the alerts per rule and level'))
    .option('--rules <paths...>', 'run these rule folders, .yml files or .zip packs instead of the case rules (nothing is stored)')
    .option('--all', 'with the case rules: examine every event again, not only the ones no run has seen')
    .action(
      action<HuntOpts>(async (io, opts) => {
        const result = await withCase({ case: opts.case }, async (engine) => {
          if (opts.rules && opts.rules.length > 0) return huntWithRules(engine.case, opts.rules);
          const summary = await engine.alerts.run({ trigger: 'manual', scope: opts.all ? 'all' : 'new' });
          const span =
            summary.throughEvent === null
              ? 'no events in the case'
              : summary.afterEvent !== null && summary.throughEvent <= summary.afterEvent
                ? `no events after #${summary.afterEvent} (use --all to examine them again)`
                : `events ${summary.afterEvent === null ? 'from the first' : `after #${summary.afterEvent}`} through #${summary.throughEvent}`;
          io.note(
            `hunt: ${summary.rules} rules, ${span}: ${summary.alertsNew} new alerts, ${summary.alertsUpdated} updated` +
              `${summary.suppressed ? `, ${summary.suppressed} suppressed` : ''}${summary.failures.length ? `, ${summary.failures.length} rules failed` : ''} (${(summary.ms / 1000).toFixed(1)} s)`,
          );
          if (summary.status !== 'done') io.note(`hunt: run ${summary.status}: ${summary.message ?? ''}`);
          return huntCase(engine.case, await engine.alerts.rules());
        });
        io.result(result, () => human(result));
      }),
    );
};
