/**
 * The only place that turns errors into output and exit codes. User errors print
 * `error: <message>` and a hint, never a stack trace; unexpected errors print the stack
 * only with RUNBOOK_DEBUG=1.
 */
import { RunbookError, exitCodeFor, type ExitCode } from '../errors.js';

export function printError(err: unknown): ExitCode {
  if (err instanceof RunbookError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    if (process.env.RUNBOOK_DEBUG && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err.code);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`error: internal error: ${e.message}\n`);
  process.stderr.write(
    process.env.RUNBOOK_DEBUG
      ? `${e.stack ?? ''}\n`
      : 'hint: this is a bug in runbook; rerun with RUNBOOK_DEBUG=1 for details and report it\n',
  );
  return 1;
}

/** Wrap a command action: any thrown error is printed and becomes the exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      process.exitCode = printError(err);
    }
  };
}

/** Commander argument parser for a repeatable option: each use appends to the list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
