/**
 * Harness for the distributed tests: a throwaway PostgreSQL, a fleet lab in this process (its
 * audit logs and state are the ground truth), and `runbook worker` / `runbook exec --workers`
 * processes of the built CLI. Workers use a short visibility timeout and pg-boss maintenance
 * interval so a killed worker's hosts come back within seconds.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers/cli.js';
import type { FleetLab } from './fleet-lab.js';

export const LAB_PASSWORD = 'lab-secret-9';
export const PASSWORD_ENV = 'RUNBOOK_TEST_LAB_PASSWORD';

export interface Proc {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves when stderr matched `re` (rejects if the process exits first). */
  waitFor(re: RegExp): Promise<void>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      RUNBOOK_NO_PROGRESS: '1',
      NO_COLOR: '1',
      [PASSWORD_ENV]: LAB_PASSWORD,
      RUNBOOK_QUEUE_MAINTENANCE_S: '1',
      RUNBOOK_RECONNECT_DELAYS_MS: '200,500,1000',
      ...env,
    },
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve(): void; reject(e: Error): void }[] = [];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...waiters])
      if (w.re.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`exited ${code} before ${w.re}: ${err}`));
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (re) =>
      re.test(err)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => waiters.push({ re, resolve, reject })),
  };
}

/** The lab's connection flags (password from the environment). */
export function labFlags(f: FleetLab): string[] {
  return [
    '--user',
    'admin',
    '--password-env',
    PASSWORD_ENV,
    '--known-hosts',
    f.knownHosts,
    '--ssh-config',
    'none',
  ];
}

export function startWorker(url: string, f: FleetLab, extra: string[] = []): Proc {
  return spawnCli(['worker', '--store', url, '--concurrency', '12', ...labFlags(f), ...extra]);
}

export function execWorkers(
  url: string,
  f: FleetLab,
  runbook: string,
  extra: string[] = [],
  o: { json?: boolean } = {},
): Proc {
  return spawnCli([
    'exec',
    runbook,
    '-i',
    f.inventory,
    ...labFlags(f),
    '--store',
    url,
    '--workers',
    '--visibility-timeout',
    '4',
    '--state-dir',
    join(f.dir, 'state'),
    '--yes',
    ...(o.json === false ? [] : ['--json']),
    ...extra,
  ]);
}

/** Stop a worker with SIGTERM and wait for it. */
export async function stopWorker(p: Proc): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exited;
}
