/**
 * One CLI session on an emulated edge, transport-agnostic: keystrokes in, terminal text out.
 * Interactive sessions echo input, page long output with ` --More-- `, and show the prompt;
 * exec sessions run one line and end. `[confirm]` dialogs work in both (an exec session reads the
 * answer from stdin; end of input aborts).
 */
import { commandTree, type CommandOutcome, type CommandSpec, type DeviceSettings } from './commands.js';
import { parse, tokenize } from './parser.js';
import type { Router } from './state.js';

export type AuditOutcome = 'ok' | 'error' | 'aborted';

export interface SessionIO {
  write(text: string): void;
  /** End the session cleanly (exit status 0 for exec). */
  close(): void;
  /** Drop the connection abruptly. */
  drop(): void;
}

export interface SessionOptions {
  router: Router;
  hostname: string;
  device: DeviceSettings;
  interactive: boolean;
  io: SessionIO;
  /** Called once per non-empty line received, when its outcome is known. */
  audit(entry: { at: number; command: string; stateChanging: boolean; outcome: AuditOutcome }): void;
  clock?: () => number;
}

/** IOS erases ` --More-- ` with backspaces before going on. */
const MORE = ' --More-- ';
const ERASE_MORE = `${'\b'.repeat(9)}${' '.repeat(9)}${'\b'.repeat(9)}`;
const DEFAULT_PAGE_LENGTH = 24;

type Mode =
  | { kind: 'line' }
  | { kind: 'pager'; lines: string[] }
  | {
      kind: 'confirm';
      spec: CommandSpec;
      args: Record<string, string>;
      line: string;
      at: number;
      filter: Filter | undefined;
    }
  /** `enable` asked for the secret; `typed` is not echoed. */
  | { kind: 'password'; typed: string; tries: number }
  | { kind: 'closed' };

type Filter = (lines: string[]) => string[];

export class CliSession {
  private mode: Mode = { kind: 'line' };
  /** user: privilege 1 (`name>`), only when the device has an enable secret; exec: privilege 15. */
  private cli: 'user' | 'exec' | 'config';
  private buf = '';
  private lastCR = false;
  private escape = 0;
  private pageLength: number;
  private readonly clock: () => number;

  constructor(private readonly o: SessionOptions) {
    this.pageLength = o.device.pager ? DEFAULT_PAGE_LENGTH : 0;
    this.clock = o.clock ?? Date.now;
    this.cli = o.device.enableSecret !== undefined ? 'user' : 'exec';
  }

  get prompt(): string {
    if (this.cli === 'user') return `${this.o.hostname}>`;
    return this.cli === 'config' ? `${this.o.hostname}(config)#` : `${this.o.hostname}#`;
  }

  /** Interactive shell start: a blank line and the prompt, as IOS prints after login. */
  start(): void {
    this.write(`\n${this.prompt}`);
  }

  /** Exec request: run one command line; the session closes when it completes. */
  exec(line: string): void {
    this.handleLine(line.replace(/[\r\n]+$/, ''));
    this.afterCommand();
  }

  /** End of the client's input (exec stdin EOF or channel close): a pending dialog is aborted. */
  end(): void {
    if (this.mode.kind === 'confirm') this.finish(this.mode.line, this.mode.at, false, 'aborted');
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
    this.mode = { kind: 'line' };
    this.write('\n');
    if (yes) this.runCommand(m.line, m.at, m.spec, m.args, m.filter);
    else this.finish(m.line, m.at, false, 'aborted');
    this.afterCommand();
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
      const secret = this.o.device.enableSecret ?? '';
      if (m.typed === secret) {
        this.cli = 'exec';
        this.mode = { kind: 'line' };
      } else if (this.o.device.enableFailure === 'access-denied') {
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
      this.o.io.close();
    }
  }

  // ---- commands ----

  private handleLine(raw: string): void {
    const line = raw.trim();
    if (line === '') return;
    const at = this.clock();
    const pipe = line.indexOf('|');
    const cmdText = pipe >= 0 ? line.slice(0, pipe) : line;
    const parsed = parse(commandTree(this.cli, this.o.device), tokenize(cmdText));
    if (parsed.kind !== 'ok') {
      this.deviceError(parsed.kind === 'invalid' ? parsed.offset : -1, parsed.kind, line);
      this.finish(line, at, false, 'error');
      return;
    }
    let filter: Filter | undefined;
    if (pipe >= 0) {
      const f = parseFilter(line.slice(pipe + 1));
      if (typeof f === 'number') {
        this.deviceError(pipe + 1 + f, 'invalid', line);
        this.finish(line, at, false, 'error');
        return;
      }
      filter = f;
    }
    const c = parsed.command.confirm;
    if (c && (c.always || this.o.device.confirm)) {
      this.write(`${c.prompt(parsed.args)} [confirm]`);
      this.mode = { kind: 'confirm', spec: parsed.command, args: parsed.args, line, at, filter };
      return;
    }
    this.runCommand(line, at, parsed.command, parsed.args, filter);
  }

  private runCommand(
    line: string,
    at: number,
    spec: CommandSpec,
    args: Record<string, string>,
    filter: Filter | undefined,
  ): void {
    const out: CommandOutcome = spec.run(
      { router: this.o.router, now: this.clock(), device: this.o.device },
      args,
    );
    this.finish(line, at, spec.stateChanging, 'ok');
    if (out.pageLength !== undefined) this.pageLength = out.pageLength;
    if (out.mode)
      this.cli = out.mode === 'user' && this.o.device.enableSecret === undefined ? 'exec' : out.mode;
    if (out.escalate) {
      this.mode = { kind: 'password', typed: '', tries: 0 };
      this.write('Password: ');
      return;
    }
    if (out.output !== undefined && out.output !== '') {
      let lines = out.output.replace(/\n$/, '').split('\n');
      if (filter) lines = filter(lines);
      if (lines.length > 0) this.emit(lines);
    }
    if (out.drop) {
      this.mode = { kind: 'closed' };
      this.o.io.drop();
    } else if (out.exit) {
      this.mode = { kind: 'closed' };
      this.o.io.close();
    }
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

  private deviceError(offset: number, kind: 'invalid' | 'incomplete' | 'ambiguous', line: string): void {
    if (kind === 'invalid') {
      const indent = (this.o.interactive ? this.prompt.length : 0) + offset;
      this.write(`${' '.repeat(indent)}^\n% Invalid input detected at '^' marker.\n\n`);
    } else if (kind === 'incomplete') this.write('% Incomplete command.\n\n');
    else this.write(`% Ambiguous command: "${line}"\n`);
  }

  private finish(command: string, at: number, stateChanging: boolean, outcome: AuditOutcome): void {
    this.o.audit({ at, command, stateChanging: stateChanging && outcome === 'ok', outcome });
  }

  private write(text: string): void {
    this.o.io.write(text.replace(/\n/g, '\r\n'));
  }
}

/**
 * `| include R`, `| exclude R`, `| begin R` (keywords abbreviable). Returns the filter, or the
 * offset (within `text`) of the token to mark as invalid.
 */
function parseFilter(text: string): Filter | number {
  const m = /^(\s*)(\S*)(\s*)(.*)$/.exec(text)!;
  const [, lead, word, , rest] = m as unknown as [string, string, string, string, string];
  const kind = ['include', 'exclude', 'begin'].filter(
    (k) => word.length > 0 && k.startsWith(word.toLowerCase()),
  );
  if (kind.length !== 1) return lead.length;
  const pattern = rest.trim();
  if (pattern === '') return text.length;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return lead.length + word.length + 1;
  }
  switch (kind[0]) {
    case 'include':
      return (lines) => lines.filter((l) => re.test(l));
    case 'exclude':
      return (lines) => lines.filter((l) => !re.test(l));
    default:
      return (lines) => {
        const i = lines.findIndex((l) => re.test(l));
        return i < 0 ? [] : lines.slice(i);
      };
  }
}
