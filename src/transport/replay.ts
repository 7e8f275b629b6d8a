/**
 * In-process transports for offline tests and rehearsals, no network:
 * - `modelDevice`: a DeviceFn for the MemoryTransport that answers like a device behaviour (a mock
 *   device model, a cassette used as one, or the INV_SPI plug-in), in its CLI modes, on a clock
 *   the caller controls (virtual time in `runbook test`): timed output comes at once, and a
 *   command that runs until Ctrl-C times out at once (E_TIMEOUT);
 * - `ReplayTransport`: a cassette replayed strictly in order: the n-th command sent must be the
 *   n-th command recorded, answered with its recorded output. The first difference is kept as
 *   `divergence` (and thrown as E_REPLAY_DIVERGED), with what was sent and what was expected.
 */
import { RunbookError } from '../errors.js';
import { renderDeviceError, type CliMode, type DeviceBehaviour } from '../lab/behaviour.js';
import type { Interaction } from '../lab/device-model.js';
import type { PlatformProfile } from '../platforms/types.js';
import { MemoryTransport, type DeviceFn, type DeviceReply } from './memory.js';
import { maskSecrets } from '../redact.js';
import type { CommandResult, RunOptions, Transport } from './types.js';

/** A device function driving `behaviour`; `now` is the device's clock (default Date.now). */
export function modelDevice(behaviour: DeviceBehaviour, now: () => number = Date.now): DeviceFn {
  let mode: CliMode = 'exec';
  return (command, session) => {
    // a new session starts in exec mode, as after a login
    if (session.commands.length === 1) mode = 'exec';
    const line = command.trim();
    if (line === '') return { output: '' };
    const r = behaviour.resolve(mode, line);
    if (r.kind === 'error') return { output: renderDeviceError(r.error, r.offset, line, 0) };
    const out = r.run(now());
    if (out.untilInterrupt) {
      // on virtual time a command that never ends times out at once (its step's timeout passed)
      const error = new RunbookError(
        'E_TIMEOUT',
        `mock device: \`${line}\` did not finish (it runs until Ctrl-C)`,
      );
      return { error };
    }
    if (out.mode) mode = out.mode;
    const later = (out.later ?? []).map((l) => l.output).join('');
    const reply: DeviceReply & object = { output: (out.output ?? '') + later };
    if (r.dialogs.length > 0) reply.prompts = r.dialogs;
    if (out.exitCode !== undefined) reply.exitCode = out.exitCode;
    if (out.stderr !== undefined) reply.stderr = out.stderr;
    if (out.drop || out.exit) reply.disconnect = true;
    return reply;
  };
}

/** The first place where a run and its cassette part ways. */
export interface Divergence {
  /** 0-based index of the command in the cassette. */
  index: number;
  /** What the runbook sent (undefined: the runbook ended while the cassette had more). */
  sent?: string;
  /** The step that sent it. */
  stepId?: string;
  /** What the cassette recorded next (undefined: the cassette had ended). */
  expected?: string;
  /** The step that sent it when it was recorded. */
  expectedStep?: string;
}

export interface ReplayOptions {
  profile: PlatformProfile;
  interactions: Interaction[];
  /** Values masked (`********`) when recording: the test case's secret vars. Never shown. */
  secrets?: string[];
}

export class ReplayTransport implements Transport {
  readonly profile: PlatformProfile;
  /** Every command received, in order (secrets masked). */
  readonly sent: string[] = [];
  /** The first difference (commands in it are masked). */
  divergence: Divergence | undefined;
  private next = 0;
  /** The recorded interaction being answered. */
  private pending: Interaction | undefined;
  private readonly memory: MemoryTransport;

  constructor(private readonly o: ReplayOptions) {
    this.profile = o.profile;
    this.memory = new MemoryTransport({ profile: o.profile, device: (c) => this.answer(c) });
  }

  open(): Promise<void> {
    return this.memory.open();
  }

  reconnect(): Promise<void> {
    return this.memory.reconnect();
  }

  close(): Promise<void> {
    return this.memory.close();
  }

  async run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    if (this.divergence) throw divergedError(this.divergence);
    const want = this.o.interactions[this.next];
    const masked = maskSecrets(command, this.o.secrets ?? []);
    if (!want || (command !== want.command && masked !== want.command)) {
      this.divergence = { index: this.next, sent: masked };
      if (opts.stepId !== undefined) this.divergence.stepId = opts.stepId;
      if (want) {
        this.divergence.expected = want.command;
        if (want.step !== undefined) this.divergence.expectedStep = want.step;
      }
      throw divergedError(this.divergence);
    }
    this.sent.push(masked);
    this.pending = want;
    this.next++;
    return this.memory.run(command, opts);
  }

  /** The end of the run: a cassette with commands left over diverges here. */
  finish(): Divergence | undefined {
    if (!this.divergence && this.next < this.o.interactions.length) {
      const want = this.o.interactions[this.next]!;
      this.divergence = { index: this.next, expected: want.command };
      if (want.step !== undefined) this.divergence.expectedStep = want.step;
    }
    return this.divergence;
  }

  private answer(command: string): DeviceReply {
    const i = this.pending;
    if (!i) return { error: new RunbookError('E_INTERNAL', `replay: nothing recorded for \`${command}\``) };
    const reply: DeviceReply & object = { output: i.output };
    if (i.dialogs.length > 0) reply.prompts = i.dialogs;
    if (i.exitCode !== undefined) reply.exitCode = i.exitCode;
    if (i.stderr !== undefined) reply.stderr = i.stderr;
    if (i.disconnected) reply.disconnect = true;
    return reply;
  }
}

export function describeDivergence(d: Divergence): string {
  const sent =
    d.sent === undefined
      ? 'the runbook sent nothing more (it ended)'
      : `the runbook sent \`${d.sent}\`${d.stepId ? ` (step ${d.stepId})` : ''}`;
  const expected =
    d.expected === undefined
      ? 'the cassette had no more commands'
      : `the cassette expected \`${d.expected}\`${d.expectedStep ? ` (recorded at step ${d.expectedStep})` : ''}`;
  return `command #${d.index + 1}: ${sent}; ${expected}`;
}

function divergedError(d: Divergence): RunbookError {
  return new RunbookError('E_REPLAY_DIVERGED', `replay diverged at ${describeDivergence(d)}`, {
    hint: 'the runbook no longer makes the requests it made when the cassette was recorded: record again with --record, or fix the runbook',
  });
}
