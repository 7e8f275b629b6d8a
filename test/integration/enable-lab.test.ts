/**
 * The enable phase of the shell transport against the lab emulator started at privilege 1
 * (`--enable-secret`): user EXEC detected, `enable` answered once, privileged EXEC reached and kept
 * across a reconnect; a wrong secret (local `% Bad secrets` and AAA `% Access denied`), a missing
 * secret and `escalate: false` each end as the user would want, with the secret in no message or
 * transcript.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type DeviceOptions, type LabRouter } from '../../src/lab/index.js';
import { getProfile } from '../../src/platforms/index.js';
import { createSshTransport, type SshOptions } from '../../src/transport/ssh.js';
import { openTranscript } from '../../src/transport/transcript.js';
import type { Transport } from '../../src/transport/types.js';
import { tempDir } from '../helpers/sshd.js';
import { caught } from '../helpers/errors.js';

const SECRET = 'En4ble-9c1f-secret';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function lab(device: DeviceOptions = {}): Promise<LabRouter> {
  const l = await startLab({
    port: 0,
    user: 'admin',
    password: 'lab-pw',
    scenario: 'sdwan',
    device: { bfdDelayMs: 0, enableSecret: SECRET, ...device },
  });
  cleanup.push(() => l.close());
  return l.routers[0]!;
}

function transport(r: LabRouter, over: Partial<SshOptions> = {}): Transport {
  const known = join(tempDir(), 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${r.port} ${r.hostKey}\n`);
  const t = createSshTransport({
    target: { name: 'edge', address: '127.0.0.1', port: r.port, platform: 'cisco-iosxe-sdwan' },
    profile: getProfile('cisco-iosxe-sdwan'),
    user: 'admin',
    password: 'lab-pw',
    agent: false,
    identityFiles: [],
    sshConfigFile: false,
    knownHostsFile: known,
    timeouts: { connectMs: 3_000, authMs: 3_000, promptMs: 3_000 },
    ...over,
  });
  cleanup.push(() => t.close());
  return t;
}

const commands = (r: LabRouter): string[] => r.audit().map((e) => e.command);

describe('enable against the lab at privilege 1', () => {
  it('a privilege-1 login cannot run privileged commands (the problem enable solves)', async () => {
    const r = await lab();
    const t = transport(r, { privilege: { escalate: false } });
    await t.open();
    const out = await t.run('show logging');
    expect(out.output).toContain('% Invalid input');
  });

  it('sends enable, answers Password: once with the secret, and reaches #', async () => {
    const r = await lab();
    const dir = tempDir();
    const t = transport(r, {
      privilege: { secret: SECRET },
      transcript: openTranscript(dir, 'edge', []),
    });
    await t.open();
    const out = await t.run('show logging');
    expect(out.output).not.toContain('% Invalid input');
    expect(out.output).toContain('RECVD_PKT_INV_SPI');
    expect(commands(r).filter((c) => c === 'enable')).toHaveLength(1);
    // privilege is raised again after a reconnect
    await t.reconnect();
    expect((await t.run('show logging')).output).not.toContain('% Invalid input');
    await t.close();
    const transcript = readFileSync(join(dir, 'edge.log'), 'utf8');
    expect(transcript).toContain('enable');
    expect(transcript).toContain('privileged EXEC reached');
    expect(transcript).not.toContain(SECRET);
  });

  it('a wrong secret fails with E_PRIVILEGE after one try (local enable: no second answer)', async () => {
    const r = await lab();
    const e = await caught(transport(r, { privilege: { secret: 'wrong-secret-1' } }).open());
    expect(e.code).toBe('E_PRIVILEGE');
    expect(e.message).toContain('refused the enable secret');
    expect(e.message).not.toContain('wrong-secret-1');
    expect(e.hint).toContain('--become-password-env');
  });

  it('a wrong secret refused with % Access denied (AAA) names the device message', async () => {
    const r = await lab({ enableFailure: 'access-denied' });
    const e = await caught(transport(r, { privilege: { secret: 'wrong-secret-2' } }).open());
    expect(e.code).toBe('E_PRIVILEGE');
    expect(e.message).toContain('% Access denied');
    expect(e.message).toContain('edge1>');
  });

  it('no secret: says that enable asks for one and how to give it', async () => {
    const r = await lab();
    const e = await caught(transport(r).open());
    expect(e.code).toBe('E_PRIVILEGE');
    expect(e.message).toContain('no enable secret was given');
    expect(e.hint).toMatch(/ansible_become_password.*--become-password-env.*-K/);
  });

  it('a router that logs in at # is left alone, secret or not', async () => {
    const r = await lab({ enableSecret: undefined });
    const t = transport(r, { privilege: { secret: SECRET } });
    await t.open();
    expect(commands(r)).not.toContain('enable');
    expect((await t.run('show logging')).output).toContain('RECVD_PKT_INV_SPI');
  });
});
