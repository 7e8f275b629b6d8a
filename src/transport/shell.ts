/**
 * The interactive shell of a network device over a PTY. One command at a time:
 * - the command ends when the last line matches the profile prompt (or a config prompt) and starts
 *   with the hostname learnt at login (so a `name#` line inside output does not end it early);
 * - a pager prompt (` --More-- `) is answered with a space;
 * - a step's dialogs are answered as asked; a question matching the profile's dialogPrompts that no
 *   dialog covers is answered with Ctrl-C only (never a guess), and the command fails with
 *   E_UNEXPECTED_PROMPT once the prompt is back;
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
import type { CommandResult, RunOptions } from './types.js';

export interface ShellOptions {
  profile: PlatformProfile;
  /** Host label for messages, e.g. `r1 (127.0.0.1:2222)`. */
  label: string;
  timeouts: Timeouts;
  secrets: string[];
  transcript?: TranscriptWriter;
}

/** An unexpected question is acted on only after the device has been quiet this long. */
const SETTLE_MS = 250;
/** At login, a newline is sent once if no prompt appeared after this long without data. */
const NUDGE_MS = 1_000;
const CTRL_C = '\x03';

type Outcome = { text: string; disconnected: boolean };

interface Op {
  purpose: 'login' | 'command' | 'resync';
  command?: string;
  stepId?: string;
  dialogs: { re: RegExp; answer: string; newline: boolean; prompt: string; left: number }[];
  /** term.text before this index has been dealt with (pager or dialog answered). */
  handled: number;
  /** The unexpected question, once Ctrl-C was sent for it. */
  interrupted?: string;
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
  private readonly pagerRe: RegExp | undefined;
  private readonly questionRes: RegExp[];
  private op: Op | undefined;
  private closed = false;
  /** Hostname part of the prompt, learnt at login. */
  private base: string | undefined;
  /** A command was abandoned (timeout, abort): resynchronise on the prompt before the next one. */
  private dirty = false;
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
    this.pagerRe = p.pager ? new RegExp(p.pager) : undefined;
    this.questionRes = p.dialogPrompts.map((s) => new RegExp(s));
    const onData = (d: Buffer): void => this.onData(this.decoder.write(d));
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
          left: d.maxAnswers ?? Infinity,
        })),
        handled: 0,
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

  private onData(s: string): void {
    if (s.length === 0) return;
    this.tail.push(s);
    this.o.transcript?.received(s, this.op?.stepId);
    this.term.write(s);
    const op = this.op;
    if (!op) return;
    if (op.purpose === 'command' && op.interrupted === undefined) this.armInactivity(op);
    if (op.purpose === 'login') this.armNudge(op);
    this.evaluate(op);
  }

  private evaluate(op: Op): void {
    const text = this.term.text;
    op.handled = Math.min(op.handled, this.term.low);
    this.term.markLow();
    const start = Math.max(text.lastIndexOf('\n') + 1, op.handled);
    const line = text.slice(start);
    clearTimeout(op.timers.settle);
    if (line.length === 0) return;
    const more = this.pagerRe?.exec(line);
    if (more) {
      // The pager text is cut at once; the device's erase sequence then finds an empty line.
      this.term.text = text.slice(0, start + more.index) + text.slice(start + more.index + more[0].length);
      this.term.markLow();
      op.handled = this.term.text.length;
      this.send(' ', op.stepId);
      return;
    }
    if (this.isPrompt(line)) {
      if (op.interrupted !== undefined) return this.finish(op, this.unexpectedError(op, true));
      if (op.purpose === 'resync') {
        op.timers.settle = setTimeout(() => this.finish(op, { text, disconnected: false }), SETTLE_MS);
        return;
      }
      return this.finish(op, { text, disconnected: false });
    }
    if (op.interrupted !== undefined || op.purpose !== 'command') return;
    for (const d of op.dialogs) {
      if (d.left > 0 && d.re.test(line)) {
        d.left -= 1;
        this.send(d.answer + (d.newline ? '\n' : ''), op.stepId);
        op.handled = text.length;
        return;
      }
    }
    if (this.questionRes.some((r) => r.test(line))) {
      op.timers.settle = setTimeout(() => {
        if (this.op !== op) return;
        op.interrupted = line.trim();
        op.handled = this.term.text.length;
        this.send(CTRL_C, op.stepId);
        clearTimeout(op.timers.inactivity);
        clearTimeout(op.timers.total);
        op.timers.prompt = setTimeout(() => {
          this.dirty = true;
          this.finish(op, this.unexpectedError(op, false));
        }, this.o.timeouts.promptMs);
      }, SETTLE_MS);
    }
  }

  private isPrompt(line: string): boolean {
    if (!this.promptRe.test(line) && !this.configRes.some((r) => r.test(line))) return false;
    return this.base === undefined || line.trimStart().startsWith(this.base);
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
    return new RunbookError(
      'E_UNEXPECTED_PROMPT',
      redact(
        `${this.o.label}${op.stepId ? ` in step ${op.stepId}` : ''}: ${JSON.stringify(cmd)} raised a prompt no dialog answers: ${JSON.stringify(q)}; Ctrl-C was sent instead of an answer${promptBack ? '' : ' and the prompt did not come back'}`,
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

  /** Output without echo, final prompt, pager prompts; trailing blank lines trimmed. */
  private clean(text: string, command: string, endsWithPrompt: boolean): string {
    let out = endsWithPrompt ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
    const nl = out.indexOf('\n');
    const first = (nl < 0 ? out : out.slice(0, nl)).replace(/\s+/g, ' ').trim();
    const cmd = command.replace(/\s+/g, ' ').trim();
    if (first.length > 0 && (first.endsWith(cmd) || (first.length >= 8 && cmd.startsWith(first))))
      out = nl < 0 ? '' : out.slice(nl + 1);
    if (this.pagerRe) out = out.replace(new RegExp(this.pagerRe.source, 'g'), '');
    return out.replace(/\s+$/, '');
  }
}

function lastLine(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1);
}

function escapeForHint(q: string): string {
  return q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "''");
}
