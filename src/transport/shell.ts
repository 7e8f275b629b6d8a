/**
 * The interactive shell of a network device over a PTY. One command at a time:
 * - the command ends when the last line matches the profile prompt (or a config prompt), starts
 *   with the hostname learnt at login, and the device then stays quiet for `settleMs` (so a
 *   `name#` line inside output, even at the end of a chunk, does not end it early);
 * - a prompt in configuration mode after a command (`edge1(config)#`) means the device changed mode
 *   behind our back: the command fails with E_MODE_CHANGED and the session refuses to send anything
 *   more (the host stops there);
 * - a pager prompt (` --More-- `) is answered with a space only when it is the whole last line and
 *   the device waits (quiet for `settleMs`); only that pager text is removed from the output;
 * - a step's dialogs are answered once each (unless declared `repeat`), when the device waits; a
 *   question matching the profile's dialogPrompts that no dialog covers (or a dialog asked again) is
 *   answered with Ctrl-C only (never a guess), and the command fails with E_UNEXPECTED_PROMPT once
 *   the prompt is back;
 * - a command that prints more than `maxOutputBytes` fails with E_OUTPUT_LIMIT (Ctrl-C sent, the
 *   session resynchronises before the next command); work per chunk is bounded, so a 200 MB output
 *   or a 20 MB line costs linear time and memory;
 * - output comes back without the echoed command, the final prompt, pager prompts and ANSI sequences.
 * At login the session waits for the prompt, refuses a configuration-mode prompt, and disables paging
 * (each profile paging command in turn until one is accepted) and wrapping (failures ignored).
 */
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { RunbookError } from '../errors.js';
import { findDeviceError } from '../platforms/index.js';
import type { PlatformProfile } from '../platforms/types.js';
import { TerminalText } from './ansi.js';
import { redact, Tail } from './redact.js';
import { timeoutError, type Timeouts } from './timeouts.js';
import type { TranscriptWriter } from './transcript.js';
import { DEFAULT_MAX_OUTPUT_BYTES, type CommandResult, type RunOptions } from './types.js';

export interface ShellOptions {
  profile: PlatformProfile;
  /** Host label for messages, e.g. `r1 (127.0.0.1:2222)`. */
  label: string;
  timeouts: Timeouts;
  secrets: string[];
  transcript?: TranscriptWriter;
}

/** An unexpected question is acted on (Ctrl-C), and a resync ends, only after this much quiet. */
const QUESTION_SETTLE_MS = 250;
/** Prompts, pagers and questions are short: a longer last line is output, and is not searched. */
const MAX_PROMPT_LINE = 512;
/** At login, a newline is sent once if no prompt appeared after this long without data. */
const NUDGE_MS = 1_000;
const CTRL_C = '\x03';

type Outcome = { text: string; disconnected: boolean };

interface Op {
  purpose: 'login' | 'command' | 'resync';
  command?: string;
  stepId?: string;
  /** `left`: answers this dialog may still give in this command (once, unless repeat or maxAnswers say). */
  dialogs: { re: RegExp; answer: string; newline: boolean; prompt: string; left: number; limit: string }[];
  /** term.text before this index has been dealt with (pager or dialog answered). */
  handled: number;
  /** The unexpected question, once Ctrl-C was sent for it. */
  interrupted?: string;
  /** Why the question was unexpected, when not simply uncovered (a dialog asked again). */
  interruptReason?: string;
  /** Bytes received during this command, and the limit. */
  bytes: number;
  maxBytes: number;
  expectDisconnect: boolean;
  /** A newline was sent at login because the device stayed quiet. */
  nudged?: boolean;
  inactivityMs: number;
  totalMs: number;
  timers: Partial<Record<'inactivity' | 'total' | 'prompt' | 'settle' | 'nudge', NodeJS.Timeout>>;
  resolve: (o: Outcome) => void;
  reject: (e: RunbookError) => void;
}

export class ShellSession {
  private readonly term: TerminalText;
  private readonly tail = new Tail();
  private readonly decoder = new StringDecoder('utf8');
  private readonly promptRe: RegExp;
  private readonly configRes: RegExp[];
  /** The pager prompt as the whole last line. */
  private readonly pagerRe: RegExp | undefined;
  private readonly questionRes: RegExp[];
  private op: Op | undefined;
  private closed = false;
  /** Hostname part of the prompt, learnt at login. */
  private base: string | undefined;
  /** A command was abandoned (timeout, abort): resynchronise on the prompt before the next one. */
  private dirty = false;
  /** The session can no longer be trusted (the device changed mode): nothing more is sent. */
  private broken: RunbookError | undefined;
  /** The paging command the device accepted, if any. */
  pagingCommand: string | undefined;
  /** The last prompt line seen (at login, then after each command), trimmed. */
  private lastPrompt = '';

  private constructor(
    private readonly channel: ClientChannel,
    private readonly o: ShellOptions,
  ) {
    const p = o.profile;
    this.term = new TerminalText(p.stripAnsi);
    this.promptRe = new RegExp(p.prompt);
    this.configRes = p.configPrompts.map((s) => new RegExp(s));
    this.pagerRe = p.pager ? new RegExp(`^\\s*(?:${p.pager})\\s*$`) : undefined;
    this.questionRes = p.dialogPrompts.map((s) => new RegExp(s));
    const onData = (d: Buffer): void => this.onData(this.decoder.write(d), d.length);
    channel.on('data', onData);
    channel.stderr.on('data', onData);
    channel.on('close', () => this.onClose());
  }

  /** Waits for the prompt, refuses configuration mode, disables paging and wrapping. */
  static async open(channel: ClientChannel, o: ShellOptions): Promise<ShellSession> {
    const s = new ShellSession(channel, o);
    await s.login();
    return s;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The prompt the device showed last, e.g. `edge1>` after login at privilege 1. */
  get prompt(): string {
    return this.lastPrompt;
  }

  private async login(): Promise<void> {
    const { text } = await this.expect({ purpose: 'login' });
    const line = lastLine(text).trim();
    this.lastPrompt = line;
    this.base = line.replace(/[>#$%]\s*$/, '').replace(/\(.*\)$/, '');
    if (this.configRes.some((r) => r.test(line))) {
      this.channel.close();
      throw new RunbookError(
        'E_CONNECT',
        `${this.o.label} opened the session in configuration mode (prompt ${JSON.stringify(line)}); runbook never enters or leaves configuration mode on its own`,
        {
          hint: 'the login must land in EXEC mode: check the user settings on the device (e.g. an autocommand or a privilege level that starts in config mode)',
        },
      );
    }
    for (const cmd of this.o.profile.pagingCommands) {
      const r = await this.run(cmd, { stepId: undefined });
      if (!findDeviceError(this.o.profile, r.output)) {
        this.pagingCommand = cmd;
        break;
      }
      this.o.transcript?.note(`the device refused \`${cmd}\``);
    }
    if (this.o.profile.pagingCommands.length > 0 && this.pagingCommand === undefined) {
      this.o.transcript?.note(
        'paging stays on: every paging command was refused; pager prompts will be answered',
      );
    }
    for (const cmd of this.o.profile.widthCommands) await this.run(cmd);
  }

  /** Sends one command and collects its output (see the file comment for what is removed). */
  async run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    if (/[\x00-\x1f\x7f]/.test(command)) {
      throw new RunbookError(
        'E_INTERNAL',
        `refused to send a command with control characters or newlines: ${JSON.stringify(redact(command, this.o.secrets))}`,
      );
    }
    if (this.broken) throw this.broken;
    if (this.closed) throw this.droppedError(command, opts.stepId);
    if (this.op)
      throw new RunbookError('E_INTERNAL', `${this.o.label}: a command is already running on this session`);
    if (this.dirty) await this.resync(opts.stepId);
    const started = Date.now();
    this.term.take();
    this.tail.clear();
    this.send(command + '\n', opts.stepId);
    const { text, disconnected } = await this.expect({
      purpose: 'command',
      command,
      ...(opts.stepId !== undefined ? { stepId: opts.stepId } : {}),
      dialogs: opts.dialogs ?? [],
      expectDisconnect: opts.expectDisconnect ?? false,
      inactivityMs: opts.inactivityTimeoutMs ?? this.o.timeouts.inactivityMs,
      totalMs: opts.totalTimeoutMs ?? this.o.timeouts.totalMs,
      maxBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!disconnected) this.lastPrompt = lastLine(text).trim();
    return {
      output: this.clean(text, command, !disconnected),
      disconnected,
      durationMs: Date.now() - started,
    };
  }

  close(): void {
    if (!this.closed) this.channel.close();
  }

  /** Waits for the prompt, then for quiet, after an abandoned command (its late output is discarded). */
  private async resync(stepId: string | undefined): Promise<void> {
    this.term.take();
    this.send('\n', stepId);
    await this.expect({ purpose: 'resync', ...(stepId !== undefined ? { stepId } : {}) });
    this.dirty = false;
  }

  private expect(p: {
    purpose: Op['purpose'];
    command?: string;
    stepId?: string;
    dialogs?: RunOptions['dialogs'];
    expectDisconnect?: boolean;
    inactivityMs?: number;
    totalMs?: number;
    maxBytes?: number;
    signal?: AbortSignal;
  }): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const op: Op = {
        purpose: p.purpose,
        ...(p.command !== undefined ? { command: p.command } : {}),
        ...(p.stepId !== undefined ? { stepId: p.stepId } : {}),
        dialogs: (p.dialogs ?? []).map((d) => ({
          re: new RegExp(d.prompt),
          answer: d.answer,
          newline: d.newline,
          prompt: d.prompt,
          left: d.maxAnswers ?? (d.repeat ? Infinity : 1),
          limit:
            d.maxAnswers !== undefined
              ? `answers at most ${d.maxAnswers} time${d.maxAnswers === 1 ? '' : 's'}`
              : 'answers once unless it says repeat: true',
        })),
        handled: 0,
        bytes: 0,
        maxBytes: p.maxBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        expectDisconnect: p.expectDisconnect ?? false,
        inactivityMs: p.inactivityMs ?? this.o.timeouts.inactivityMs,
        totalMs: p.totalMs ?? this.o.timeouts.totalMs,
        timers: {},
        resolve: () => undefined,
        reject: () => undefined,
      };
      const onAbort = (): void => {
        this.send(CTRL_C, op.stepId);
        this.dirty = true;
        this.finish(
          op,
          new RunbookError(
            'E_INTERRUPTED',
            `${this.o.label}: interrupted while running ${JSON.stringify(redact(op.command ?? '', this.o.secrets))}; Ctrl-C was sent to the device`,
          ),
        );
      };
      op.resolve = (o) => {
        p.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      op.reject = (e) => {
        p.signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      this.op = op;
      this.term.markLow();
      if (p.purpose === 'command') {
        this.armInactivity(op);
        op.timers.total = setTimeout(() => this.timeout(op, 'total'), op.totalMs);
      } else {
        op.timers.prompt = setTimeout(() => this.timeout(op, 'prompt'), this.o.timeouts.promptMs);
        if (p.purpose === 'login') this.armNudge(op);
      }
      if (this.closed) return this.onClose();
      if (p.signal?.aborted) return onAbort();
      p.signal?.addEventListener('abort', onAbort, { once: true });
      this.evaluate(op);
    });
  }

  private onData(s: string, bytes: number): void {
    if (s.length === 0) return;
    this.tail.push(s);
    this.o.transcript?.received(s, this.op?.stepId);
    const op = this.op;
    // between commands nothing is kept: the next command (or resync) starts afresh
    if (!op) return;
    op.bytes += bytes;
    if (op.purpose === 'command' && op.bytes > op.maxBytes && op.interrupted === undefined) {
      return this.overflow(op);
    }
    this.term.write(s);
    if (op.purpose === 'command' && op.interrupted === undefined) this.armInactivity(op);
    if (op.purpose === 'login') this.armNudge(op);
    this.evaluate(op);
  }

  /**
   * Looks at the last line (from where the last answer left off) once more data arrived. A prompt,
   * a pager prompt or a question is acted on only once the device has stayed quiet (settle timer):
   * more data re-evaluates and re-arms it.
   */
  private evaluate(op: Op): void {
    op.handled = Math.min(op.handled, this.term.low);
    this.term.markLow();
    clearTimeout(op.timers.settle);
    const line = this.term.tail(op.handled, MAX_PROMPT_LINE);
    if (line === undefined || line.length === 0) return;
    const settle = (ms: number, act: () => void): void => {
      const length = this.term.length;
      op.timers.settle = setTimeout(() => {
        if (this.op === op && this.term.length === length) act();
      }, ms);
    };
    if (this.pagerRe?.test(line)) {
      return settle(this.o.timeouts.settleMs, () => {
        // the pager text is cut at once; the device's erase sequence then finds an empty line
        this.term.cutLine(line.length);
        this.term.markLow();
        op.handled = this.term.length;
        this.send(' ', op.stepId);
      });
    }
    if (this.isPrompt(line)) {
      if (op.interrupted !== undefined)
        return settle(this.o.timeouts.settleMs, () => this.finish(op, this.unexpectedError(op, true)));
      // after an abandoned command, late output and echoed prompts drain for longer
      const ms = op.purpose === 'resync' ? QUESTION_SETTLE_MS : this.o.timeouts.settleMs;
      return settle(ms, () => this.promptReached(op, line));
    }
    if (op.interrupted !== undefined || op.purpose !== 'command') return;
    for (const d of op.dialogs) {
      if (!d.re.test(line)) continue;
      if (d.left <= 0) {
        return settle(QUESTION_SETTLE_MS, () =>
          this.interrupt(
            op,
            line,
            `it was asked again after being answered (dialog /${d.prompt}/ ${d.limit})`,
          ),
        );
      }
      return settle(this.o.timeouts.settleMs, () => {
        d.left -= 1;
        op.handled = this.term.length;
        this.send(d.answer + (d.newline ? '\n' : ''), op.stepId);
      });
    }
    if (this.questionRes.some((r) => r.test(line)))
      settle(QUESTION_SETTLE_MS, () => this.interrupt(op, line));
  }

  /** The device waits at a prompt: the command is done, unless the device changed mode. */
  private promptReached(op: Op, line: string): void {
    const text = this.term.text;
    if (op.purpose !== 'login' && this.configRes.some((r) => r.test(line))) {
      this.broken = this.modeError(op, line.trim());
      this.o.transcript?.note(
        `the device changed mode (prompt ${JSON.stringify(line.trim())}); nothing more is sent`,
        op.stepId,
      );
      this.finish(op, this.broken);
      this.channel.close();
      return;
    }
    this.finish(op, { text, disconnected: false });
  }

  /** Answers an unexpected question with Ctrl-C; the command fails once the prompt is back. */
  private interrupt(op: Op, line: string, reason?: string): void {
    op.interrupted = line.trim();
    if (reason !== undefined) op.interruptReason = reason;
    op.handled = this.term.length;
    this.send(CTRL_C, op.stepId);
    clearTimeout(op.timers.inactivity);
    clearTimeout(op.timers.total);
    op.timers.prompt = setTimeout(() => {
      this.dirty = true;
      this.finish(op, this.unexpectedError(op, false));
    }, this.o.timeouts.promptMs);
  }

  /** Too much output: Ctrl-C, the command fails, its late output is discarded by the next resync. */
  private overflow(op: Op): void {
    this.dirty = true;
    this.send(CTRL_C, op.stepId);
    const cmd = redact(op.command ?? '', this.o.secrets);
    this.finish(
      op,
      new RunbookError(
        'E_OUTPUT_LIMIT',
        `${this.o.label}${op.stepId ? ` in step ${op.stepId}` : ''}: ${JSON.stringify(cmd)} printed more than ${op.maxBytes} bytes; Ctrl-C was sent and the output was dropped`,
        {
          hint: "narrow the command (e.g. `| include ...`), or raise the step's max_output if that much output is expected",
        },
      ),
    );
  }

  private isPrompt(line: string): boolean {
    if (!this.promptRe.test(line) && !this.configRes.some((r) => r.test(line))) return false;
    return this.base === undefined || line.trimStart().startsWith(this.base);
  }

  private modeError(op: Op, prompt: string): RunbookError {
    const cmd = redact(op.command ?? '', this.o.secrets);
    return new RunbookError(
      'E_MODE_CHANGED',
      `${this.o.label}${op.stepId ? ` in step ${op.stepId}` : ''}: after ${JSON.stringify(cmd)} the device is in another mode (prompt ${JSON.stringify(prompt)}); runbook never works in configuration mode, so it stopped this host and sent nothing more`,
      {
        hint: 'check the device by hand (it may be left in configuration mode) and the command of that step; then resume the run or start it afresh',
      },
    );
  }

  private finish(op: Op, r: Outcome | RunbookError): void {
    if (this.op !== op) return;
    this.op = undefined;
    for (const t of Object.values(op.timers)) clearTimeout(t);
    if (r instanceof RunbookError) op.reject(r);
    else op.resolve(r);
  }

  private timeout(op: Op, phase: 'inactivity' | 'total' | 'prompt'): void {
    if (this.op !== op) return;
    this.dirty = true;
    if (op.purpose === 'command') this.send(CTRL_C, op.stepId);
    const ms =
      phase === 'inactivity' ? op.inactivityMs : phase === 'total' ? op.totalMs : this.o.timeouts.promptMs;
    this.finish(
      op,
      timeoutError({
        phase,
        ms,
        label: this.o.label,
        waitingFor: `the prompt /${this.o.profile.prompt}/${op.dialogs.length > 0 ? ` or a dialog (${op.dialogs.map((d) => `/${d.prompt}/`).join(', ')})` : ''}`,
        lastBytes: this.tail.text,
        secrets: this.o.secrets,
        ...(op.stepId !== undefined ? { stepId: op.stepId } : {}),
        ...(op.command !== undefined ? { command: op.command } : {}),
      }),
    );
  }

  private armInactivity(op: Op): void {
    clearTimeout(op.timers.inactivity);
    op.timers.inactivity = setTimeout(() => this.timeout(op, 'inactivity'), op.inactivityMs);
  }

  private armNudge(op: Op): void {
    if (op.nudged) return;
    clearTimeout(op.timers.nudge);
    op.timers.nudge = setTimeout(
      () => {
        if (this.op !== op) return;
        op.nudged = true;
        this.send('\n', op.stepId);
      },
      Math.min(NUDGE_MS, this.o.timeouts.promptMs / 3),
    );
  }

  private unexpectedError(op: Op, promptBack: boolean): RunbookError {
    const q = op.interrupted ?? '';
    const cmd = redact(op.command ?? '', this.o.secrets);
    const why = op.interruptReason ? `; ${op.interruptReason}` : '';
    return new RunbookError(
      'E_UNEXPECTED_PROMPT',
      redact(
        `${this.o.label}${op.stepId ? ` in step ${op.stepId}` : ''}: ${JSON.stringify(cmd)} raised a prompt no dialog answers: ${JSON.stringify(q)}${why}; Ctrl-C was sent instead of an answer${promptBack ? '' : ' and the prompt did not come back'}`,
        this.o.secrets,
      ),
      {
        hint: `if this question is expected, add a dialog to the step, e.g. dialogs: [{prompt: '${escapeForHint(q)}', answer: 'y'}]`,
      },
    );
  }

  private droppedError(command: string | undefined, stepId: string | undefined): RunbookError {
    const cmd =
      command !== undefined ? ` while running ${JSON.stringify(redact(command, this.o.secrets))}` : '';
    return new RunbookError(
      'E_DISCONNECTED',
      `the session to ${this.o.label} closed${stepId ? ` in step ${stepId}` : ''}${cmd}`,
      {
        hint: 'if the command drops the session on purpose, mark the step expect_disconnect: true; otherwise check the device and resume the run',
      },
    );
  }

  /** The channel or the connection under it is gone. */
  onClose(): void {
    this.closed = true;
    const op = this.op;
    if (!op) return;
    this.o.transcript?.note('session closed', op.stepId);
    if (op.expectDisconnect) this.finish(op, { text: this.term.text, disconnected: true });
    else this.finish(op, this.droppedError(op.command, op.stepId));
  }

  private send(text: string, stepId: string | undefined): void {
    this.o.transcript?.sent(
      text === CTRL_C ? '^C' : text === '\n' ? '(return)' : text === ' ' ? '(space)' : text,
      stepId,
    );
    if (!this.closed) this.channel.write(text);
  }

  /** Output without echo and final prompt (pager prompts were cut as answered); trailing blanks trimmed. */
  private clean(text: string, command: string, endsWithPrompt: boolean): string {
    let out = endsWithPrompt ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
    const nl = out.indexOf('\n');
    const first = (nl < 0 ? out : out.slice(0, nl)).replace(/\s+/g, ' ').trim();
    const cmd = command.replace(/\s+/g, ' ').trim();
    if (first.length > 0 && (first.endsWith(cmd) || (first.length >= 8 && cmd.startsWith(first))))
      out = nl < 0 ? '' : out.slice(nl + 1);
    return out.trimEnd();
  }
}

function lastLine(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1);
}

function escapeForHint(q: string): string {
  return q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "''");
}
