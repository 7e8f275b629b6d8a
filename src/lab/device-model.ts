/**
 * Mock devices as data: the compiled form of a device model file (schemas/device.schema.json,
 * loaded by device-model-load.ts) and the engine that answers for it (a DeviceBehaviour).
 *
 * Matching, per command line, in the device's current mode: the model's entries in file order,
 * the first whose `command` (exact, or IOS-abbreviated keywords when `abbreviations` is on) or
 * `regex` matches and whose `when` holds on the device state wins. A line with `| include ...`
 * that matches no entry as a whole is matched without the filter, then filtered. Then the
 * plug-in (INV_SPI) when there is one, else the built-ins of a shell platform (terminal
 * length/width, screen-length, configure terminal, end, exit), else `% Invalid input` (linux:
 * exit status 127).
 * A response is one output, or a sequence (one per call, the last repeating) for polls; outputs
 * are templates of the regex captures and the device state (`{{ peer }}`, `{{ state.decaps }}`).
 */
import type { SourcePos } from '../errors.js';
import type { PlatformName } from '../platforms/types.js';
import type {
  CliMode,
  CommandOutcome,
  DeviceBehaviour,
  DeviceErrorKind,
  LoginBehaviour,
  Resolution,
} from './behaviour.js';
import { filterOutput, parseFilter } from './filter.js';

export type StateValue = string | number | boolean;

/** One answer of a command: a sequence holds several, used in turn. */
export interface ModelResponse {
  output: string;
  /** The session drops after the output. */
  disconnect: boolean;
  /** Exec-channel platforms (linux). */
  exitCode?: number;
  stderr?: string;
  /** Timed output (see CommandOutcome): over SSH only; in-process it all comes at once. */
  later?: { afterMs: number; output: string }[];
  repeat?: { everyMs: number; output: string };
  untilInterrupt?: boolean;
}

export interface ModelCommand {
  /** Exact command text (keywords abbreviable when the model allows it); or `regex`. */
  command?: string;
  /** Anchored regex source with named groups, usable in templates. */
  regex?: string;
  mode: CliMode;
  /** The entry applies only while every named state value equals the given one. */
  when: Record<string, StateValue>;
  responses: ModelResponse[];
  /** Answer with an IOS error instead (`% Invalid input ...`). */
  error?: DeviceErrorKind;
  /** Questions asked before the command runs (each answered y or Enter, anything else aborts). */
  dialogs: string[];
  /** State changes applied when the command runs; string values are templates. */
  set: Record<string, StateValue>;
  /** Changes device state (audit log); true when `set` is given unless said otherwise. */
  changes: boolean;
  /** Mode entered after the command (e.g. `configure terminal` -> config). */
  enter?: CliMode;
  /** Close the session after the command (`exit`). */
  exit: boolean;
  pos: SourcePos;
}

/** One command of a recorded cassette, in the order the run sent it. */
export interface Interaction {
  command: string;
  output: string;
  /** The runbook step that sent it (when recorded). */
  step?: string;
  dialogs: string[];
  disconnected: boolean;
  exitCode?: number;
  stderr?: string;
  pos: SourcePos;
}

export interface DeviceModel {
  /** The file it was loaded from (absolute), when it came from one. */
  file?: string;
  hostname: string;
  platform: PlatformName;
  prompts: Record<CliMode, string>;
  pager: boolean;
  abbreviations: boolean;
  login?: LoginBehaviour;
  state: Record<string, StateValue>;
  commands: ModelCommand[];
  /** A cassette's recording, in order (absent for a hand-written model). */
  interactions?: Interaction[];
  /** A cassette's recorded end of the run on this host. */
  outcome?: { status: string; message?: string };
  /** Built-in behaviour consulted after the model's own commands. */
  plugin?: {
    kind: 'inv-spi';
    scenario: import('./topology.js').Scenario;
    confirm: boolean;
    bfdDelayMs: number;
  };
}

export interface ModelEngineOptions {
  /** Answers what the model does not know (the INV_SPI plug-in); absent: `% Invalid input`. */
  fallback?: DeviceBehaviour;
  /** An enable secret (the lab's --enable-secret): sessions start at user EXEC (`name>`). */
  enable?: DeviceBehaviour['enable'];
}

const KEYWORD = /^[A-Za-z][A-Za-z_-]*$/;
const TEMPLATE = /\{\{\s*(state\.)?([A-Za-z_]\w*)\s*\}\}/g;

/** A device model as a behaviour: its state and poll counters live here, shared by sessions. */
export class ModelEngine implements DeviceBehaviour {
  readonly pager: boolean;
  readonly login: LoginBehaviour | undefined;
  readonly enable: DeviceBehaviour['enable'];
  /** The device state (initial values from the model, changed by `set`). */
  readonly state: Record<string, StateValue>;
  private readonly calls = new Map<ModelCommand, number>();
  private readonly shell: boolean;

  constructor(
    readonly model: DeviceModel,
    private readonly o: ModelEngineOptions = {},
  ) {
    this.pager = model.pager;
    this.login = model.login;
    this.enable = o.enable ?? o.fallback?.enable;
    this.state = { ...model.state };
    this.shell = model.platform !== 'linux';
  }

  prompt(mode: CliMode): string {
    return this.model.prompts[mode];
  }

  resolve(mode: CliMode, line: string): Resolution {
    const own = this.match(mode, line);
    if (own) return own;
    const pipe = line.indexOf('|');
    if (pipe > 0) {
      const base = this.match(mode, line.slice(0, pipe).trim());
      if (base?.kind === 'command') {
        const f = parseFilter(line.slice(pipe + 1));
        if (typeof f === 'number') return { kind: 'error', error: 'invalid', offset: pipe + 1 + f };
        return { ...base, run: (now) => withOutput(base.run(now), (o) => filterOutput(o, f)) };
      }
      if (base) return base;
    }
    // a plug-in has its own terminal commands (e.g. one that refuses `terminal length`)
    if (this.o.fallback) return this.o.fallback.resolve(mode, line);
    const builtin = this.shell ? builtIn(mode, line, this.enable !== undefined) : undefined;
    if (builtin) return builtin;
    if (!this.shell) return unknownShellCommand(line);
    return { kind: 'error', error: 'invalid', offset: 0 };
  }

  private match(mode: CliMode, line: string): Resolution | undefined {
    const hits: { entry: ModelCommand; groups: Record<string, string> }[] = [];
    for (const entry of this.model.commands) {
      if (entry.mode !== mode || !this.holds(entry.when)) continue;
      const groups = this.matches(entry, line);
      if (groups) hits.push({ entry, groups });
    }
    if (hits.length === 0) return undefined;
    // an abbreviation that fits two different commands is ambiguous, as on IOS
    const exact = hits.find((h) => h.entry.regex !== undefined || sameText(h.entry.command!, line));
    const distinct = new Set(hits.map((h) => h.entry.command ?? h.entry.regex));
    if (!exact && distinct.size > 1) return { kind: 'error', error: 'ambiguous', offset: 0 };
    const { entry, groups } = exact ?? hits[0]!;
    if (entry.error) return { kind: 'error', error: entry.error, offset: errorOffset(line) };
    return {
      kind: 'command',
      stateChanging: entry.changes,
      dialogs: entry.dialogs.map((d) => this.render(d, groups)),
      run: () => this.run(entry, groups),
    };
  }

  private run(entry: ModelCommand, groups: Record<string, string>): CommandOutcome {
    const n = this.calls.get(entry) ?? 0;
    this.calls.set(entry, n + 1);
    const response = entry.responses[Math.min(n, entry.responses.length - 1)];
    const out: CommandOutcome = { output: response ? this.render(response.output, groups) : '' };
    for (const [k, v] of Object.entries(entry.set)) {
      this.state[k] = typeof v === 'string' ? this.render(v, groups) : v;
    }
    if (entry.enter) out.mode = entry.enter;
    if (entry.exit) out.exit = true;
    if (response?.disconnect) out.drop = true;
    if (response?.exitCode !== undefined) out.exitCode = response.exitCode;
    else if (!this.shell) out.exitCode = 0;
    if (response?.stderr !== undefined) out.stderr = this.render(response.stderr, groups);
    if (response?.later)
      out.later = response.later.map((l) => ({ ...l, output: this.render(l.output, groups) }));
    if (response?.repeat) out.repeat = response.repeat;
    if (response?.untilInterrupt) out.untilInterrupt = true;
    return out;
  }

  private holds(when: Record<string, StateValue>): boolean {
    return Object.entries(when).every(([k, v]) => String(this.state[k]) === String(v));
  }

  private matches(entry: ModelCommand, line: string): Record<string, string> | undefined {
    if (entry.regex !== undefined) {
      const m = new RegExp(`^(?:${entry.regex})$`).exec(line);
      return m ? { ...m.groups } : undefined;
    }
    const want = entry.command!;
    if (sameText(want, line)) return {};
    if (!this.model.abbreviations) return undefined;
    return abbreviates(line, want) ? {} : undefined;
  }

  /** Fill `{{ group }}` and `{{ state.key }}`; unknown names were refused when the model loaded. */
  private render(text: string, groups: Record<string, string>): string {
    return text.replace(TEMPLATE, (_m, state: string | undefined, name: string) =>
      String((state ? this.state[name] : (groups[name] ?? this.state[name])) ?? ''),
    );
  }
}

function sameText(a: string, b: string): boolean {
  return a.trim().split(/\s+/).join(' ') === b.trim().split(/\s+/).join(' ');
}

/** `sh ip int br` abbreviates `show ip interface brief`: each keyword a prefix, values exact. */
function abbreviates(line: string, full: string): boolean {
  const got = line.trim().split(/\s+/);
  const want = full.trim().split(/\s+/);
  if (got.length !== want.length) return false;
  return want.every((w, i) => {
    const g = got[i]!;
    if (g === w) return true;
    return KEYWORD.test(w) && g.length > 0 && w.toLowerCase().startsWith(g.toLowerCase());
  });
}

/** Where IOS puts the `^`: under the last word of the line. */
function errorOffset(line: string): number {
  const m = /\S+\s*$/.exec(line);
  return m ? m.index : 0;
}

function withOutput(out: CommandOutcome, f: (o: string) => string): CommandOutcome {
  return out.output === undefined ? out : { ...out, output: f(out.output) };
}

function ok(out: CommandOutcome, stateChanging = false): Resolution {
  return { kind: 'command', stateChanging, dialogs: [], run: () => out };
}

/** What every IOS-like shell accepts without the model saying so (user EXEC: terminal, enable, exit). */
function builtIn(mode: CliMode, line: string, hasSecret: boolean): Resolution | undefined {
  const words = line.toLowerCase().split(/\s+/);
  const is = (...full: string[]): boolean =>
    words.length === full.length && full.every((w, i) => w.startsWith(words[i]!) && words[i]!.length > 0);
  const n = Number(words.at(-1));
  if (mode === 'config') {
    if (is('end') || is('exit')) return ok({ mode: 'exec' });
    return undefined;
  }
  if (words.length === 3 && is('terminal', 'length', words[2]!) && Number.isInteger(n)) {
    return ok({ pageLength: n });
  }
  if (words.length === 3 && is('terminal', 'width', words[2]!) && Number.isInteger(n))
    return ok({ width: n });
  if (words.length === 2 && is('screen-length', words[1]!) && Number.isInteger(n))
    return ok({ pageLength: n });
  if (is('enable')) return ok(mode === 'user' && hasSecret ? { escalate: true } : { mode: 'exec' });
  if (mode === 'user') return is('exit') || is('logout') ? ok({ exit: true }) : undefined;
  if (is('disable')) return ok({ mode: 'user' });
  if (is('configure', 'terminal') || is('config-transaction')) {
    return ok({ mode: 'config', output: 'Enter configuration commands, one per line.  End with CNTL/Z.\n' });
  }
  if (is('exit') || is('logout') || is('quit')) return ok({ exit: true });
  return undefined;
}

function unknownShellCommand(line: string): Resolution {
  const name = line.split(/\s+/)[0] ?? line;
  return ok({ output: '', stderr: `sh: 1: ${name}: not found\n`, exitCode: 127 });
}
