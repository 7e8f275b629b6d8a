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
  /** CPU seconds of the lab process, from its start to the end of the engine run / the floor run (routers' host-key setup included). */
  labCpuS: { engine: number; floor: number };
  /** Lines the first router received from the engine; steps the floor ran per router. */
  commandsPerHost: { engine: number; floor: number };
  /** Median seconds per host in each step id of the engine run (>= 50 ms), slowest first. */
  steps: { id: string; medianS: number }[];
  failures: string[];
}

/** One runbook's runs, one row per size. */
export interface ResultsSection {
  runbook: string;
  /** Path relative to the repository. */
  path: string;
  /** The floor's BFD poll interval (the runbook's). */
  pollMs: number;
  /** The QFP steadiness window the floor waits too (the runbook's), if the runbook has one. */
  qfpWindowMs?: number;
  rows: BenchRow[];
}

export interface ResultsInput {
  /** The first section is the target runbook (recover-inv-spi): the targets are checked on it. */
  sections: ResultsSection[];
  machine: { nproc: number; cpu: string; node: string; date: string };
  bfdDelayMs: number;
}

/** Nearest-rank percentile of `values` (NaN when empty). */
export function percentile(values: number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}

const s = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');
const mb = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');

const ratio = (row: BenchRow): number => row.engine.wallS / row.floor.wallS;

function table(sec: ResultsSection): string[] {
  const out = [
    '| N | forks | engine wall s | floor wall s | ratio | engine p50 s | engine p95 s | floor p50 s | floor p95 s | engine CPU s | floor CPU s | engine peak RSS MB | floor peak RSS MB | lab CPU s (engine run, floor run) | verified by the lab (engine, floor) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const row of sec.rows) {
    const e = row.engine;
    const f = row.floor;
    out.push(
      `| ${row.n} | ${row.forks} | ${s(e.wallS)} | ${s(f.wallS)} | **${s(ratio(row))}** | ${s(e.p50S)} | ${s(e.p95S)} | ${s(f.p50S)} | ${s(f.p95S)} | ${s(e.cpuS)} | ${s(f.cpuS)} | ${mb(e.peakRssMb)} | ${mb(f.peakRssMb)} | ${s(row.labCpuS.engine)}, ${s(row.labCpuS.floor)} | ${row.verified.engine}/${row.n}, ${row.verified.floor}/${row.n} |`,
    );
  }
  return out;
}

function targets(sec: ResultsSection): string[] {
  const at200 = sec.rows.find((x) => x.n === 200);
  const at1000 = sec.rows.find((x) => x.n === 1000);
  return [
    at200
      ? `- ratio engine/floor at N=200 at most 1.3: ${s(ratio(at200))} — ${ratio(at200) <= 1.3 ? 'met' : 'NOT met'}`
      : '- ratio at N=200: not measured in this run',
    at1000
      ? `- 1,000 routers recovered and verified by the lab, engine peak RSS under 500 MB: ${at1000.verified.engine}/1000 verified, ${mb(at1000.engine.peakRssMb)} MB — ${at1000.verified.engine === 1000 && at1000.engine.peakRssMb < 500 && at1000.failures.length === 0 ? 'met' : 'NOT met'}`
      : '- 1,000 routers: not measured in this run',
  ];
}

function breakdown(sec: ResultsSection): string[] {
  const big = sec.rows.find((x) => x.n === 200) ?? sec.rows.at(-1);
  if (!big || big.steps.length === 0) return [];
  return [
    '',
    `Where a host's time goes (engine, N=${big.n}): median seconds per host in each command step (under 50 ms left out).`,
    `The first router received ${big.commandsPerHost.engine} lines from the engine (session setup included); the floor ran ${big.commandsPerHost.floor} steps per router.`,
    '',
    '| step | median s per host |',
    '|---|---:|',
    ...big.steps.map((x) => `| ${x.id} | ${s(x.medianS)} |`),
  ];
}

export function formatResults(r: ResultsInput): string {
  const out: string[] = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` (bench/run.ts) on ${r.machine.date.slice(0, 10)}: ${r.machine.nproc} cores (${r.machine.cpu}), Node ${r.machine.node}.`,
    '',
    `Each runbook runs against N lab routers in the \`sdwan\` scenario (BFD comes up ${r.bfdDelayMs} ms after the rekey: the`,
    "device's own recovery time). The lab runs in its own process, the engine (`runbook exec RUNBOOK -i INVENTORY --forks F",
    '--yes --json`) in another. Then, on a fresh lab, the floor: a plain ssh2 script (bench/floor.ts) sending the commands',
    'the engine sent to the first router, each once and in order, at the same concurrency, except that after the rekey it',
    "polls `show sdwan bfd sessions` at the runbook's interval until every BFD session is up, and, when the runbook checks",
    'that the QFP invalid-SPI counter stopped growing, reads it twice the same window apart (the procedure needs that',
    'window; a hand-written script would wait it too). Wall = spawn to exit of the',
    "measured process; CPU and peak RSS are that process's own (getrusage); p50/p95 are per-host durations. After every",
    "run the lab's own state must show every router's SD-WAN peers with SA ok and BFD up, or the bench fails.",
    'Each cell is one run. At N=1000 lab and engine saturate the two cores (SSH key exchanges, encryption), and on a',
    'shared VM the wall time of repeated runs varied up to 2x; compare the ratio within one run, and rerun for a range.',
  ];
  r.sections.forEach((sec, i) => {
    out.push(
      '',
      `## ${sec.runbook} (${sec.path}), floor poll every ${sec.pollMs} ms${sec.qfpWindowMs ? `, QFP window ${sec.qfpWindowMs} ms` : ''}`,
      '',
      ...table(sec),
    );
    if (i === 0) out.push('', 'Targets:', '', ...targets(sec));
    out.push(...breakdown(sec));
    const failures = sec.rows.flatMap((x) => x.failures.map((f) => `- N=${x.n}: ${f}`));
    if (failures.length > 0) out.push('', 'FAILURES:', '', ...failures);
  });
  return `${out.join('\n')}\n`;
}
