/**
 * Process signals as abort signals, for a run driven from a terminal, a worker or a watcher.
 * First SIGINT/SIGTERM: `stop` aborts (hosts stop between steps). Second: `hard` aborts (the
 * running command is aborted too). Third: the process exits with 4 at once (the journal is written
 * as the run goes, so the run stays resumable).
 */
import { setMaxListeners } from 'node:events';
import { RunbookError } from '../errors.js';

export interface Interrupts {
  /** Aborted on the first signal: stop between steps. */
  stop: AbortSignal;
  /** Aborted on the second signal: abort the running command. */
  hard: AbortSignal;
  /** Stop listening. */
  dispose(): void;
}

export interface InterruptOptions {
  /** Told what each signal does; `last` is true for the one that exits. */
  say(text: string, last: boolean): void;
  /** Shown with the third signal: how to continue. */
  resumeCommand: string;
  /** Signals listened to (default SIGINT and SIGTERM). */
  signals?: NodeJS.Signals[];
}

export function onInterrupts(o: InterruptOptions): Interrupts {
  const stop = new AbortController();
  const hard = new AbortController();
  // Every running host listens on both signals (sleeps, commands): not a leak, so no warning at 11.
  setMaxListeners(0, stop.signal, hard.signal);
  const signals = o.signals ?? ['SIGINT', 'SIGTERM'];
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) {
      o.say(`${sig}: stopping after the running step (again to abort it)`, false);
      stop.abort(new RunbookError('E_INTERRUPTED', `interrupted by ${sig}`));
    } else if (count === 2) {
      o.say(`${sig}: aborting the running command (again to exit at once)`, false);
      hard.abort(new RunbookError('E_INTERRUPTED', `interrupted by ${sig} (twice)`));
    } else {
      o.say(`${sig}: exiting now; to continue: ${o.resumeCommand}`, true);
      process.exit(4);
    }
  };
  for (const s of signals) process.on(s, handler);
  return {
    stop: stop.signal,
    hard: hard.signal,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
