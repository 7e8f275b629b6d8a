/**
 * One CLI session on an emulated device, transport-agnostic: keystrokes in, terminal text out.
 * What the device knows (prompts, commands) is a DeviceBehaviour; this file owns the terminal.
 * Interactive sessions echo input, page long output with ` --More-- `, and show the prompt;
 * exec sessions run one line and end. Dialogs (`[confirm]`) work in both (an exec session reads
 * the answer from stdin; end of input aborts); a command with several questions asks them in turn.
 */
import { renderDeviceError, type CliMode, type CommandOutcome, type DeviceBehaviour } from './behaviour.js';

export type AuditOutcome = 'ok' | 'error' | 'aborted';

export interface SessionIO {
  write(text: string): void;
  /** End the session cleanly (exec: with the last command's exit status, default 0). */
  close(exitCode?: number): void;
  /** Drop the connection abruptly. */
  drop(): void;
}

export interface SessionOptions {
  behaviour: DeviceBehaviour;
  interactive: boolean;
  io: SessionIO;
  /** Called once per non-empty line received, when its outcome is known. */
  audit(entry: {
    at: number;
    command: string;
    stateChanging: boolean;
    outcome: AuditOutcome;
    /** Keys that answered the command's dialogs: `y`, `\\n` (Enter), `^C`, ... */
    answers?: string[];
  }): void;
  clock?: () => number;
}

/** IOS erases ` --More-- ` with backspaces before going on. */
const MORE = ' --More-- ';
const ERASE_MORE = `${'\b'.repeat(9)}${' '.repeat(9)}${'\b'.repeat(9)}`;
const DEFAULT_PAGE_LENGTH = 24;

type Command = Extract<ReturnType<DeviceBehaviour['resolve']>, { kind: 'command' }>;

type Mode =
  | { kind: 'line' }
  | { kind: 'pager'; lines: string[] }
  | { kind: 'confirm'; command: Command; line: string; at: number; left: string[]; answers: string[] }
  | { kind: 'running'; untilInterrupt: boolean; timers: NodeJS.Timeout[] }
  /** `enable` asked for the secret; `typed` is not echoed. */
  | { kind: 'password'; typed: string; tries: number }
  | { kind: 'closed' };

export class CliSession {
  private mode: Mode = { kind: 'line' };
  /** user: privilege 1 (`name>`), only when the device has an enable secret; exec: privilege 15. */
  private cli: CliMode;
  private buf = '';
  private lastCR = false;
  private escape = 0;
  private pageLength: number;
  private exitCode: number | undefined;
  private readonly clock: () => number;

  constructor(private readonly o: SessionOptions) {
    this.pageLength = o.behaviour.pager ? DEFAULT_PAGE_LENGTH : 0;
    this.clock = o.clock ?? Date.now;
    this.cli = o.behaviour.login?.mode ?? (o.behaviour.enable ? 'user' : 'exec');
  }

  get prompt(): string {
    return this.o.behaviour.prompt(this.cli);
  }

  /** Interactive shell start: a blank line and the prompt, as IOS prints after login. */
  start(): void {
    const login = this.o.behaviour.login;
    if (login?.banner) this.write(login.banner);
    if (login?.prompt === 'never') this.mode = { kind: 'closed' };
    else if (login?.prompt !== 'on-enter') this.write(`\n${this.prompt}`);
  }

  /** Exec request: run one command line; the session closes when it completes. */
  exec(line: string): void {
    this.handleLine(line.replace(/[\r\n]+$/, ''));
    this.afterCommand();
  }

  /** End of the client's input (exec stdin EOF or channel close): a pending dialog is aborted. */
  end(): void {
    if (this.mode.kind === 'confirm') {
      this.finish(this.mode.line, this.mode.at, false, 'aborted', this.mode.answers);
    }
    if (this.mode.kind === 'running') for (const t of this.mode.timers) clearTimeout(t);
    this.mode = { kind: 'closed' };
  }

  input(data: string): void {
    for (const ch of data) {
      if (this.mode.kind === 'closed') return;
      if (ch === '\n' && this.lastCR) {
        this.lastCR = false;
        continue;
      }
      this.lastCR = ch === '\r';
      const key = ch === '\n' ? '\r' : ch;
      if (this.mode.kind === 'pager') this.pagerKey(key, this.mode.lines);
      else if (this.mode.kind === 'confirm') this.confirmKey(key, this.mode);
      else if (this.mode.kind === 'running') this.runningKey(key, this.mode);
      else if (this.mode.kind === 'password') this.passwordKey(key, this.mode);
      else this.lineKey(key);
    }
  }

  // ---- modes ----

  private lineKey(key: string): void {
    const code = key.charCodeAt(0);
    if (this.escape > 0) {
      // ESC [ ... final byte: arrow keys and the like are ignored
      if (this.escape === 1 && key !== '[' && key !== 'O') this.escape = 0;
      else if (this.escape > 1 && code >= 0x40 && code <= 0x7e) this.escape = 0;
      else this.escape += 1;
      return;
    }
    if (key === '\r') {
      const line = this.buf;
      this.buf = '';
      if (this.o.interactive) this.write('\n');
      this.handleLine(line);
      this.afterCommand();
    } else if (code === 0x7f || code === 0x08) {
      if (this.buf.length > 0) {
        this.buf = this.buf.slice(0, -1);
        if (this.o.interactive) this.write('\b \b');
      }
    } else if (code === 0x03 || code === 0x1a) {
      // Ctrl-C / Ctrl-Z: drop the line; both leave configuration mode
      this.buf = '';
      if (this.cli === 'config') this.cli = 'exec';
      this.write(`${code === 0x03 ? '^C' : '^Z'}\n${this.prompt}`);
    } else if (code === 0x15) {
      if (this.o.interactive) this.write('\b \b'.repeat(this.buf.length));
      this.buf = '';
    } else if (code === 0x1b) {
      this.escape = 1;
    } else if (code >= 0x20) {
      this.buf += key;
      if (this.o.interactive) this.write(key);
    }
  }

  private pagerKey(key: string, lines: string[]): void {
    this.write(ERASE_MORE);
    if (key === ' ') this.page(lines, this.pageLength - 1);
    else if (key === '\r') this.page(lines, 1);
    else {
      this.mode = { kind: 'line' };
      this.write(this.prompt);
    }
  }

  private confirmKey(key: string, m: Extract<Mode, { kind: 'confirm' }>): void {
    const yes = key === '\r' || key === 'y' || key === 'Y';
    const answers = [...m.answers, key === '\r' ? '\\n' : key === '\x03' ? '^C' : key];
    this.mode = { kind: 'line' };
    this.write('\n');
    if (yes && m.left.length > 0) return this.ask(m.command, m.line, m.at, m.left, answers);
    if (yes) this.runCommand(m.line, m.at, m.command, answers);
    else this.finish(m.line, m.at, false, 'aborted', answers);
    this.afterCommand();
  }

  /** A slow or streaming command: Ctrl-C ends one that runs until interrupted; other keys are lost. */
  private runningKey(key: string, m: Extract<Mode, { kind: 'running' }>): void {
    if (key !== '\x03' || !m.untilInterrupt) return;
    for (const t of m.timers) clearTimeout(t);
    this.mode = { kind: 'line' };
    this.write('^C\n');
    this.afterCommand();
  }

  /** Ask the first of `questions`; the rest follow as each is answered yes. */
  private ask(command: Command, line: string, at: number, questions: string[], answers: string[] = []): void {
    const [first, ...left] = questions;
    this.write(first ?? '');
    this.mode = { kind: 'confirm', command, line, at, left, answers };
  }

  /** The enable secret, typed without echo: right -> privilege 15; wrong -> ask again or refuse. */
  private passwordKey(key: string, m: Extract<Mode, { kind: 'password' }>): void {
    const code = key.charCodeAt(0);
    if (code === 0x03) {
      this.mode = { kind: 'line' };
      this.write('\n');
      this.afterCommand();
    } else if (code === 0x7f || code === 0x08) {
      m.typed = m.typed.slice(0, -1);
    } else if (key === '\r') {
      this.write('\n');
      const secret = this.o.behaviour.enable?.secret ?? '';
      if (m.typed === secret) {
        this.cli = 'exec';
        this.mode = { kind: 'line' };
      } else if (this.o.behaviour.enable?.failure === 'access-denied') {
        this.write('% Access denied\n\n');
        this.mode = { kind: 'line' };
      } else if (m.tries < 2) {
        this.mode = { kind: 'password', typed: '', tries: m.tries + 1 };
        this.write('Password: ');
      } else {
        this.write('% Bad secrets\n\n');
        this.mode = { kind: 'line' };
      }
      this.afterCommand();
    } else if (code >= 0x20) {
      m.typed += key;
    }
  }

  /** Back in line mode after a command: show the prompt, or end an exec session. */
  private afterCommand(): void {
    if (this.mode.kind !== 'line') return;
    if (this.o.interactive) this.write(this.prompt);
    else {
      this.mode = { kind: 'closed' };
      this.o.io.close(this.exitCode);
    }
  }

  // ---- commands ----

  private handleLine(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    const at = this.clock();
    const r = this.o.behaviour.resolve(this.cli, line);
    if (r.kind === 'error') {
      const indent = this.o.interactive ? this.prompt.length : 0;
      this.write(renderDeviceError(r.error, r.offset, line, indent));
      this.finish(line, at, false, 'error');
      return;
    }
    if (r.dialogs.length > 0) return this.ask(r, line, at, r.dialogs);
    this.runCommand(line, at, r);
  }

  private runCommand(line: string, at: number, command: Command, answers?: string[]): void {
    const out: CommandOutcome = command.run(this.clock());
    this.finish(line, at, command.stateChanging, 'ok', answers);
    if (out.later || out.repeat || out.untilInterrupt) return this.runTimed(out);
    if (out.pageLength !== undefined) this.pageLength = out.pageLength;
    this.exitCode = out.exitCode;
    if (out.mode) this.cli = out.mode === 'user' && !this.o.behaviour.enable ? 'exec' : out.mode;
    if (out.escalate) {
      this.mode = { kind: 'password', typed: '', tries: 0 };
      this.write('Password: ');
      return;
    }
    if (out.output !== undefined && out.output !== '') {
      const lines = out.output.replace(/\n$/, '').split('\n');
      if (lines.length > 0) this.emit(lines);
    }
    if (out.stderr) this.write(out.stderr);
    if (out.drop) {
      this.mode = { kind: 'closed' };
      this.o.io.drop();
    } else if (out.exit) {
      this.mode = { kind: 'closed' };
      this.o.io.close();
    }
  }

  /** Output now and later (raw: no pager, a partial last line stays partial), then the prompt. */
  private runTimed(out: CommandOutcome): void {
    const m: Extract<Mode, { kind: 'running' }> = {
      kind: 'running',
      untilInterrupt: out.untilInterrupt === true,
      timers: [],
    };
    this.mode = m;
    if (out.output) this.write(out.output);
    let at = 0;
    for (const part of out.later ?? []) {
      at += part.afterMs;
      m.timers.push(setTimeout(() => this.write(part.output), at));
    }
    const done = (): void => {
      if (this.mode !== m) return;
      this.mode = { kind: 'line' };
      this.afterCommand();
    };
    const r = out.repeat;
    if (r) {
      const tick = (): void => {
        if (this.mode !== m) return;
        this.write(r.output);
        m.timers.push(setTimeout(tick, r.everyMs));
      };
      m.timers.push(setTimeout(tick, at + r.everyMs));
    } else if (!m.untilInterrupt) m.timers.push(setTimeout(done, at));
  }

  private emit(lines: string[]): void {
    if (!this.o.interactive || this.pageLength === 0 || lines.length < this.pageLength) {
      this.write(`${lines.join('\n')}\n`);
      return;
    }
    this.page(lines, this.pageLength - 1);
  }

  /** Print `n` lines; pause at ` --More-- ` if any remain. */
  private page(lines: string[], n: number): void {
    const shown = lines.slice(0, n);
    const rest = lines.slice(n);
    this.write(`${shown.join('\n')}\n`);
    if (rest.length > 0) {
      this.mode = { kind: 'pager', lines: rest };
      this.write(MORE);
    } else {
      this.mode = { kind: 'line' };
      this.write(this.prompt);
    }
  }

  private finish(
    command: string,
    at: number,
    stateChanging: boolean,
    outcome: AuditOutcome,
    answers?: string[],
  ): void {
    this.o.audit({
      at,
      command,
      stateChanging: stateChanging && outcome === 'ok',
      outcome,
      ...(answers && answers.length > 0 ? { answers } : {}),
    });
  }

  private write(text: string): void {
    this.o.io.write(text.replace(/\n/g, '\r\n'));
  }
}
