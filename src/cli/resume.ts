/**
 * `runbook resume <run-id>`: continue an interrupted run from its journals. Hosts that finished
 * are not touched; the others continue after their last finished step with their captures
 * restored; a disruptive step that started and never finished is in doubt and asked for again.
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { RunbookError } from '../errors.js';
import { DEFAULT_STATE_DIR } from '../store/runs.js';
import type { RestoreState } from '../run/orchestrator.js';
import type { Store, StoreRun } from '../store/types.js';
import type { RemoteHosts } from '../queue/dispatch.js';
import { action, collect } from './output.js';
import { addConnectionOptions, addFleetOptions } from './exec.js';
import type { ConnectionFlags } from './connection-flags.js';
import type { FleetFlags } from './fleet-flags.js';
import type { Target } from '../fleet/target.js';
import { MASK } from '../redact.js';
import type { InventoryHost } from '../fleet/inventory.js';
import type { VaultKeyring } from '../fleet/vault.js';

interface ResumeFlags extends Partial<ConnectionFlags> {
  stateDir: string;
  store?: string;
  workers?: boolean;
  yes?: boolean;
  force?: boolean;
  var?: string[];
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('resume')
    .description('Continue an interrupted run from its checkpoint (hosts that finished are not touched)')
    .argument('<run-id>', 'run id, as `runbook runs` lists it')
    .option('--state-dir <dir>', 'where run records live', DEFAULT_STATE_DIR)
    .option('--store <url>', 'the shared PostgreSQL store the run is in (default $RUNBOOK_STORE)')
    .option('--workers', 'continue the hosts on `runbook worker` processes (needs --store)')
    .option('-y, --yes', 'approve every disruptive step, in-doubt ones included')
    .option('--force', 'resume even though the runbook file changed since the run started')
    .option(
      '-e, --var <name=value|@file>',
      'give secret variables again (they are never recorded), or a YAML/JSON file of them with @FILE, repeatable',
      collect,
    )
    .option('--json', 'print one JSON document at the end')
    .option('-q, --quiet', 'print only the summary and errors')
    .option('-v, --verbose', 'also stream device output');
  // the run's recorded connection flags apply; any given here replace them (e.g. a fixed known_hosts)
  addConnectionOptions(cmd);
  cmd.action(action(async (id: string, flags: ResumeFlags) => resumeCommand(id, flags)));
}

/** Recorded connection flags, with the ones given to resume put over them. */
function withOverrides(
  recorded: ConnectionFlags & FleetFlags,
  given: ResumeFlags,
): ConnectionFlags & FleetFlags {
  const out: ConnectionFlags & FleetFlags = { ...recorded };
  const keys: (keyof ConnectionFlags)[] = [
    'user',
    'passwordEnv',
    'askPass',
    'identity',
    'passphraseEnv',
    'knownHosts',
    'hostKeyPolicy',
    'sshConfig',
    'transcript',
    'connectTimeout',
    'become',
    'becomeMethod',
    'becomePasswordEnv',
    'askBecomePass',
    'vaultId',
    'vaultPasswordFile',
    'askVaultPass',
  ];
  for (const k of keys) if (given[k] !== undefined) (out as Record<string, unknown>)[k] = given[k];
  return out;
}

/** Re-parse the connection and fleet flags recorded with the run (and its inventory, if any). */
function recordedFlags(argv: string[]): ConnectionFlags & FleetFlags & { inventory?: string } {
  const cmd = new Command('recorded').exitOverride().allowUnknownOption(false);
  addConnectionOptions(cmd);
  addFleetOptions(cmd);
  cmd.option('--inventory <file>');
  cmd.parse(argv, { from: 'user' });
  return cmd.opts() as ConnectionFlags & FleetFlags & { inventory?: string };
}

/**
 * The run's inventory read again (with the vault), for the credentials it gives per host
 * (ansible_password, become); undefined for a run without one. Its secrets go to `secrets`.
 */
async function inventoryHosts(
  file: string | undefined,
  vault: VaultKeyring,
  secrets: string[],
): Promise<Map<string, InventoryHost> | undefined> {
  if (file === undefined) return undefined;
  const { loadInventory } = await import('../fleet/inventory.js');
  if (!existsSync(file)) {
    throw new RunbookError('E_INVENTORY', `the run's inventory ${file} is gone`, {
      hint: 'put the inventory back where it was (resume reads it again for passwords and become settings)',
    });
  }
  const inv = await loadInventory(file, { vault });
  secrets.push(...inv.secrets);
  return new Map(inv.hosts.map((h) => [h.name, h]));
}

async function resumeCommand(id: string, flags: ResumeFlags): Promise<number> {
  const [{ openStore }, { remoteHosts, workersStore }, { fleetFromFlags }] = await Promise.all([
    import('../store/open.js'),
    import('../queue/dispatch.js'),
    import('./fleet-flags.js'),
  ]);
  const store = await openStore({ store: flags.store, stateDir: flags.stateDir });
  let remote: RemoteHosts | undefined;
  try {
    const shared = flags.workers ? workersStore(store) : undefined;
    const run = await store.openRun(id);
    if (shared)
      remote = await remoteHosts({
        store: shared,
        run,
        yes: Boolean(flags.yes),
        keepGoing: fleetFromFlags(recordedFlags(run.meta.argv)).keepGoing,
      });
    return await resumeRun(store, run, flags, remote);
  } finally {
    await remote?.close();
    await store.close();
  }
}

async function resumeRun(
  store: Store,
  run: StoreRun,
  flags: ResumeFlags,
  remote: RemoteHosts | undefined,
): Promise<number> {
  const id = run.meta.id;
  // loaded here, not at start-up (see exec.ts)
  const [
    { loadRunbook },
    { storeFlag },
    { resumeStateChecked },
    { isPlatformName },
    { runSession },
    { connectionFromFlags },
    { fleetFromFlags },
    { checkBecome },
    { resolveExtraVars },
    { secretsFromWorkers, refuseSecretsForWorkers },
    { keyringFromFlags },
    { recheckRestored },
  ] = await Promise.all([
    import('../runbook/load.js'),
    import('../store/open.js'),
    import('../store/resume.js'),
    import('../platforms/index.js'),
    import('./session.js'),
    import('./connection-flags.js'),
    import('./fleet-flags.js'),
    import('./become.js'),
    import('./extra-vars.js'),
    import('./worker-secrets.js'),
    import('./vault-flags.js'),
    import('../store/recheck.js'),
  ]);
  const meta = run.meta;
  const stateFlag = storeFlag({ store: flags.store, stateDir: flags.stateDir });
  if (meta.argv.includes('--lab')) {
    throw new RunbookError(
      'E_USAGE',
      `run ${id} ran against the embedded lab, which ended with its process`,
      {
        hint: 'start the lab separately (runbook lab) and run against it with --host to rehearse interruptions',
      },
    );
  }
  if (!existsSync(meta.runbookPath)) {
    throw new RunbookError('E_RUNBOOK_READ', `run ${id}: its runbook ${meta.runbookPath} is gone`, {
      hint: 'put the runbook back where it was, then resume again',
    });
  }
  const loaded = await loadRunbook(meta.runbookPath);
  if (loaded.contentHash !== meta.contentHash && !flags.force) {
    throw new RunbookError(
      'E_RUNBOOK_CHANGED',
      `run ${id}: ${meta.runbookPath} changed since the run started`,
      {
        hint: `check the change (the steps already done were done with the old file), then resume with --force: runbook resume ${id}${stateFlag} --force`,
      },
    );
  }
  // vars as recorded, then the ones given again (secret ones are recorded masked and must be given again)
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(meta.vars)) {
    const decl = loaded.vars.find((d) => d.name === k);
    // a var recorded masked (secret, or its value came from the vault) must be given again
    if (v === MASK) continue;
    if (!decl || decl.secret) continue;
    pairs.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  const recordedArgv = recordedFlags(meta.argv);
  const recorded = withOverrides(recordedArgv, flags);
  const vault = await keyringFromFlags(recorded);
  const { runbook, vars } = resolveExtraVars(
    flags.workers ? secretsFromWorkers(loaded) : loaded,
    [...pairs, ...(flags.var ?? [])],
    vault,
  );
  if (flags.workers) refuseSecretsForWorkers(runbook, vars);
  const connection = await connectionFromFlags(recorded, runbook, vars);
  connection.secrets.push(...vault.passwords, ...vault.revealed);
  const fromInventory = await inventoryHosts(recordedArgv.inventory, vault, connection.secrets);
  const restore: RestoreState = new Map();
  const targets: Target[] = [];
  const finished: string[] = [];
  const notes: string[] = [];
  for (const t of meta.targets) {
    // damaged records are left out and their step put in doubt; a journal missing or emptied
    // after its host started is refused (E_RUN_CORRUPT)
    const st = resumeStateChecked(t.name, await run.readJournalChecked(t.name));
    for (const d of st.damage)
      notes.push(
        `${t.name}: damaged journal record left out: ${d.message}; ${d.inDoubt ? `step ${d.inDoubt} is put in doubt` : 'no unfinished step depends on it'}`,
      );
    recheckRestored(runbook, t.name, st.completed);
    if (st.finished) {
      finished.push(`${t.name} (${st.outcome})`);
      continue;
    }
    if (!isPlatformName(t.platform))
      throw new RunbookError('E_RUN_CORRUPT', `run ${id}: host ${t.name} has unknown platform ${t.platform}`);
    const inventory = fromInventory?.get(t.name);
    targets.push({
      name: t.name,
      address: t.address,
      port: t.port,
      platform: t.platform,
      user: flags.user ?? t.user ?? recorded.user,
      ...(inventory ? { inventory } : {}),
    });
    if (st.started) restore.set(t.name, { completed: st.completed, inDoubt: st.inDoubt });
    for (const d of st.inDoubtSteps.values()) {
      const sent = d.commandsSent.map((c) => `\`${c}\``).join(', ');
      const what =
        d.startedAt > 0 && sent
          ? `it started at ${new Date(d.startedAt).toISOString()} and sent ${sent} but never finished`
          : 'its journal records are damaged or cut off, so whether it sent its command is not known';
      notes.push(
        `${t.name}: step ${d.key} is IN DOUBT: ${what}, so it may already have changed the device; ` +
          (flags.yes
            ? 'running it again (--yes)'
            : 'it runs again only when approved (answer the prompt, or resume with --yes)'),
      );
    }
  }
  checkBecome(targets, connection.become);
  if (targets.length === 0) {
    // (with --json, stdout is for the result document only)
    (flags.json ? process.stderr : process.stdout).write(
      `run ${id}: every host already finished: ${finished.join(', ')}; nothing to resume\n`,
    );
    await run.close();
    return 0;
  }
  // stderr, also with --json (stdout carries only the document)
  if (finished.length > 0 && !flags.quiet)
    process.stderr.write(`run ${id}: not touching hosts that finished: ${finished.join(', ')}\n`);
  for (const n of notes) process.stderr.write(`run ${id}: ${n}\n`);
  return runSession({
    runbook,
    vars,
    targets,
    mode: meta.mode,
    yes: Boolean(flags.yes),
    store,
    run,
    ...(remote ? { remote: remote.run } : {}),
    restore,
    connection,
    json: Boolean(flags.json),
    level: flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal',
    ...fleetFromFlags(recorded),
    resumeCommand: `runbook resume ${id}${stateFlag}${flags.workers ? ' --workers' : ''}`,
  });
}
