/**
 * Shell mode (PTY) over real SSH on loopback against an IOS-like mock device served by the lab
 * (test/helpers/ios-device.ts, model test/testing/fixtures/ios-shell.yaml):
 * prompts, paging and its SD-WAN fallback, ANSI, dialogs, unexpected prompts, device errors, drops,
 * password auth, timeouts of each phase, transcripts and secrets.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findDeviceError, getProfile } from '../../src/platforms/index.js';
import type { PlatformName } from '../../src/platforms/types.js';
import { createSshTransport, type SshOptions } from '../../src/transport/ssh.js';
import { openTranscript } from '../../src/transport/transcript.js';
import type { Transport } from '../../src/transport/types.js';
import {
  startIosDevice,
  startSilentServer,
  type IosDevice,
  type IosDeviceOptions,
} from '../helpers/ios-device.js';
import { tempDir } from '../helpers/sshd.js';
import { caught } from '../helpers/errors.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function device(o: IosDeviceOptions = {}): Promise<IosDevice> {
  const d = await startIosDevice(o);
  cleanup.push(() => d.close());
  return d;
}

function transport(
  dev: { port: number; hostKeyLine: string },
  over: Partial<SshOptions> & { platform?: PlatformName } = {},
): Transport {
  const known = join(tempDir(), 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${dev.port} ${dev.hostKeyLine}\n`);
  const platform = over.platform ?? 'cisco-iosxe';
  const t = createSshTransport({
    target: { name: 'r1', address: '127.0.0.1', port: dev.port, platform },
    profile: getProfile(platform),
    user: 'admin',
    password: 'cisco123',
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

describe('shell transport against an IOS-like device', () => {
  it('detects the prompt, disables paging and strips echo and prompt', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    expect(dev.commands).toEqual(['terminal length 0', 'terminal width 0']);
    const r = await t.run('show version');
    expect(r.output).toBe('R1 uptime is 1 week\nCisco IOS XE Software, Version 17.9.4a');
    expect(r.exitCode).toBeUndefined();
    expect(r.disconnected).toBe(false);
    const long = await t.run('show long');
    expect(long.output.split('\n')).toHaveLength(60);
  });

  it('answers --More-- with a space when the device refuses terminal length 0', async () => {
    const dev = await device({ refuseTerminalLength: true });
    const t = transport(dev);
    await t.open();
    const r = await t.run('show long');
    const lines = r.output.split('\n');
    expect(lines).toHaveLength(60);
    expect(lines[22]).toBe('line 23 of the long output');
    expect(lines[23]).toBe('line 24 of the long output');
    expect(r.output).not.toContain('More');
  });

  it('cisco-iosxe-sdwan falls back to screen-length 0 when terminal length 0 is refused', async () => {
    const dev = await device({ refuseTerminalLength: true });
    const t = transport(dev, { platform: 'cisco-iosxe-sdwan' });
    await t.open();
    expect(dev.commands).toEqual(['terminal length 0', 'screen-length 0', 'terminal width 0']);
    const r = await t.run('show long');
    expect(r.output.split('\n')).toHaveLength(60);
  });

  it('strips ANSI sequences and is not fooled by a prompt-like line inside output', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    expect((await t.run('show color')).output).toBe('bold and green');
    expect((await t.run('show fake-prompt')).output).toBe(
      'a line that looks like a prompt:\nR9#\nmore after it',
    );
  });

  it('answers the dialogs a step declares', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    const r = await t.run('clear counters', {
      dialogs: [{ prompt: '\\[confirm\\]', answer: 'y', newline: false }],
    });
    expect(r.output).toContain('cleared');
    const c = await t.run('copy running-config startup-config', {
      dialogs: [{ prompt: 'Destination filename \\[', answer: '', newline: true }],
    });
    expect(c.output).toContain('[OK]');
    expect(dev.answers).toEqual(['y', '\\n']);
  });

  it('answers an unexpected question with Ctrl-C and fails the step, never guessing', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    const e = await caught(t.run('reload', { stepId: 'reboot' }));
    expect(e.code).toBe('E_UNEXPECTED_PROMPT');
    expect(e.message).toBe(
      `r1 (127.0.0.1:${dev.port}) in step reboot: "reload" raised a prompt no dialog answers: "Proceed with reload? [confirm]"; Ctrl-C was sent instead of an answer`,
    );
    expect(e.hint).toContain("dialogs: [{prompt: 'Proceed with reload\\? \\[confirm\\]'");
    expect(dev.answers).toEqual(['^C']);
    expect((await t.run('show version')).output).toContain('uptime');
  });

  it('returns device error text as output', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    const r = await t.run('show bogus');
    expect(r.output).toContain("% Invalid input detected at '^' marker.");
    expect(findDeviceError(t.profile, r.output)?.message).toBe(
      'the device rejected the command (% Invalid input)',
    );
  });

  it('reports a dropped session, or a disconnect when expected, and reconnects', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    const e = await caught(t.run('drop', { stepId: 'd1' }));
    expect(e.code).toBe('E_DISCONNECTED');
    expect(e.message).toBe(
      `the session to r1 (127.0.0.1:${dev.port}) closed in step d1 while running "drop"`,
    );
    await t.reconnect();
    const r = await t.run('drop', { expectDisconnect: true });
    expect(r.disconnected).toBe(true);
    await t.reconnect();
    expect((await t.run('show version')).output).toContain('uptime');
    dev.dropSessions();
    const e2 = await caught(t.run('show version'));
    expect(e2.code).toBe('E_DISCONNECTED');
    expect(dev.logins).toBe(3);
  });

  it('refuses a session that opens in configuration mode, sending nothing', async () => {
    const dev = await device({ configModeAtLogin: true });
    const e = await caught(transport(dev).open());
    expect(e.code).toBe('E_CONNECT');
    expect(e.message).toContain('opened the session in configuration mode (prompt "R1(config)#")');
    expect(dev.commands).toEqual([]);
  });

  it('sends a newline once when the device waits for one before its prompt', async () => {
    const dev = await device({ promptOnEnter: true });
    const t = transport(dev);
    await t.open();
    // (the login only completes once the newline brought the prompt)
    expect(dev.commands).toEqual(['terminal length 0', 'terminal width 0']);
  });

  it('logs in with keyboard-interactive or password, and a bad password is E_AUTH', async () => {
    const dev = await device();
    const asked: string[] = [];
    const t = transport(dev, { password: undefined, askPassword: async (p) => (asked.push(p), 'cisco123') });
    await t.open();
    expect(asked).toEqual(["admin's password: "]);
    const e = await caught(transport(dev, { password: 'wrong-pw' }).open());
    expect(e.code).toBe('E_AUTH');
    expect(e.message).toBe(
      `authentication failed for admin@r1 (127.0.0.1:${dev.port}): tried keyboard-interactive, password; the server accepts: publickey, keyboard-interactive, password`,
    );
    expect(e.message + e.hint).not.toContain('wrong-pw');
    const none = await caught(transport(dev, { password: undefined }).open());
    expect(none.message).toContain('tried nothing');
    expect(none.message).toContain('no password given (--password-env VAR or --ask-pass)');
  });
});

describe('timeouts, one per phase', () => {
  it('connect: a listening socket that never speaks', async () => {
    const silent = await startSilentServer();
    cleanup.push(() => silent.close());
    const e = await caught(
      transport({ port: silent.port, hostKeyLine: 'x y' }, { timeouts: { connectMs: 300 } }).open(),
    );
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toBe(
      `connect timeout on r1 (127.0.0.1:${silent.port}): 300 ms waiting for the SSH server greeting and host key; last bytes received: (nothing)`,
    );
  });

  it('auth: a server that never answers the login', async () => {
    const dev = await device({ hangAuth: true });
    const e = await caught(transport(dev, { timeouts: { authMs: 300 } }).open());
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toMatch(
      /^auth timeout on r1 \(127\.0\.0\.1:\d+\): 300 ms waiting for the server to accept the login; last bytes received: /,
    );
  });

  it('prompt: a shell that never shows a prompt', async () => {
    const dev = await device({ noPrompt: true });
    const e = await caught(transport(dev, { timeouts: { promptMs: 600 } }).open());
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toContain(
      `prompt timeout on r1 (127.0.0.1:${dev.port}): 600 ms waiting for the prompt /${getProfile('cisco-iosxe').prompt}/`,
    );
    expect(e.message).toContain(
      'last bytes received: "\\r\\n\\r\\nUser Access Verification banner: authorised use only #\\r\\n"',
    );
  });

  it('inactivity and total: the command fails, the session carries on', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    const a = await caught(t.run('show hang', { stepId: 'h', inactivityTimeoutMs: 1_000 }));
    expect(a.code).toBe('E_TIMEOUT');
    expect(a.message).toMatch(
      /^inactivity timeout on r1 \(127\.0\.0\.1:\d+\) in step h running "show hang": no data for 1000 ms waiting for the prompt \/.*\/; last bytes received: ".*starting\.\.\.\\r\\n"$/,
    );
    const slow = await t.run('show slow', { inactivityTimeoutMs: 1_000 });
    expect(slow.output).toBe('slow 1\nslow 2\nslow 3\nslow 4\nslow 5');
    const b = await caught(t.run('show forever', { totalTimeoutMs: 800, inactivityTimeoutMs: 5_000 }));
    expect(b.code).toBe('E_TIMEOUT');
    expect(b.message).toMatch(/^total timeout on .* 800 ms waiting for the prompt .*tick\\r\\n"$/);
    expect((await t.run('show version')).output).toBe(
      'R1 uptime is 1 week\nCisco IOS XE Software, Version 17.9.4a',
    );
  });
});

describe('interrupting a command', () => {
  it('a second Ctrl-C (abort signal) sends Ctrl-C to the device and fails with E_INTERRUPTED', async () => {
    const dev = await device();
    const t = transport(dev);
    await t.open();
    const ac = new AbortController();
    const running = t.run('show hang', { signal: ac.signal, inactivityTimeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 200);
    const e = await caught(running);
    expect(e.code).toBe('E_INTERRUPTED');
    expect(e.message).toBe(
      `r1 (127.0.0.1:${dev.port}): interrupted while running "show hang"; Ctrl-C was sent to the device`,
    );
    expect((await t.run('show version')).output).toContain('uptime');
  });
});

describe('transcripts and secrets', () => {
  it('writes every line sent and received with timestamps and step ids, 0600', async () => {
    const dev = await device();
    const dir = tempDir();
    const tr = openTranscript(dir, 'r1', []);
    const t = transport(dev, { transcript: tr });
    await t.open();
    await t.run('show version', { stepId: 'ver' });
    await t.close();
    tr.close();
    const file = join(dir, 'r1.log');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[-\] # connected to r1 \(127\.0\.0\.1:\d+\) as admin$/m,
    );
    expect(text).toMatch(/Z \[ver\] > show version$/m);
    expect(text).toMatch(/Z \[ver\] < Cisco IOS XE Software, Version 17\.9\.4a$/m);
  });

  it('a password from an env var appears in no file written and no error message', async () => {
    const secret = 'Pw-From-Env-7731';
    process.env.RUNBOOK_TEST_PASSWORD = secret;
    const dev = await device({ password: secret });
    const dir = tempDir();
    const known = join(dir, 'known_hosts');
    const trDir = join(dir, 'transcripts');
    const tr = openTranscript(trDir, 'r1', []);
    const password = process.env.RUNBOOK_TEST_PASSWORD;
    const t = transport(dev, {
      password,
      knownHostsFile: known,
      hostKeyPolicy: 'accept-new',
      transcript: tr,
    });
    await t.open();
    await t.run(`show run | include ${secret}`, { stepId: 'leak' });
    const errors: string[] = [];
    for (const attempt of [
      () => t.run(`show hang ${secret}`, { inactivityTimeoutMs: 200 }),
      () => t.run(`reload ${secret}`),
      () => transport(dev, { password: `${secret}x`, secrets: [`${secret}x`] }).open(),
      () => transport(dev, { password, hostKeyPolicy: 'strict', knownHostsFile: join(dir, 'empty') }).open(),
    ]) {
      const e = await caught(attempt());
      errors.push(`${e.message}\n${e.hint ?? ''}`);
    }
    await t.close();
    tr.close();
    for (const e of errors) expect(e).not.toContain(secret);
    const files = [known, ...readdirSync(trDir).map((f) => join(trDir, f))];
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain(secret);
    const log = readFileSync(join(trDir, 'r1.log'), 'utf8');
    expect(log).toMatch(/\[leak\] > show run \| include \*{8}$/m);
    expect(log).toMatch(/\[leak\] < .*show run \| include \*{8}$/m);
    delete process.env.RUNBOOK_TEST_PASSWORD;
  });
});
