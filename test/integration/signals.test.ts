/**
 * SIGINT / SIGTERM on a running `runbook exec` (a child process over real SSH): the first signal
 * stops between steps, writes the checkpoint, prints the exact resume command and exits 4; the
 * second aborts the running command.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import { startIosDevice, type IosDevice } from '../helpers/ios-device.js';
import {
  FIXTURES,
  REKEY,
  VERIFY,
  count,
  runCli,
  spawnCli,
  startRunLab,
  waitFor,
  type RunLab,
} from './resume-lab.js';

const labs: RunLab[] = [];
const devices: IosDevice[] = [];
afterEach(async () => {
  for (const l of labs.splice(0)) await l.close();
  for (const d of devices.splice(0)) await d.close();
});

async function lab(bfdDelayMs: number): Promise<RunLab> {
  const l = await startRunLab({ device: { bfdDelayMs } });
  labs.push(l);
  return l;
}

describe('SIGINT and SIGTERM', () => {
  it('SIGINT while verifying: stops, exits 4, prints the exact resume command; resume finishes', async () => {
    const l = await lab(1500);
    const rb = l.runbook('rekey-verify.yaml');
    const cli = spawnCli(l.execArgs(rb, ['--yes']));
    const id = await waitFor('the run record', () => l.runIds()[0], { cli });
    await waitFor('the first verification poll', () => l.commands().includes(VERIFY), { cli });
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/SIGINT: stopping after the running step \(again to abort it\)/);
    expect(r.stdout).toMatch(/interrupted .*at verify: interrupted while step verify was polling/);
    expect(r.stdout).toContain(`To continue ${l.host}: runbook resume ${id} --state-dir ${l.stateDir}`);
    expect(r.stdout).toMatch(/disruptive: request platform software sdwan security ipsec-rekey/);

    // the checkpoint: every finished step ended in the journal, then the host's interrupted end
    const records = l.journal(id);
    const last = records.at(-1)!;
    expect(last).toMatchObject({ type: 'host-end', outcome: 'interrupted', stoppedAt: 'verify' });
    expect(records.filter((x) => x.type === 'step-end').map((x) => x.type === 'step-end' && x.key)).toEqual([
      'show-version',
      'show-sa',
      'rekey',
    ]);
    const listed = await runCli(['runs', '--state-dir', l.stateDir]);
    expect(listed.stdout).toMatch(new RegExp(`${id}.*interrupted`));

    const before = l.router.audit().length;
    const resumed = await runCli(l.resumeArgs(id));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(count(l.commands(), REKEY)).toBe(1);
    expect(l.commands(before)).toContain(VERIFY);
    expect(l.commands(before)).not.toContain('show version');
    // the lock was released at the interrupt: no stale lock to take over
    expect(resumed.stderr).not.toMatch(/stale lock/);
  });

  it('SIGTERM with --json: one JSON document on stdout saying where the host stopped', async () => {
    const l = await lab(5000);
    const rb = l.runbook('rekey-verify.yaml');
    const cli = spawnCli(l.execArgs(rb, ['--yes', '--json']));
    await waitFor('the first verification poll', () => l.commands().includes(VERIFY), { cli });
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(4);
    const doc = JSON.parse(r.stdout) as ResultDocument;
    expect(doc.outcome).toBe('interrupted');
    expect(doc.hosts[0]).toMatchObject({
      host: l.host,
      outcome: 'interrupted',
      stoppedAt: 'verify',
      disruptive: [REKEY],
    });
    expect(r.stderr).toMatch(/SIGTERM: stopping after the running step/);
  });

  it('a second SIGINT aborts a command that never returns: the host stops interrupted at that step', async () => {
    const dev = await startIosDevice();
    devices.push(dev);
    const dir = (await lab(300)).dir; // a temp dir cleaned up with the lab
    const knownHosts = join(dir, 'fake_known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${dev.port} ${dev.hostKeyLine}\n`);
    const stateDir = join(dir, 'fake-state');
    const cli = spawnCli(
      [
        'exec',
        join(FIXTURES, 'hang.yaml'),
        '--host',
        `127.0.0.1:${dev.port}`,
        '--user',
        'admin',
        '--password-env',
        'FAKE_PW',
        '--known-hosts',
        knownHosts,
        '--ssh-config',
        'none',
        '--state-dir',
        stateDir,
      ],
      { FAKE_PW: 'cisco123' },
    );
    await waitFor('the hanging command', () => dev.commands.includes('show hang'), { cli });
    cli.child.kill('SIGINT');
    await waitFor('the first signal noted', () => /stopping after the running step/.test(cli.stderr()), {
      cli,
    });
    expect(cli.child.exitCode).toBe(null); // the first signal waits for the step to end
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(4);
    expect(dev.commands).not.toContain('show version'); // nothing after the aborted step
    expect(r.stderr).toMatch(/SIGINT: aborting the running command/);
    expect(r.stdout).toMatch(/interrupted .*at hang: interrupted: the command of step hang was aborted/);
    expect(r.stdout).toMatch(/To continue 127\.0\.0\.1:\d+: runbook resume \S+ --state-dir /);
  });
});
