/**
 * `runbook exec runbooks/recover-inv-spi.yaml` as users run it: the built CLI (dist/, `npm run
 * build` first) spawned with stdin not a terminal, over SSH to the lab on loopback (password from an
 * environment variable, strict known_hosts). Asserts exit codes, output and the router's audit log.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startLab,
  type DeviceOptions,
  type Lab,
  type LabRouter,
  type Scenario,
} from '../../src/lab/index.js';
import { tempDir } from '../helpers/sshd.js';
import { CLI, runCli, type CliRun } from '../helpers/cli.js';
import { needTool } from '../helpers/tools.js';

const REKEY = 'request platform software sdwan security ipsec-rekey';

const labs: Lab[] = [];
afterAll(async () => {
  await Promise.all(labs.map((l) => l.close()));
});

async function router(scenario: Scenario, device: DeviceOptions = {}): Promise<LabRouter> {
  const lab = await startLab({
    scenario,
    port: 0,
    user: 'admin',
    password: 'lab-pass',
    device: { bfdDelayMs: 300, ...device },
  });
  labs.push(lab);
  return lab.routers[0]!;
}

/** `runbook exec runbooks/recover-inv-spi.yaml --host 127.0.0.1:PORT ...` with no terminal on stdin. */
function exec(r: LabRouter, extra: string[]): Promise<CliRun> {
  const dir = tempDir('runbook-inv-spi-cli-');
  const known = join(dir, 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
  const args = [
    'exec',
    'runbooks/recover-inv-spi.yaml',
    '--host',
    `127.0.0.1:${r.port}`,
    '--user',
    'admin',
    '--password-env',
    'LAB_PASSWORD',
    '--known-hosts',
    known,
    '--ssh-config',
    'none',
    '--state-dir',
    join(dir, 'state'),
    ...extra,
  ];
  return runCli(args, { LAB_PASSWORD: 'lab-pass', SSH_AUTH_SOCK: '' });
}

const stateChanging = (r: LabRouter) =>
  r
    .audit()
    .filter((a) => a.stateChanging)
    .map((a) => a.command);

describe
  .runIf(needTool(existsSync(CLI), 'the built CLI (npm run build)'))
  .concurrent('runbook exec runbooks/recover-inv-spi.yaml (built CLI, no terminal)', () => {
    it('--yes recovers a mixed edge and prints the per-peer outcome', async () => {
      const r = await router('mixed', { confirm: true });
      const ran = await exec(r, ['--yes']);
      expect(ran.code, ran.stderr + ran.stdout).toBe(0);
      expect(stateChanging(r)).toEqual([REKEY, 'clear crypto sa peer 10.40.40.1']);
      expect(r.state().peers.every((p) => p.sa === 'ok' && (p.bfd ?? 'up') === 'up')).toBe(true);
      const out = ran.stdout + ran.stderr;
      expect(out).toContain('peer 10.20.20.1 (SD-WAN biz-internet Tunnel10001): invalid SPI now');
      expect(out).toContain('did: clear crypto sa peer 10.40.40.1 -> recovered');
    });

    it('without --yes and no terminal: exit 4 before the first disruptive command, saying how to approve', async () => {
      const r = await router('classic');
      const ran = await exec(r, []);
      expect(ran.code, ran.stderr + ran.stdout).toBe(4);
      expect(stateChanging(r)).toEqual([]);
      expect(r.audit().map((a) => a.command)).not.toContain('clear crypto sa peer 10.40.40.1');
      expect(r.state().peers.find((p) => p.peer === '10.40.40.1')!.sa).toBe('invalid-spi');
      expect(ran.stdout + ran.stderr).toMatch(/--yes/);
    });

    it('--dry-run sends nothing that changes state and names the command, its blast radius and evidence', async () => {
      const r = await router('sdwan-cleared');
      const ran = await exec(r, ['--dry-run', '--json']);
      expect(ran.code, ran.stderr).toBe(0);
      expect(stateChanging(r)).toEqual([]);
      const doc = JSON.parse(ran.stdout) as {
        hosts: { wouldRun: { command: string; impact: string; evidence: { lines?: string[] }[] }[] }[];
      };
      const first = doc.hosts[0]!.wouldRun[0]!;
      expect(first.command).toBe('request platform software sdwan port_hop biz-internet');
      expect(first.impact).toMatch(/flaps the BFD sessions AND control connections of colour biz-internet/);
      expect(first.evidence.flatMap((e) => e.lines ?? []).join('\n')).toMatch(
        /RECVD_PKT_INV_SPI.*srcaddr=10\.20\.20\.1, input interface=Tunnel10001/,
      );
    });
  });
