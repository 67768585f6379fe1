import type { Command } from 'commander';
import type { CaseInfo } from '@shared/contract';
import { Engine } from '../../../engine/service/engine';
import { defaultCaseDir } from '../../../engine/paths';
import { action } from '../command';
import { caseOptions, withCase } from '../case-option';

export function registerCase(program: Command): void {
  const cmd = program.command('case').description('create and inspect cases');

  cmd
    .command('create')
    .description('create a new, empty case folder')
    .argument('[dir]', 'folder for the new case (must be missing or empty)')
    .option('--name <name>', 'a name for the case (default: the folder name)')
    .option('--json', 'print one JSON document on stdout')
    .action(
      action<{ json?: boolean; name?: string }>(async (io, opts, args) => {
        const engine = new Engine({ host: 'cli' });
        try {
          const info = await engine.useCase(args[0] ?? defaultCaseDir(), { mode: 'create', ...(opts.name ? { name: opts.name } : {}) });
          io.result({ case: info }, () => `created case "${info.name}" in ${info.dir}`);
        } finally {
          await engine.close();
        }
      }),
    );

  caseOptions(cmd.command('info').description('show a case: name, schema, evidence and event counts').argument('[dir]', 'case folder (same as --case)')).action(
    action<{ json?: boolean; case?: string }>(async (io, opts, args) => {
      const info = await withCase({ case: opts.case ?? args[0] }, (engine) => engine.case.info());
      io.result({ case: info }, () => describeCase(info));
    }),
  );
}

function describeCase(info: CaseInfo): string {
  return [
    `case      ${info.name}`,
    `folder    ${info.dir}`,
    `id        ${info.id}`,
    `schema    ${info.schemaVersion}`,
    `created   ${info.createdAt}`,
    `evidence  ${info.evidence} files`,
    `events    ${info.events.toLocaleString('en-US')}`,
    `size      ${(info.sizeBytes / 1e6).toFixed(1)} MB`,
  ].join('\n');
}
