/**
 * `npm run bench`: the engine against N emulated SD-WAN edges over SSH, and the floor beside it.
 *   node dist/bench/run.js [--only startup|output|textfsm|offline-tests|distributed]
 *                          [--sizes 1,50,200,1000] [--forks F] [--runbook FILE[,FILE]] [--bfd-delay MS]
 *                          [--out bench/results.md | --no-write] [--keep] [--mb N]
 *                          [--distributed N[,N] | --no-distributed] [--workers W]
 * First the start-up figures (bench/startup.ts), then the shell transport's output processing
 * (bench/output.ts: 200 MB of output, one 20 MB line), then the TextFSM engine against
 * python3-textfsm on N MB inputs (bench/textfsm.ts, default 4), then `runbook test` on the shipped
 * suites (bench/offline-tests.ts), then the fleet; each benchmark rewrites its own section of
 * results.md (bench/sections.ts).
 * Default runbooks: runbooks/recover-inv-spi.yaml (the target) and bench/rekey-poll.yaml (the floor's
 * procedure as a runbook: their ratio is the engine's own overhead). Default forks: N (at most 1000).
 * Per size N, each in fresh processes (two cores: the lab never shares a process with the measured
 * side):
 *  1. a lab process (bench/lab-server) with N routers in the `sdwan` scenario;
 *  2. the engine: `runbook exec RUNBOOK -i INVENTORY --forks F --yes --json` as a child process;
 *  3. ground truth from the lab: every router's SD-WAN peers have SA ok and BFD up, or the bench fails;
 *  4. a fresh lab, and the floor (bench/floor): a plain ssh2 script sending the command sequence the
 *     engine sent (taken from the lab's audit log of the engine run: each command once, in order,
 *     polls collapsed to one read) except that it polls the BFD command after the rekey until every
 *     BFD session is up, at the runbook's poll interval; same concurrency; verified the same way.
 * Wall time is spawn-to-exit of the measured process; CPU and peak RSS are its own getrusage
 * (bench/probe, loaded with --import); per-host p50/p95 come from the --json document (engine) and
 * the floor's own timings. Then the distributed case (bench/distributed): the first runbook on N
 * routers (default 100 then 1000) in-process vs through W workers (default 4) and PostgreSQL.
 * Exit code 1 when any run is not verified by the lab.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { AuditEntry } from '../src/lab/index.js';
import type { ResultDocument } from '../src/report/json.js';
import { loadRunbook } from '../src/runbook/load.js';
import type { Step } from '../src/runbook/model.js';
import type { FloorPlan, FloorResult, FloorStep } from './floor.js';
import { benchOfflineTests } from './offline-tests.js';
import { benchOutput } from './output.js';
import { benchStartup } from './startup.js';
import { replaceSection } from './sections.js';
import { benchTextfsm, formatTextfsm } from './textfsm.js';
import { formatResults, percentile, type BenchRow, type Measure, type ResultsSection } from './report.js';
import {
  HERE,
  LabProcess,
  measured,
  parseJson,
  PASSWORD,
  PASSWORD_ENV,
  ROOT,
  CLI,
  writeTargets,
  type Usage,
  type Verify,
} from './harness.js';
import { benchDistributed, formatDistributed, type DistributedResult } from './distributed.js';

const BFD_COMMAND = 'show sdwan bfd sessions';
/**
 * The procedure's last check, "the QFP invalid-SPI counter no longer grows", needs two reads of the
 * counter a window apart after the recovery (recover-inv-spi's qfp-steady: 1 s, one BFD hello). A
 * hand-written script doing the same procedure waits the same window, so the floor does too.
 */
const QFP_COMMAND = 'show platform hardware qfp active feature ipsec datapath drops';
/** The issue's runbook, then the engine-overhead one (the floor's procedure as a runbook). */
const DEFAULT_RUNBOOKS = ['runbooks/recover-inv-spi.yaml', 'bench/rekey-poll.yaml'];

interface Args {
  sizes: number[];
  /** The distributed case's sizes (none: skip it) and its number of workers. */
  distSizes: number[];
  distWorkers: number;
  forks?: number;
  runbooks: string[];
  bfdDelayMs: number;
  out?: string;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (get('--sizes') ?? '1,50,200,1000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000))
    throw new Error('--sizes: whole numbers from 1 to 5000, e.g. --sizes 1,50');
  const forks = get('--forks') === undefined ? undefined : Number(get('--forks'));
  if (forks !== undefined && !(Number.isInteger(forks) && forks >= 1))
    throw new Error('--forks: a whole number >= 1');
  const distSizes = argv.includes('--no-distributed')
    ? []
    : (get('--distributed') ?? '100,1000').split(',').map((x) => Number(x.trim()));
  const distWorkers = Number(get('--workers') ?? '4');
  if (
    distSizes.some((n) => !Number.isInteger(n) || n < 1) ||
    !Number.isInteger(distWorkers) ||
    distWorkers < 1
  )
    throw new Error('--distributed N[,N] (or --no-distributed) and --workers W: whole numbers');
  return {
    sizes,
    distSizes,
    distWorkers,
    forks,
    runbooks: (get('--runbook') ?? DEFAULT_RUNBOOKS.join(',')).split(',').map((f) => resolve(ROOT, f.trim())),
    bfdDelayMs: Number(get('--bfd-delay') ?? '3000'),
    out: argv.includes('--no-write') ? undefined : resolve(get('--out') ?? join(ROOT, 'bench/results.md')),
    keep: argv.includes('--keep'),
  };
}

/** Poll interval of the runbook's BFD verification (the last retrying step that sends the BFD command). */
function bfdPollMs(steps: Step[]): number | undefined {
  return retryDelayOf(steps, BFD_COMMAND);
}

/** The retry delay of the (last) polling step that runs `command`, if the runbook has one. */
function retryDelayOf(steps: Step[], command: string): number | undefined {
  let found: number | undefined;
  const walk = (list: Step[]): void => {
    for (const s of list) {
      if (s.kind === 'command' && s.retry && s.run.source.trim().startsWith(command)) found = s.retry.delayMs;
      if (s.kind === 'group') walk(s.steps);
      if (s.kind === 'choose') for (const b of s.branches) walk(b.steps);
      if (s.onFailure.kind === 'steps') walk(s.onFailure.steps);
    }
  };
  walk(steps);
  return found;
}

/**
 * The floor's steps from one router's audit log of the engine run: every command once, in order
 * (consecutive repeats of a command, i.e. polls, collapse to one read), except the BFD command
 * after the first state-changing command, which polls until BFD is up.
 */
function floorSteps(
  audit: AuditEntry[],
  pollMs: number,
  bfdDelayMs: number,
  qfpWindowMs: number | undefined,
): FloorStep[] {
  const steps: FloorStep[] = [];
  let changed = false;
  let last: string | undefined;
  for (const e of audit) {
    if (e.command === last) {
      // the counter-steadiness window after the recovery: read, wait, read again
      if (
        changed &&
        e.command === QFP_COMMAND &&
        qfpWindowMs !== undefined &&
        steps.at(-1) &&
        'send' in steps.at(-1)!
      ) {
        steps.push({ waitMs: qfpWindowMs }, { send: e.command });
        qfpWindowMs = undefined;
      }
      continue;
    }
    last = e.command;
    if (/^(exit|logout|quit)$/.test(e.command)) continue;
    if (changed && e.command === BFD_COMMAND) {
      steps.push({ poll: e.command, delayMs: pollMs, maxAttempts: Math.ceil((bfdDelayMs * 4) / pollMs) + 5 });
    } else {
      steps.push({ send: e.command });
    }
    changed ||= e.stateChanging;
  }
  if (!changed)
    throw new Error('the engine sent no state-changing command to the first router: nothing to compare with');
  return steps;
}

const cpuSeconds = (u: Usage): number => (u.userUs + u.systemUs) / 1e6;

function measure(wallMs: number, usage: Usage, hostMs: number[]): Measure {
  return {
    wallS: wallMs / 1000,
    p50S: percentile(hostMs, 50) / 1000,
    p95S: percentile(hostMs, 95) / 1000,
    cpuS: cpuSeconds(usage),
    peakRssMb: usage.maxRssKb / 1024,
  };
}

/** Median time per host in each command step id (summed over a host's executions of that id), slowest first. */
function stepBreakdown(doc: ResultDocument): { id: string; medianS: number }[] {
  const perId = new Map<string, number[]>();
  for (const h of doc.hosts) {
    const sums = new Map<string, number>();
    for (const s of h.steps)
      if (s.commands.length > 0) sums.set(s.id, (sums.get(s.id) ?? 0) + (s.durationMs ?? 0));
    for (const [id, ms] of sums) perId.set(id, [...(perId.get(id) ?? []), ms]);
  }
  return [...perId]
    .map(([id, ms]) => ({ id, medianS: percentile(ms, 50) / 1000 }))
    .filter((s) => s.medianS >= 0.05)
    .sort((a, b) => b.medianS - a.medianS);
}

async function benchSize(
  n: number,
  a: Args,
  runbook: string,
  pollMs: number,
  qfpWindowMs: number | undefined,
  work: string,
): Promise<BenchRow> {
  const forks = Math.min(n, a.forks ?? 1000);
  const dir = join(work, `n${n}`);
  mkdirSync(dir, { recursive: true });
  const failures: string[] = [];

  // engine
  const lab = await LabProcess.start(n, join(dir, 'lab-engine'), a.bfdDelayMs);
  const t = writeTargets(dir, lab.routers);
  const engine = await measured(
    [
      CLI,
      'exec',
      runbook,
      '-i',
      t.inventory,
      '--forks',
      String(forks),
      '--yes',
      '--json',
      '--quiet',
      '--user',
      'admin',
      '--password-env',
      PASSWORD_ENV,
      '--known-hosts',
      t.knownHosts,
      '--ssh-config',
      'none',
      '--state-dir',
      join(dir, 'state'),
    ],
    dir,
    'engine',
  );
  const doc = parseJson<ResultDocument>(engine, 'engine');
  const notOk = doc.hosts.filter((h) => h.outcome !== 'ok');
  if (engine.code !== 0 || notOk.length > 0) {
    failures.push(
      `engine: exit ${engine.code}, ${notOk.length} host(s) not ok${notOk[0] ? ` (${notOk[0].host}: ${notOk[0].outcome} ${notOk[0].message.slice(0, 300)})` : ''}`,
    );
  }
  const ev = await lab.request<Verify>('verify');
  if (ev.recovered !== n)
    failures.push(
      `engine: the lab says ${n - ev.recovered} of ${n} routers are NOT recovered (${ev.notRecovered.slice(0, 5).join(', ')})`,
    );
  const audit = (await lab.request<{ entries: AuditEntry[] }>(`audit ${lab.routers[0]!.name}`)).entries;
  const labEngine = await lab.request<Usage>('usage');
  await lab.stop();

  // floor
  const steps = floorSteps(audit, pollMs, a.bfdDelayMs, qfpWindowMs);
  const lab2 = await LabProcess.start(n, join(dir, 'lab-floor'), a.bfdDelayMs);
  const plan: FloorPlan = {
    routers: lab2.routers,
    user: 'admin',
    password: PASSWORD,
    concurrency: forks,
    steps,
  };
  const planFile = join(dir, 'floor-plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const floorRun = await measured([join(HERE, 'floor.js'), planFile], dir, 'floor');
  const floor = parseJson<FloorResult>(floorRun, 'floor');
  const floorBad = floor.hosts.filter((h) => !h.ok);
  if (floorBad.length > 0)
    failures.push(
      `floor: ${floorBad.length} host(s) failed (${floorBad[0]!.name}: ${floorBad[0]!.error ?? 'BFD not up'})`,
    );
  const fv = await lab2.request<Verify>('verify');
  if (fv.recovered !== n)
    failures.push(`floor: the lab says ${n - fv.recovered} of ${n} routers are NOT recovered`);
  const labFloor = await lab2.request<Usage>('usage');
  await lab2.stop();

  return {
    n,
    forks,
    engine: measure(
      engine.wallMs,
      engine.usage,
      doc.hosts.map((h) => h.durationMs ?? NaN),
    ),
    floor: measure(
      floorRun.wallMs,
      floorRun.usage,
      floor.hosts.map((h) => h.ms),
    ),
    verified: { engine: ev.recovered, floor: fv.recovered },
    labCpuS: { engine: cpuSeconds(labEngine), floor: cpuSeconds(labFloor) },
    commandsPerHost: { engine: audit.length, floor: steps.length },
    steps: stepBreakdown(doc),
    failures,
  };
}

/** A size whose run broke (a process crashed, no JSON): reported as a failure, the other sizes go on. */
function failedRow(n: number, a: Args, err: unknown): BenchRow {
  const none: Measure = { wallS: NaN, p50S: NaN, p95S: NaN, cpuS: NaN, peakRssMb: NaN };
  return {
    n,
    forks: Math.min(n, a.forks ?? 1000),
    engine: none,
    floor: none,
    verified: { engine: 0, floor: 0 },
    labCpuS: { engine: NaN, floor: NaN },
    commandsPerHost: { engine: 0, floor: 0 },
    steps: [],
    failures: [err instanceof Error ? err.message : String(err)],
  };
}

/** The TextFSM bench (bench/textfsm.ts); 1 when the two sides' records differ. */
function offlineBench(outFile: string | undefined): number {
  process.stderr.write('bench: runbook test on the shipped suites ...\n');
  const offline = benchOfflineTests(ROOT);
  process.stdout.write(`${offline.markdown}\n`);
  if (outFile) replaceSection(outFile, 'offline-tests', offline.markdown);
  return offline.met ? 0 : 1;
}

function textfsmBench(argv: string[], outFile: string | undefined): number {
  const mb = argv.includes('--mb') ? Number(argv[argv.indexOf('--mb') + 1]) : 4;
  const repeat = 3;
  process.stderr.write(`bench: TextFSM engine vs python3-textfsm, ${mb} MB inputs ...\n`);
  const rows = benchTextfsm({ mb, repeat });
  const markdown = formatTextfsm(rows, repeat);
  process.stdout.write(`${markdown}\n`);
  if (outFile) replaceSection(outFile, 'textfsm', markdown);
  return rows.every((r) => r.same) ? 0 : 1;
}

/** The distributed case (bench/distributed.ts) on the first runbook, per size; its own section of results.md. */
async function distributedBench(a: Args, outFile: string | undefined): Promise<number> {
  const file = a.runbooks[0]!;
  const results: DistributedResult[] = [];
  for (const n of a.distSizes) {
    const work = mkdtempSync(join(tmpdir(), 'runbook-bench-dist-'));
    process.stderr.write(`bench: distributed, N=${n}, ${a.distWorkers} workers ...\n`);
    try {
      results.push(
        await benchDistributed({
          n,
          workers: a.distWorkers,
          runbook: file,
          bfdDelayMs: a.bfdDelayMs,
          work,
        }).catch((err: unknown) => ({
          n,
          workers: a.distWorkers,
          load: {},
          failures: [err instanceof Error ? err.message : String(err)],
        })),
      );
    } finally {
      if (!a.keep) rmSync(work, { recursive: true, force: true });
    }
  }
  const markdown = formatDistributed(results, relative(ROOT, file), new Date().toISOString().slice(0, 16));
  process.stdout.write(`${markdown}\n`);
  if (outFile) replaceSection(outFile, 'distributed', markdown);
  const failures = results.flatMap((r) => r.failures.map((f) => `N=${r.n}: ${f}`));
  if (failures.length > 0) {
    process.stderr.write(`bench FAILED (distributed): ${failures.join('; ')}\n`);
    return 1;
  }
  return 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  const outFile = argv.includes('--no-write')
    ? undefined
    : resolve(argv.includes('--out') ? argv[argv.indexOf('--out') + 1]! : join(ROOT, 'bench/results.md'));
  if (only === 'textfsm') return textfsmBench(argv, outFile);
  if (only === 'offline-tests') return offlineBench(outFile);
  if (only === 'distributed') return distributedBench(parseArgs(argv), outFile);
  process.stderr.write('bench: start-up ...\n');
  const startup = benchStartup(ROOT);
  process.stdout.write(`${startup.markdown}\n`);
  if (outFile) replaceSection(outFile, 'startup', startup.markdown);
  if (only === 'startup') return startup.met ? 0 : 1;
  process.stderr.write('bench: output processing ...\n');
  const output = benchOutput();
  process.stdout.write(`${output.markdown}\n`);
  if (outFile) replaceSection(outFile, 'output', output.markdown);
  if (only === 'output') return output.met ? 0 : 1;
  if (textfsmBench(argv, outFile) !== 0) return 1;
  if (offlineBench(outFile) !== 0) return 1;
  const a = parseArgs(argv);
  const work = mkdtempSync(join(tmpdir(), 'runbook-bench-'));
  const sections: ResultsSection[] = [];
  try {
    for (const [i, file] of a.runbooks.entries()) {
      const runbook = await loadRunbook(file);
      const pollMs = bfdPollMs(runbook.steps) ?? 1000;
      const qfpWindowMs = retryDelayOf(runbook.steps, QFP_COMMAND);
      process.stderr.write(
        `bench: ${runbook.name} (${file}), sizes ${a.sizes.join(', ')}, BFD delay ${a.bfdDelayMs} ms, floor poll ${pollMs} ms, work dir ${work}\n`,
      );
      const section: ResultsSection = {
        runbook: runbook.name,
        path: relative(ROOT, file),
        pollMs,
        qfpWindowMs,
        rows: [],
      };
      sections.push(section);
      for (const n of a.sizes) {
        process.stderr.write(`bench: N=${n} ...\n`);
        const row = await benchSize(n, a, file, pollMs, qfpWindowMs, join(work, String(i))).catch(
          (err: unknown) => failedRow(n, a, err),
        );
        section.rows.push(row);
        process.stderr.write(
          `bench: N=${n}: engine ${row.engine.wallS.toFixed(2)} s, floor ${row.floor.wallS.toFixed(2)} s, ratio ${(row.engine.wallS / row.floor.wallS).toFixed(2)}, engine peak RSS ${row.engine.peakRssMb.toFixed(0)} MB${row.failures.length ? `; FAILED: ${row.failures.join('; ')}` : ''}\n`,
        );
      }
    }
  } finally {
    if (!a.keep) rmSync(work, { recursive: true, force: true });
  }
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    date: new Date().toISOString(),
  };
  const text = formatResults({ sections, machine, bfdDelayMs: a.bfdDelayMs });
  process.stdout.write(`${text}\n`);
  if (a.out) {
    replaceSection(a.out, 'fleet', text.replace(/^# Benchmark results\n+/, ''));
    process.stderr.write(`bench: wrote ${a.out}\n`);
  }
  const failed = [
    ...sections.flatMap((sec) =>
      sec.rows.flatMap((r) => r.failures.map((f) => `${sec.runbook} N=${r.n}: ${f}`)),
    ),
    ...(a.distSizes.length > 0 && (await distributedBench(a, outFile)) !== 0
      ? ['distributed: see above']
      : []),
  ];
  if (failed.length > 0) {
    process.stderr.write(
      `\nbench FAILED: not every run was verified by the lab:\n  ${failed.join('\n  ')}\n`,
    );
    return 1;
  }
  return 0;
}

process.exitCode = await main();
