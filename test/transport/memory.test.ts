import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { getProfile } from '../../src/platforms/index.js';
import { MemoryTransport } from '../../src/transport/memory.js';

const ios = getProfile('cisco-iosxe');

describe('MemoryTransport', () => {
  it('answers from a script map, consuming reply lists in order and repeating the last', async () => {
    const t = new MemoryTransport({
      profile: ios,
      device: { 'show clock': ['one', 'two'], 'show version': 'IOS XE' },
    });
    await t.open();
    const outs = [];
    for (const c of ['show clock', 'show clock', 'show clock', 'show version'])
      outs.push((await t.run(c)).output);
    expect(outs).toEqual(['one', 'two', 'two', 'IOS XE']);
    expect(t.sent).toEqual(['show clock', 'show clock', 'show clock', 'show version']);
  });

  it('answers unknown commands like IOS does', async () => {
    const t = new MemoryTransport({ profile: ios, device: {} });
    await t.open();
    expect((await t.run('shwo clock')).output).toMatch(/^% Invalid input detected/);
  });

  it('gives exit status and stderr only for exec-session platforms', async () => {
    const linux = new MemoryTransport({
      profile: getProfile('linux'),
      device: { 'cat /x': { output: '', exitCode: 1, stderr: 'no such file' } },
    });
    await linux.open();
    expect(await linux.run('cat /x')).toMatchObject({
      exitCode: 1,
      stderr: 'no such file',
      disconnected: false,
    });
    const shell = new MemoryTransport({ profile: ios, device: { 'show x': 'x' } });
    await shell.open();
    expect((await shell.run('show x')).exitCode).toBeUndefined();
  });

  it('refuses to run before open() and after close()', async () => {
    const t = new MemoryTransport({ profile: ios, device: () => 'x' });
    await expect(t.run('show x')).rejects.toMatchObject({ code: 'E_DISCONNECTED' });
    await t.open();
    await t.close();
    await expect(t.run('show x')).rejects.toMatchObject({ code: 'E_DISCONNECTED' });
    expect(t.closed).toBe(true);
  });

  it('a dropped session is `disconnected` when expected, E_DISCONNECTED otherwise, until reconnect', async () => {
    const t = new MemoryTransport({
      profile: ios,
      device: (c, s) => (c === 'drop' ? { disconnect: true } : `session ${s.number}`),
    });
    await t.open();
    expect((await t.run('drop', { expectDisconnect: true })).disconnected).toBe(true);
    await expect(t.run('show x')).rejects.toMatchObject({ code: 'E_DISCONNECTED' });
    await t.reconnect();
    expect((await t.run('show x')).output).toBe('session 2');
    await expect(t.run('drop')).rejects.toMatchObject({ code: 'E_DISCONNECTED' });
  });

  it('keeps device state across sessions and fails the first N reconnects', async () => {
    const t = new MemoryTransport({
      profile: ios,
      reconnectFailures: 2,
      device: (_c, s) => {
        s.state.count = ((s.state.count as number | undefined) ?? 0) + 1;
        return String(s.state.count);
      },
    });
    await t.open();
    await t.run('a');
    await expect(t.reconnect()).rejects.toMatchObject({ code: 'E_CONNECT' });
    await expect(t.reconnect()).rejects.toMatchObject({ code: 'E_CONNECT' });
    await t.reconnect();
    expect((await t.run('a')).output).toBe('2');
    expect(t.reconnectAttempts).toBe(3);
    expect(t.opens).toBe(2);
  });

  it('answers prompts through dialog rules and refuses unexpected ones', async () => {
    const t = new MemoryTransport({
      profile: ios,
      device: { 'clear x': { output: 'done', prompts: ['Proceed? [confirm]'] } },
    });
    await t.open();
    await expect(t.run('clear x')).rejects.toMatchObject({ code: 'E_UNEXPECTED_PROMPT' });
    const r = await t.run('clear x', { dialogs: [{ prompt: '\\[confirm\\]', answer: 'y', newline: true }] });
    expect(r.output).toBe('done');
    expect(t.answered).toEqual([{ command: 'clear x', prompt: 'Proceed? [confirm]', answer: 'y' }]);
  });

  it('slow commands time out after the step timeout; errors and open failures are thrown', async () => {
    const t = new MemoryTransport({
      profile: ios,
      device: {
        slow: { output: 'late', delayMs: 200 },
        quick: { output: 'ok', delayMs: 1 },
        broken: { error: new RunbookError('E_DEVICE_ERROR', 'boom') },
      },
    });
    await t.open();
    await expect(t.run('slow', { totalTimeoutMs: 5 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    expect((await t.run('quick', { totalTimeoutMs: 1000 })).output).toBe('ok');
    await expect(t.run('broken')).rejects.toMatchObject({ code: 'E_DEVICE_ERROR' });
    const down = new MemoryTransport({
      profile: ios,
      device: {},
      openError: new RunbookError('E_CONNECT', 'refused'),
    });
    await expect(down.open()).rejects.toMatchObject({ code: 'E_CONNECT' });
  });
});
