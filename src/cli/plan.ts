/**
 * `runbook plan <file> [--var k=v]... [--format text|markdown|json]`: the offline decision tree.
 * Never connects. Required vars that are not given stay placeholders (the plan says so), so a
 * change board can read the plan before the target values are known. Bad format: exit 2.
 */
import type { Command } from 'commander';
import { RunbookError } from '../errors.js';
import { PLAN_FORMATS, type PlanFormat } from '../report/plan-render.js';
import { action, collect } from './output.js';

export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'Print the decision tree of a runbook without connecting: conditions, commands, disruptive steps and approval points',
    )
    .argument('<file>', 'runbook file (YAML)')
    .option(
      '-e, --var <name=value>',
      'set a runbook variable, repeatable (unset ones show as <placeholders>)',
      collect,
    )
    .option('--format <format>', `output format: ${PLAN_FORMATS.join(', ')}`, 'text')
    .action(
      action(async (file: string, flags: { var?: string[]; format: string }) => planCommand(file, flags)),
    );
}

export async function planCommand(file: string, flags: { var?: string[]; format: string }): Promise<number> {
  const format = flags.format as PlanFormat;
  if (!PLAN_FORMATS.includes(format)) {
    throw new RunbookError('E_USAGE', `--format ${flags.format}: unknown plan format`, {
      hint: `use one of: ${PLAN_FORMATS.join(', ')}`,
    });
  }
  const [{ loadRunbook }, { resolveVars }, { buildPlan }, { renderPlan }] = await Promise.all([
    import('../runbook/load.js'),
    import('../runbook/vars.js'),
    import('../runbook/plan.js'),
    import('../report/plan-render.js'),
  ]);
  const runbook = await loadRunbook(file);
  // A plan may leave required vars unset: they render as placeholders.
  const vars = resolveVars(
    { ...runbook, vars: runbook.vars.map((v) => ({ ...v, required: false })) },
    flags.var ?? [],
  );
  process.stdout.write(renderPlan(buildPlan(runbook, vars), format));
  return 0;
}
