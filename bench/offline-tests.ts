/**
 * How long `runbook test` takes on the shipped suites (runbooks/*.test.yaml, examples/*.test.yaml),
 * spawn to exit, as `npm test` runs it, `runs` times in a row; and the wall time per case the CLI
 * prints. Target: under 10 s in all; a case a few ms, the runbooks' own waits skipped (virtual time).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface OfflineTestsResult {
  markdown: string;
  met: boolean;
}

const TARGET_MS = 10_000;

export function benchOfflineTests(root: string, runs = 5): OfflineTestsResult {
  const cli = join(root, 'dist/src/cli/main.js');
  const walls: number[] = [];
  let cases: number[] = [];
  let deviceS = 0;
  for (let n = 0; n < runs; n++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, 'test'], { cwd: root, encoding: 'utf8' });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`runbook test exited ${r.status}:\n${r.stdout}${r.stderr}`);
    cases = [...r.stdout.matchAll(/\((\d+) ms(?:, [\d.]+ s device time)?\)$/gm)].map((m) => Number(m[1]));
    deviceS = [...r.stdout.matchAll(/, ([\d.]+) s device time\)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
  }
  walls.sort((a, b) => a - b);
  cases.sort((a, b) => a - b);
  const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)] ?? 0;
  const wall = median(walls);
  const met = walls.at(-1)! < TARGET_MS;
  const markdown = [
    '## runbook test (offline suites)',
    '',
    `\`runbook test\` on the shipped suites (${cases.length} cases), spawn to exit, ${runs} runs in a row (bench/offline-tests.ts).`,
    '',
    '| measure | value |',
    '|---|---:|',
    `| wall, median | ${wall.toFixed(0)} ms |`,
    `| wall, max | ${walls.at(-1)!.toFixed(0)} ms |`,
    `| per case, median | ${median(cases)} ms |`,
    `| per case, max (the first case loads and compiles the runbook) | ${cases.at(-1)} ms |`,
    `| runbook waits skipped by virtual time | ${deviceS.toFixed(1)} s |`,
    '',
    `Target: under ${TARGET_MS / 1000} s in all: ${(walls.at(-1)! / 1000).toFixed(1)} s — ${met ? 'met' : 'NOT met'}`,
  ].join('\n');
  return { markdown, met };
}
