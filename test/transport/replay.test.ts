/**
 * The replay transport: a cassette answered strictly in order; the first difference (a different
 * command, one too many, one too few) is kept with what was sent and what was expected.
 */
import { describe, expect, it } from 'vitest';
import { parseDeviceModel } from '../../src/lab/device-model-load.js';
import { getProfile } from '../../src/platforms/index.js';
import { describeDivergence, ReplayTransport } from '../../src/transport/replay.js';

// a cassette may be JSON as well as YAML (the same loader)
const CASSETTE = JSON.stringify({
  device: 'edge1',
  interactions: [
    { command: 'show clock', step: 'clock', output: '12:00:00' },
    { command: 'show run | include password ********', step: 'leak', output: '' },
    { command: 'clear logging', step: 'clear', output: '', dialog: 'Clear logging buffer [confirm]' },
  ],
  outcome: { status: 'ok' },
});

function replay(secrets: string[] = []) {
  const model = parseDeviceModel(CASSETTE, 'edge1.cassette.json');
  return new ReplayTransport({
    profile: getProfile('cisco-iosxe'),
    interactions: model.interactions!,
    secrets,
  });
}

const DIALOG = [{ prompt: '\\[confirm\\]', answer: '', newline: true }];

describe('replay transport', () => {
  it('answers the recorded commands in order; a secret recorded masked matches its value', async () => {
    const t = replay(['s3cret']);
    await t.open();
    expect((await t.run('show clock')).output).toBe('12:00:00');
    await t.run('show run | include password s3cret');
    await t.run('clear logging', { dialogs: DIALOG });
    expect(t.finish()).toBeUndefined();
  });

  it('a different command diverges, naming both and the step', async () => {
    const t = replay();
    await t.open();
    await t.run('show clock');
    await expect(t.run('show version', { stepId: 'ver' })).rejects.toMatchObject({
      code: 'E_REPLAY_DIVERGED',
    });
    const d = t.finish()!;
    expect(describeDivergence(d)).toBe(
      'command #2: the runbook sent `show version` (step ver); the cassette expected `show run | include password ********` (recorded at step leak)',
    );
    // everything after the divergence fails too
    await expect(t.run('show clock')).rejects.toMatchObject({ code: 'E_REPLAY_DIVERGED' });
  });

  it('a divergence never shows a secret: the command sent is masked as the recording was', async () => {
    const t = replay(['s3cret']);
    await t.open();
    await t.run('show clock');
    await expect(t.run('show run | include s3cret', { stepId: 'leak' })).rejects.toThrow(/\*{8}/);
    expect(JSON.stringify(t.finish())).not.toContain('s3cret');
    expect(t.sent.join('\n')).not.toContain('s3cret');
  });

  it('a run that ends early diverges at the first command it did not send', async () => {
    const t = replay();
    await t.open();
    await t.run('show clock');
    expect(describeDivergence(t.finish()!)).toBe(
      'command #2: the runbook sent nothing more (it ended); the cassette expected `show run | include password ********` (recorded at step leak)',
    );
  });

  it('the recorded dialog must be answered by the step, as on the device', async () => {
    const t = replay(['s3cret']);
    await t.open();
    await t.run('show clock');
    await t.run('show run | include password s3cret');
    await expect(t.run('clear logging')).rejects.toMatchObject({ code: 'E_UNEXPECTED_PROMPT' });
  });
});
