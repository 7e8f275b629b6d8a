/**
 * Start-up cost of the `runbook` command: `runbook --version`, `--help` and `validate` of the
 * shipped runbook against `node -e 0`, each spawned `runs` times in a row; medians of wall time.
 * Target: `runbook --version` within 3x of `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

interface Case {
  label: string;
  args: string[];
}

export interface StartupResult {
  markdown: string;
  met: boolean;
}

function medianMs(args: string[], runs: number, cwd: string): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd, stdio: 'ignore' });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    times.push(Number(t1 - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function benchStartup(root: string, runs = 15): StartupResult {
  const cli = join(root, 'dist/src/cli/main.js');
  const cases: Case[] = [
    { label: '`node -e 0` (the floor)', args: ['-e', '0'] },
    { label: '`runbook --version`', args: [cli, '--version'] },
    { label: '`runbook --help`', args: [cli, '--help'] },
    {
      label: '`runbook validate runbooks/recover-inv-spi.yaml`',
      args: [cli, 'validate', 'runbooks/recover-inv-spi.yaml'],
    },
  ];
  const ms = cases.map((c) => medianMs(c.args, runs, root));
  const floor = ms[0]!;
  const rows = cases.map((c, i) => `| ${c.label} | ${ms[i]!.toFixed(0)} | ${(ms[i]! / floor).toFixed(2)} |`);
  const version = ms[1]! / floor;
  const met = version <= 3;
  const markdown = [
    '## Start-up',
    '',
    `Median wall time of ${runs} spawns each, one after another (bench/startup.ts).`,
    '',
    '| command | median ms | x `node -e 0` |',
    '|---|---:|---:|',
    ...rows,
    '',
    `Target: \`runbook --version\` within 3x of \`node -e 0\`: ${version.toFixed(2)}x — ${met ? 'met' : 'NOT met'}`,
  ].join('\n');
  return { markdown, met };
}
