/**
 * The Transport seam: the executor talks to one device through open/run/close.
 * Implementations: ssh (ssh2, shell or exec mode per platform profile) and memory (tests).
 * A transport knows nothing of runbooks or dry-run.
 */
import type { PlatformProfile } from '../platforms/types.js';

export interface DialogRule {
  /** Regex source of the prompt text. */
  prompt: string;
  answer: string;
  /** Send a newline after the answer (default true). */
  newline: boolean;
  /**
   * The question may be asked again during the same command and is answered each time. Default
   * false: asked a second time, it is treated as a question no dialog covers (Ctrl-C, the step fails).
   */
  repeat?: boolean;
  /**
   * Answer at most this many times (a secret is sent once); overrides `repeat`. Default: once, or
   * every time with `repeat`.
   */
  maxAnswers?: number;
}

/** Output kept per command unless a step says otherwise (`max_output`): 64 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface RunOptions {
  /** Step id, for transcripts and error messages. */
  stepId?: string;
  /** Abort the command if no data arrives for this long (reset when data arrives). */
  inactivityTimeoutMs?: number;
  /** Abort the command after this long in total. */
  totalTimeoutMs?: number;
  /** Answers for prompts the command may raise; any other prompt is answered with Ctrl-C and fails. */
  dialogs?: DialogRule[];
  /** The session may drop while this runs: a drop is reported as `disconnected: true`, not an error. */
  expectDisconnect?: boolean;
  /**
   * The command fails with E_OUTPUT_LIMIT (Ctrl-C sent, shell sessions) once it printed more than
   * this many bytes. Default DEFAULT_MAX_OUTPUT_BYTES.
   */
  maxOutputBytes?: number;
  /** Abort the running command (second Ctrl-C). */
  signal?: AbortSignal;
}

export interface CommandResult {
  /** Output with echo, prompt, pager prompts and ANSI sequences removed. */
  output: string;
  /** Exit status for exec sessions; undefined for shell sessions. */
  exitCode?: number;
  /** Standard error for exec sessions. */
  stderr?: string;
  /** The session dropped during the command (only when expectDisconnect was set). */
  disconnected: boolean;
  durationMs: number;
}

export interface Transport {
  readonly profile: PlatformProfile;
  /**
   * Secret strings this transport uses (passwords, passphrases, answers typed at a prompt; the list
   * may grow while connecting): whoever records what the device said masks them too.
   */
  readonly secrets?: readonly string[];
  /** Connect, authenticate, detect the prompt, disable paging. Never enters configuration mode. */
  open(): Promise<void>;
  /** Send one command and collect its output. Throws RunbookError (E_TIMEOUT, E_DISCONNECTED, E_UNEXPECTED_PROMPT...). */
  run(command: string, opts?: RunOptions): Promise<CommandResult>;
  /** Drop the session (if any) and open again, e.g. after `expect_disconnect`. */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}

/** Where a target lives and how to reach it (credentials resolved by the CLI / inventory). */
export interface TargetHost {
  /** Inventory name, or the --host value. */
  name: string;
  address: string;
  port: number;
  platform: import('../platforms/types.js').PlatformName;
  user?: string;
}
