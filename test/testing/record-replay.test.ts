/**
 * Record once, test forever: `runbook exec --record` against the lab over SSH, the lab stopped,
 * then `runbook test RUNBOOK --cassette` replays the recording offline; a copy of the runbook with
 * one command changed fails, naming the command, the step and its file:line. The built CLI is
 * spawned as users run it.
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/index.js';
import { loadDeviceModel } from '../../src/lab/device-model-load.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/sshd.js';

const PASSWORD = 'rec0rd-s3cret-pw';

async function record(scenario: 'classic' | 'sdwan', extra: string[] = []) {
  const dir = tempDir('runbook-record-');
  const lab = await startLab({
    scenario,
    port: 0,
    user: 'admin',
    password: PASSWORD,
    device: { bfdDelayMs: 200 },
  });
  const r = lab.routers[0]!;
  const known = join(dir, 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
  const cassettes = join(dir, 'cassettes');
  try {
    const run = await runCli(
      [
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
        '--record',
        cassettes,
        '--yes',
        ...extra,
      ],
      { LAB_PASSWORD: PASSWORD, SSH_AUTH_SOCK: '' },
    );
    expect(run.code, run.stderr).toBe(0);
  } finally {
    await lab.close();
  }
  const files = readdirSync(cassettes);
  expect(files).toEqual(['127.0.0.1_' + `${r.port}.cassette.yaml`]);
  return { dir, cassette: join(cassettes, files[0]!) };
}

describe('record against the lab over SSH, replay offline', () => {
  it('the replay of an unchanged runbook passes; one changed command fails naming it and its step', async () => {
    const { dir, cassette } = await record('classic');
    const text = readFileSync(cassette, 'utf8');
    expect(statSync(cassette).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(PASSWORD);
    const model = loadDeviceModel(cassette);
    expect(model.hostname).toBe('edge1');
    expect(model.outcome?.status).toBe('ok');
    // a poll keeps every output: the verification read the SA more than once
    const reads = model.interactions!.filter((i) => i.command === 'show crypto ipsec sa peer 10.40.40.1');
    expect(reads.length).toBeGreaterThan(2);
    expect(model.interactions!.map((i) => i.command)).toContain('clear crypto sa peer 10.40.40.1');

    // the lab is gone: the replay needs no network
    const same = await runCli(['test', 'runbooks/recover-inv-spi.yaml', '--cassette', cassette]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');

    const source = readFileSync('runbooks/recover-inv-spi.yaml', 'utf8');
    const changed = source.replace(
      'run: show platform hardware qfp active feature ipsec datapath drops\n    capture:\n      # the row',
      'run: show platform hardware qfp active feature ipsec datapath drops all\n    capture:\n      # the row',
    );
    expect(changed).not.toBe(source);
    const copy = join(dir, 'recover-inv-spi.yaml');
    writeFileSync(copy, changed);
    // the parts it uses, beside it
    cpSync('runbooks/parts', join(dir, 'parts'), { recursive: true });
    const line = changed.split('\n').findIndex((l) => l.includes('- id: qfp-before')) + 1;
    const diverged = await runCli(['test', copy, '--cassette', cassette]);
    expect(diverged.code).toBe(1);
    expect(diverged.stdout).toContain(
      `replay diverged at step qfp-before (${copy}:${line}:5): command #2: the runbook sent \`show platform hardware qfp active feature ipsec datapath drops all\` (step qfp-before); the cassette expected \`show platform hardware qfp active feature ipsec datapath drops\``,
    );
    expect(diverged.stdout.trimEnd().split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('a cassette is a mock device: the lab serves it over SSH and the runbook recovers the same way', async () => {
    const { dir, cassette } = await record('classic');
    const lab = await startLab({
      model: loadDeviceModel(cassette),
      port: 0,
      user: 'admin',
      password: PASSWORD,
    });
    try {
      const r = lab.routers[0]!;
      expect(r.name).toBe('edge1');
      const known = join(dir, 'known_hosts2');
      writeFileSync(known, `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
      const run = await runCli(
        ['exec', 'runbooks/recover-inv-spi.yaml', '--host', `127.0.0.1:${r.port}`, '--user', 'admin']
          .concat(['--password-env', 'LAB_PASSWORD', '--known-hosts', known, '--ssh-config', 'none'])
          .concat(['--state-dir', join(dir, 'state2'), '--yes', '--json']),
        { LAB_PASSWORD: PASSWORD, SSH_AUTH_SOCK: '' },
      );
      expect(run.code, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as { hosts: { outcome: string; disruptive: string[] }[] };
      expect(doc.hosts[0]).toMatchObject({ outcome: 'ok', disruptive: ['clear crypto sa peer 10.40.40.1'] });
      expect(
        r
          .audit()
          .filter((a) => a.command.startsWith('clear '))
          .map((a) => a.command),
      ).toEqual(['clear crypto sa peer 10.40.40.1']);
    } finally {
      await lab.close();
    }
  });

  it('a dry-run recording replays as a dry-run, and an exec replay of it diverges at the first disruptive command', async () => {
    const { cassette } = await record('sdwan', ['--dry-run']);
    const model = loadDeviceModel(cassette);
    expect(model.interactions!.map((i) => i.command)).not.toContain(
      'request platform software sdwan security ipsec-rekey',
    );
    const dry = await runCli(['test', 'runbooks/recover-inv-spi.yaml', '--cassette', cassette, '--dry-run']);
    expect(dry.code, dry.stdout).toBe(0);
    const exec = await runCli(['test', 'runbooks/recover-inv-spi.yaml', '--cassette', cassette]);
    expect(exec.code).toBe(1);
    expect(exec.stdout).toMatch(
      /replay diverged at step rekey \(.*recover-inv-spi\.yaml:\d+:\d+\): command #\d+: the runbook sent `request platform software sdwan security ipsec-rekey` \(step rekey\); the cassette expected `show /,
    );
  });
});
