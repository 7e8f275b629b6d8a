/**
 * A state directory that fails under a run, for real: a small tmpfs mounted for the test fills up
 * (ENOSPC) when a step's record is written after its disruptive command was sent, and a state dir
 * remounted read-only refuses the run before anything is sent. Needs root (mount); under CI=true a
 * machine without it fails the suite rather than skipping it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';
import { tempDir } from '../helpers/sshd.js';
import { deviceEnv, execOnDevice, trustDevice, writeRunbook } from './cli-runs.js';
import { startHostileDevice, type HostileDevice } from './device.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = tempDir('runbook-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const enabled = canMount();
if (!enabled && process.env['CI'] === 'true')
  throw new Error('test/hostile/state-dir.test.ts needs root and mount(8) for a small tmpfs under CI=true');

let dev: HostileDevice;
let dir: string;
let known: string;
const mounts: string[] = [];

function tmpfs(name: string, size: string, readOnly = false): string {
  const d = join(dir, name);
  mkdirSync(d);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700${readOnly ? ',ro' : ''}`, 'tmpfs', d]);
  mounts.push(d);
  return d;
}

beforeAll(async () => {
  if (!enabled) return;
  dev = await startHostileDevice({ password: 'Hostile-Pw-5521' });
  dir = tempDir('runbook-statedir-');
  known = trustDevice(dev, dir);
});
afterAll(async () => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
  await dev?.close();
});

function runbook(name: string, lines: string[]): string {
  return writeRunbook(dir, name, lines);
}

function exec(file: string, state: string, extra: string[] = []): Promise<CliRun> {
  return execOnDevice(dev, known, file, state, extra);
}

describe.skipIf(!enabled)('a state directory that fails under a run', () => {
  it('a full disk after a disruptive send: E_STATE, the step in doubt, and the exact resume command', async () => {
    const state = tmpfs('full', '1536k');
    const file = runbook('enospc', [
      'steps:',
      '  - id: flood',
      '    run: show huge 3',
      '    changes: Prints a lot (stands for a change whose record is large)',
      '    capture:',
      "      lines: {regex: '(?<l>x+)', match: all}",
      '  - id: after',
      '    run: show version',
    ]);
    const from = dev.log.length;
    const r = await exec(file, state, ['--yes']);
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(/internal error|this is a bug|at .*\.js:\d+/);
    expect(out).toMatch(/E_STATE|no space left on the device \(ENOSPC\)/);
    // the command was sent once; nothing after it
    expect(dev.log.slice(from).filter((l) => l.startsWith('line: show'))).toEqual(['line: show huge 3']);
    const id = /run (\d{8}-\d{6}-[0-9a-f]{4})/.exec(out)?.[1];
    expect(id, out).toBeDefined();
    expect(out).toContain(`runbook resume ${id} --state-dir ${state}`);
    expect(out).toMatch(/flood.*(in doubt|IN DOUBT)|(in doubt|IN DOUBT).*flood/);
    expect(r.code).toBe(2);

    // room again: the resume command given continues, asking about (here: --yes) the step in doubt
    execFileSync('mount', ['-o', 'remount,size=32m', state]);
    const before = dev.log.length;
    const resumed = await runCli(['resume', id!, '--state-dir', state, '--yes'], deviceEnv(dev));
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/step flood is IN DOUBT: .*running it again \(--yes\)/);
    expect(dev.log.slice(before).filter((l) => l.startsWith('line: show'))).toEqual([
      'line: show huge 3',
      'line: show version',
    ]);
  });

  it('a read-only state dir is E_STATE before anything is sent', async () => {
    const state = tmpfs('ro', '4m', true);
    const file = runbook('readonly', ['steps:', '  - id: look', '    run: show version']);
    const from = dev.log.length;
    const r = await exec(file, state);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot write the .* the file system is read-only \(EROFS\)/);
    expect(r.stderr).not.toMatch(/internal error|this is a bug/);
    expect(dev.log.slice(from)).toEqual([]);
  });
});
