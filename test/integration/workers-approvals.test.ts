/**
 * Approvals relayed through the store, as an operator meets them: `runbook exec --workers` without
 * --yes on a real terminal (util-linux `script` gives it a pty), a `runbook worker` waiting on each
 * disruptive step until the operator answers at the exec's prompt. The evidence shown (captured CEL
 * ints among it) travels through the store and back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { needTool } from '../helpers/tools.js';
import { recovered, scenarios, startFleetLab } from './fleet-lab.js';
import { LAB_PASSWORD, labFlags, PASSWORD_ENV, startWorker, stopWorker } from './workers-harness.js';

const RUNBOOK = resolve('runbooks/recover-inv-spi.yaml');
const { enabled, cluster: pg } = postgresPerFile();
const haveScript = needTool(
  spawnSync('script', ['--version']).status === 0,
  'script (util-linux, for a pty)',
);

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pty; `answer(n)` is called at the n-th approval prompt and returns the keys to type. */
function onTerminal(
  args: string[],
  answer: (prompts: number) => string | undefined,
): Promise<{ code: number | null; screen: string }> {
  const cmd = [process.execPath, CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: ROOT,
    env: {
      ...process.env,
      [PASSWORD_ENV]: LAB_PASSWORD,
      NO_COLOR: '1',
      TERM: 'xterm',
      COLUMNS: '160',
      RUNBOOK_QUEUE_MAINTENANCE_S: '1',
    },
  });
  let screen = '';
  let answered = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    const prompts = screen.split('Run it? [y]es').length - 1;
    while (answered < prompts) {
      answered++;
      const keys = answer(answered);
      if (keys !== undefined) child.stdin.write(`${keys}\r`);
    }
  });
  child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, screen })));
}

describe.skipIf(!enabled || !haveScript)('exec --workers asks the operator', () => {
  it(
    "a worker waits on each disruptive step until the operator's exec answers at its prompt",
    { timeout: 120_000 },
    async () => {
      const url = pg().createDatabase('workers_ask');
      const f = await startFleetLab({ scenarios: scenarios(2) });
      const w = startWorker(url, f);
      try {
        await w.waitFor(/serving group/);
        // the first question answered yes, the second "all": every later one is approved unasked
        const run = await onTerminal(
          ['exec', RUNBOOK, '-i', f.inventory, ...labFlags(f), '--store', url, '--workers'],
          (n) => (n === 1 ? 'y' : n === 2 ? 'a' : undefined),
        );
        expect(run.code, run.screen).toBe(0);
        expect(run.screen).toMatch(/edge1: step \S+ wants to run|edge2: step \S+ wants to run/);
        expect(run.screen.split('Run it? [y]es').length - 1, run.screen).toBe(2);
        expect(f.lab.routers.filter((r) => !recovered(r)).map((r) => r.name)).toEqual([]);
        // nothing went wrong on the worker's side (an approval the store could not hold was a retry)
        expect(w.stderr()).not.toMatch(/error:/);

        const store = await openPostgresStore({ url });
        try {
          const runs = await store.listRuns();
          const approvals = await (await store.openRun(runs[0]!.id)).approvals();
          expect(approvals.length).toBeGreaterThanOrEqual(2);
          expect(approvals.every((a) => a.decision?.approved === true)).toBe(true);
          const captured = approvals.flatMap((a) =>
            (a.evidence ?? []).flatMap((e) => Object.values(e.captures ?? {})),
          );
          // typed as captured: CEL ints come back as bigints, not strings or a failed insert
          expect(JSON.stringify(captured, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toMatch(
            /\d+n/,
          );
        } finally {
          await store.close();
        }
      } finally {
        await stopWorker(w);
        await f.close();
      }
    },
  );
});
