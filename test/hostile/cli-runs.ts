/**
 * Running the built CLI against the hostile device (device.ts) as a user would: its known_hosts
 * line, the connection flags (password from $HOSTILE_PW, no ssh config, no agent), runbook files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from '../helpers/cli.js';
import type { HostileDevice } from './device.js';

/** Write `dir/known_hosts` trusting the device; returns its path. */
export function trustDevice(dev: HostileDevice, dir: string): string {
  const known = join(dir, 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${dev.port} ${dev.hostKeyLine}\n`);
  return known;
}

/** The environment a CLI run against the device needs (the password it reads, no agent). */
export function deviceEnv(dev: HostileDevice): Record<string, string> {
  return { HOSTILE_PW: dev.password, SSH_AUTH_SOCK: '' };
}

/** `dir/NAME.yaml`: an IOS XE runbook named NAME with these lines after its header. */
export function writeRunbook(dir: string, name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [`runbook: ${name}`, 'platform: cisco-iosxe', ...lines, ''].join('\n'));
  return file;
}

/** `runbook exec FILE` against the device with its record in `state`. */
export function execOnDevice(
  dev: HostileDevice,
  known: string,
  file: string,
  state: string,
  extra: string[] = [],
): Promise<CliRun> {
  return runCli(
    [
      'exec',
      file,
      '--host',
      `127.0.0.1:${dev.port}`,
      '--user',
      'admin',
      '--password-env',
      'HOSTILE_PW',
      '--known-hosts',
      known,
      '--ssh-config',
      'none',
      '--state-dir',
      state,
      ...extra,
    ],
    deviceEnv(dev),
  );
}
