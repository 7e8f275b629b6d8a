/**
 * The five timeouts of an SSH session, kept apart:
 * - connect: TCP connect, server greeting and key exchange (until the host key is offered);
 * - auth: from an accepted host key to a logged-in session (paused while a person is asked);
 * - prompt: until the device prompt shows after login (and after a Ctrl-C);
 * - inactivity: no data for this long while a command runs (reset whenever data arrives);
 * - total: a command running this long in all.
 */
import { RunbookError } from '../errors.js';
import { quoteTail, redact } from './redact.js';

export type TimeoutPhase = 'connect' | 'auth' | 'prompt' | 'inactivity' | 'total';

export interface Timeouts {
  connectMs: number;
  authMs: number;
  promptMs: number;
  inactivityMs: number;
  totalMs: number;
  /**
   * Shell sessions: how long the device must stay quiet after a prompt, a pager prompt or a dialog
   * question before it is acted on. A prompt-looking line inside output that happens to end a chunk
   * is followed by the rest of the output, already on its way: waiting a few ms (a few event-loop
   * turns) sees it. Each command costs this much more; a device that pauses longer than this right
   * after printing its own prompt cannot be told from one that is done.
   */
  settleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 15_000,
  authMs: 30_000,
  promptMs: 20_000,
  inactivityMs: 60_000,
  totalMs: 600_000,
  settleMs: 10,
};

const HINTS: Record<TimeoutPhase, string> = {
  connect:
    'check that the address and port lead to an SSH server (e.g. `ssh -v -p PORT HOST`); if the network is slow, raise the connect timeout',
  auth: 'the server accepted the connection but did not finish logging in; check the device AAA (TACACS/RADIUS) reachability, or raise the auth timeout',
  prompt:
    'no prompt matching the platform profile showed up; check the platform of this host, and that the login lands in EXEC mode',
  inactivity: 'the command printed nothing for too long; if it is slow on purpose, raise the step timeout',
  total: 'the command ran longer than allowed; if it is slow on purpose, raise the step timeout',
};

export interface TimeoutContext {
  phase: TimeoutPhase;
  ms: number;
  /** Host label, e.g. `r1 (127.0.0.1:2222)`. */
  label: string;
  /** What was awaited: a pattern or an event. */
  waitingFor: string;
  /** Raw bytes most recently received (quoted and escaped in the message). */
  lastBytes: string;
  /** Already described bytes (pre-login wire data), used instead of quoting `lastBytes`. */
  described?: string;
  secrets: readonly string[];
  stepId?: string;
  command?: string;
}

/** E_TIMEOUT naming the phase, the awaited pattern and the last bytes received (escaped, redacted). */
export function timeoutError(c: TimeoutContext): RunbookError {
  const where = c.stepId ? ` in step ${c.stepId}` : '';
  const cmd = c.command !== undefined ? ` running ${JSON.stringify(c.command)}` : '';
  const what = c.phase === 'inactivity' ? `no data for ${c.ms} ms` : `${c.ms} ms`;
  return new RunbookError(
    'E_TIMEOUT',
    redact(
      `${c.phase} timeout on ${c.label}${where}${cmd}: ${what} waiting for ${c.waitingFor}; last bytes received: ${c.described ?? quoteTail(c.lastBytes, c.secrets)}`,
      c.secrets,
    ),
    { hint: HINTS[c.phase] },
  );
}
