/**
 * Mock device models: the loader's file:line:col errors, and the engine's answers (exact, IOS
 * abbreviations, regex captures, sequences for polls, state changes, dialogs, errors, filters,
 * modes), driven in-process through the MemoryTransport as runbook test does.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { emulatedDevice } from '../../src/lab/device.js';
import { parseDeviceModel } from '../../src/lab/device-model-load.js';
import { getProfile } from '../../src/platforms/index.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { modelDevice } from '../../src/transport/replay.js';

const MODEL = `device: r1
state:
  cleared: false
  peer: none
commands:
  - command: show version
    output: "Cisco IOS XE Software, Version 17.09.04a\\nr1 uptime is 1 week\\n"
  - command: show interfaces
    output: all interfaces
  - command: show inventory
    output: the inventory
  - regex: 'show crypto ipsec sa peer (?<peer>[0-9.]+)'
    when: {cleared: false}
    outputs: ["{{ peer }} decaps 4", "{{ peer }} decaps 4", "{{ peer }} decaps 9"]
  - regex: 'show crypto ipsec sa peer (?<peer>[0-9.]+)'
    when: {cleared: true}
    output: "{{ peer }} new SPI, last cleared {{ state.peer }}"
  - regex: 'clear crypto sa peer (?<peer>[0-9.]+)'
    dialog: 'Clear crypto SAs for peer {{ peer }} [confirm]'
    set: {cleared: true, peer: '{{ peer }}'}
  - command: show bogus
    error: invalid
  - command: hostname r2
    mode: config
    output: ''
`;

function device(text = MODEL) {
  const { behaviour } = emulatedDevice(parseDeviceModel(text, 'dev.yaml'));
  const t = new MemoryTransport({ profile: getProfile('cisco-iosxe'), device: modelDevice(behaviour) });
  return { t, behaviour };
}

const DIALOG = [{ prompt: '\\[confirm\\]', answer: '', newline: true }];

describe('mock device engine', () => {
  it('answers exact commands and IOS abbreviations; two commands fitting one abbreviation are ambiguous', async () => {
    const { t } = device();
    await t.open();
    expect((await t.run('show version')).output).toContain('Version 17.09.04a');
    expect((await t.run('sh ver')).output).toContain('Version 17.09.04a');
    expect((await t.run('sh in')).output).toBe('% Ambiguous command: "sh in"\n');
    expect((await t.run('sh int')).output).toBe('all interfaces');
  });

  it('a poll gets the sequence in order, the last repeating; a state change switches the answers', async () => {
    const { t, behaviour } = device();
    await t.open();
    const read = async () => (await t.run('show crypto ipsec sa peer 10.1.1.1')).output;
    expect([await read(), await read(), await read(), await read()]).toEqual([
      '10.1.1.1 decaps 4',
      '10.1.1.1 decaps 4',
      '10.1.1.1 decaps 9',
      '10.1.1.1 decaps 9',
    ]);
    await t.run('clear crypto sa peer 10.1.1.1', { dialogs: DIALOG });
    expect(t.answered).toEqual([
      {
        command: 'clear crypto sa peer 10.1.1.1',
        prompt: 'Clear crypto SAs for peer 10.1.1.1 [confirm]',
        answer: '',
      },
    ]);
    expect(behaviour.state).toEqual({ cleared: true, peer: '10.1.1.1' });
    expect(await read()).toBe('10.1.1.1 new SPI, last cleared 10.1.1.1');
  });

  it('a dialog no rule answers fails the command, as over SSH', async () => {
    const { t } = device();
    await t.open();
    await expect(t.run('clear crypto sa peer 10.1.1.1')).rejects.toMatchObject({
      code: 'E_UNEXPECTED_PROMPT',
    });
  });

  it('IOS errors, unknown commands, output filters and configuration mode', async () => {
    const { t } = device();
    await t.open();
    expect((await t.run('show bogus')).output).toBe("     ^\n% Invalid input detected at '^' marker.\n\n");
    expect((await t.run('show nothing-here')).output).toContain('% Invalid input detected');
    expect((await t.run('show version | include uptime')).output).toBe('r1 uptime is 1 week\n');
    expect((await t.run('hostname r2')).output).toContain('% Invalid input');
    await t.run('configure terminal');
    expect((await t.run('hostname r2')).output).toBe('');
    await t.run('end');
    expect((await t.run('hostname r2')).output).toContain('% Invalid input');
  });

  it('a cassette is a device: each command answers with its recorded outputs in order', async () => {
    const { t } = device(`device: edge1
interactions:
  - {command: show clock, output: '12:00:00'}
  - {command: show clock, output: '12:00:05'}
  - {command: clear logging, output: '', dialog: 'Clear logging buffer [confirm]'}
`);
    await t.open();
    expect((await t.run('show clock')).output).toBe('12:00:00');
    expect((await t.run('show clock')).output).toBe('12:00:05');
    expect((await t.run('show clock')).output).toBe('12:00:05');
    // a cassette is exact: no abbreviations
    expect((await t.run('sh clock')).output).toContain('% Invalid input');
    await t.run('clear logging', { dialogs: DIALOG });
    expect(t.answered).toHaveLength(1);
  });

  it('a linux device answers in an exec channel with exit status and stderr', async () => {
    const { behaviour } = emulatedDevice(
      parseDeviceModel(
        `device: web1
platform: linux
commands:
  - {command: df -P /, output: "42% /\\n"}
  - {regex: 'cat (?<f>\\S+)', exit_code: 1, stderr: "cat: {{ f }}: No such file\\n"}
`,
        'web1.yaml',
      ),
    );
    const t = new MemoryTransport({ profile: getProfile('linux'), device: modelDevice(behaviour) });
    await t.open();
    expect(await t.run('df -P /')).toMatchObject({ output: '42% /\n', exitCode: 0 });
    expect(await t.run('cat /nope')).toMatchObject({ exitCode: 1, stderr: 'cat: /nope: No such file\n' });
    expect(await t.run('ls')).toMatchObject({ exitCode: 127 });
  });
});

describe('device model errors point at file:line:col', () => {
  function errors(text: string): string[] {
    try {
      parseDeviceModel(text, 'bad.yaml');
    } catch (err) {
      if (err instanceof ValidationError)
        return err.diagnostics.map((d) => `${d.pos.line}:${d.pos.col} ${d.message}`);
      throw err;
    }
    throw new Error('no error');
  }

  it('a misspelt field, with a suggestion', () => {
    expect(errors(`device: r1\ncommands:\n  - command: show a\n    outptu: x\n`)).toEqual([
      "4:5 unknown field 'outptu' in 'commands[0]' (did you mean 'output'?)",
    ]);
  });

  it('reports every problem at once: unknown template value, undeclared state, bad regex', () => {
    expect(
      errors(`device: r1
state: {up: true}
commands:
  - command: show a
    output: x
  - regex: 'show b (?<name>\\S+)'
    output: "{{ nmae }} {{ state.down }}"
  - command: show c
    when: {down: true}
  - regex: 'show ('
`),
    ).toEqual([
      "7:13 unknown template value '{{ nmae }}'",
      "7:13 unknown template value '{{ state.down }}'",
      "9:12 'when' names 'down', which is not in the device state",
      expect.stringMatching(/^10:12 invalid regex: /),
    ]);
  });

  it('a command with both command and regex, or no hostname', () => {
    expect(errors(`device: r1\ncommands:\n  - {command: a, regex: b}\n`)).toEqual([
      "3:5 command #1 needs exactly one of 'command' or 'regex'",
    ]);
    expect(errors(`commands: []\n`)).toEqual(["1:1 the device model is missing 'device'"]);
  });
});

describe('timed output in-process (virtual time)', () => {
  it('a slow command answers at once; one that runs until Ctrl-C times out at once', async () => {
    const { t } = device(`device: r1
commands:
  - command: show slow
    output: "slow 1\\n"
    later: [{after_ms: 60000, output: "slow 2\\n"}]
  - command: show hang
    output: "starting...\\n"
    until_interrupt: true
`);
    await t.open();
    expect((await t.run('show slow')).output).toBe('slow 1\nslow 2\n');
    await expect(t.run('show hang')).rejects.toMatchObject({ code: 'E_TIMEOUT' });
  });
});
