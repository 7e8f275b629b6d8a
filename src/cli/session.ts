/**
 * `runbook exec` and `runbook resume` as a terminal program: flags -> options -> runRunbook ->
 * print. Which reporters draw (live progress on a terminal, the line log otherwise, nothing with
 * --json), how a person approves (a y/N question on a terminal, --yes, or nobody), signals as abort
 * signals, and the summary or JSON document at the end. The run itself is src/run/orchestrator.
 */
import { setMaxListeners } from 'node:events';
import { RunbookError, type ExitCode } from '../errors.js';
import type { Runbook } from '../runbook/model.js';
import type { Value } from '../expr/types.js';
import type { Reporter } from '../engine/events.js';
import {
  runRunbook,
  type FleetSettings,
  type RestoreState,
  type RunRunbookOptions,
} from '../run/orchestrator.js';
import { approveAllAs, askingApprover } from '../run/approvers.js';
import { onInterrupts } from '../run/interrupts.js';
import type { Target } from '../fleet/target.js';
import type { Store, StoreRun } from '../store/types.js';
import { stringifyResult } from '../report/json.js';
import { createLogReporter, type LogLevel } from '../report/log.js';
import { formatSummary } from '../report/summary.js';
import { createProgressReporter, type ProgressReporter } from '../report/progress.js';
import { getProfile } from '../platforms/index.js';
import { openConnection, type ConnectionOptions } from './connection.js';
import { askLine } from '../report/ask.js';
import { changesWouldRun } from '../report/rollup.js';
import { explainStateFailure } from './state-failure.js';

export interface SessionOptions extends FleetSettings {
  runbook: Runbook;
  vars: Record<string, Value>;
  targets: Target[];
  mode: 'exec' | 'dry-run';
  /** --yes: approve every disruptive step (in-doubt ones included). */
  yes: boolean;
  startAt?: string;
  /** Where the run is recorded and its hosts are locked. */
  store: Store;
  run: StoreRun;
  /** Run the hosts elsewhere (`exec --workers`: jobs for `runbook worker`); absent: here, over SSH. */
  remote?: RunRunbookOptions['remote'];
  /** Resume: per host, what the journal says is done. Hosts absent here start fresh. */
  restore?: RestoreState;
  connection: ConnectionOptions;
  json: boolean;
  level: LogLevel;
  /** Shown in the summary: how to continue this run / retry failed hosts. */
  resumeCommand: string;
  /** The command that retries the failed hosts (`retryFile` lists them, one a line). */
  retryCommand?: (failed: { retryFile: string; hosts: string[] }) => string;
  /** Dry run: list every host's would-run items in the summary, not only the roll-up. */
  details?: boolean;
  /** Dry run: exit 5 (not 0) when changes would run. */
  detailedExitcode?: boolean;
  /** Where one host's record is shown (`runbook runs <id> --host H`). */
  hostDetailsCommand?: string;
}

/**
 * Delays before each reconnect attempt after a dropped session, from RUNBOOK_RECONNECT_DELAYS_MS
 * (comma-separated milliseconds, e.g. `1000,5000,30000` for a device that reloads slowly);
 * undefined (the executor's default) when unset.
 */
export function reconnectDelaysFromEnv(raw = process.env.RUNBOOK_RECONNECT_DELAYS_MS): number[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const delays = raw.split(',').map((x) => Number(x.trim()));
  if (delays.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RunbookError(
      'E_USAGE',
      `RUNBOOK_RECONNECT_DELAYS_MS=${raw}: not a comma-separated list of milliseconds`,
      {
        hint: 'e.g. RUNBOOK_RECONNECT_DELAYS_MS=1000,2000,5000 (one delay per reconnect attempt), or unset it',
      },
    );
  }
  return delays;
}

export async function runSession(o: SessionOptions): Promise<ExitCode> {
  const reconnectDelaysMs = reconnectDelaysFromEnv();
  const interactive = Boolean(process.stdin.isTTY) && !o.json;
  const live: ProgressReporter | undefined =
    !o.json && process.stdout.isTTY && o.level !== 'quiet' && !process.env.RUNBOOK_NO_PROGRESS
      ? createProgressReporter({
          hosts: o.targets.map((t) => t.name),
          verbose: o.level === 'verbose',
          // one host: its recent steps; a few: fewer; a fleet: a line per host, so it fits a screen
          maxStepLines: o.targets.length === 1 ? 10 : o.targets.length <= 4 ? 3 : 0,
        })
      : undefined;
  const log: Reporter | undefined =
    live || o.json ? undefined : createLogReporter({ out: process.stderr, level: o.level });
  const say = (text: string): void => {
    if (live) live.note(text);
    else if (!o.json) process.stderr.write(`${text}\n`);
  };
  const started = (): void => {
    if (o.level === 'quiet') return;
    const n = o.targets.length;
    say(
      `run ${o.run.meta.id}: ${o.runbook.name}${o.mode === 'dry-run' ? ' (dry run)' : ''} on ${n} host${n === 1 ? '' : 's'}, record in ${o.run.location}`,
    );
  };

  const interrupts = onInterrupts({
    resumeCommand: o.resumeCommand,
    say: (text, last) => {
      if (live && !last) live.note(text);
      else process.stderr.write(`\n${text}\n`);
    },
  });
  // quit at an approval stops the run like a Ctrl-C (between steps; resumable)
  // (one controller fed by both, rather than AbortSignal.any, whose signals Node 20 may collect early)
  const quit = new AbortController();
  if (interrupts.stop.aborted) quit.abort(interrupts.stop.reason);
  else interrupts.stop.addEventListener('abort', () => quit.abort(interrupts.stop.reason), { once: true });
  const stop = quit.signal;
  // every running host listens on it (sleeps, commands): not a leak
  setMaxListeners(0, stop);
  const approver = o.yes
    ? approveAllAs(o.restore ? 'resume-yes' : 'yes-flag')
    : interactive
      ? askingApprover({
          ask: (q) =>
            live
              ? live.prompt(q)
              : askLine({ question: q, input: process.stdin, output: process.stderr, terminal: true }),
          signal: stop,
          width: process.stdout.columns || 120,
          onQuit: () => quit.abort(new RunbookError('E_INTERRUPTED', 'stopped at an approval (quit)')),
        })
      : undefined;

  let result: Awaited<ReturnType<typeof runRunbook>>;
  try {
    result = await runRunbook({
      runbook: o.runbook,
      vars: o.vars,
      targets: o.targets,
      mode: o.mode,
      store: o.store,
      run: o.run,
      ...(o.remote ? { remote: o.remote } : {}),
      transport: (t, commandSignal) => openConnection(t, getProfile(t.platform), o.connection, commandSignal),
      ...(approver ? { approver } : {}),
      reporters: [live?.report, log].filter((r): r is Reporter => r !== undefined),
      onNote: say,
      onStart: started,
      signal: stop,
      commandSignal: interrupts.hard,
      fleet: { forks: o.forks, serial: o.serial, maxFailPct: o.maxFailPct, keepGoing: o.keepGoing },
      ...(o.startAt !== undefined ? { startAt: o.startAt } : {}),
      ...(o.restore ? { restore: o.restore } : {}),
      ...(reconnectDelaysMs ? { reconnectDelaysMs } : {}),
      secrets: o.connection.secrets,
    });
  } catch (err) {
    // a full or read-only state dir part-way: which steps are in doubt, and how to resume
    throw await explainStateFailure(err, {
      run: o.run,
      hosts: o.targets.map((t) => t.name),
      resumeCommand: o.resumeCommand,
    });
  } finally {
    interrupts.dispose();
    if (live) await live.done();
  }

  if (o.json) {
    process.stdout.write(`${stringifyResult(result.document)}\n`);
  } else {
    const { retryFile, failedHosts } = result;
    process.stdout.write(
      `\n${formatSummary(result.document, {
        resumeCommand: o.resumeCommand,
        retryCommand:
          retryFile && o.retryCommand ? o.retryCommand({ retryFile, hosts: failedHosts }) : undefined,
        details: o.details ?? false,
        ...(o.hostDetailsCommand ? { hostDetailsCommand: o.hostDetailsCommand } : {}),
      })}\n`,
    );
  }
  // as Terraform's plan -detailed-exitcode: a clean dry run that found changes exits 5
  return result.exitCode === 0 && o.detailedExitcode && changesWouldRun(result.document)
    ? 5
    : result.exitCode;
}
