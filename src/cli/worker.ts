/**
 * `runbook worker --store URL [--group NAME] [--concurrency N] [connection flags]`: serve host jobs
 * of one worker group from the shared store until SIGTERM/SIGINT (finish the running steps,
 * checkpoint, hand the jobs back; a second signal exits at once, the jobs then come back after
 * their visibility timeout). Connection flags are the worker's own (its SSH credentials, known
 * hosts): they are never in the store.
 */
import type { Command } from 'commander';
import { RunbookError } from '../errors.js';
import type { PostgresStore } from '../store/postgres.js';
import { addConnectionOptions } from './exec.js';
import type { ConnectionFlags } from './connection-flags.js';
import { action } from './output.js';

/** `runbook_worker_group` when a host has none (queue/boss.ts keeps the same default). */
const DEFAULT_GROUP = 'default';

interface WorkerFlags extends ConnectionFlags {
  store?: string;
  var?: string[];
  group: string;
  concurrency: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('worker')
    .description('Run host jobs of `runbook exec --workers` from a shared PostgreSQL store, until SIGTERM')
    .option(
      '--store <url>',
      'the shared PostgreSQL store (postgres://USER@HOST:PORT/DB; default $RUNBOOK_STORE)',
    )
    .option('--group <name>', 'serve hosts whose runbook_worker_group is NAME', DEFAULT_GROUP)
    .option('--concurrency <n>', 'hosts run at once by this worker', '4')
    .option(
      '-e, --var <name=value|@file>',
      "values of the runbooks' secret vars (vaulted files and !vault values too, with the vault flags), repeatable: secrets are never sent through the store",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('-q, --quiet', 'print only errors');
  addConnectionOptions(cmd);
  cmd.action(action(async (flags: WorkerFlags) => workerCommand(flags)));
}

async function workerCommand(flags: WorkerFlags): Promise<number> {
  // loaded here, not at start-up (see exec.ts): the queue and PostgreSQL only when a worker runs
  const [
    { getProfile },
    { checkGroup },
    { runWorker },
    { openStore },
    { connectionFromFlags },
    { openConnection },
    { reconnectDelaysFromEnv },
    { keyringFromFlags },
    { workerSecretVars },
  ] = await Promise.all([
    import('../platforms/index.js'),
    import('../queue/boss.js'),
    import('../queue/worker.js'),
    import('../store/open.js'),
    import('./connection-flags.js'),
    import('./connection.js'),
    import('./session.js'),
    import('./vault-flags.js'),
    import('./worker-secrets.js'),
  ]);
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new RunbookError(
      'E_USAGE',
      `--concurrency ${flags.concurrency}: not a whole number from 1 to 1000`,
      {
        hint: 'e.g. --concurrency 20',
      },
    );
  }
  const group = checkGroup(flags.group, '--group');
  if (flags.askPass) {
    throw new RunbookError('E_USAGE', 'a worker cannot ask for a password', {
      hint: 'give it in an environment variable: --password-env VAR, or use --identity FILE',
    });
  }
  const vault = await keyringFromFlags(flags);
  const secretVars = workerSecretVars(flags.var ?? [], vault);
  const store = await openStore({ store: flags.store, stateDir: '.runbook' });
  const stop = new AbortController();
  // a crash is never silent: one line naming the hosts it leaves (their jobs come back after the
  // visibility timeout, and another worker resumes them from their journals), then exit 1
  const running = new Set<string>();
  const onCrash = (err: unknown): void => {
    const what = err instanceof Error ? (err.stack ?? err.message) : String(err);
    const hosts = running.size > 0 ? `; its hosts return to the queue: ${[...running].join(', ')}` : '';
    process.stderr.write(`runbook worker: crashed: ${what.split('\n').slice(0, 3).join(' | ')}${hosts}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write(
        `${sig}: finishing the running steps, then handing the jobs back (again to exit now)\n`,
      );
      stop.abort();
    } else {
      process.stderr.write(
        `${sig}: exiting now; the jobs return to the queue after their visibility timeout\n`,
      );
      process.exit(4);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    if (store.kind !== 'postgres') {
      throw new RunbookError(
        'E_USAGE',
        'runbook worker needs a shared store: --store postgres://... or $RUNBOOK_STORE',
        {
          hint: 'see docs/workers.md',
        },
      );
    }
    const reconnectDelaysMs = reconnectDelaysFromEnv();
    await runWorker({
      store: store as PostgresStore,
      group,
      concurrency,
      signal: stop.signal,
      running,
      secretVars,
      ...(reconnectDelaysMs ? { reconnectDelaysMs } : {}),
      log: flags.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`),
      transports: async ({ runbook, vars }) => {
        const connection = await connectionFromFlags(flags, runbook, vars);
        return {
          open: (t, commandSignal) => openConnection(t, getProfile(t.platform), connection, commandSignal),
          secrets: [...connection.secrets, ...vault.passwords, ...vault.revealed],
        };
      },
    });
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await store.close();
  }
}
