/**
 * Platform profiles are data: prompts, error patterns, paging, read-only commands, dialogs.
 * No `if (platform === ...)` outside src/platforms. Patterns are regex sources (compiled once by users).
 */
export type PlatformName = 'cisco-iosxe' | 'cisco-iosxe-sdwan' | 'linux';

export interface PlatformProfile {
  name: PlatformName;
  description: string;
  /** shell: interactive PTY with prompt detection (network devices); exec: one exec channel per command. */
  session: 'shell' | 'exec';
  /** Regex source matching the prompt at the end of output, e.g. `[\w.\-]+[>#]\s*$`. */
  prompt: string;
  /** Regex sources matching configuration-mode prompts; the engine never enters them. */
  configPrompts: string[];
  /** Output matching any of these fails the step at once, whatever its matchers say. */
  errorPatterns: { pattern: string; message: string }[];
  /** Sent after login to disable paging: each entry is tried in order until one is accepted. */
  pagingCommands: string[];
  /** Sent after login to disable line wrapping (failures ignored). */
  widthCommands: string[];
  /** Regex source of the pager prompt (e.g. ` --More-- `), answered with a space if it appears. */
  pager?: string;
  /** Regex sources of commands that never change state (anchored at the start of the command). */
  readOnly: string[];
  /**
   * Regex sources that make any command NOT read-only even when it matches `readOnly`
   * (e.g. IOS `show ... | redirect flash:x`, a shell `>` redirection).
   */
  neverReadOnly: string[];
  /**
   * Regex source matching a character that a value interpolated into a command may never contain
   * (a `{{ }}` part from --var or device output): pipes, shell operators, quoting, help `?`.
   */
  unsafeValue: string;
  /** Regex sources of prompts that mean the device asks a question (e.g. `\[confirm\]`). */
  dialogPrompts: string[];
  /** ANSI/escape sequences are stripped from output when true. */
  stripAnsi: boolean;
  /**
   * How the CLI raises privilege after login (IOS `enable`); absent when the platform has no
   * privilege levels. The transport escalates when the login prompt matches `unprivilegedPrompt`.
   */
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
}
