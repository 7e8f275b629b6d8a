/**
 * Dry-run for the change board, over SSH to lab routers: the fleet roll-up (each disruptive command
 * once, with the hosts it would run on), "may run" for escalations that hinge on an earlier change,
 * and `--detailed-exitcode` (0 nothing would change, 5 changes would run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { execFleet, runCli as runLabCli, startFleetLab, type FleetLab } from './fleet-lab.js';

const RB = resolve('runbooks/recover-inv-spi.yaml');
const REKEY = 'request platform software sdwan security ipsec-rekey';

describe('fleet dry-run roll-up', () => {
  let f: FleetLab;
  beforeAll(async () => {
    f = await startFleetLab({ scenarios: ['sdwan', 'healthy', 'sdwan', 'classic'] });
  });
  afterAll(async () => f?.close());

  it('lists each command once with its hosts; escalations are "may run"; details on demand', async () => {
    const r = await execFleet(f, ['--dry-run', '--detailed-exitcode', '--change', 'CHG0042'], RB);
    expect(r.stderr).not.toContain('Error:');
    expect(r.code).toBe(5);
    const out = r.stdout;
    expect(out).toContain('Would run (nothing was sent):');
    expect(out).toContain(`  ${REKEY}: edge1, edge3 (2)`);
    expect(out).toMatch(/^ {2}clear crypto sa peer [\d.]+: edge4 \(1\)$/m);
    expect(out).toContain('May run (only if the change before it does not recover):');
    expect(out).toMatch(
      /^ {2}request platform software sdwan port_hop \S+ \(if step rekey does not recover\): edge1, edge3 \(2\)$/m,
    );
    expect(out).toContain('  clear sdwan omp all (if step port-hop does not recover): edge1, edge3 (2)');
    expect(out).toContain('Nothing would change: edge2 (1)');
    // the roll-up replaces the per-host lists; they are one flag or command away
    expect(out).not.toMatch(/^ {6}would run: /m);
    const id = /^Run (\S+):/m.exec(out)?.[1];
    expect(id).toBeDefined();
    expect(out).toContain(
      `Per-host details: --details, or runbook runs ${id} --state-dir ${join(f.dir, 'state')} --host H`,
    );

    const detailed = await execFleet(f, ['--dry-run', '--details'], RB);
    expect(detailed.code).toBe(0);
    expect(detailed.stdout).toMatch(new RegExp(`^ {6}would run: ${REKEY} \\[`, 'm'));
    expect(detailed.stdout).toMatch(
      /^ {6}may run \(if step rekey does not recover\): request platform software sdwan port_hop/m,
    );
  }, 60_000);

  it('the resume command it prints names the state dir as an absolute path, so it works from anywhere', async () => {
    const abs = join(f.dir, 'elsewhere');
    const r = await runLabCli([
      'exec',
      RB,
      '-i',
      f.inventory,
      '--limit',
      'edge1',
      '--user',
      'admin',
      '--password-env',
      'RUNBOOK_TEST_LAB_PASSWORD',
      '--known-hosts',
      f.knownHosts,
      '--ssh-config',
      'none',
      '--state-dir',
      relative(ROOT, abs),
    ]);
    expect(r.code).toBe(4); // awaiting approval: no terminal, no --yes
    const id = /^Run (\S+):/m.exec(r.stdout)![1]!;
    expect(r.stdout).toContain(`To continue edge1: runbook resume ${id} --state-dir ${abs}`);
  }, 60_000);
});

describe('--detailed-exitcode', () => {
  const state = mkdtempSync(join(tmpdir(), 'runbook-dx-'));
  afterAll(() => rmSync(state, { recursive: true, force: true }));
  const dry = (scenario: string) =>
    runCli(['exec', RB, '--lab', scenario, '--dry-run', '--detailed-exitcode', '--state-dir', state]);

  it('a healthy lab router: nothing would change, exit 0', async () => {
    const r = await dry('healthy');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('would run');
  }, 60_000);

  it('a broken lab router: changes would run, exit 5; the rekey would run, the escalation may', async () => {
    const r = await dry('sdwan');
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(new RegExp(`^ {6}would run: ${REKEY} \\[`, 'm'));
    expect(r.stdout).toMatch(
      /^ {6}may run \(if step rekey does not recover\): request platform software sdwan port_hop/m,
    );
    expect(r.stdout).not.toMatch(/would run: clear sdwan omp all/);
  }, 60_000);

  it('without --dry-run it is a usage error', async () => {
    const r = await runCli(['exec', RB, '--lab', 'healthy', '--detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--detailed-exitcode needs --dry-run');
  });
});
