/**
 * `runbook watch`: listen for syslog (UDP/TCP) and run runbooks on the hosts that log matching
 * messages. Flags -> rules, inventory, listener, launcher -> Watcher; prints one line per
 * decision on stdout until SIGINT/SIGTERM, then stops cleanly (exit 0): running runs checkpoint
 * and the queue file keeps every accepted event for the next start.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { durationMs } from '../runbook/duration.js';
import { DEFAULT_STATE_DIR } from '../store/runs.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../watch/listen.js';
import type { Approval, HostBy, Rule } from '../watch/rules.js';
import type { ConnectionFlags } from './connection-flags.js';
import { addConnectionOptions } from './exec.js';
import { action, collect } from './output.js';

interface WatchFlags extends ConnectionFlags {
  listen?: string[];
  rules?: string;
  on?: string;
  run?: string;
  inventory?: string;
  var?: string[];
  yes?: boolean;
  dryRun?: boolean;
  onceWithin: string;
  approvalTimeout: string;
  hostBy: string;
  maxConcurrent: string;
  maxMessageSize: string;
  statsInterval?: string;
  port?: string;
  stateDir: string;
  verbose?: boolean;
}

const DEFAULT_LISTEN = 'udp://127.0.0.1:5514';

export function register(program: Command): void {
  const cmd = program
    .command('watch')
    .description('Listen for syslog and run runbooks on the hosts that log matching messages')
    .option(
      '--listen <url>',
      `where to receive syslog, repeatable: udp://ADDR:PORT or tcp://ADDR:PORT, IPv6 in brackets (default ${DEFAULT_LISTEN})`,
      collect,
    )
    .option('--rules <file>', 'rules file (YAML, schemas/rules.schema.json)')
    .option(
      '--on <regex>',
      'a single rule: run --run RUNBOOK when a message matches REGEX (named groups become vars)',
    )
    .option('--run <runbook>', 'the runbook of the --on rule')
    .option(
      '-i, --inventory <file>',
      'inventory mapping senders to hosts (default: the rules file’s inventory)',
    )
    .option('-e, --var <name=value>', 'a fixed var of the --on rule, repeatable', collect)
    .option('-y, --yes', 'the --on rule approves disruptive steps (approval auto)')
    .option('--dry-run', 'the --on rule only dry-runs (approval dry-run)')
    .option('--once-within <duration>', 'the --on rule runs at most once per host within this time', '10m')
    .option(
      '--approval-timeout <duration>',
      'the --on rule without --yes/--dry-run: how long a step waits for `runbook approve`',
      '15m',
    )
    .option(
      '--host-by <how>',
      'the --on rule maps a sender to a host by its source address or the message hostname (address|hostname)',
      'address',
    )
    .option('--max-concurrent <n>', 'runs at once across all hosts', '4')
    .option(
      '--max-message-size <bytes>',
      'larger messages are dropped and counted',
      String(DEFAULT_MAX_MESSAGE_BYTES),
    )
    .option(
      '--stats-interval <duration>',
      'print the counters every DURATION (e.g. 60s); they are always printed at stop',
    )
    .option('--port <port>', 'SSH port for hosts whose inventory sets none (default 22)')
    .option('--state-dir <dir>', 'run records, locks and the queue of accepted events', DEFAULT_STATE_DIR)
    .option('-v, --verbose', 'also log every step of every run');
  addConnectionOptions(cmd);
  cmd.action(action(async (flags: WatchFlags) => watchCommand(flags)));
}

function duration(flag: string, raw: string): number {
  const ms = durationMs(raw);
  if (ms === undefined || ms <= 0)
    throw new RunbookError('E_USAGE', `${flag} ${raw}: not a duration`, {
      hint: `e.g. ${flag} 10m (ms, s, m, h)`,
    });
  return ms;
}

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new RunbookError('E_USAGE', `${flag} ${raw}: must be a whole number of at least 1`, {
      hint: `e.g. ${flag} 4`,
    });
  return n;
}

async function rulesFromFlags(f: WatchFlags): Promise<{ rules: Rule[]; inventory?: string }> {
  const { commandLineRule, loadRules } = await import('../watch/rules.js');
  if (f.rules && (f.on || f.run))
    throw new RunbookError('E_USAGE', '--rules cannot be combined with --on/--run', {
      hint: 'put the rule in the rules file, or use --on REGEX --run RUNBOOK alone',
    });
  if (f.rules) {
    if (f.yes || f.dryRun || f.var)
      throw new RunbookError('E_USAGE', '--yes, --dry-run and --var belong to an --on rule', {
        hint: 'with --rules, set approval: and vars: per rule in the file',
      });
    return loadRules(f.rules);
  }
  if (!f.on || !f.run)
    throw new RunbookError('E_USAGE', 'no rules: say what to watch for', {
      hint: "give --rules FILE, or --on REGEX --run RUNBOOK (e.g. --on 'RECVD_PKT_INV_SPI.*srcaddr=(?<peer>[0-9.]+)' --run runbooks/recover-inv-spi.yaml)",
    });
  if (f.yes && f.dryRun)
    throw new RunbookError('E_USAGE', '--yes and --dry-run cannot be combined', { hint: 'pick one' });
  if (f.hostBy !== 'address' && f.hostBy !== 'hostname')
    throw new RunbookError('E_USAGE', `--host-by ${f.hostBy}: unknown`, { hint: 'use address or hostname' });
  const approval: Approval = f.yes ? 'auto' : f.dryRun ? 'dry-run' : 'ask';
  const rule = await commandLineRule({
    on: f.on,
    runbook: f.run,
    vars: f.var ?? [],
    approval,
    onceWithinMs: duration('--once-within', f.onceWithin),
    approvalTimeoutMs: duration('--approval-timeout', f.approvalTimeout),
    hostBy: f.hostBy as HostBy,
  });
  return { rules: [rule] };
}

async function watchCommand(f: WatchFlags): Promise<number> {
  // loaded here, not at start-up: `runbook --help` does not pay for SSH, the loader or the engine
  const [
    { loadInventory },
    { getProfile },
    { createLogReporter },
    { formatListenAddress, listen, parseListenUrl },
    { lockQueue },
    { createLauncher },
    { Watcher },
    { openConnection },
    { connectionArgv, connectionFromFlags },
    { toPort },
  ] = await Promise.all([
    import('../fleet/inventory.js'),
    import('../platforms/index.js'),
    import('../report/log.js'),
    import('../watch/listen.js'),
    import('../watch/queue.js'),
    import('../watch/trigger.js'),
    import('../watch/watcher.js'),
    import('./connection.js'),
    import('./connection-flags.js'),
    import('./targets.js'),
  ]);
  const { rules, inventory: fromFile } = await rulesFromFlags(f);
  const invFile = f.inventory ?? fromFile;
  if (!invFile)
    throw new RunbookError('E_USAGE', 'no inventory: the watcher only runs on hosts it knows', {
      hint: 'give -i INVENTORY (or `inventory:` in the rules file); senders not in it are ignored',
    });
  const inventory = await loadInventory(invFile);
  const addresses = (f.listen ?? [DEFAULT_LISTEN]).map(parseListenUrl);
  const maxConcurrent = positiveInt('--max-concurrent', f.maxConcurrent);
  const maxMessageBytes = positiveInt('--max-message-size', f.maxMessageSize);
  const statsMs = f.statsInterval === undefined ? undefined : duration('--stats-interval', f.statsInterval);
  const connection = await connectionFromFlags(f, rules[0]!.runbook, rules[0]!.vars);
  for (const r of rules.slice(1))
    for (const d of r.runbook.vars) {
      const v = r.vars[d.name];
      if (d.secret && typeof v === 'string' && v !== '') connection.secrets.push(v);
    }
  const stateDir = resolve(f.stateDir);
  const stateFlag = f.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${f.stateDir}`;
  const queueLock = lockQueue(stateDir, `watch-${process.pid}`);

  const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const watcher = new Watcher({
    rules,
    hosts: inventory.hosts,
    stateDir,
    maxConcurrent,
    log,
    launch: createLauncher({
      stateDir,
      transport: (t, signal) => openConnection(t, getProfile(t.platform), connection, signal),
      ...(f.port ? { port: toPort(f.port, '--port') } : {}),
      ...(f.user ? { user: f.user } : {}),
      argv: connectionArgv(f),
      say: log,
      stateFlag,
      ...(f.verbose ? { reporters: [createLogReporter({ out: process.stdout, level: 'normal' })] } : {}),
    }),
  });

  let listener: Awaited<ReturnType<typeof listen>>;
  try {
    listener = await listen({
      addresses,
      maxMessageBytes,
      onMessage: (bytes, from) => watcher.receive(bytes, from),
      onDrop: (reason, from, detail) => watcher.drop(reason, from, detail),
    });
  } catch (err) {
    queueLock.release();
    throw err;
  }
  log(
    `runbook watch: listening on ${listener.bound.map(formatListenAddress).join(', ')}; ${rules.length} rule${rules.length === 1 ? '' : 's'} (${rules.map((r) => `${r.name}: ${r.runbook.name}, approval ${r.approval}`).join('; ')}); ${inventory.hosts.length} hosts in ${invFile}; state in ${stateDir}`,
  );
  watcher.start();
  const timer = statsMs ? setInterval(() => log(watcher.stats.line(watcher.counts())), statsMs) : undefined;

  await new Promise<void>((resolveStop) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) {
        const { running } = watcher.counts();
        log(
          `${sig}: stopping${running ? `: ${running} running run${running === 1 ? '' : 's'} stop after their current step (again to abort it)` : ''}`,
        );
        void listener
          .close()
          .then(() => watcher.stop())
          .then(() => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            resolveStop();
          });
      } else if (signals === 2) {
        log(`${sig}: aborting the running commands`);
        void watcher.stop({ hard: true });
      } else {
        log(`${sig}: exiting now; restart with the same --state-dir to resume`);
        process.exit(4);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (timer) clearInterval(timer);
  const { queued } = watcher.counts();
  log(watcher.stats.line(watcher.counts()));
  log(
    `runbook watch: stopped${queued ? `; ${queued} accepted event${queued === 1 ? '' : 's'} kept in ${resolve(stateDir, 'watch', 'queue.json')} for the next start` : ''}`,
  );
  queueLock.release();
  return 0;
}
