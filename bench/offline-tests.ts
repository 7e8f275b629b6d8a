/**
 * `node dist/bench/offline-tests.js [--runs N]`: how long `runbook test` takes on the shipped
 * suites (runbooks/*.test.yaml, examples/*.test.yaml), spawn to exit, as `npm test` runs it; and
 * the wall time per case the CLI prints. The target: under 10 s in all, a case a few ms plus
 * nothing for the runbook's own waits (virtual time).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const i = process.argv.indexOf('--runs');
const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;

const walls: number[] = [];
let cases: number[] = [];
let device = 0;
for (let n = 0; n < runs; n++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'test'], { cwd: ROOT, encoding: 'utf8' });
  walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(1);
  }
  cases = [...r.stdout.matchAll(/\((\d+) ms(?:, ([\d.]+) s device time)?\)$/gm)].map((m) => Number(m[1]));
  device = [...r.stdout.matchAll(/, ([\d.]+) s device time\)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
}
walls.sort((a, b) => a - b);
cases.sort((a, b) => a - b);
const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)] ?? 0;
process.stdout.write(
  [
    `runbook test, shipped suites: ${cases.length} cases, ${runs} runs`,
    `  wall (spawn to exit): median ${median(walls).toFixed(0)} ms, max ${walls.at(-1)!.toFixed(0)} ms`,
    `  per case (last run): median ${median(cases)} ms, max ${cases.at(-1)} ms (the first case loads the runbook)`,
    `  device time skipped by virtual time: ${device.toFixed(1)} s`,
    '',
  ].join('\n'),
);
