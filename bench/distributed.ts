/**
 * The distributed case of `npm run bench`: the same run of N lab routers, once in-process
 * (`runbook exec -i INVENTORY --forks N`) and once through W `runbook worker` processes and a
 * throwaway PostgreSQL on this machine (`runbook exec ... --store URL --workers --forks N`), each on
 * a fresh lab. Wall time is spawn to exit of the operator's exec (workers already serving: a
 * worker pool is long-lived); both runs must be verified by the lab's own state. Target: the
 * distributed wall time within 1.3x of the in-process one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultDocument } from '../src/report/json.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { percentile } from './report.js';
import {
  CLI,
  HERE,
  LabProcess,
  measured,
  parseJson,
  PASSWORD,
  PASSWORD_ENV,
  profileFlags,
  writeTargets,
  type Usage,
} from './harness.js';

export interface DistributedOptions {
  n: number;
  workers: number;
  runbook: string;
  bfdDelayMs: number;
  work: string;
}

interface Side {
  wallS: number;
  /** CPU seconds of the operator's exec, and of the workers (distributed only). */
  cpuS: number;
  workersCpuS?: number;
  /** CPU seconds of the PostgreSQL server (postmaster and every backend it reaped). */
  pgCpuS?: number;
  peakRssMb: number;
  recovered: number;
  /** Per-host durations from the exec's --json document. */
  p50S: number;
  p95S: number;
  /** From spawn to the first step started on any host, and from the last step's end to exit. */
  firstStepS: number;
  tailS: number;
}

export interface DistributedResult {
  n: number;
  workers: number;
  inProcess?: Side;
  distributed?: Side;
  /** Load averages (1, 5, 15 min) when each run started: the machine is shared. */
  load: { inProcess?: number[]; distributed?: number[] };
  failures: string[];
}

const cpu = (u: Usage): number => (u.userUs + u.systemUs) / 1e6;

function labArgs(inventory: string, knownHosts: string): string[] {
  return [
    '-i',
    inventory,
    '--yes',
    '--json',
    '--quiet',
    '--user',
    'admin',
    '--password-env',
    PASSWORD_ENV,
    '--known-hosts',
    knownHosts,
    '--ssh-config',
    'none',
  ];
}

function checkDoc(
  run: { code: number | null; stdout: string; stderrTail: string; wallMs: number },
  spawnedAt: number,
  label: string,
  failures: string[],
): { p50S: number; p95S: number; firstStepS: number; tailS: number } {
  const doc = parseJson<ResultDocument>(run, label);
  const steps = doc.hosts.flatMap((h) => h.steps);
  const firstStep = Math.min(...steps.map((x) => Date.parse(x.startedAt)));
  const lastEnd = Math.max(...steps.map((x) => Date.parse(x.startedAt) + (x.durationMs ?? 0)));
  const ms = doc.hosts.map((h) => h.durationMs ?? NaN);
  const notOk = doc.hosts.filter((h) => h.outcome !== 'ok');
  if (run.code !== 0 || notOk.length > 0)
    failures.push(
      `${label}: exit ${run.code}, ${notOk.length} host(s) not ok${notOk[0] ? ` (${notOk[0].host}: ${notOk[0].outcome} ${notOk[0].message.slice(0, 200)})` : ''}`,
    );
  return {
    p50S: percentile(ms, 50) / 1000,
    p95S: percentile(ms, 95) / 1000,
    firstStepS: (firstStep - spawnedAt) / 1000,
    tailS: (spawnedAt + run.wallMs - lastEnd) / 1000,
  };
}

/** A worker process, resolved once it serves its group. */
function startWorker(url: string, args: string[], usageFile: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [...profileFlags('workers'), '--import', join(HERE, 'probe.js'), CLI, 'worker', '--store', url, ...args],
    {
      env: {
        ...process.env,
        [PASSWORD_ENV]: PASSWORD,
        BENCH_USAGE_FILE: usageFile,
        RUNBOOK_NO_PROGRESS: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (l) => {
      if (/serving group/.test(l)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`a worker exited (code ${code}) before serving`)));
  });
}

export async function benchDistributed(o: DistributedOptions): Promise<DistributedResult> {
  const failures: string[] = [];
  const out: DistributedResult = { n: o.n, workers: o.workers, load: {}, failures };

  // in-process
  const dirA = join(o.work, 'in-process');
  mkdirSync(dirA, { recursive: true });
  const labA = await LabProcess.start(o.n, join(dirA, 'lab'), o.bfdDelayMs);
  const ta = writeTargets(dirA, labA.routers);
  out.load.inProcess = loadavg();
  const spawnA = Date.now();
  const a = await measured(
    [
      CLI,
      'exec',
      o.runbook,
      ...labArgs(ta.inventory, ta.knownHosts),
      '--forks',
      String(o.n),
      '--state-dir',
      join(dirA, 'state'),
    ],
    dirA,
    'in-process',
  );
  const pa = checkDoc(a, spawnA, 'in-process', failures);
  const va = await labA.request<{ recovered: number }>('verify');
  await labA.stop();
  out.inProcess = {
    ...pa,
    wallS: a.wallMs / 1000,
    cpuS: cpu(a.usage),
    peakRssMb: a.usage.maxRssKb / 1024,
    recovered: va.recovered,
  };
  if (va.recovered !== o.n)
    failures.push(`in-process: the lab says ${o.n - va.recovered} routers are NOT recovered`);

  // distributed
  const dirB = join(o.work, 'distributed');
  mkdirSync(dirB, { recursive: true });
  const pg = await startPostgres();
  const workers: ChildProcess[] = [];
  try {
    const url = pg.createDatabase('bench');
    const labB = await LabProcess.start(o.n, join(dirB, 'lab'), o.bfdDelayMs);
    const tb = writeTargets(dirB, labB.routers);
    const wargs = [
      '--concurrency',
      String(Math.ceil(o.n / o.workers)),
      '--user',
      'admin',
      '--password-env',
      PASSWORD_ENV,
      '--known-hosts',
      tb.knownHosts,
      '--ssh-config',
      'none',
    ];
    const usageFiles = Array.from({ length: o.workers }, (_, i) => join(dirB, `worker${i}.usage.json`));
    for (const f of usageFiles) workers.push(await startWorker(url, wargs, f));
    out.load.distributed = loadavg();
    const spawnB = Date.now();
    const b = await measured(
      [
        CLI,
        'exec',
        o.runbook,
        ...labArgs(tb.inventory, tb.knownHosts),
        '--forks',
        String(o.n),
        '--store',
        url,
        '--workers',
        '--state-dir',
        join(dirB, 'state'),
      ],
      dirB,
      'distributed',
    );
    const pb = checkDoc(b, spawnB, 'distributed', failures);
    const vb = await labB.request<{ recovered: number }>('verify');
    await labB.stop();
    await Promise.all(
      workers.map((w) => {
        const exited = new Promise((r) => w.once('exit', r));
        w.kill('SIGTERM');
        return exited;
      }),
    );
    const pgCpuS = postgresCpuS(pg.dir);
    const workersCpuS = usageFiles
      .map((f) => cpu(JSON.parse(readFileSync(f, 'utf8')) as Usage))
      .reduce((x, y) => x + y, 0);
    out.distributed = {
      ...pb,
      wallS: b.wallMs / 1000,
      cpuS: cpu(b.usage),
      workersCpuS,
      ...(pgCpuS === undefined ? {} : { pgCpuS }),
      peakRssMb: b.usage.maxRssKb / 1024,
      recovered: vb.recovered,
    };
    if (vb.recovered !== o.n)
      failures.push(`distributed: the lab says ${o.n - vb.recovered} routers are NOT recovered`);
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await pg.stop();
  }
  return out;
}

/**
 * CPU seconds of a cluster's postmaster and of the backends it reaped (Linux /proc: utime, stime,
 * cutime, cstime in clock ticks of 100 Hz); undefined where /proc cannot tell.
 */
function postgresCpuS(clusterDir: string): number | undefined {
  try {
    const pid = readFileSync(join(clusterDir, 'data', 'postmaster.pid'), 'utf8')
      .split('\n')[0]!
      .trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11..14] are utime, stime, cutime, cstime (the 14th to 17th of stat)
    return [11, 12, 13, 14].map((i) => Number(fields[i])).reduce((x, y) => x + y, 0) / 100;
  } catch {
    return undefined;
  }
}

export function formatDistributed(results: DistributedResult[], runbook: string, date: string): string {
  const f = (x: number | undefined, d = 2): string =>
    x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d);
  const ratio = (r: DistributedResult): number =>
    r.inProcess && r.distributed ? r.distributed.wallS / r.inProcess.wallS : NaN;
  const load = (l: number[] | undefined): string => (l ?? []).map((x) => x.toFixed(1)).join(' / ');
  const workers = results[0]?.workers ?? 4;
  const lines = [
    `## Distributed: ${runbook}, ${workers} workers vs in-process (\`npm run bench -- --only distributed\`)`,
    '',
    'The same run twice per size on fresh labs on this machine: `runbook exec -i INVENTORY --forks N --yes` in one process,',
    `then \`runbook exec ... --store URL --workers --forks N --yes\` with ${workers} \`runbook worker --concurrency N/${workers}\` processes`,
    '(already serving) and a throwaway PostgreSQL holding the run record, journals, locks and the pg-boss queue. Wall = spawn',
    "to exit of the operator's exec; first step = spawn to the first step started on any host; tail = last step's end to exit.",
    "Both runs verified by the lab's own state. The machine has 2 cores shared with other sessions: the load average",
    `(1/5/15 min) at the start of each run is given, and the wall times move with it. Measured ${date} UTC.`,
    '',
    '| N | run | load | wall s | first step s | tail s | host p50 / p95 s | exec CPU s | workers CPU s | PostgreSQL CPU s | verified by the lab |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    const a = r.inProcess;
    const b = r.distributed;
    lines.push(
      `| ${r.n} | in-process | ${load(r.load.inProcess)} | ${f(a?.wallS)} | ${f(a?.firstStepS)} | ${f(a?.tailS)} | ${f(a?.p50S)} / ${f(a?.p95S)} | ${f(a?.cpuS)} | - | - | ${a?.recovered ?? 0}/${r.n} |`,
      `| ${r.n} | ${r.workers} workers | ${load(r.load.distributed)} | ${f(b?.wallS)} | ${f(b?.firstStepS)} | ${f(b?.tailS)} | ${f(b?.p50S)} / ${f(b?.p95S)} | ${f(b?.cpuS)} | ${f(b?.workersCpuS)} | ${f(b?.pgCpuS)} | ${b?.recovered ?? 0}/${r.n} |`,
    );
  }
  lines.push('');
  for (const r of results)
    lines.push(
      `- N=${r.n}: distributed wall time ${f(ratio(r), 3)}x in-process (target within 1.3x): ${ratio(r) <= 1.3 ? 'met' : 'NOT met'}${r.failures.length > 0 ? `; failures: ${r.failures.join('; ')}` : ''}`,
    );
  lines.push('');
  return lines.join('\n');
}
