import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import type { InventoryHost } from '../../src/fleet/inventory.js';
import { parseInventory } from '../../src/fleet/inventory.js';
import { selectHosts } from '../../src/fleet/limit.js';
import { RunStore } from '../../src/store/runs.js';
import { parseSerial, runFleet, type FleetOptions, type HostRunContext } from '../../src/fleet/scheduler.js';

type Outcome = 'ok' | 'failed' | 'unreachable' | 'awaiting-approval' | 'interrupted';
interface Result {
  outcome: Outcome;
  batch: number;
}

function fleet(n: number): InventoryHost[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `r${String(i + 1).padStart(2, '0')}`,
    address: '127.0.0.1',
    vars: {},
    groups: ['all'],
    pos: { file: 'inv.yml', line: i + 1, col: 1 },
  }));
}

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));
const opts = (o: Partial<FleetOptions> = {}): FleetOptions => ({ forks: 20, keepGoing: false, ...o });

/** A fake runOne: records concurrency and start/end order; outcome per host from `outcomes` (default ok). */
function fake(outcomes: Record<string, Outcome> = {}) {
  let inFlight = 0;
  const log: string[] = [];
  const stats = { maxInFlight: 0, log };
  const runOne = async (h: InventoryHost, ctx: HostRunContext): Promise<Result> => {
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    log.push(`start ${h.name}`);
    await tick(1 + (Number(h.name.slice(1)) % 3));
    log.push(`end ${h.name}`);
    inFlight--;
    return { outcome: outcomes[h.name] ?? 'ok', batch: ctx.batch };
  };
  return { runOne, stats };
}

describe('parseSerial (batch sizes like Ansible serial)', () => {
  test.each([
    ['3', 10, [3, 3, 3, 1]],
    ['30%', 20, [6, 6, 6, 2]],
    ['1,5,10', 30, [1, 5, 10, 10, 4]],
    ['10%,20%,100%', 20, [2, 4, 14]],
    ['1, 5, 20%', 12, [1, 5, 2, 2, 2]],
    ['1%', 3, [1, 1, 1]],
    ['100', 7, [7]],
    ['50%', 5, [2, 2, 1]],
  ] as const)('%s of %i hosts -> %j', (s, total, sizes) => {
    expect(parseSerial(s, total)).toEqual(sizes);
  });

  test('no serial is one batch; no hosts is no batch', () => {
    expect(parseSerial(undefined, 9)).toEqual([9]);
    expect(parseSerial('5', 0)).toEqual([]);
  });

  test.each(['0', 'x', '150%', '0%', '-1', '1,,2', '2.5', '10 %x'])(
    'bad --serial %j is E_USAGE with a hint',
    (s) => {
      let err: unknown;
      try {
        parseSerial(s, 10);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RunbookError);
      expect((err as RunbookError).code).toBe('E_USAGE');
      expect((err as RunbookError).message).toContain(`--serial ${s}`);
      expect((err as RunbookError).hint).toMatch(/--serial 5/);
    },
  );
});

describe('runFleet', () => {
  test('never runs more than forks hosts at once, and does reach forks', async () => {
    const { runOne, stats } = fake();
    const run = await runFleet(fleet(50), opts({ forks: 7 }), runOne);
    expect(stats.maxInFlight).toBe(7);
    expect([...run.results.values()].every((r) => r.outcome === 'ok')).toBe(true);
    expect(run.batches).toEqual([fleet(50).map((h) => h.name)]);
  });

  test('a batch smaller than forks bounds concurrency to the batch', async () => {
    const { runOne, stats } = fake();
    await runFleet(fleet(30), opts({ forks: 20, serial: '10' }), runOne);
    expect(stats.maxInFlight).toBe(10);
  });

  test('serial batches run in order; a batch starts only after the previous one ended', async () => {
    const { runOne, stats } = fake();
    const run = await runFleet(fleet(7), opts({ serial: '1,2,50%' }), runOne);
    expect(run.batches).toEqual([['r01'], ['r02', 'r03'], ['r04', 'r05', 'r06'], ['r07']]);
    for (const [i, batch] of run.batches.entries()) {
      for (const h of batch) expect((run.results.get(h) as Result).batch).toBe(i + 1);
      if (i === 0) continue;
      const firstStart = Math.min(...batch.map((h) => stats.log.indexOf(`start ${h}`)));
      const lastEndBefore = Math.max(...run.batches[i - 1]!.map((h) => stats.log.indexOf(`end ${h}`)));
      expect(firstStart).toBeGreaterThan(lastEndBefore);
    }
    expect(run.stoppedReason).toBeUndefined();
  });

  test('results keep the given host order whatever the completion order', async () => {
    const { runOne } = fake();
    const run = await runFleet(fleet(6), opts({ forks: 6 }), runOne);
    expect([...run.results.keys()]).toEqual(['r01', 'r02', 'r03', 'r04', 'r05', 'r06']);
  });

  test('max-fail is checked per batch and must be exceeded: 1 of 4 at 25% goes on, 2 of 4 stops', async () => {
    const { runOne, stats } = fake({ r02: 'failed', r05: 'failed', r07: 'unreachable' });
    const run = await runFleet(fleet(14), opts({ serial: '4', maxFailPct: 25 }), runOne);
    expect(run.batches).toHaveLength(4);
    expect(run.stoppedReason).toBe('2 of 4 hosts in batch 2 failed (50%), more than --max-fail 25%');
    for (const h of ['r09', 'r10', 'r11', 'r12', 'r13', 'r14']) {
      expect(run.results.get(h)).toEqual({ outcome: 'not-run', reason: run.stoppedReason });
      expect(stats.log).not.toContain(`start ${h}`);
    }
    expect(run.results.get('r08')!.outcome).toBe('ok');
    const batchOf = (h: string) => run.batches.findIndex((b) => b.includes(h)) + 1;
    expect([...run.results].filter(([, r]) => r.outcome === 'not-run').map(([h]) => batchOf(h))).toEqual([
      3, 3, 3, 3, 4, 4,
    ]);
  });

  test('max-fail 0 stops after any failure; awaiting-approval does not count as a failure', async () => {
    const a = await runFleet(fleet(6), opts({ serial: '2', maxFailPct: 0 }), fake({ r03: 'failed' }).runOne);
    expect(a.stoppedReason).toMatch(/^1 of 2 hosts in batch 2 failed \(50%\)/);
    expect(a.results.get('r05')!.outcome).toBe('not-run');
    const b = await runFleet(
      fleet(6),
      opts({ serial: '2', maxFailPct: 0 }),
      fake({ r03: 'awaiting-approval', r04: 'awaiting-approval' }).runOne,
    );
    expect(b.stoppedReason).toBeUndefined();
    expect(b.results.get('r06')!.outcome).toBe('ok');
  });

  test('a failure in the last batch does not report a stop', async () => {
    const run = await runFleet(
      fleet(4),
      opts({ serial: '2', maxFailPct: 10 }),
      fake({ r04: 'failed' }).runOne,
    );
    expect(run.stoppedReason).toBeUndefined();
  });

  test('without max-fail, a batch where every host failed stops the run (Ansible), a partial failure does not', async () => {
    const partial = await runFleet(
      fleet(6),
      opts({ serial: '2' }),
      fake({ r01: 'failed', r04: 'failed' }).runOne,
    );
    expect(partial.stoppedReason).toBeUndefined();
    expect(partial.results.get('r06')!.outcome).toBe('ok');
    const whole = await runFleet(
      fleet(6),
      opts({ serial: '2' }),
      fake({ r03: 'failed', r04: 'unreachable' }).runOne,
    );
    expect(whole.stoppedReason).toBe('every host in batch 2 failed');
    expect(whole.results.get('r05')).toEqual({ outcome: 'not-run', reason: 'every host in batch 2 failed' });
  });

  test('after a disruptive failure, hosts that start later may not run disruptive steps', async () => {
    const seen: Record<string, boolean> = {};
    const reasons: Record<string, string | undefined> = {};
    const run = await runFleet(fleet(4), opts({ forks: 1 }), async (h, ctx) => {
      seen[h.name] = ctx.disruptiveAllowed();
      reasons[h.name] = ctx.disruptiveBlockedReason();
      if (h.name === 'r02') {
        ctx.reportDisruptiveFailure('r02');
        return { outcome: 'failed' as const, batch: ctx.batch };
      }
      return { outcome: (ctx.disruptiveAllowed() ? 'ok' : 'awaiting-approval') as Outcome, batch: ctx.batch };
    });
    expect(seen).toEqual({ r01: true, r02: true, r03: false, r04: false });
    expect(reasons.r03).toBe(
      'a disruptive step failed on r02; no further disruptive steps run on other hosts (rerun with --keep-going to allow them)',
    );
    expect(run.results.get('r04')!.outcome).toBe('awaiting-approval');
  });

  test('the disruptive rule also holds across batches and for hosts already running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const allowedAfter: Record<string, boolean> = {};
    await runFleet(fleet(4), opts({ forks: 2, serial: '2' }), async (h, ctx) => {
      if (h.name === 'r01') {
        await gate; // still running when r02 reports
      } else if (h.name === 'r02') {
        ctx.reportDisruptiveFailure('r02');
        release();
      }
      allowedAfter[h.name] = ctx.disruptiveAllowed();
      return { outcome: 'ok' as const, batch: ctx.batch };
    });
    expect(allowedAfter).toEqual({ r01: false, r02: false, r03: false, r04: false });
  });

  test('keepGoing keeps disruptive steps allowed after a disruptive failure', async () => {
    const seen: boolean[] = [];
    await runFleet(fleet(3), opts({ forks: 1, keepGoing: true }), async (h, ctx) => {
      if (h.name === 'r01') ctx.reportDisruptiveFailure('r01');
      seen.push(ctx.disruptiveAllowed());
      expect(ctx.disruptiveBlockedReason()).toBeUndefined();
      return { outcome: 'ok' as const };
    });
    expect(seen).toEqual([true, true, true]);
  });

  test('abort: running hosts finish, no new host starts, the rest are not-run', async () => {
    const ac = new AbortController();
    const started: string[] = [];
    const run = await runFleet(
      fleet(10),
      opts({ forks: 2, serial: '4', signal: ac.signal }),
      async (h, ctx) => {
        started.push(h.name);
        if (h.name === 'r03') ac.abort();
        await tick();
        return { outcome: (ac.signal.aborted ? 'interrupted' : 'ok') as Outcome, batch: ctx.batch };
      },
    );
    expect(started).toEqual(['r01', 'r02', 'r03']);
    expect(run.results.get('r03')!.outcome).toBe('interrupted');
    expect(run.results.get('r04')).toEqual({
      outcome: 'not-run',
      reason: 'interrupted before this host started',
    });
    expect(run.stoppedReason).toBe('interrupted');
    expect(run.results.get('r05')).toEqual({ outcome: 'not-run', reason: 'interrupted' });
    expect(run.results.get('r10')!.outcome).toBe('not-run');
    expect(run.results.size).toBe(10);
  });

  test('abort mid-batch: hosts of the batch not yet started are not-run', async () => {
    const ac = new AbortController();
    const run = await runFleet(fleet(5), opts({ forks: 1, signal: ac.signal }), async (h) => {
      if (h.name === 'r02') ac.abort();
      return { outcome: 'ok' as const };
    });
    expect(run.results.get('r02')!.outcome).toBe('ok');
    expect(run.results.get('r03')).toEqual({
      outcome: 'not-run',
      reason: 'interrupted before this host started',
    });
    expect(run.stoppedReason).toBe('interrupted');
  });

  test('an already-aborted signal runs nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const { runOne, stats } = fake();
    const run = await runFleet(fleet(3), opts({ signal: ac.signal }), runOne);
    expect(stats.log).toEqual([]);
    expect([...run.results.values()].every((r) => r.outcome === 'not-run')).toBe(true);
  });

  test('a runOne that throws starts no new host and rejects after the running ones settle', async () => {
    const started: string[] = [];
    let r02Done = false;
    await expect(
      runFleet(fleet(6), opts({ forks: 2 }), async (h) => {
        started.push(h.name);
        if (h.name === 'r01') throw new Error('bug');
        await tick(5);
        if (h.name === 'r02') r02Done = true;
        return { outcome: 'ok' as const };
      }),
    ).rejects.toThrow('bug');
    expect(r02Done).toBe(true);
    expect(started).toEqual(['r01', 'r02']);
  });

  test('bad options are usage errors', async () => {
    await expect(runFleet(fleet(1), opts({ forks: 0 }), fake().runOne)).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    await expect(runFleet(fleet(1), opts({ maxFailPct: 120 }), fake().runOne)).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    await expect(runFleet(fleet(1), opts({ serial: 'lots' }), fake().runOne)).rejects.toMatchObject({
      code: 'E_USAGE',
    });
  });
});

describe('retry files', () => {
  test('hosts that did not end ok are written one per line and read back by --limit @file', async () => {
    const hosts = fleet(6);
    const run = await runFleet(
      hosts,
      opts({ serial: '2', maxFailPct: 0 }),
      fake({ r02: 'failed', r03: 'unreachable' }).runOne,
    );
    const retry = [...run.results].filter(([, r]) => r.outcome !== 'ok').map(([h]) => h);
    expect(retry).toEqual(['r02', 'r03', 'r04', 'r05', 'r06']);
    expect(run.results.get('r04')!.outcome).toBe('not-run');

    const dir = mkdtempSync(join(tmpdir(), 'runbook-retry-'));
    const record = await new RunStore(dir).create({
      runbookPath: '/x.yaml',
      runbookName: 'x',
      contentHash: 'h',
      vars: {},
      targets: [],
      mode: 'exec',
      argv: [],
    });
    const file = record.writeRetryFile(retry);
    expect(readFileSync(file, 'utf8')).toBe('r02\nr03\nr04\nr05\nr06\n');
    record.writeRetryFile(['r06']);
    expect(readFileSync(file, 'utf8')).toBe('r06\n');

    const inv = parseInventory(hosts.map((h) => h.name).join('\n'), 'inv.ini');
    record.writeRetryFile(retry);
    record.close();
    expect(selectHosts(inv, `@${file}`).map((h) => h.name)).toEqual(retry);
  });
});
