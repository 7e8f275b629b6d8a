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
  /** Answer at most this many times (a secret is sent once); default: every time it is asked. */
  maxAnswers?: number;
}

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
