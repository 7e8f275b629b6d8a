/**
 * `runbook plan <file> [--var k=v|@FILE]... [--format text|markdown|json] [-i INV [--limit P] |
 * --host H] [--list-hosts]`: the offline decision tree, for the hosts of the change when targets
 * are given. Never connects. Required vars that are not given stay placeholders (the plan says
 * so), so a change board can read the plan before the target values are known. `--list-hosts`
 * prints the matched hosts and exits 0 (like ansible-playbook). Bad format or targets: exit 2.
 */
import type { Command } from 'commander';
import { RunbookError } from '../errors.js';
import { PLAN_FORMATS, type PlanFormat } from '../report/plan-render.js';
import type { PlanHost } from '../runbook/plan.js';
import type { Target } from '../fleet/target.js';
import { action, collect } from './output.js';
import type { VaultFlags } from './vault-flags.js';

interface PlanFlags extends VaultFlags {
  var?: string[];
  format: string;
  host?: string[];
  inventory?: string;
  limit?: string;
  port?: string;
  user?: string;
  platform?: string;
  listHosts?: boolean;
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
    .option(
      '--host <host[:port]>',
      'a host of the change, repeatable or comma-separated (listed in the plan)',
      collect,
    )
    .option('-i, --inventory <file>', 'Ansible-style inventory (YAML or INI): the plan lists its hosts')
    .option('--limit <pattern>', 'hosts of the inventory the change is for (Ansible patterns)')
    .option('--port <port>', 'SSH port for hosts that do not name one (default 22)')
    .option('-u, --user <user>', 'SSH user for hosts that do not name one')
    .option('--platform <name>', "platform of the hosts (default: the runbook's platform)")
    .option('--list-hosts', 'print the hosts the plan is for and exit')
    .action(action(async (file: string, flags: PlanFlags) => planCommand(file, flags)));
}

export async function planCommand(file: string, flags: PlanFlags): Promise<number> {
  const format = flags.format as PlanFormat;
  if (!PLAN_FORMATS.includes(format)) {
    throw new RunbookError('E_USAGE', `--format ${flags.format}: unknown plan format`, {
      hint: `use one of: ${PLAN_FORMATS.join(', ')}`,
    });
  }
  // loaded on use, so `runbook --help` stays fast
  const [
    { loadRunbook },
    { resolveExtraVars },
    { keyringFromFlags },
    { buildPlan },
    { renderPlan },
    { resolveTargets, toPort },
  ] = await Promise.all([
    import('../runbook/load.js'),
    import('./extra-vars.js'),
    import('./vault-flags.js'),
    import('../runbook/plan.js'),
    import('../report/plan-render.js'),
    import('./targets.js'),
  ]);
  const runbook = await loadRunbook(file);
  const targeted = (flags.host ?? []).length > 0 || flags.inventory !== undefined;
  if (!targeted && (flags.limit || flags.listHosts)) {
    throw new RunbookError('E_USAGE', `${flags.limit ? '--limit' : '--list-hosts'} needs targets`, {
      hint: 'add -i INVENTORY [--limit PATTERN] or --host HOST',
    });
  }
  const targets = targeted
    ? await resolveTargets({
        hosts: flags.host ?? [],
        inventory: flags.inventory,
        limit: flags.limit,
        port: flags.port ? toPort(flags.port, '--port') : undefined,
        user: flags.user,
        platform: flags.platform,
        runbookPlatform: runbook.platform,
      })
    : undefined;
  if (flags.listHosts && targets) {
    process.stdout.write(listHosts(runbook.name, runbook.file, targets));
    return 0;
  }
  // A plan may leave required vars unset: they render as placeholders.
  const relaxed = { ...runbook, vars: runbook.vars.map((v) => ({ ...v, required: false })) };
  const { runbook: marked, vars } = resolveExtraVars(relaxed, flags.var ?? [], await keyringFromFlags(flags));
  // vars that took a vault value are shown masked
  const secret = new Set(marked.vars.filter((v) => v.secret).map((v) => v.name));
  const shown = {
    ...runbook,
    vars: runbook.vars.map((v) => (secret.has(v.name) ? { ...v, secret: true } : v)),
  };
  const hosts = targets?.map(planHost);
  process.stdout.write(renderPlan(buildPlan(shown, vars, hosts ? { hosts } : {}), format));
  return 0;
}

export function planHost(t: Target): PlanHost {
  return {
    name: t.name,
    address: t.address,
    port: t.port,
    platform: t.platform,
    ...(t.user ? { user: t.user } : {}),
    ...(t.inventory ? { groups: t.inventory.groups.filter((g) => g !== 'all') } : {}),
  };
}

/** The `--list-hosts` text (as ansible-playbook prints it): the runbook, then one host a line. */
export function listHosts(name: string, file: string, targets: readonly Target[]): string {
  return `runbook: ${name} (${file})\n  hosts (${targets.length}):\n${targets.map((t) => `    ${t.name}\n`).join('')}`;
}
