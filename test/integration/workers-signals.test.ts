/**
 * Workers and signals over real PostgreSQL against the lab: an idle worker stays quiet; SIGTERM
 * hands a worker's hosts back and another worker finishes them from their journals; Ctrl-C on the
 * operator's exec stops the fleet between steps, prints the resume command, and resuming through
 * the workers finishes the run.
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { commandsOf, scenarios, startFleetLab, recovered, type FleetLab } from './fleet-lab.js';
import { execWorkers, spawnCli, startWorker, stopWorker, type Proc } from './workers-harness.js';

const RUNBOOK = resolve('runbooks/recover-inv-spi.yaml');
const { enabled, cluster: pg } = postgresPerFile();

/** Every disruptive command a router got was journaled as sent; a step that ended was never sent again. */
async function checkNoFinishedStepResent(url: string, runId: string, f: FleetLab): Promise<number> {
  const store = await openPostgresStore({ url });
  let resumed = 0;
  try {
    const run = await store.openRun(runId);
    for (const r of f.lab.routers) {
      const records = await run.readJournal(r.name);
      if (records.filter((x) => x.type === 'host-start').length > 1) resumed++;
      const sent = records.flatMap((x) => (x.type === 'command' ? [x.command] : []));
      const audit = commandsOf(r);
      for (const c of new Set(sent))
        expect(audit.filter((a) => a === c).length, `${r.name}: ${c}`).toBe(
          sent.filter((s) => s === c).length,
        );
      const ended = new Set<string>();
      for (const x of records) {
        if (x.type === 'step-end') ended.add(x.key);
        if (x.type === 'command')
          expect(ended.has(x.key), `${r.name}: ${x.key} sent after it ended`).toBe(false);
      }
    }
  } finally {
    await store.close();
  }
  return resumed;
}

/** Resolves once some host of the database's runs journaled the end of a step. */
async function stepsEnded(url: string): Promise<void> {
  const store = await openPostgresStore({ url });
  try {
    for (;;) {
      const r = await store.pool.query(
        "SELECT 1 FROM runbook.journal WHERE NOT live AND line::jsonb->>'type' = 'step-end' LIMIT 1",
      );
      if (r.rows.length > 0) return;
      await sleep(50);
    }
  } finally {
    await store.close();
  }
}

describe.skipIf(!enabled)('runbook worker: signals', () => {
  it('a worker with no jobs idles quietly and stops at once on SIGTERM', async () => {
    const url = pg().createDatabase('workers_idle');
    const f = await startFleetLab({ scenarios: ['healthy'] });
    try {
      const w = startWorker(url, f);
      await w.waitFor(/serving group default/);
      await sleep(3000);
      expect(w.child.exitCode).toBeNull();
      expect(w.stderr().trim().split('\n')).toHaveLength(1);
      expect(await stopWorker(w)).toBe(0);
      expect(w.stderr()).toContain('stopped (0 hosts finished, 0 handed back)');
    } finally {
      await f.close();
    }
  });

  it(
    'SIGTERM: a worker finishes its steps and hands its hosts back; another worker finishes them',
    {
      timeout: 180_000,
    },
    async () => {
      const url = pg().createDatabase('workers_term');
      const f = await startFleetLab({ scenarios: scenarios(12, [2, 5, 9]) });
      const workers: Proc[] = [];
      try {
        const a = startWorker(url, f, ['--concurrency', '12']);
        workers.push(a);
        await a.waitFor(/serving group/);
        const exec = execWorkers(url, f, RUNBOOK, ['--forks', '12']);
        await a.waitFor(/: starting[\s\S]*: starting[\s\S]*: starting/);
        // stop it once some host is past a step, so there is something to resume
        await stepsEnded(url);
        expect(await stopWorker(a)).toBe(0);
        expect(a.stderr()).toMatch(/handed back/);
        const b = startWorker(url, f);
        workers.push(b);
        const code = await exec.exited;
        const doc = JSON.parse(exec.stdout()) as ResultDocument;
        expect(code, exec.stderr()).toBe(0);
        expect(doc.hosts.filter((h) => h.outcome !== 'ok').map((h) => h.host)).toEqual([]);
        expect(f.lab.routers.filter((r) => !recovered(r)).map((r) => r.name)).toEqual([]);
        expect(a.stderr()).toMatch(/: handed back$/m);
        expect(await checkNoFinishedStepResent(url, doc.runId, f), a.stderr() + b.stderr()).toBeGreaterThan(
          0,
        );
      } finally {
        await Promise.all(workers.map(stopWorker));
        await f.close();
      }
    },
  );

  it(
    'Ctrl-C on exec --workers stops the fleet, prints the resume command; resume --workers finishes',
    {
      timeout: 180_000,
    },
    async () => {
      const url = pg().createDatabase('workers_int');
      const f = await startFleetLab({ scenarios: scenarios(10, [3, 7]) });
      const workers: Proc[] = [];
      try {
        for (let i = 0; i < 2; i++) workers.push(startWorker(url, f, ['--concurrency', '2']));
        await Promise.all(workers.map((w) => w.waitFor(/serving group/)));
        const exec = execWorkers(url, f, RUNBOOK, ['--forks', '4'], { json: false });
        await workers[0]!.waitFor(/: starting/);
        exec.child.kill('SIGINT');
        expect(await exec.exited).toBe(4);
        const store = await openPostgresStore({ url });
        const listed = (await store.listRuns())[0]!;
        await store.close();
        expect(listed.outcome).toBe('interrupted');
        // the summary says how to continue, with the store's password masked
        const masked = url.replace(`:${pg().password}@`, ':****@');
        expect(exec.stdout()).toContain(`runbook resume ${listed.id} --store ${masked} --workers`);
        expect(exec.stdout() + exec.stderr()).not.toContain(pg().password);
        const doc = { runId: listed.id };

        const resume = spawnCli(['resume', doc.runId, '--store', url, '--workers', '--yes', '--json']);
        expect(await resume.exited, resume.stderr()).toBe(0);
        expect(f.lab.routers.filter((r) => !recovered(r)).map((r) => r.name)).toEqual([]);
        await checkNoFinishedStepResent(url, doc.runId, f);
      } finally {
        await Promise.all(workers.map(stopWorker));
        await f.close();
      }
    },
  );
});
