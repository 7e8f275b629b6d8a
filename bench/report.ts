/** bench/results.md: the measured table, the targets checked against it, and where the engine's time goes. */

export interface Measure {
  wallS: number;
  p50S: number;
  p95S: number;
  /** CPU seconds (user + system) of the measured process. */
  cpuS: number;
  peakRssMb: number;
}

export interface BenchRow {
  n: number;
  forks: number;
  engine: Measure;
  floor: Measure;
  /** Routers the lab reports recovered after each run. */
  verified: { engine: number; floor: number };
  /** Lines the first router received from the engine; steps the floor ran per router. */
  commandsPerHost: { engine: number; floor: number };
  /** Median seconds per host in each step id of the engine run (>= 50 ms), slowest first. */
  steps: { id: string; medianS: number }[];
  failures: string[];
}

export interface ResultsInput {
  rows: BenchRow[];
  machine: { nproc: number; cpu: string; node: string; date: string };
  runbook: string;
  runbookPath: string;
  bfdDelayMs: number;
  pollMs: number;
}

/** Nearest-rank percentile of `values` (NaN when empty). */
export function percentile(values: number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}

const s = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');
const mb = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');

export function formatResults(r: ResultsInput): string {
  const out: string[] = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` (bench/run.ts) on ${r.machine.date.slice(0, 10)}: ${r.machine.nproc} cores (${r.machine.cpu}), Node ${r.machine.node}.`,
    `Runbook \`${r.runbook}\` against N lab routers in the \`sdwan\` scenario (BFD up ${r.bfdDelayMs} ms after the rekey),`,
    'the lab in its own process, the engine (`runbook exec -i INVENTORY --forks F --yes --json`) in another; then, on a',
    'fresh lab, the floor: a plain ssh2 script sending the same commands (each once, in order) at the same concurrency,',
    `polling \`show sdwan bfd sessions\` every ${r.pollMs} ms (the runbook's interval) until BFD is up. Wall = spawn to exit;`,
    'CPU and peak RSS are the measured process\'s own (getrusage); p50/p95 are per-host durations. Recovery is checked',
    "on the lab's state (every SD-WAN peer: SA ok, BFD up), not on the engine's word.",
    '',
    '| N | forks | engine wall s | floor wall s | ratio | engine p50 s | engine p95 s | floor p50 s | floor p95 s | engine CPU s | floor CPU s | engine peak RSS MB | floor peak RSS MB | verified (engine/floor) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of r.rows) {
    const e = row.engine;
    const f = row.floor;
    out.push(
      `| ${row.n} | ${row.forks} | ${s(e.wallS)} | ${s(f.wallS)} | **${s(e.wallS / f.wallS)}** | ${s(e.p50S)} | ${s(e.p95S)} | ${s(f.p50S)} | ${s(f.p95S)} | ${s(e.cpuS)} | ${s(f.cpuS)} | ${mb(e.peakRssMb)} | ${mb(f.peakRssMb)} | ${row.verified.engine}/${row.n}, ${row.verified.floor}/${row.n} |`,
    );
  }
  out.push('', '## Targets', '');
  const at200 = r.rows.find((x) => x.n === 200);
  const at1000 = r.rows.find((x) => x.n === 1000);
  out.push(
    at200
      ? `- ratio engine/floor at N=200 at most 1.3: ${s(at200.engine.wallS / at200.floor.wallS)} — ${at200.engine.wallS / at200.floor.wallS <= 1.3 ? 'met' : 'NOT met'}`
      : '- ratio at N=200: not measured in this run',
    at1000
      ? `- 1,000 routers recovered and verified, engine peak RSS under 500 MB: ${at1000.verified.engine}/1000 verified, ${mb(at1000.engine.peakRssMb)} MB — ${at1000.verified.engine === 1000 && at1000.engine.peakRssMb < 500 && at1000.failures.length === 0 ? 'met' : 'NOT met'}`
      : '- 1,000 routers: not measured in this run',
  );
  const failures = r.rows.flatMap((x) => x.failures.map((f) => `- N=${x.n}: ${f}`));
  if (failures.length > 0) out.push('', '## Failures', '', ...failures);
  const big = r.rows.at(-1);
  if (big && big.steps.length > 0) {
    out.push(
      '',
      `## Where a host's time goes (engine, N=${big.n})`,
      '',
      `Median seconds per host in each step (steps under 50 ms left out). The first router received ${big.commandsPerHost.engine}`,
      `lines from the engine; the floor ran ${big.commandsPerHost.floor} steps per router.`,
      '',
      '| step | median s per host |',
      '|---|---:|',
      ...big.steps.map((x) => `| ${x.id} | ${s(x.medianS)} |`),
    );
  }
  return `${out.join('\n')}\n`;
}
