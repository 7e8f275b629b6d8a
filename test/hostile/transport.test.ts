/**
 * The shell transport against a device that misbehaves on purpose (test/hostile/device.ts). Each
 * case asserts from the device's own log what it received: nothing unintended, ever.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getProfile } from '../../src/platforms/index.js';
import { createSshTransport } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { caught } from '../helpers/errors.js';
import { tempDir } from '../helpers/sshd.js';
import { startHostileDevice, type HostileDevice } from './device.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function connected(): Promise<{ dev: HostileDevice; t: Transport }> {
  const dev = await startHostileDevice();
  cleanup.push(() => dev.close());
  const known = join(tempDir(), 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${dev.port} ${dev.hostKeyLine}\n`);
  const t = createSshTransport({
    target: { name: 'edge1', address: '127.0.0.1', port: dev.port, platform: 'cisco-iosxe' },
    profile: getProfile('cisco-iosxe'),
    user: 'admin',
    password: dev.password,
    agent: false,
    identityFiles: [],
    sshConfigFile: false,
    knownHostsFile: known,
    timeouts: { connectMs: 5_000, authMs: 5_000, promptMs: 5_000 },
  });
  cleanup.push(() => t.close());
  await t.open();
  return { dev, t };
}

const LOGIN = ['line: terminal length 0', 'line: terminal width 0'];

describe('a hostile device', () => {
  it('a prompt-looking line at the end of a chunk does not end the command early', async () => {
    const { dev, t } = await connected();
    const r = await t.run('show fake-prompt');
    expect(r.output).toBe('first part\nedge1#\nsecond part');
    // the next command goes out only after the real prompt: the device got it at its prompt
    expect((await t.run('show version')).output).toContain('uptime is 3 days');
    expect(dev.log).toEqual([...LOGIN, 'line: show fake-prompt', 'line: show version']);
  });

  it('--More-- inside output is text: kept, and never answered', async () => {
    const { dev, t } = await connected();
    const r = await t.run('show pager-text');
    expect(r.output).toBe('log: --More-- is only text here\n --More-- \nend of text');
    expect(dev.log).toEqual([...LOGIN, 'line: show pager-text']);
  });

  it('a prompt in configuration mode stops the session: nothing more is sent', async () => {
    const { dev, t } = await connected();
    const e = await caught(t.run('show mode-change', { stepId: 'look' }));
    expect(e.code).toBe('E_MODE_CHANGED');
    expect(e.message).toContain('in step look: after "show mode-change" the device is in another mode');
    expect(e.message).toContain('(prompt "edge1(config)#")');
    const again = await caught(t.run('show version'));
    expect(again.code).toBe('E_MODE_CHANGED');
    expect(dev.log).toEqual([...LOGIN, 'line: show mode-change']);
  });

  it('a dialog is answered once; asked again, it gets Ctrl-C and the step fails', async () => {
    const { dev, t } = await connected();
    const e = await caught(
      t.run('clear twice', {
        stepId: 'clr',
        dialogs: [{ prompt: '\\[confirm\\]', answer: 'y', newline: false }],
      }),
    );
    expect(e.code).toBe('E_UNEXPECTED_PROMPT');
    expect(e.message).toContain('it was asked again after being answered');
    expect(dev.log).toEqual([...LOGIN, 'line: clear twice', 'key: y', 'key: ^C']);
  });

  it('a dialog declared repeat is answered each time', async () => {
    const { dev, t } = await connected();
    const r = await t.run('clear twice', {
      dialogs: [{ prompt: '\\[confirm\\]', answer: 'y', newline: false, repeat: true }],
    });
    expect(r.output).toContain('cleared twice');
    expect(dev.log).toEqual([...LOGIN, 'line: clear twice', 'key: y', 'key: y']);
  });

  it('endless output stops at the output limit with Ctrl-C; the session carries on', async () => {
    const { dev, t } = await connected();
    const e = await caught(t.run('show endless', { stepId: 'flood', maxOutputBytes: 2_000_000 }));
    expect(e.code).toBe('E_OUTPUT_LIMIT');
    expect(e.message).toContain('printed more than 2000000 bytes; Ctrl-C was sent');
    expect((await t.run('show version')).output).toContain('uptime is 3 days');
    const after = dev.log.slice(LOGIN.length);
    expect(after[0]).toBe('line: show endless');
    expect(after[1]).toBe('key: ^C');
    // resync: an empty line to find the prompt, then the next command
    expect(after.slice(2)).toEqual(['line: ', 'line: show version']);
  });

  it('a large output under the limit comes back whole', async () => {
    const { t } = await connected();
    const r = await t.run('show huge 8');
    const lines = r.output.split('\n');
    expect(lines.length).toBeGreaterThan(80_000);
    expect(lines.every((l) => l === 'x'.repeat(99))).toBe(true);
  });

  it('a stalled command times out with Ctrl-C and nothing else', async () => {
    const { dev, t } = await connected();
    const e = await caught(t.run('show stall', { stepId: 'st', inactivityTimeoutMs: 500 }));
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toContain('inactivity timeout on edge1');
    // the Ctrl-C is on its way when the command fails: wait for the device to log it
    await vi.waitFor(() => expect(dev.log).toEqual([...LOGIN, 'line: show stall', 'key: ^C']));
  });
});
