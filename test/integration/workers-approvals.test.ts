/**
 * Approvals relayed through the store, as an operator meets them: `runbook exec --workers` without
 * --yes on a real terminal (util-linux `script` gives it a pty), a `runbook worker` waiting on each
 * disruptive step until the operator answers at the exec's prompt. The evidence shown (captured CEL
 * ints among it) travels through the store and back.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { needTool } from '../helpers/tools.js';
import { recovered, scenarios, startFleetLab } from './fleet-lab.js';
import { ptyCli, waitFor } from './resume-lab.js';
import { LAB_PASSWORD, labFlags, PASSWORD_ENV, startWorker, stopWorker } from './workers-harness.js';

const RUNBOOK = resolve('runbooks/recover-inv-spi.yaml');
const { enabled, cluster: pg } = postgresPerFile();
const haveScript = needTool(
  spawnSync('script', ['--version']).status === 0,
  'script (util-linux, for a pty)',
);

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
        const exec = ptyCli(
          ['exec', RUNBOOK, '-i', f.inventory, ...labFlags(f), '--store', url, '--workers'],
          {
            [PASSWORD_ENV]: LAB_PASSWORD,
            RUNBOOK_QUEUE_MAINTENANCE_S: '1',
          },
        );
        const prompts = (): number => exec.screen().split('Run it? [y]es').length - 1;
        // the first question answered yes, the second "all": every later one is approved unasked
        await waitFor('the first approval prompt', () => prompts() >= 1, { timeoutMs: 30_000 });
        exec.type('y\r');
        await waitFor('the second approval prompt', () => prompts() >= 2, { timeoutMs: 30_000 });
        exec.type('a\r');
        const done = await exec.done;
        const run = { code: done.code, screen: exec.screen() };
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
