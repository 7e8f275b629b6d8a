/**
 * `runbook plan <file> [--var k=v|@FILE]... [--format text|markdown|json]`: the offline decision tree.
 * Never connects. Required vars that are not given stay placeholders (the plan says so), so a
 * change board can read the plan before the target values are known. Bad format: exit 2.
 */
import type { Command } from 'commander';
import { RunbookError } from '../errors.js';
import { PLAN_FORMATS, type PlanFormat } from '../report/plan-render.js';
import { action, collect } from './output.js';
import type { VaultFlags } from './vault-flags.js';

interface PlanFlags extends VaultFlags {
  var?: string[];
  format: string;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'Print the decision tree of a runbook without connecting: conditions, commands, disruptive steps and approval points',
    )
    .argument('<file>', 'runbook file (YAML)')
    .option(
      '-e, --var <name=value|@file>',
      'set a runbook variable, or several from a YAML/JSON file with @FILE, repeatable (unset ones show as <placeholders>)',
      collect,
    )
    .option('--format <format>', `output format: ${PLAN_FORMATS.join(', ')}`, 'text')
    .option('--vault-id <[label@]source>', 'vault password for vaulted -e @files, repeatable', collect)
    .option('--vault-password-file <file>', 'vault password file (or executable), repeatable', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password on the terminal')
    .action(action(async (file: string, flags: PlanFlags) => planCommand(file, flags)));
}

export async function planCommand(file: string, flags: PlanFlags): Promise<number> {
  const format = flags.format as PlanFormat;
  if (!PLAN_FORMATS.includes(format)) {
    throw new RunbookError('E_USAGE', `--format ${flags.format}: unknown plan format`, {
      hint: `use one of: ${PLAN_FORMATS.join(', ')}`,
    });
  }
  const [{ loadRunbook }, { resolveExtraVars }, { keyringFromFlags }, { buildPlan }, { renderPlan }] =
    await Promise.all([
      import('../runbook/load.js'),
      import('./extra-vars.js'),
      import('./vault-flags.js'),
      import('../runbook/plan.js'),
      import('../report/plan-render.js'),
    ]);
  const runbook = await loadRunbook(file);
  // A plan may leave required vars unset: they render as placeholders.
  const relaxed = { ...runbook, vars: runbook.vars.map((v) => ({ ...v, required: false })) };
  const { runbook: marked, vars } = resolveExtraVars(relaxed, flags.var ?? [], await keyringFromFlags(flags));
  // vars that took a vault value are shown masked
  const secret = new Set(marked.vars.filter((v) => v.secret).map((v) => v.name));
  const shown = {
    ...runbook,
    vars: runbook.vars.map((v) => (secret.has(v.name) ? { ...v, secret: true } : v)),
  };
  process.stdout.write(renderPlan(buildPlan(shown, vars), format));
  return 0;
}
