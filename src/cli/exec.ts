/**
 * `runbook exec <file>`: run a runbook against hosts over SSH (or the embedded lab).
 * Flags -> options -> runSession. Exit codes: 0 ok, 1 failed, 2 usage/validation, 3 connection,
 * 4 awaiting approval or interrupted.
 */
import { MASK } from '../redact.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { DEFAULT_STATE_DIR } from '../store/runs.js';
import type { StoreRun } from '../store/types.js';
import { maskUrl } from '../store/url.js';
import type { RemoteHosts } from '../queue/dispatch.js';
import { action, collect } from './output.js';
import type { Target } from '../fleet/target.js';
import type { ConnectionFlags } from './connection-flags.js';
import type { FleetFlags } from './fleet-flags.js';

interface ExecFlags extends ConnectionFlags, FleetFlags {
  host?: string[];
  inventory?: string;
  limit?: string;
  lab?: string | boolean;
  port?: string;
  platform?: string;
  var?: string[];
  dryRun?: boolean;
  check?: boolean;
  yes?: boolean;
  startAt?: string;
  stateDir: string;
  store?: string;
  workers?: boolean;
  visibilityTimeout?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  record?: string;
  listHosts?: boolean;
  change?: string;
  details?: boolean;
  detailedExitcode?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('exec')
    .description('Run a runbook against hosts over SSH (or against the embedded lab with --lab)')
    .argument('<file>', 'runbook file (YAML)')
    .option(
      '--host <host[:port]>',
      'target host, repeatable or comma-separated (~/.ssh/config aliases work)',
      collect,
    )
    .option('-i, --inventory <file>', 'Ansible-style inventory (YAML or INI)')
    .option(
      '--limit <pattern>',
      "hosts of the inventory to run on (Ansible patterns: group, host, 'edge*', a:b, a:&b, a:!b, @retry-file)",
    )
    .option(
      '--lab [scenario]',
      'start an emulated IOS XE / SD-WAN edge in-process and run against it (classic, sdwan, sdwan-cleared, healthy, mixed; default mixed)',
    )
    .option('--port <port>', 'SSH port for hosts that do not name one (default 22)')
    .option('--platform <name>', "platform of the hosts (default: the runbook's platform)")
    .option(
      '-e, --var <name=value|@file>',
      'set a runbook variable, or several from a YAML/JSON file with @FILE (vaulted files and !vault values too), repeatable; later ones win (-e as in ansible-playbook)',
      collect,
    )
    .option(
      '--dry-run',
      'run read-only steps, report what disruptive steps would run and why; send nothing that changes state',
    )
    .option('-C, --check', 'the same as --dry-run (as in ansible-playbook)')
    .option('-y, --yes', 'approve every disruptive step without asking')
    .option('--start-at <step>', 'skip the steps before this step id (fresh run)')
    .option('--state-dir <dir>', 'where run records, journals and locks live', DEFAULT_STATE_DIR)
    .option(
      '--store <url>',
      'a shared PostgreSQL store for run records, journals, approvals and locks (postgres://USER@HOST:PORT/DB; default $RUNBOOK_STORE)',
    )
    .option('--workers', 'run the hosts on `runbook worker` processes through the store (needs --store)')
    .option(
      '--visibility-timeout <seconds>',
      'with --workers: a host whose worker is silent this long goes back to the queue (default 60)',
    )
    .option('--json', 'print one JSON document with every host, step, capture and command at the end')
    .option(
      '--record <dir>',
      'write what each host said to DIR/<host>.cassette.yaml (files 0600, secrets redacted), for runbook test',
    )
    .option('-q, --quiet', 'print only the summary and errors')
    .option('-v, --verbose', 'also stream device output')
    .option('--list-hosts', 'print the hosts the run would act on and exit (nothing connects)')
    .option('--change <id>', 'change ticket this run belongs to (recorded in the run record and reports)')
    .option(
      '--details',
      "dry run of several hosts: list every host's would-run commands, not only the roll-up",
    )
    .option(
      '--detailed-exitcode',
      'with --dry-run: exit 0 when nothing would change, 5 when changes would run (1-4 as usual)',
    );
  addConnectionOptions(cmd);
  addFleetOptions(cmd);
  cmd.action(action(async (file: string, flags: ExecFlags) => execCommand(file, flags)));
}

export function addConnectionOptions(cmd: Command): void {
  cmd
    .option('-u, --user <user>', 'SSH user (default: ~/.ssh/config, then $USER)')
    .option('--password-env <VAR>', 'read the SSH password from this environment variable')
    .option('-k, --ask-pass', 'ask for the SSH password on the terminal')
    .option('--identity <file>', 'private key file, repeatable', collect)
    .option('--passphrase-env <VAR>', 'read the private key passphrase from this environment variable')
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
    .option(
      '--host-key-policy <policy>',
      'strict (like OpenSSH, the default unless ssh config says StrictHostKeyChecking), accept-new, or off',
    )
    .option('-F, --ssh-config <file>', "ssh config file (default ~/.ssh/config; 'none' to read none)")
    .option(
      '--transcript <dir>',
      'write every line sent and received per host to DIR (files 0600, secrets redacted)',
    )
    .option('--connect-timeout <seconds>', 'TCP connect timeout')
    .option('-b, --become', 'raise privilege after login with enable (ansible_become wins per host)')
    .option('--become-method <method>', 'how to raise privilege: enable (the only method; the default)')
    .option(
      '--become-password-env <VAR>',
      'read the enable secret from this environment variable (ansible_become_password wins per host)',
    )
    .option('-K, --ask-become-pass', 'ask for the enable secret on the terminal')
    .option(
      '--vault-id <[label@]source>',
      'vault password for vaulted inventory files, group_vars/host_vars, !vault values and -e @files: source is a file, an executable that prints it, or prompt; repeatable',
      collect,
    )
    .option(
      '--vault-password-file <file>',
      'vault password file (or an executable that prints the password), repeatable',
      collect,
    )
    .option('-J, --ask-vault-pass', 'ask for the vault password on the terminal');
}

export function addFleetOptions(cmd: Command): void {
  cmd
    .option('-f, --forks <n>', 'hosts run at once', '20')
    .option('--serial <n|p%>', 'run hosts in batches of N hosts or P% of them (comma list: 1,10,50%)')
    .option('--max-fail <p%>', 'stop before the next batch when more than P% of the hosts of a batch failed')
    .option('--keep-going', 'let new hosts run disruptive steps even after one failed on another host');
}

async function execCommand(file: string, flags: ExecFlags): Promise<number> {
  if (flags.quiet && flags.verbose) {
    throw new RunbookError('E_USAGE', '--quiet and --verbose cannot be combined', { hint: 'pick one' });
  }
  const sources = [(flags.host ?? []).length > 0, Boolean(flags.inventory), flags.lab !== undefined].filter(
    Boolean,
  ).length;
  if (sources === 0) {
    throw new RunbookError('E_USAGE', 'no target: say where to run', {
      hint: `add --host HOST, -i INVENTORY [--limit PATTERN], or --lab to rehearse on the emulator (e.g. runbook exec ${file} --lab)`,
    });
  }
  if (sources > 1 && flags.lab !== undefined) {
    throw new RunbookError('E_USAGE', '--lab cannot be combined with --host or --inventory', {
      hint: 'use one target source',
    });
  }
  if (flags.detailedExitcode && !(flags.dryRun || flags.check)) {
    throw new RunbookError('E_USAGE', '--detailed-exitcode needs --dry-run', {
      hint: 'it tells "nothing would change" (0) from "changes would run" (5): add --dry-run',
    });
  }
  const change = flags.change === undefined ? undefined : checkChangeId(flags.change);
  // loaded here, not at start-up: `runbook --help` and `validate` do not pay for SSH and the renderers
  const [
    { loadRunbook },
    { openStore, storeFlag },
    { workerGroupOf },
    { remoteHosts, workersStore },
    { resolveTargets, toPort },
    { runSession },
    { connectionFromFlags, connectionArgv },
    { startEmbeddedLab },
    { fleetFromFlags, fleetArgv },
    { checkBecome },
    { resolveExtraVars },
    { keyringFromFlags },
    { listHosts },
    { resolvedEndpoint, operator },
    { secretsFromWorkers, refuseSecretsForWorkers },
  ] = await Promise.all([
    import('../runbook/load.js'),
    import('../store/open.js'),
    import('../queue/groups.js'),
    import('../queue/dispatch.js'),
    import('./targets.js'),
    import('./session.js'),
    import('./connection-flags.js'),
    import('./lab-target.js'),
    import('./fleet-flags.js'),
    import('./become.js'),
    import('./extra-vars.js'),
    import('./vault-flags.js'),
    import('./plan.js'),
    import('./endpoint.js'),
    import('./worker-secrets.js'),
  ]);
  const loaded = await loadRunbook(file);
  const vault = await keyringFromFlags(flags);
  // over workers, secret vars come from the workers, never through the store
  const { runbook, vars } = resolveExtraVars(
    flags.workers ? secretsFromWorkers(loaded) : loaded,
    flags.var ?? [],
    vault,
  );
  if (flags.workers) refuseSecretsForWorkers(runbook, vars);
  const fleet = fleetFromFlags(flags);
  const connection = await connectionFromFlags(flags, runbook, vars);
  connection.secrets.push(...vault.passwords, ...vault.revealed);
  const stateDir = resolve(flags.stateDir);
  const visibilityS = flags.visibilityTimeout === undefined ? undefined : toSeconds(flags.visibilityTimeout);
  if (flags.workers && flags.lab !== undefined) {
    throw new RunbookError('E_USAGE', '--workers cannot run against the embedded --lab', {
      hint: 'start a lab (runbook lab --count N) where the workers can reach it and use -i INVENTORY or --host',
    });
  }
  const store = await openStore({ store: flags.store, stateDir: flags.stateDir });
  let remote: RemoteHosts | undefined;
  let lab: Awaited<ReturnType<typeof startEmbeddedLab>> | undefined;
  try {
    // checked before anything starts: the store the workers share
    const shared = flags.workers ? workersStore(store) : undefined;
    lab = flags.lab !== undefined ? await startEmbeddedLab(flags.lab, stateDir) : undefined;
    let targets: Target[];
    if (lab) {
      targets = lab.targets(runbook.platform);
      connection.password = lab.password;
      connection.knownHostsFile = lab.knownHostsFile;
      connection.hostKeyPolicy = 'strict';
      connection.sshConfigFile = false;
    } else {
      targets = await resolveTargets({
        hosts: flags.host ?? [],
        inventory: flags.inventory,
        limit: flags.limit,
        port: flags.port ? toPort(flags.port, '--port') : undefined,
        user: flags.user,
        platform: flags.platform,
        runbookPlatform: runbook.platform,
        vault,
        secrets: connection.secrets,
      });
    }
    if (flags.listHosts) {
      process.stdout.write(listHosts(runbook.name, runbook.file, targets));
      return 0;
    }
    checkBecome(targets, connection.become);
    const mode = flags.dryRun || flags.check ? 'dry-run' : 'exec';
    if (flags.record) connection.record = { dir: resolve(flags.record), runbook: runbook.name, mode };
    const run = await store.createRun({
      runbookPath: runbook.file,
      runbookName: runbook.name,
      contentHash: runbook.contentHash,
      vars: redactedVars(runbook, vars),
      targets: targets.map((t) => ({
        name: t.name,
        address: t.address,
        port: t.port,
        platform: t.platform,
        ...(t.user ? { user: t.user } : {}),
        ...(flags.workers ? { workerGroup: workerGroupOf(t) } : {}),
        resolved: resolvedEndpoint(t, connection.sshConfigFile),
      })),
      mode,
      operator: operator(),
      ...(change ? { change } : {}),
      // `--lab` is recorded so that resume can say why such a run cannot be resumed
      argv: [
        ...connectionArgv(flags),
        ...fleetArgv(flags),
        ...(lab ? ['--lab', String(flags.lab)] : []),
        // resume reads the inventory again for per-host credentials (ansible_password, become)
        ...(flags.inventory ? ['--inventory', resolve(flags.inventory)] : []),
      ],
    });
    const secretNames = new Set(runbook.vars.filter((v) => v.secret).map((v) => v.name));
    const rerunCommand = (drop: string[], add: string[]): string => rerunCommandOf(drop, add, secretNames);
    const where = storeFlag({ store: flags.store, stateDir: flags.stateDir });
    if (shared) {
      remote = await remoteHosts({
        store: shared,
        run,
        ...(visibilityS === undefined ? {} : { visibilityS }),
        ...(flags.startAt === undefined ? {} : { startAt: flags.startAt }),
        yes: Boolean(flags.yes),
        keepGoing: fleet.keepGoing,
      });
    }
    const code = await runSession({
      store,
      runbook,
      vars,
      targets,
      mode,
      yes: Boolean(flags.yes),
      startAt: flags.startAt,
      run,
      connection,
      json: Boolean(flags.json),
      level: flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal',
      ...fleet,
      // the embedded lab ends with this process: a run against it is rehearsed again, not resumed
      resumeCommand: lab
        ? rerunCommand([], [])
        : `runbook resume ${run.meta.id}${where}${flags.workers ? ' --workers' : ''}`,
      ...(remote ? { remote: remote.run } : {}),
      details: Boolean(flags.details),
      detailedExitcode: Boolean(flags.detailedExitcode),
      hostDetailsCommand: `runbook runs ${run.meta.id}${where} --host H`,
      retryCommand: ({ retryFile, hosts }) =>
        flags.inventory
          ? rerunCommand(['--limit'], ['--limit', `@${retryFile}`])
          : lab
            ? rerunCommand([], [])
            : rerunCommand(['--host'], ['--host', hosts.join(',')]),
    });
    if (connection.record) await finishCassettes(connection.record.dir, run, targets);
    return code;
  } finally {
    await remote?.close();
    await lab?.close();
    await store.close();
  }
}

/** Each host's cassette gets the run's outcome on that host (from its journal). */
async function finishCassettes(dir: string, run: StoreRun, targets: Target[]): Promise<void> {
  const { cassetteFile, finishCassette } = await import('../transport/record.js');
  for (const t of targets) {
    const end = (await run.readJournal(t.name)).find((r) => r.type === 'host-end');
    if (end?.type === 'host-end')
      finishCassette(cassetteFile(dir, t.name), { status: end.outcome, message: end.message });
  }
}

function toSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new RunbookError(
      'E_USAGE',
      `--visibility-timeout ${v}: not a whole number of seconds from 1 to 86400`,
      {
        hint: 'e.g. --visibility-timeout 60 (a host goes back to the queue a minute after its worker went silent)',
      },
    );
  }
  return n;
}

/**
 * This process's `runbook exec ...` command line with the options in `drop` (and their values)
 * removed and `add` appended, quoted for a POSIX shell. The value of a secret var is never repeated:
 * `--var token=<secret, give it again>`.
 */
function rerunCommandOf(drop: string[], add: string[], secrets: ReadonlySet<string>): string {
  const args = process.argv.slice(2);
  const out: string[] = [];
  const masked = (kv: string): string => {
    const eq = kv.indexOf('=');
    return eq > 0 && secrets.has(kv.slice(0, eq)) ? `${kv.slice(0, eq)}=<secret, give it again>` : kv;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (drop.includes(a)) {
      i++;
      continue;
    }
    if (drop.some((d) => a.startsWith(`${d}=`))) continue;
    if ((a === '--var' || a === '-e') && i + 1 < args.length) {
      out.push(a, masked(args[++i]!));
      continue;
    }
    if (a.startsWith('--var=')) {
      out.push(`--var=${masked(a.slice('--var='.length))}`);
      continue;
    }
    // a password typed into the store URL is never printed
    if (a === '--store' && i + 1 < args.length) {
      out.push(a, maskUrl(args[++i]!));
      continue;
    }
    out.push(a.startsWith('--store=') ? `--store=${maskUrl(a.slice(8))}` : a);
  }
  return ['runbook', ...out, ...add].map(shellQuote).join(' ');
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/u.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Vars for the run record: secret values masked. */
export function redactedVars(
  runbook: { vars: { name: string; secret: boolean }[] },
  vars: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) {
    const decl = runbook.vars.find((d) => d.name === k);
    out[k] = decl?.secret ? MASK : typeof v === 'bigint' ? v.toString() : v;
  }
  return out;
}

/** A `--change` ticket reference: letters, digits and `._:/#-`, at most 64 characters. */
export function checkChangeId(raw: string): string {
  if (!/^[A-Za-z0-9][\w.:/#-]{0,63}$/u.test(raw)) {
    throw new RunbookError('E_USAGE', `--change ${JSON.stringify(raw)}: not a ticket reference`, {
      hint: 'use the ticket id as your change system writes it, e.g. --change CHG0031337 (letters, digits, . _ : / # -)',
    });
  }
  return raw;
}
