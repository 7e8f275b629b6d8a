/**
 * The SSH transport in shell mode against the IOS XE / SD-WAN edge emulator (`runbook lab`) over real
 * SSH on loopback: prompts, paging with and without `terminal length 0`, the SD-WAN screen-length
 * fallback, dialogs, device errors, an unexpected prompt, drops, bad password, host keys under each
 * policy, and timeouts of each phase.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabOptions, type LabRouter } from '../../src/lab/index.js';
import { findDeviceError, getProfile } from '../../src/platforms/index.js';
import type { PlatformName, PlatformProfile } from '../../src/platforms/types.js';
import { createSshTransport, type SshOptions } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { startIosDevice, startSilentServer } from '../helpers/ios-device.js';
import { keygen, tempDir } from '../helpers/sshd.js';
import { caught } from '../helpers/errors.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function lab(o: LabOptions = {}): Promise<LabRouter> {
  const l: Lab = await startLab({
    port: 0,
    user: 'admin',
    password: 'lab-pw',
    scenario: 'sdwan',
    ...o,
    device: { bfdDelayMs: 0, ...o.device },
  });
  cleanup.push(() => l.close());
  return l.routers[0]!;
}

function knownHostsWith(line: string): string {
  const f = join(tempDir(), 'known_hosts');
  writeFileSync(f, line);
  return f;
}

function transport(
  r: { port: number; hostKey: string },
  over: Partial<SshOptions> & { platform?: PlatformName } = {},
): Transport {
  const platform = over.platform ?? 'cisco-iosxe';
  const t = createSshTransport({
    target: { name: 'edge', address: '127.0.0.1', port: r.port, platform },
    profile: getProfile(platform),
    user: 'admin',
    password: 'lab-pw',
    agent: false,
    identityFiles: [],
    sshConfigFile: false,
    knownHostsFile: knownHostsWith(`[127.0.0.1]:${r.port} ${r.hostKey}\n`),
    timeouts: { connectMs: 3_000, authMs: 3_000, promptMs: 3_000 },
    ...over,
  });
  cleanup.push(() => t.close());
  return t;
}

const commands = (r: LabRouter): string[] => r.audit().map((e) => e.command);

describe('shell transport against the lab emulator', () => {
  it('reads the prompt and returns clean output after terminal length 0', async () => {
    const r = await lab();
    const t = transport(r);
    await t.open();
    expect(commands(r)).toEqual(['terminal length 0', 'terminal width 0']);
    const out = (await t.run('show sdwan bfd sessions')).output;
    expect(out).toMatch(/^\s*SOURCE TLOC/m);
    expect(out).not.toMatch(/edge1#|show sdwan bfd|More/);
    const logging = (await t.run('show logging')).output;
    expect(logging).toContain('%CRYPTO-4-RECVD_PKT_INV_SPI');
  });

  it('answers --More-- when paging cannot be disabled, giving the same output as unpaged', async () => {
    const plain = await lab();
    const t1 = transport(plain);
    await t1.open();
    const unpaged = (await t1.run('show crypto ipsec sa')).output;
    const paged = await lab({ device: { refuseTerminalLength: true } });
    const t2 = transport(paged);
    await t2.open();
    expect(commands(paged)).toEqual(['terminal length 0', 'terminal width 0']);
    const out = (await t2.run('show crypto ipsec sa')).output;
    expect(out.split('\n').length).toBeGreaterThan(30);
    const shape = (s: string): string => s.replace(/\d+/g, 'N');
    expect(shape(out)).toBe(shape(unpaged));
  });

  it('cisco-iosxe-sdwan falls back to screen-length 0', async () => {
    const r = await lab({ device: { refuseTerminalLength: true } });
    const t = transport(r, { platform: 'cisco-iosxe-sdwan' });
    await t.open();
    expect(commands(r)).toEqual(['terminal length 0', 'screen-length 0', 'terminal width 0']);
    expect((await t.run('show crypto ipsec sa')).output).not.toContain('More');
  });

  it('answers a [confirm] dialog the step declares', async () => {
    const r = await lab({ device: { confirm: true } });
    const t = transport(r);
    await t.open();
    await t.run('request platform software sdwan security ipsec-rekey', {
      dialogs: [{ prompt: '\\[confirm\\]', answer: 'y', newline: false }],
    });
    const last = r.audit().at(-1)!;
    expect(last).toMatchObject({
      command: 'request platform software sdwan security ipsec-rekey',
      stateChanging: true,
    });
    expect(last.outcome).not.toBe('aborted');
  });

  it('fails an unexpected [confirm] with Ctrl-C: nothing is confirmed', async () => {
    const r = await lab();
    const t = transport(r);
    await t.open();
    const e = await caught(t.run('clear logging', { stepId: 'wipe' }));
    expect(e.code).toBe('E_UNEXPECTED_PROMPT');
    expect(e.message).toContain(
      '"clear logging" raised a prompt no dialog answers: "Clear logging buffer [confirm]"',
    );
    expect(r.audit().at(-1)).toMatchObject({ command: 'clear logging', outcome: 'aborted' });
    expect((await t.run('show logging')).output).toContain('RECVD_PKT_INV_SPI');
  });

  it('returns the device error text', async () => {
    const r = await lab();
    const t = transport(r);
    await t.open();
    const out = (await t.run('show crypto ipsec sa peer 10.1.1')).output;
    expect(findDeviceError(t.profile, out)).toBeDefined();
    expect(out).toMatch(/^% (Invalid input|Incomplete command)/m);
  });

  it('reports a dropped session and reconnects; an expected drop is not an error', async () => {
    const r = await lab({ device: { dropOnControlClear: true } });
    const t = transport(r);
    await t.open();
    r.dropSessions();
    const e = await caught(t.run('show clock', { stepId: 'clk' }));
    expect(e.code).toBe('E_DISCONNECTED');
    await t.reconnect();
    const res = await t.run('clear sdwan control connections', { expectDisconnect: true });
    expect(res.disconnected).toBe(true);
    await t.reconnect();
    expect((await t.run('show clock')).output.length).toBeGreaterThan(0);
  });

  it('a bad password is E_AUTH naming the methods tried', async () => {
    const r = await lab();
    const e = await caught(transport(r, { password: 'not-it' }).open());
    expect(e.code).toBe('E_AUTH');
    expect(e.message).toBe(
      `authentication failed for admin@edge (127.0.0.1:${r.port}): tried keyboard-interactive, password; the server accepts: publickey, keyboard-interactive, password`,
    );
  });

  it('logs in with an authorized key', async () => {
    const key = keygen(join(tempDir(), 'id'));
    const r = await lab({ authorizedKeys: [readFileSync(`${key}.pub`, 'utf8')] });
    const t = transport(r, { password: undefined, identityFiles: [key] });
    await t.open();
    expect((await t.run('show clock')).output.length).toBeGreaterThan(0);
  });
});

describe('lab host keys under each policy', () => {
  const otherKey = (): string =>
    readFileSync(`${keygen(join(tempDir(), 'k'))}.pub`, 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' ');

  it('unknown: strict stops with the fingerprint, accept-new records it, off accepts silently', async () => {
    const r = await lab();
    const file = knownHostsWith('');
    const e = await caught(transport(r, { knownHostsFile: file }).open());
    expect(e.code).toBe('E_HOSTKEY_UNKNOWN');
    expect(e.message).toContain(r.fingerprint);
    expect(e.hint).toContain(`ssh-keyscan -p ${r.port} 127.0.0.1 >> ${file}`);
    await transport(r, { knownHostsFile: file, hostKeyPolicy: 'off' }).open();
    expect(readFileSync(file, 'utf8')).toBe('');
    await transport(r, { knownHostsFile: file, hostKeyPolicy: 'accept-new' }).open();
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${r.port} ${r.hostKey}\n`);
    await transport(r, { knownHostsFile: file }).open();
  });

  it('changed: refused under strict and accept-new naming the line, accepted under off', async () => {
    const r = await lab();
    const file = knownHostsWith(`[127.0.0.1]:${r.port} ${otherKey()}\n`);
    for (const policy of ['strict', 'accept-new'] as const) {
      const e = await caught(transport(r, { knownHostsFile: file, hostKeyPolicy: policy }).open());
      expect(e.code).toBe('E_HOSTKEY_CHANGED');
      expect(e.message).toContain(`${file}:1 holds a different ssh-ed25519 key`);
      expect(e.message).toContain(r.fingerprint);
    }
    await transport(r, { knownHostsFile: file, hostKeyPolicy: 'off' }).open();
  });
});

describe('lab timeouts, one per phase', () => {
  it('connect: a listening socket that never speaks', async () => {
    const s = await startSilentServer();
    cleanup.push(() => s.close());
    const e = await caught(
      transport({ port: s.port, hostKey: 'x y' }, { timeouts: { connectMs: 250 } }).open(),
    );
    expect(e.message).toBe(
      `connect timeout on edge (127.0.0.1:${s.port}): 250 ms waiting for the SSH server greeting and host key; last bytes received: (nothing)`,
    );
  });

  it('auth: a server that takes the connection but never answers the login', async () => {
    const dev = await startIosDevice({ hangAuth: true });
    cleanup.push(() => dev.close());
    const e = await caught(
      transport({ port: dev.port, hostKey: dev.hostKeyLine }, { timeouts: { authMs: 250 } }).open(),
    );
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toMatch(
      /^auth timeout on edge .*: 250 ms waiting for the server to accept the login; last bytes received: "SSH-2\.0-[^"]*" and \d+ bytes of SSH packets$/,
    );
  });

  it('prompt: the profile prompt never shows', async () => {
    const r = await lab();
    const profile: PlatformProfile = { ...getProfile('cisco-iosxe'), prompt: '^NEVER>$' };
    const e = await caught(transport(r, { profile, timeouts: { promptMs: 400 } }).open());
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toBe(
      `prompt timeout on edge (127.0.0.1:${r.port}): 400 ms waiting for the prompt /^NEVER>$/; last bytes received: "\\r\\nedge1#\\r\\nedge1#"`,
    );
  });

  it('inactivity and total: a question nobody answers', async () => {
    const r = await lab();
    const profile: PlatformProfile = { ...getProfile('cisco-iosxe'), dialogPrompts: [] };
    const t = transport(r, { profile });
    await t.open();
    const a = await caught(
      t.run('clear logging', { stepId: 'c1', inactivityTimeoutMs: 1_000, totalTimeoutMs: 10_000 }),
    );
    expect(a.message).toBe(
      `inactivity timeout on edge (127.0.0.1:${r.port}) in step c1 running "clear logging": no data for 1000 ms waiting for the prompt /${profile.prompt}/; last bytes received: "clear logging\\r\\nClear logging buffer [confirm]"`,
    );
    const b = await caught(
      t.run('clear logging', { stepId: 'c2', inactivityTimeoutMs: 10_000, totalTimeoutMs: 300 }),
    );
    expect(b.message).toMatch(
      /^total timeout on edge .* in step c2 running "clear logging": 300 ms waiting for the prompt /,
    );
    expect((await t.run('show clock')).output.length).toBeGreaterThan(0);
    expect(
      r
        .audit()
        .filter((e) => e.command === 'clear logging')
        .map((e) => e.outcome),
    ).toEqual(['aborted', 'aborted']);
  });
});
