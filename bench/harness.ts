/**
 * What the benchmarks share: the lab in a process of its own (bench/lab-server) and its line
 * protocol, a measured child process (wall time, and its own getrusage through bench/probe), and
 * the inventory and known_hosts for a lab's routers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
const PROBE = join(HERE, 'probe.js');

/**
 * Node flags for the processes a bench spawns: with `BENCH_CPU_PROF=DIR`, a V8 CPU profile of each
 * in DIR/LABEL (open in Chrome DevTools); none otherwise. NODE_OPTIONS cannot carry --cpu-prof.
 */
export function profileFlags(label: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, label)}`] : [];
}
export const PASSWORD = 'bench-lab-pw';
export const PASSWORD_ENV = 'RUNBOOK_BENCH_PASSWORD';

export interface LabRouterInfo {
  name: string;
  host: string;
  port: number;
  hostKey: string;
}

/** A lab-server child process and its line protocol. */
export class LabProcess {
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  routers: LabRouterInfo[] = [];

  private constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (l) => this.waiting.shift()?.(l));
  }

  static async start(count: number, stateDir: string, bfdDelayMs: number): Promise<LabProcess> {
    const child = spawn(
      process.execPath,
      [
        join(HERE, 'lab-server.js'),
        '--count',
        String(count),
        '--scenario',
        'sdwan',
        '--bfd-delay',
        String(bfdDelayMs),
        '--state-dir',
        stateDir,
        '--password',
        PASSWORD,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lab = new LabProcess(child);
    const first = await lab.next();
    lab.routers = (JSON.parse(first) as { routers: LabRouterInfo[] }).routers;
    return lab;
  }

  private next(): Promise<string> {
    return new Promise((res, rej) => {
      this.waiting.push(res);
      this.child.once('exit', (code) => rej(new Error(`the lab process exited (code ${code})`)));
    });
  }

  async request<T>(line: string): Promise<T> {
    const reply = this.next();
    this.child.stdin!.write(`${line}\n`);
    return JSON.parse(await reply) as T;
  }

  async stop(): Promise<void> {
    const exited = new Promise((res) => this.child.once('exit', res));
    this.child.stdin!.end('quit\n');
    await exited;
  }
}

export interface Verify {
  total: number;
  recovered: number;
  notRecovered: string[];
}

export interface Usage {
  userUs: number;
  systemUs: number;
  maxRssKb: number;
}

/** Spawn `node --import probe ARGS`, time it to exit, collect stdout and its getrusage. */
export async function measured(
  args: string[],
  dir: string,
  label: string,
): Promise<{ code: number | null; stdout: string; stderrTail: string; wallMs: number; usage: Usage }> {
  const usageFile = join(dir, `${label}.usage.json`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...profileFlags(label), '--import', PROBE, ...args], {
    env: { ...process.env, BENCH_USAGE_FILE: usageFile, [PASSWORD_ENV]: PASSWORD, RUNBOOK_NO_PROGRESS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const wallMs = performance.now() - t0;
  if (!existsSync(usageFile)) throw new Error(`${label}: no usage written (exit ${code}); stderr:\n${err}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as Usage;
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderrTail: err, wallMs, usage };
}

export function writeTargets(
  dir: string,
  routers: LabRouterInfo[],
): { inventory: string; knownHosts: string } {
  const inventory = join(dir, 'inventory.yml');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(
    inventory,
    [
      'all:',
      '  vars: {ansible_host: 127.0.0.1}',
      '  hosts:',
      ...routers.map((r) => `    ${r.name}: {ansible_port: ${r.port}}`),
      '',
    ].join('\n'),
  );
  writeFileSync(knownHosts, routers.map((r) => `[${r.host}]:${r.port} ${r.hostKey}\n`).join(''));
  return { inventory, knownHosts };
}

/** The measured process's JSON output, or an error that says how it ended. */
export function parseJson<T>(
  run: { code: number | null; stdout: string; stderrTail: string },
  label: string,
): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `${label}: exit ${run.code} without a JSON document on stdout; stderr ends with:\n${run.stderrTail}`,
    );
  }
}
