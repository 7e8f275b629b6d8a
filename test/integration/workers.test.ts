/**
 * Work distribution over real PostgreSQL and real worker processes against the lab: a 100-router
 * mixed fleet run by 3 workers recovers (the lab's own state says so); a worker killed with SIGKILL
 * mid-run loses nothing and no finished disruptive step is sent twice (the lab's audit log against
 * the journals); a lock held through one store blocks an exec on another "machine".
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../src/lab/topology.js';
import type { Scenario } from '../../src/lab/index.js';
import type { ResultDocument } from '../../src/report/json.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { JournalRecord } from '../../src/store/journal-record.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { commandsOf, startFleetLab, type FleetLab } from './fleet-lab.js';
import { execWorkers, spawnCli, labFlags, startWorker, stopWorker, type Proc } from './workers-harness.js';

const RUNBOOK = resolve('runbooks/recover-inv-spi.yaml');
const { enabled, cluster: pg } = postgresPerFile();

const mixed = (n: number): Scenario[] =>
  Array.from({ length: n }, (_, i) => SCENARIOS.filter((s) => s !== 'mixed')[i % 4]!);

/** Per the lab's state: every peer's SA is ok and its BFD (where it has one) is up. */
function recovered(f: FleetLab): string[] {
  return f.lab.routers
    .filter((r) => !r.state().peers.every((p) => p.sa === 'ok' && (p.bfd ?? 'up') === 'up'))
    .map((r) => r.name);
}

async function journals(url: string, runId: string): Promise<Map<string, JournalRecord[]>> {
  const store = await openPostgresStore({ url });
  try {
    const run = await store.openRun(runId);
    const out = new Map<string, JournalRecord[]>();
    for (const t of run.meta.targets) out.set(t.name, await run.readJournal(t.name));
    return out;
  } finally {
    await store.close();
  }
}

/** Resolves once one of the hosts `victim` logged as starting has its started mark in the store. */
async function untilJournaled(url: string, victim: Proc): Promise<void> {
  const store = await openPostgresStore({ url });
  try {
    for (;;) {
      const hosts = [...victim.stderr().matchAll(/ (\S+): starting/g)].map((m) => m[1]!);
      const r = await store.pool.query('SELECT 1 FROM runbook.started_hosts WHERE host = ANY($1)', [hosts]);
      if (r.rows.length > 0) return;
      await new Promise((done) => setTimeout(done, 10));
    }
  } finally {
    await store.close();
  }
}

describe.skipIf(!enabled)('runbook worker over PostgreSQL against the lab', () => {
  it('a 100-router mixed fleet run by 3 workers recovers, per the lab', { timeout: 300_000 }, async () => {
    const url = pg().createDatabase('workers_fleet');
    const f = await startFleetLab({ scenarios: mixed(100) });
    const workers: Proc[] = [];
    try {
      for (let i = 0; i < 3; i++) workers.push(startWorker(url, f));
      await Promise.all(workers.map((w) => w.waitFor(/serving group/)));
      const exec = execWorkers(url, f, RUNBOOK, ['--forks', '100']);
      const code = await exec.exited;
      const doc = JSON.parse(exec.stdout()) as ResultDocument;
      expect(code, exec.stderr()).toBe(0);
      expect(doc.hosts).toHaveLength(100);
      expect(doc.hosts.filter((h) => h.outcome !== 'ok').map((h) => h.host)).toEqual([]);
      expect(recovered(f)).toEqual([]);
      // every worker took part
      const served = workers.map((w) => (w.stderr().match(/: starting/g) ?? []).length);
      expect(
        served.every((n) => n > 0),
        workers.map((w) => `${w.stderr().slice(0, 600)} exit=${w.child.exitCode}`).join('\n---\n'),
      ).toBe(true);
      const list = spawnCli(['runs', '--store', url]);
      expect(await list.exited).toBe(0);
      expect(list.stdout()).toContain(doc.runId);
    } finally {
      await Promise.all(workers.map(stopWorker));
      await f.close();
    }
  });

  it(
    'a worker killed with SIGKILL mid-run: every router still recovers, no finished disruptive step is sent twice',
    { timeout: 300_000 },
    async () => {
      const url = pg().createDatabase('workers_kill');
      const f = await startFleetLab({ scenarios: mixed(40) });
      const workers: Proc[] = [];
      try {
        for (let i = 0; i < 3; i++) workers.push(startWorker(url, f, ['--concurrency', '6']));
        await Promise.all(workers.map((w) => w.waitFor(/serving group/)));
        const exec = execWorkers(url, f, RUNBOOK, ['--forks', '40']);
        const victim = workers[0]!;
        await victim.waitFor(/: starting[\s\S]*: starting[\s\S]*: starting/);
        // mid-run, once its journal holds a started host (records nobody waits for are written
        // asynchronously, so a host killed before its first write is simply run afresh)
        await untilJournaled(url, victim);
        victim.child.kill('SIGKILL');
        const code = await exec.exited;
        const doc = JSON.parse(exec.stdout()) as ResultDocument;
        expect(code, exec.stderr()).toBe(0);
        expect(doc.hosts.filter((h) => h.outcome !== 'ok').map((h) => h.host)).toEqual([]);
        expect(recovered(f)).toEqual([]);

        const byHost = await journals(url, doc.runId);
        let resumed = 0;
        for (const r of f.lab.routers) {
          const records = byHost.get(r.name) ?? [];
          if (records.filter((x) => x.type === 'host-start').length > 1) resumed++;
          // every disruptive command the router received was journaled before it was sent ...
          const journaled = records
            .filter((x) => x.type === 'command')
            .map((x) => x.type === 'command' && x.command);
          const audit = commandsOf(r);
          for (const c of new Set(journaled))
            expect(audit.filter((a) => a === c).length, `${r.name}: ${c}`).toBe(
              journaled.filter((j) => j === c).length,
            );
          // ... and a step that ended is never sent again afterwards
          const ended = new Set<string>();
          for (const x of records) {
            if (x.type === 'step-end') ended.add(x.key);
            if (x.type === 'command')
              expect(ended.has(x.key), `${r.name}: ${x.key} re-sent after it ended`).toBe(false);
          }
        }
        // the killed worker's hosts were resumed by the others
        expect(resumed).toBeGreaterThan(0);
      } finally {
        await Promise.all(workers.map(stopWorker));
        await f.close();
      }
    },
  );

  it('a host lock held through one store blocks an exec on another machine (process and state dir)', async () => {
    const url = pg().createDatabase('workers_lock');
    const f = await startFleetLab({ scenarios: ['sdwan'] });
    const holder = await openPostgresStore({ url });
    try {
      const lock = await holder.lockHost('edge1', 'run-elsewhere');
      const before = commandsOf(f.router('edge1')).length;
      const exec = spawnCli([
        'exec',
        RUNBOOK,
        '-i',
        f.inventory,
        ...labFlags(f),
        '--store',
        url,
        '--state-dir',
        resolve(f.dir, 'other-machine'),
        '--yes',
      ]);
      expect(await exec.exited).toBe(2);
      expect(exec.stderr()).toContain('host edge1 is locked by run run-elsewhere');
      expect(commandsOf(f.router('edge1')).length).toBe(before);
      await lock.release();
    } finally {
      await holder.close();
      await f.close();
    }
  });
});
