/**
 * `runbook lab --device examples/devices/iosxe-router.yaml` serves the mock router over real SSH,
 * and examples/iosxe-interface-check.yaml runs against it through the built CLI: the transport,
 * prompts, paging and the `[confirm]` dialog of `clear counters` exactly as in production. A dry-run
 * recorded from it replays offline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/sshd.js';

let lab: ChildProcess;
let port = 0;
let known = '';
let dir = '';

beforeAll(async () => {
  dir = tempDir('runbook-lab-device-');
  lab = spawn(
    process.execPath,
    [
      CLI,
      'lab',
      '--device',
      'examples/devices/iosxe-router.yaml',
      '--count',
      '2',
      '--port',
      '0',
      '--state-dir',
      join(dir, 'lab'),
      '--password',
      'm0ck-pw',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    lab.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl-C to stop.')) resolve();
    });
    lab.on('exit', (code) => reject(new Error(`runbook lab exited ${code}: ${out}`)));
  });
  const m = /^r11\s+127\.0\.0\.1 port (\d+)\s+device .*iosxe-router\.yaml/m.exec(out);
  expect(m, out).not.toBeNull();
  expect(out).toMatch(/^r12\s+127\.0\.0\.1 port \d+/m);
  port = Number(m![1]);
  const pub = readFileSync(join(dir, 'lab', 'ssh_host_ed25519_key.pub'), 'utf8')
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');
  known = join(dir, 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${port} ${pub}\n`);
});

afterAll(() => {
  lab?.kill('SIGTERM');
});

function exec(extra: string[]) {
  return runCli(
    [
      'exec',
      'examples/iosxe-interface-check.yaml',
      '--host',
      `127.0.0.1:${port}`,
      '--user',
      'admin',
      '--password-env',
      'MOCK_PW',
      '--known-hosts',
      known,
      '--ssh-config',
      'none',
      '--state-dir',
      join(dir, 'state'),
      ...extra,
    ],
    { MOCK_PW: 'm0ck-pw', SSH_AUTH_SOCK: '' },
  );
}

describe('examples/iosxe-interface-check.yaml against runbook lab --device, over SSH', () => {
  it('passes on an up/up interface and clears its counters through the [confirm] dialog', async () => {
    const r = await exec([
      '-e',
      'interface=GigabitEthernet1',
      '-e',
      'max_input_errors=5',
      '-e',
      'clear_counters=true',
      '--yes',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      hosts: { outcome: string; disruptive: string[]; results: { fields: Record<string, unknown> }[] }[];
    };
    expect(doc.hosts[0]!.outcome).toBe('ok');
    expect(doc.hosts[0]!.disruptive).toEqual(['clear counters GigabitEthernet1']);
    // the row the details step recorded, typed: ints are JSON numbers
    expect(doc.hosts[0]!.results.map((x) => x.fields)).toEqual([
      { interface: 'GigabitEthernet1', status: 'up', protocol: 'up', input_errors: 3, crc: 1 },
    ]);
    // the model's state changed: the errors are gone now
    const again = await exec(['-e', 'interface=GigabitEthernet1', '--json']);
    expect(again.code, again.stdout).toBe(0);
    expect((JSON.parse(again.stdout) as typeof doc).hosts[0]!.results[0]!.fields.input_errors).toBe(0);
  });

  it('fails on a shut interface, saying so', async () => {
    const r = await exec(['-e', 'interface=GigabitEthernet3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('GigabitEthernet3 is shut down (administratively down)');
    // the summary's table shows what the failed check saw
    expect(r.stdout).toMatch(
      /^ {6}interface +status +protocol +input_errors +crc\n {6}GigabitEthernet3 +administratively down +down +\d+ +\d+$/m,
    );
  });

  it('a dry-run recorded from the mock router replays offline', async () => {
    const cassettes = join(dir, 'cassettes');
    const r = await exec(['-e', 'interface=GigabitEthernet2', '--dry-run', '--record', cassettes]);
    expect(r.code).toBe(1);
    const cassette = join(cassettes, `127.0.0.1_${port}.cassette.yaml`);
    const text = readFileSync(cassette, 'utf8');
    expect(text).toContain('prompt: r11#');
    expect(text).not.toContain('m0ck-pw');
    const replay = await runCli([
      'test',
      'examples/iosxe-interface-check.yaml',
      '--cassette',
      cassette,
      '--dry-run',
      '-e',
      'interface=GigabitEthernet2',
    ]);
    expect(replay.code, replay.stdout).toBe(0);
    expect(replay.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
  });
});
