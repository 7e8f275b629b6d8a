/**
 * The seam between a CLI session (terminal: echo, pager, dialogs, modes) and what a device knows:
 * its prompts and its commands. Two behaviours exist: a mock device model (device-model.ts, data)
 * and the INV_SPI plug-in (inv-spi-behaviour.ts, the time-driven recovery semantics of the lab).
 * Both the SSH lab server (through CliSession) and the in-process memory transport (device-fn.ts)
 * drive a behaviour, so a model answers the same over SSH and in tests.
 */

/** user: privilege 1 (`name>`, only with an enable secret); exec: privilege 15 (`name#`); config. */
export type CliMode = 'user' | 'exec' | 'config';

/** What a command does once it runs (after its dialogs were answered). */
export interface CommandOutcome {
  output?: string;
  /** `terminal length` / `screen-length`: 0 disables the pager. */
  pageLength?: number;
  width?: number;
  mode?: CliMode;
  /** `enable` at user EXEC: the session asks for the enable secret. */
  escalate?: boolean;
  /** Close the session cleanly (`exit`). */
  exit?: boolean;
  /** Drop the SSH connection abruptly after the output. */
  drop?: boolean;
  /** Exec-channel platforms (linux): exit status and standard error. */
  exitCode?: number;
  stderr?: string;
  /** More output that comes later (a slow command): each part `afterMs` after the one before. */
  later?: { afterMs: number; output: string }[];
  /** Then this output again every `everyMs` (a command that streams until interrupted). */
  repeat?: { everyMs: number; output: string };
  /** The command only ends on Ctrl-C (a hanging `show`, a `debug` stream). */
  untilInterrupt?: boolean;
}

/** How an interactive session starts. */
export interface LoginBehaviour {
  /** Text shown before the first prompt (e.g. a banner ending in `#`, to test prompt detection). */
  banner?: string;
  /** Mode the session opens in (default exec). */
  mode?: CliMode;
  /** When the first prompt shows: at once (default), after the client sends a newline, or never. */
  prompt?: 'immediate' | 'on-enter' | 'never';
}

export type DeviceErrorKind = 'invalid' | 'incomplete' | 'ambiguous';

/** A command line resolved by a behaviour: an IOS-style error, or a command ready to run. */
export type Resolution =
  | { kind: 'error'; error: DeviceErrorKind; /** offset of the token to mark with `^` */ offset: number }
  | {
      kind: 'command';
      /** Changes device state: flagged in the audit log. */
      stateChanging: boolean;
      /** Questions asked before running, in order (e.g. `Clear crypto SAs for peer X [confirm]`). */
      dialogs: string[];
      /** Run it at `now` (ms since epoch): apply state changes, render the output. */
      run(now: number): CommandOutcome;
    };

export interface DeviceBehaviour {
  /** The prompt in a mode, e.g. `edge1#`, `edge1(config)#`. */
  prompt(mode: CliMode): string;
  /** Output is paginated with ` --More-- ` until the client turns paging off. */
  readonly pager: boolean;
  /** How an interactive session starts (default: the exec prompt at once). */
  readonly login?: LoginBehaviour | undefined;
  /**
   * Sessions start at privilege 1 (user EXEC) and `enable` asks for `secret`; a wrong one gets
   * three tries then `% Bad secrets` (local), or `% Access denied` at once (AAA). Absent: `name#`.
   */
  readonly enable?: { secret: string; failure: 'bad-secrets' | 'access-denied' } | undefined;
  /** Resolve one trimmed, non-empty command line (with any `| filter`) in a mode. */
  resolve(mode: CliMode, line: string): Resolution;
}

/** IOS's text for a rejected line; `indent` is the prompt width when the prompt is on the same line. */
export function renderDeviceError(
  kind: DeviceErrorKind,
  offset: number,
  line: string,
  indent: number,
): string {
  if (kind === 'invalid')
    return `${' '.repeat(indent + offset)}^\n% Invalid input detected at '^' marker.\n\n`;
  if (kind === 'incomplete') return '% Incomplete command.\n\n';
  return `% Ambiguous command: "${line}"\n`;
}
