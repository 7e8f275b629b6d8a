/**
 * In-memory Transport: a scripted device for tests and demos. No sockets, no terminal.
 * The device is a function (command, session) -> reply, or a map from exact command text to a reply
 * (or to a list of replies consumed in order, the last one repeating). It can simulate output, exit
 * codes, stderr, `[confirm]`-style dialogs, dropped sessions, transport errors and slow commands.
 */
import { RunbookError } from '../errors.js';
import type { PlatformProfile } from '../platforms/types.js';
import type { CommandResult, RunOptions, Transport } from './types.js';
import { abortableSleep as sleep } from '../sleep.js';

/** What the simulated device does with one command. A string is plain output. */
export type DeviceReply =
  | string
  | {
      output?: string;
      exitCode?: number;
      stderr?: string;
      /** The session drops after the output: `disconnected: true` when expected, else E_DISCONNECTED. */
      disconnect?: boolean;
      /** Prompts the device raises before finishing; each must be answered by a RunOptions dialog rule. */
      prompts?: string[];
      /** Thrown instead of answering (e.g. new RunbookError('E_TIMEOUT', ...)). */
      error?: RunbookError;
      /** Time the command takes; longer than the step's timeout gives E_TIMEOUT. */
      delayMs?: number;
    };

/** The state of the simulated session, visible to device functions. */
export interface MemorySession {
  /** 1 for the first open, +1 per reconnect. */
  number: number;
  /** Commands received so far in this session. */
  commands: string[];
  /** Free state a device function may keep across commands and sessions (e.g. "SA cleared"). */
  state: Record<string, unknown>;
}

export type DeviceFn = (command: string, session: MemorySession) => DeviceReply | Promise<DeviceReply>;
export type DeviceScript = Record<string, DeviceReply | DeviceReply[]>;

export interface MemoryTransportOptions {
  profile: PlatformProfile;
  /** The device. A script map answers unknown commands like IOS: `% Invalid input detected at '^' marker.` */
  device: DeviceFn | DeviceScript;
  /** open() fails with this error (e.g. E_CONNECT, E_AUTH). */
  openError?: RunbookError;
  /** The first N reconnect() calls fail with E_CONNECT (default 0); a negative number: all fail. */
  reconnectFailures?: number;
}

/** A prompt answer recorded by the memory transport. */
export interface AnsweredPrompt {
  command: string;
  prompt: string;
  answer: string;
}

const UNKNOWN_COMMAND = "% Invalid input detected at '^' marker.";

export class MemoryTransport implements Transport {
  readonly profile: PlatformProfile;
  /** Every command received, in order, across sessions. */
  readonly sent: string[] = [];
  /** Prompts answered through dialog rules. */
  readonly answered: AnsweredPrompt[] = [];
  /** Number of successful open()/reconnect() calls. */
  opens = 0;
  reconnectAttempts = 0;
  closed = false;
  private connected = false;
  private session: MemorySession = { number: 0, commands: [], state: {} };
  private readonly device: DeviceFn;
  private readonly openError: RunbookError | undefined;
  private reconnectFailuresLeft: number;

  constructor(opts: MemoryTransportOptions) {
    this.profile = opts.profile;
    this.device = typeof opts.device === 'function' ? opts.device : scriptDevice(opts.device);
    this.openError = opts.openError;
    this.reconnectFailuresLeft = opts.reconnectFailures ?? 0;
  }

  async open(): Promise<void> {
    if (this.openError) throw this.openError;
    this.startSession();
  }

  async reconnect(): Promise<void> {
    this.connected = false;
    this.reconnectAttempts++;
    if (this.reconnectFailuresLeft !== 0) {
      if (this.reconnectFailuresLeft > 0) this.reconnectFailuresLeft--;
      throw new RunbookError('E_CONNECT', 'memory device: connection refused (simulated)');
    }
    this.startSession();
  }

  async close(): Promise<void> {
    this.connected = false;
    this.closed = true;
  }

  async run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    if (!this.connected) {
      throw new RunbookError('E_DISCONNECTED', `memory device: not connected (sending \`${command}\`)`);
    }
    const started = Date.now();
    this.sent.push(command);
    this.session.commands.push(command);
    const raw = await this.device(command, this.session);
    const reply = typeof raw === 'string' ? { output: raw } : raw;
    if (reply.delayMs !== undefined) {
      const limit = opts.totalTimeoutMs ?? opts.inactivityTimeoutMs;
      if (limit !== undefined && reply.delayMs > limit) {
        await sleep(limit, opts.signal);
        throw new RunbookError(
          'E_TIMEOUT',
          `memory device: \`${command}\` did not finish within ${limit} ms`,
        );
      }
      await sleep(reply.delayMs, opts.signal);
    }
    if (reply.error) throw reply.error;
    for (const prompt of reply.prompts ?? []) {
      const rule = (opts.dialogs ?? []).find((d) => new RegExp(d.prompt).test(prompt));
      if (!rule) {
        throw new RunbookError(
          'E_UNEXPECTED_PROMPT',
          `the device asked "${prompt}" and no dialog answers it (sent Ctrl-C)`,
          {
            hint: 'add a `dialog` entry to the step with a prompt regex and its answer',
          },
        );
      }
      this.answered.push({ command, prompt, answer: rule.answer });
    }
    const result: CommandResult = {
      output: reply.output ?? '',
      disconnected: false,
      durationMs: Date.now() - started,
    };
    if (this.profile.session === 'exec') {
      result.exitCode = reply.exitCode ?? 0;
      result.stderr = reply.stderr ?? '';
    }
    if (reply.disconnect) {
      this.connected = false;
      if (!opts.expectDisconnect) {
        throw new RunbookError('E_DISCONNECTED', `memory device: the session dropped during \`${command}\``);
      }
      result.disconnected = true;
    }
    return result;
  }

  private startSession(): void {
    this.connected = true;
    this.closed = false;
    this.opens++;
    this.session = { number: this.session.number + 1, commands: [], state: this.session.state };
  }
}

/** A device from a script map: exact command -> reply; lists are consumed in order, the last repeating. */
export function scriptDevice(script: DeviceScript): DeviceFn {
  const calls = new Map<string, number>();
  return (command) => {
    const entry = Object.prototype.hasOwnProperty.call(script, command) ? script[command] : undefined;
    if (entry === undefined) return { output: UNKNOWN_COMMAND, exitCode: 127 };
    if (!Array.isArray(entry)) return entry;
    const n = calls.get(command) ?? 0;
    calls.set(command, n + 1);
    return entry[Math.min(n, entry.length - 1)] ?? '';
  };
}
