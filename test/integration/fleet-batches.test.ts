/**
 * `runbook exec -i INVENTORY --serial/--max-fail/--keep-going` over real SSH against 50 lab routers,
 * judged by the lab's audit logs (which router received which command, when) and its state.
 * Routers in the `sdwan-cleared` scenario make the fixture runbook fail (before its rekey, or at
 * its verification with `--var check_sa=false`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import {
  REKEY,
  SHOW_SA,
  VERIFY,
  commandsOf,
  edges,
  execFleet,
  recovered,
  scenarios,
  spanOf,
  startFleetLab,
  type FleetLab,
} from './fleet-lab.js';

const labs: FleetLab[] = [];
afterEach(async () => {
  for (const l of labs.splice(0)) await l.close();
});

async function fleet(...args: Parameters<typeof startFleetLab>): Promise<FleetLab> {
  const f = await startFleetLab(...args);
  labs.push(f);
  return f;
}

function batchesOf(names: string[], size: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < names.length; i += size) out.push(names.slice(i, i + size));
  return out;
}

describe('serial batches and max-fail against 50 lab routers', () => {
  it('stops after the batch whose failures exceed --max-fail: later batches receive nothing', async () => {
    // batch 2 (edge11-edge20) has 2 of 10 routers with a cleared SA: 20% > 10%
    const f = await fleet({ scenarios: scenarios(50, [13, 17]) });
    const run = await execFleet(f, ['--serial', '10', '--max-fail', '10%', '--forks', '10', '--json']);
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout) as ResultDocument;

    const [b1, b2, ...later] = batchesOf(edges(1, 50), 10);
    for (const name of b1!) {
      const r = f.router(name);
      expect(commandsOf(r), name).toEqual(expect.arrayContaining([SHOW_SA, REKEY, VERIFY]));
      expect(recovered(r), name).toBe(true);
    }
    for (const name of b2!) {
      const cmds = commandsOf(f.router(name));
      expect(cmds, name).toContain(SHOW_SA);
      if (name === 'edge13' || name === 'edge17') {
        expect(cmds, `${name} failed its assert before the rekey`).not.toContain(REKEY);
      } else {
        expect(cmds, name).toContain(REKEY);
        expect(recovered(f.router(name)), name).toBe(true);
      }
    }
    for (const name of later.flat()) {
      expect(f.router(name).audit(), `${name} is in a batch after the stop`).toEqual([]);
      expect(recovered(f.router(name))).toBe(false);
    }

    // batch 2 started only after every router of batch 1 had received its last command
    const lastOfB1 = Math.max(...b1!.map((n) => spanOf(f.router(n))!.last));
    const firstOfB2 = Math.min(...b2!.map((n) => spanOf(f.router(n))!.first));
    expect(firstOfB2).toBeGreaterThanOrEqual(lastOfB1);

    const outcome = new Map(doc.hosts.map((h) => [h.host, h.outcome]));
    expect(outcome.get('edge13')).toBe('failed');
    expect(outcome.get('edge12')).toBe('ok');
    expect(outcome.get('edge21')).toBe('pending');
    expect(doc.messages.join('\n')).toMatch(
      /2 of 10 hosts in batch 2 failed \(20%\), more than --max-fail 10%/,
    );
  });

  it('goes on through every batch while each batch stays within --max-fail', async () => {
    // one cleared router per batch of 10: 10% is not more than 10%
    const f = await fleet({ scenarios: scenarios(50, [5, 15, 25, 35, 45]) });
    const run = await execFleet(f, ['--serial', '10', '--max-fail', '10%', '--forks', '10']);
    expect(run.code, run.stderr).toBe(1);
    for (const r of f.lab.routers) {
      const failing = ['edge5', 'edge15', 'edge25', 'edge35', 'edge45'].includes(r.name);
      expect(commandsOf(r), r.name).toContain(SHOW_SA);
      expect(commandsOf(r).includes(REKEY), r.name).toBe(!failing);
      expect(recovered(r), r.name).toBe(!failing);
    }
    const batches = batchesOf(edges(1, 50), 10);
    for (let b = 1; b < batches.length; b++) {
      const prevLast = Math.max(...batches[b - 1]!.map((n) => spanOf(f.router(n))!.last));
      const first = Math.min(...batches[b]!.map((n) => spanOf(f.router(n))!.first));
      expect(first, `batch ${b + 1} starts after batch ${b}`).toBeGreaterThanOrEqual(prevLast);
    }
    expect(run.stdout).toMatch(/edge15/);
    expect(run.stdout).toMatch(/--limit @\S+retry/);
  });

  it('without --max-fail, stops only after a batch where every host failed', async () => {
    // batches of 2; batch 2 (edge3, edge4) fails entirely
    const f = await fleet({ scenarios: scenarios(50, [3, 4, 7]) });
    const run = await execFleet(f, ['--serial', '2', '--forks', '5']);
    expect(run.code, run.stderr).toBe(1);
    expect(recovered(f.router('edge1'))).toBe(true);
    expect(recovered(f.router('edge2'))).toBe(true);
    expect(commandsOf(f.router('edge3'))).not.toContain(REKEY);
    expect(commandsOf(f.router('edge4'))).not.toContain(REKEY);
    for (const name of edges(5, 50)) expect(f.router(name).audit(), name).toEqual([]);
    expect(run.stdout).toMatch(/every host in batch 2 failed/);
  });

  it('growing batches (--serial 1,5,20%) run in order: 1, 5, then 10 hosts at a time', async () => {
    const f = await fleet({ scenarios: scenarios(50) });
    const run = await execFleet(f, ['--serial', '1,5,20%', '--forks', '10']);
    expect(run.code, run.stderr).toBe(0);
    const sizes = [1, 5, 10, 10, 10, 10, 4];
    let at = 0;
    let prevLast = 0;
    for (const size of sizes) {
      const names = edges(at + 1, at + size);
      const first = Math.min(...names.map((n) => spanOf(f.router(n))!.first));
      expect(first, `batch starting at edge${at + 1}`).toBeGreaterThanOrEqual(prevLast);
      prevLast = Math.max(...names.map((n) => spanOf(f.router(n))!.last));
      at += size;
    }
    expect(f.lab.routers.every(recovered)).toBe(true);
  });
});

describe('a failed disruptive step stops disruptive steps on the other hosts', () => {
  it('refuses the rekey on hosts run after the failure, and --keep-going lets them recover', async () => {
    // edge2's SA was cleared: its rekey runs (check_sa=false) but BFD never comes up
    const f = await fleet({ scenarios: scenarios(6, [2]) });
    const run = await execFleet(f, ['--forks', '1', '--var', 'check_sa=false', '--json']);
    expect(run.code, run.stderr).toBe(1);
    expect(commandsOf(f.router('edge1'))).toContain(REKEY);
    expect(recovered(f.router('edge1'))).toBe(true);
    expect(commandsOf(f.router('edge2'))).toContain(REKEY);
    expect(commandsOf(f.router('edge2')).filter((c) => c === VERIFY).length).toBeGreaterThan(1);
    for (const name of edges(3, 6)) {
      const cmds = commandsOf(f.router(name));
      expect(cmds, name).toContain(SHOW_SA);
      expect(cmds, name).not.toContain(REKEY);
      expect(recovered(f.router(name)), name).toBe(false);
    }
    const doc = JSON.parse(run.stdout) as ResultDocument;
    expect(doc.hosts.find((h) => h.host === 'edge3')!.outcome).toBe('failed');
    expect(doc.hosts.find((h) => h.host === 'edge3')!.message).toMatch(/approval refused/);
    expect(doc.messages.join('\n')).toMatch(/a disruptive step failed on edge2; .*--keep-going/);

    const g = await fleet({ scenarios: scenarios(6, [2]) });
    const again = await execFleet(g, ['--forks', '1', '--var', 'check_sa=false', '--keep-going']);
    expect(again.code, again.stderr).toBe(1);
    for (const name of ['edge1', ...edges(3, 6)]) {
      expect(commandsOf(g.router(name)), name).toContain(REKEY);
      expect(recovered(g.router(name)), name).toBe(true);
    }
  });
});
