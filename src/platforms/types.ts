/**
 * Platform profiles are data: prompts, error patterns, paging, read-only command rules, value
 * gates, dialogs, privilege. They are loaded from YAML files (src/platforms/profiles/*.yaml and a
 * user's own dir, see loader.ts) and validated by schemas/platform.schema.json. No
 * `if (platform === ...)` outside src/platforms. Patterns are regex sources (compiled by users).
 */

/** The name of a loaded profile (`cisco-iosxe`, `linux`, or one from a user's dir). */
export type PlatformName = string;

export interface PlatformProfile {
  name: PlatformName;
  description: string;
  /** shell: interactive PTY with prompt detection (network devices); exec: one exec channel per command. */
  session: 'shell' | 'exec';
  /** Regex source matching the prompt at the end of output, e.g. `[\w.\-]+[>#]\s*$`. */
  prompt: string;
  /** Regex sources matching configuration-mode prompts; the engine never enters them. */
  configPrompts: string[];
  /** How the session raises its privilege (`enable`); absent when the platform has no such step. */
  privilege?: {
    /** Regex source of the user-EXEC (unprivileged) prompt, e.g. `[\w.\-]+>\s*$`. */
    unprivilegedPrompt: string;
    /** Command that raises privilege, e.g. `enable`. */
    escalateCommand: string;
    /** Regex source of the password question after escalateCommand, e.g. `[Pp]assword:\s*$`. */
    passwordPrompt: string;
    /** Regex sources of output meaning the secret was wrong (`% Access denied`, `% Bad secrets`). */
    failurePatterns: string[];
  };
  /** Output matching any of these fails the step at once, whatever its matchers say. */
  errorPatterns: { pattern: string; message: string }[];
  /** Sent after login to disable paging: each entry is tried in order until one is accepted. */
  pagingCommands: string[];
  /** Sent after login to disable line wrapping (failures ignored). */
  widthCommands: string[];
  /** Regex source of the pager prompt (e.g. ` --More-- `), answered with a space if it appears. */
  pager?: string;
  /** What makes a command read-only on this platform (see classify-cli.ts, classify-shell.ts). */
  readOnly: ReadOnlyRules;
  /**
   * Regex source matching a character that a value interpolated into a command may never contain
   * (a `{{ }}` part from --var or device output): pipes, shell operators, quoting, help `?`.
   */
  unsafeValue: string;
  /** The CLI takes ASCII only: a value with any other character (a look-alike) is refused. */
  asciiOnly: boolean;
  /** A value starting with `-` is refused unless its var says `allow_leading_dash: true`. */
  refuseLeadingDash: boolean;
  /** Regex sources of prompts that mean the device asks a question (e.g. `\[confirm\]`). */
  dialogPrompts: string[];
  /** ANSI/escape sequences are stripped from output when true. */
  stripAnsi: boolean;
  /** The ntc-templates platform name (`cisco_ios`), for TextFSM template lookup. */
  ntcPlatform?: string;
  /** `ansible_network_os` values that select this profile in an inventory (`cisco.ios.ios`). */
  ansibleNetworkOs: string[];
  /** The YAML file the profile was loaded from. */
  file: string;
}

/** Read-only rules: a network CLI with words, abbreviations and output pipes, or a POSIX shell. */
export type ReadOnlyRules = CliReadOnly | ShellReadOnly;

/**
 * A network CLI: a command is read-only when its words resolve (by unambiguous prefix when
 * `abbreviations`) to a rule in `commands`, its arguments pass the rule, and every output pipe is a
 * known read (`| include`), never a write (`| redirect`). Matching is case-insensitive.
 */
export interface CliReadOnly {
  style: 'cli';
  /** Words may be abbreviated to any prefix at least `min` characters long. */
  abbreviations: boolean;
  commands: CliWord[];
  /** Output pipes that only filter (`include`, `begin`); `regex` ones take the rest as a regex. */
  pipeReads: { word: string; min: number; regex: boolean }[];
  /** Output pipes that write or run things: any prefix of these (`| r`, `| red`) is a write. */
  pipeWrites: string[];
  /** Characters that separate commands on one line (`;` on NX-OS): each part must be read-only. */
  separators: string[];
  /** Regex sources (case-insensitive): a command matching any is never read-only (`>` redirection). */
  never: string[];
}

/** One word of a CLI command rule. */
export interface CliWord {
  word: string;
  /** Shortest accepted abbreviation (default: the whole word). */
  min: number;
  /** When set, the next word must resolve to one of these. */
  sub?: CliWord[];
  /** Regex source (case-insensitive, whole match) the rest of the command must match. */
  args?: string;
  /** Regex sources (case-insensitive): the rest of the command matching any is not read-only. */
  deny: string[];
}

/**
 * A POSIX shell (exec channels): a command is read-only when it is a pipeline of known commands,
 * each with read-only arguments, and has no lists, substitutions, redirections or expansions.
 */
export interface ShellReadOnly {
  style: 'shell';
  commands: ShellCommand[];
  /** Regex sources: a command matching any is never read-only. */
  never: string[];
}

export interface ShellCommand {
  name: string;
  /** Regex source the arguments (joined by single spaces) must match entirely; default: any. */
  args?: string;
  /** Regex sources: an argument (after unquoting) matching any makes the command not read-only. */
  deny: string[];
}
