/**
 * Which lab routers a fleet run touches (`--limit` with groups, exclusions and `@retry-file`) and
 * how many it talks to at once (`--forks`), judged by the lab's audit logs over real SSH.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import {
  REKEY,
  SHOW_SA,
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

/** Sessions the routers saw: the lab numbers sessions per router from 1. */
function sessionsOf(f: FleetLab, name: string): Set<number> {
  return new Set(
    f
      .router(name)
      .audit()
      .map((e) => e.session),
  );
}

/** Largest number of routers whose audit spans overlap at one instant (a lower bound of the real concurrency). */
function maxOverlap(spans: { first: number; last: number }[]): number {
  const points = spans.flatMap((s) => [
    { t: s.first, d: 1 },
    { t: s.last, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const p of points) {
    now += p.d;
    max = Math.max(max, now);
  }
  return max;
}

const SITES = (i: number): string[] => [i < 25 ? 'site_a' : 'site_b', ...(i % 10 === 0 ? ['hubs'] : [])];

describe('--limit against a 50-router inventory', () => {
  it.each(['yaml', 'ini'] as const)(
    'runs only the hosts of a group minus an exclusion (%s inventory)',
    async (format) => {
      const f = await fleet({ scenarios: scenarios(50), groups: SITES, format });
      const run = await execFleet(f, ['--limit', 'site_b:!hubs:!edge30', '--forks', '25', '--json']);
      expect(run.code, run.stderr).toBe(0);
      // site_b is edge26-edge50; hubs are edge1, edge11, ..., edge41
      const chosen = edges(26, 50).filter((n) => !['edge31', 'edge41', 'edge30'].includes(n));
      for (const r of f.lab.routers) {
        if (chosen.includes(r.name)) {
          expect(commandsOf(r), r.name).toContain(REKEY);
          expect(recovered(r), r.name).toBe(true);
        } else {
          expect(r.audit(), `${r.name} is outside the limit`).toEqual([]);
        }
      }
      const doc = JSON.parse(run.stdout) as ResultDocument;
      expect(doc.hosts.map((h) => h.host)).toEqual(chosen);
    },
  );

  it('refuses a pattern part that matches nothing, before connecting to any router', async () => {
    const f = await fleet({ scenarios: scenarios(50), groups: SITES });
    const run = await execFleet(f, ['--limit', 'site_a:!edge99']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: .*edge99/);
    expect(run.stderr).toMatch(/hint: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(f.lab.routers.every((r) => r.audit().length === 0)).toBe(true);
  });
});

describe('retry files', () => {
  it('a failed run writes its failed hosts; --limit @retry reruns exactly those', async () => {
    const f = await fleet({ scenarios: scenarios(50, [4, 22, 39]) });
    const first = await execFleet(f, ['--forks', '50', '--json']);
    expect(first.code, first.stderr).toBe(1);
    const doc = JSON.parse(first.stdout) as ResultDocument;
    const retry = join(f.dir, 'state', 'runs', doc.runId, 'retry');
    expect(existsSync(retry)).toBe(true);
    expect(readFileSync(retry, 'utf8').trim().split('\n')).toEqual(['edge4', 'edge22', 'edge39']);
    for (const r of f.lab.routers) expect(sessionsOf(f, r.name), r.name).toEqual(new Set([1]));

    const second = await execFleet(f, ['--limit', `@${retry}`, '--json']);
    expect(second.code, second.stderr).toBe(1);
    const doc2 = JSON.parse(second.stdout) as ResultDocument;
    expect(doc2.hosts.map((h) => h.host)).toEqual(['edge4', 'edge22', 'edge39']);
    for (const r of f.lab.routers) {
      const again = ['edge4', 'edge22', 'edge39'].includes(r.name);
      expect(sessionsOf(f, r.name), r.name).toEqual(new Set(again ? [1, 2] : [1]));
      if (again) {
        const second = r
          .audit()
          .filter((e) => e.session === 2)
          .map((e) => e.command);
        expect(second, r.name).toContain(SHOW_SA);
        expect(second, r.name).not.toContain(REKEY);
      }
    }
  });
});

describe('--forks bounds the routers talked to at once', () => {
  it('never has more than 4 routers in session with --forks 4, and more than 4 with --forks 20', async () => {
    const f = await fleet({ scenarios: scenarios(20) });
    const run = await execFleet(f, ['--forks', '4']);
    expect(run.code, run.stderr).toBe(0);
    const spans = f.lab.routers.map((r) => spanOf(r)!);
    const narrow = maxOverlap(spans);
    expect(narrow).toBeLessThanOrEqual(4);
    expect(narrow).toBeGreaterThan(1);
    expect(f.lab.routers.every(recovered)).toBe(true);

    const g = await fleet({ scenarios: scenarios(20) });
    const wide = await execFleet(g, ['--forks', '20']);
    expect(wide.code, wide.stderr).toBe(0);
    expect(maxOverlap(g.lab.routers.map((r) => spanOf(r)!))).toBeGreaterThan(4);
  });
});
