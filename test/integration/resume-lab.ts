/**
 * Harness of the checkpoint/resume, signal, reconnect and progress integration tests: one lab
 * router served in THIS process (its audit log and state are the ground truth; it outlives the
 * runs, so a run can be killed and resumed against the same device), a known_hosts file pinning
 * it, a state dir, and the CLI (`dist/src/cli/main.js`) run as a child process over real SSH on
 * loopback. Waits are on observable facts (journal records, audit entries, output), not sleeps.
 * Needs dist/ (built by `npm test`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  startLab,
  type DeviceOptions,
  type Lab,
  type LabRouter,
  type Scenario,
} from '../../src/lab/index.js';
import { readJournal } from '../../src/store/journal.js';
import { type JournalRecord } from '../../src/store/journal-record.js';
import { fileSafeName } from '../../src/store/paths.js';

export const CLI = resolve('dist/src/cli/main.js');
export const FIXTURES = resolve('test/fixtures/resume');
export const REKEY = 'request platform software sdwan security ipsec-rekey';
export const CLEAR_CONTROL = 'clear sdwan control connections';
export const VERIFY = 'show sdwan bfd sessions';
export const PASSWORD_ENV = 'RUNBOOK_TEST_LAB_PASSWORD';
export const LAB_PASSWORD = 'resume-lab-7';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliRun>;
}

export interface RunLab {
  lab: Lab;
  router: LabRouter;
  dir: string;
  stateDir: string;
  knownHosts: string;
  /** The `--host` value, and the host's name in run records. */
  host: string;
  /** Copy a fixture runbook into the temp dir (so a test may edit it); returns its path. */
  runbook(fixture: string): string;
  /** `exec <runbook> --host ... --state-dir ... <args>` */
  execArgs(runbook: string, args?: string[]): string[];
  /** `resume <id> --state-dir ... <args>` */
  resumeArgs(id: string, args?: string[]): string[];
  /** Ids of the runs in the state dir, newest first. */
  runIds(): string[];
  journal(runId: string): JournalRecord[];
  /** Audit commands received by the router, optionally from entry `from` on. */
  commands(from?: number): string[];
  /** Stop the lab (the router goes away; the temp dir stays until `close`). */
  stopLab(): Promise<void>;
  close(): Promise<void>;
}

export interface RunLabOptions {
  scenario?: Scenario;
  device?: DeviceOptions;
}

export async function startRunLab(o: RunLabOptions = {}): Promise<RunLab> {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-resume-'));
  const lab = await startLab({
    scenario: o.scenario ?? 'sdwan',
    count: 1,
    port: 0,
    stateDir: join(dir, 'lab'),
    user: 'admin',
    password: LAB_PASSWORD,
    device: { bfdDelayMs: 300, ...o.device },
  });
  const router = lab.routers[0]!;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${router.host}]:${router.port} ${router.hostKey}\n`);
  const stateDir = join(dir, 'state');
  const host = `${router.host}:${router.port}`;
  let stopped = false;
  const connection = [
    '--user',
    'admin',
    '--password-env',
    PASSWORD_ENV,
    '--known-hosts',
    knownHosts,
    '--ssh-config',
    'none',
  ];
  const runsDir = join(stateDir, 'runs');
  return {
    lab,
    router,
    dir,
    stateDir,
    knownHosts,
    host,
    runbook: (fixture) => {
      const path = join(dir, fixture);
      copyFileSync(join(FIXTURES, fixture), path);
      return path;
    },
    execArgs: (runbook, args = []) => [
      'exec',
      runbook,
      '--host',
      host,
      ...connection,
      '--state-dir',
      stateDir,
      ...args,
    ],
    resumeArgs: (id, args = []) => ['resume', id, '--state-dir', stateDir, ...args],
    runIds: () => (existsSync(runsDir) ? readdirSync(runsDir).sort().reverse() : []),
    journal: (runId) => readJournal(join(runsDir, runId, 'hosts', `${fileSafeName(host)}.jsonl`)),
    commands: (from = 0) =>
      router
        .audit()
        .slice(from)
        .map((e) => e.command),
    stopLab: async () => {
      stopped = true;
      await lab.close();
    },
    close: async () => {
      if (!stopped) await lab.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Environment of every CLI child: the lab password, no live progress unless asked, no colour. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [PASSWORD_ENV]: LAB_PASSWORD,
    RUNBOOK_NO_PROGRESS: '1',
    NO_COLOR: '1',
    ...extra,
  };
  delete env.FORCE_COLOR;
  return env;
}

/** Start the CLI; stdin is /dev/null (not a terminal), so nothing is ever asked. */
export function spawnCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return spawnCli(args, env).done;
}

/**
 * Resolve once `cond` returns a truthy value (polled every 5 ms); reject after `timeoutMs` with
 * `what` and the running CLI's output, or as soon as that CLI exits.
 */
export async function waitFor<T>(
  what: string,
  cond: () => T | undefined | false,
  opts: { cli?: RunningCli; timeoutMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let exited = false;
  void opts.cli?.done.then(() => (exited = true));
  for (;;) {
    let v: T | undefined | false;
    try {
      v = cond();
    } catch {
      v = undefined; // e.g. a journal not written yet
    }
    if (v) return v;
    if (exited || Date.now() > deadline) {
      const out = opts.cli ? `\n--- stdout\n${opts.cli.stdout()}\n--- stderr\n${opts.cli.stderr()}` : '';
      throw new Error(`${exited ? 'the CLI exited' : 'timed out'} waiting for ${what}${out}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** How many times `command` is in `list`. */
export function count(list: string[], command: string): number {
  return list.filter((c) => c === command).length;
}

/** util-linux `script` is there to give the CLI a pseudo-terminal. */
export const hasScript = spawnSync('script', ['--version']).status === 0;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Quote for a POSIX shell. */
export function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface PtyCli {
  /** Everything the terminal received so far, escape sequences removed, \r\n as \n. */
  screen(): string;
  raw(): string;
  /** Type on the terminal (`\r` is Enter, `\x03` is Ctrl-C). */
  type(text: string): void;
  done: Promise<CliRun>;
}

/** Run the CLI on a pseudo-terminal 120 columns wide (`script -qfec`): live progress and prompts are on. */
export function ptyCli(args: string[], extraEnv: Record<string, string> = {}): PtyCli {
  const cmd = `stty cols 120 rows 40; exec ${[process.execPath, CLI, ...args].map(shq).join(' ')}`;
  const env = cliEnv({ TERM: 'xterm-256color', ...extraEnv });
  delete env.RUNBOOK_NO_PROGRESS;
  delete env.CI;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<CliRun>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout: out, stderr: err }));
  });
  return {
    screen: () => out.replace(ANSI, '').replace(/\r\n?/g, '\n'),
    raw: () => out,
    type: (text) => child.stdin.write(text),
    done,
  };
}
