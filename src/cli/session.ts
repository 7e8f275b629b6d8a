/**
 * One run of a runbook over its targets, shared by `runbook exec` and `runbook resume`:
 * run record and journals, host locks, approvals, reporters, signals, fleet batches, the final
 * summary and the exit code. The executor decides what runs; this file only wires the seams.
 */
import { rmSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { RunbookError, type ExitCode } from '../errors.js';
import type { Runbook } from '../runbook/model.js';
import type { Value } from '../expr/types.js';
import { checkStartAt, runHost, type ApprovalRequest, type HostResult } from '../engine/executor.js';
import type { EngineEvent, Reporter, StepOutcome } from '../engine/events.js';
import type { RunHandle } from '../store/runs.js';
import { acquireHostLock, type HostLock } from '../store/lock.js';
import { createJsonCollector, stringifyResult } from '../report/json.js';
import { createLogReporter, type LogLevel } from '../report/log.js';
import { formatSummary } from '../report/summary.js';
import { changesWouldRun } from '../report/rollup.js';
import { createProgressReporter, type ProgressReporter } from '../report/progress.js';
import { runFleet, type HostRunContext } from '../fleet/scheduler.js';
import type { InventoryHost } from '../fleet/inventory.js';
import { getProfile } from '../platforms/index.js';
import type { Target } from './targets.js';
import { openConnection, type ConnectionOptions } from './connection.js';
import { askLine } from '../report/ask.js';
import { createApprover, APPROVAL_CHOICES } from './approver.js';

export interface SessionOptions {
  runbook: Runbook;
  vars: Record<string, Value>;
  targets: Target[];
  mode: 'exec' | 'dry-run';
  /** --yes: approve every disruptive step (in-doubt ones included). */
  yes: boolean;
  startAt?: string;
  run: RunHandle;
  /** Resume: per host, what the journal says is done. Hosts absent here start fresh. */
  restore?: Map<
    string,
    { completed: Map<string, { scope: Record<string, Value>; outcome: StepOutcome }>; inDoubt: Set<string> }
  >;
  connection: ConnectionOptions;
  json: boolean;
  level: LogLevel;
  forks: number;
  serial?: string;
  maxFailPct?: number;
  keepGoing: boolean;
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

/** Exit code of a whole run: interrupted/awaiting beats failed beats unreachable. */
export function exitCodeOf(outcomes: string[]): ExitCode {
  if (outcomes.some((o) => o === 'interrupted' || o === 'awaiting-approval' || o === 'not-run')) return 4;
  if (outcomes.some((o) => o === 'failed')) return 1;
  if (outcomes.some((o) => o === 'unreachable')) return 3;
  return 0;
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

/**
 * Take every target's lock before anything runs, so a run never starts on some hosts and then
 * finds another run on the next one. Throws E_LOCKED (nothing taken) when a live run holds one.
 */
function lockAll(o: SessionOptions): { locks: Map<string, HostLock>; warnings: string[] } {
  const locks = new Map<string, HostLock>();
  const warnings: string[] = [];
  try {
    for (const t of o.targets) {
      const lock = acquireHostLock(o.run.stateDir, t.lockName ?? t.name, o.run.meta.id);
      locks.set(t.name, lock);
      if (lock.tookOverStale) {
        warnings.push(
          `${t.name}: took over a stale lock of run ${lock.tookOverStale.runId} (its process ${lock.tookOverStale.pid} is gone)`,
        );
      }
    }
  } catch (err) {
    for (const l of locks.values()) l.release();
    throw err;
  }
  return { locks, warnings };
}

export async function runSession(o: SessionOptions): Promise<ExitCode> {
  const reconnectDelaysMs = reconnectDelaysFromEnv();
  let locked: ReturnType<typeof lockAll>;
  try {
    checkStartAt(o.runbook, o.startAt);
    locked = lockAll(o);
  } catch (err) {
    // A fresh run that could not start leaves no record behind; a resumed one is left as it was.
    o.run.close();
    if (!o.restore) rmSync(o.run.dir, { recursive: true, force: true });
    throw err;
  }
  try {
    return await runLocked(o, locked.warnings, reconnectDelaysMs);
  } finally {
    for (const l of locked.locks.values()) l.release();
  }
}

async function runLocked(
  o: SessionOptions,
  lockWarnings: string[],
  reconnectDelaysMs: number[] | undefined,
): Promise<ExitCode> {
  const interactive = Boolean(process.stdin.isTTY) && !o.json;
  const collector = createJsonCollector({
    runId: o.run.meta.id,
    runbook: { name: o.runbook.name, path: o.run.meta.runbookPath, contentHash: o.runbook.contentHash },
    mode: o.mode,
    hosts: o.targets.map((t) => t.name),
  });
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
  const listeners: Reporter[] = [collector.report];
  if (live) listeners.push(live.report);
  if (log) listeners.push(log);
  const say = (text: string): void => {
    if (live) live.note(text);
    else if (!o.json) process.stderr.write(`${text}\n`);
  };
  if (o.level !== 'quiet') {
    const n = o.targets.length;
    say(
      `run ${o.run.meta.id}: ${o.runbook.name}${o.mode === 'dry-run' ? ' (dry run)' : ''} on ${n} host${n === 1 ? '' : 's'}, record in ${o.run.dir}`,
    );
  }
  for (const w of lockWarnings) say(`warning: ${w}`);

  // Ctrl-C once: stop between steps; twice: abort the running command too; three times: exit at
  // once (the journal is written as the run goes, so the run stays resumable).
  const stop = new AbortController();
  const hard = new AbortController();
  // Every running host listens on both signals (sleeps, commands): not a leak, so no warning at 11.
  setMaxListeners(0, stop.signal, hard.signal);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    const msg =
      signals === 1
        ? `${sig}: stopping after the running step (again to abort it)`
        : signals === 2
          ? `${sig}: aborting the running command (again to exit at once)`
          : `${sig}: exiting now; to continue: ${o.resumeCommand}`;
    if (live && signals < 3) live.note(msg);
    else process.stderr.write(`\n${msg}\n`);
    if (signals === 1) stop.abort(new RunbookError('E_INTERRUPTED', `interrupted by ${sig}`));
    else if (signals === 2) hard.abort(new RunbookError('E_INTERRUPTED', `interrupted by ${sig} (twice)`));
    else process.exit(4);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let asking: Promise<unknown> = Promise.resolve();
  // Why approvals were refused by the fleet's disruptive-failure rule (said once in the summary).
  let blockedNote: string | undefined;
  const blocked = (ctx: HostRunContext): boolean => {
    if (ctx.disruptiveAllowed()) return false;
    blockedNote ??= ctx.disruptiveBlockedReason();
    return true;
  };
  // Asked one question at a time, even with many hosts in flight; `quit` stops the run.
  const approver = createApprover({
    yes: o.yes,
    resumed: Boolean(o.restore),
    question: approvalQuestion,
    onQuit: () => stop.abort(new RunbookError('E_INTERRUPTED', 'stopped at an approval (quit)')),
    ...(interactive
      ? {
          ask: (q: string) => {
            const next = asking.then(async () => {
              // interrupted while this question waited its turn: do not ask it
              if (stop.signal.aborted)
                throw new RunbookError('E_INTERRUPTED', 'interrupted before the question was asked');
              return live
                ? live.prompt(q)
                : askLine({ question: q, input: process.stdin, output: process.stderr, terminal: true });
            });
            asking = next.catch(() => undefined);
            return next;
          },
        }
      : {}),
  });
  const approve = (ctx: HostRunContext) =>
    approver ? async (req: ApprovalRequest) => (blocked(ctx) ? false : approver(req)) : undefined;

  const runOne = async (t: Target, ctx: HostRunContext): Promise<HostResult> => {
    const journal = o.run.journal(t.name);
    const toJournal = journal.listener();
    const emit: Reporter = (e: EngineEvent) => {
      toJournal(e);
      for (const l of listeners) l(e);
    };
    const transport = openConnection(t, getProfile(t.platform), o.connection, hard.signal);
    try {
      const result = await runHost({
        runbook: o.runbook,
        host: { name: t.name, address: t.address, port: t.port, platform: t.platform, user: t.user },
        transport,
        vars: o.vars,
        mode: o.mode,
        approve: approve(ctx),
        emit,
        signal: stop.signal,
        commandSignal: hard.signal,
        ...(reconnectDelaysMs ? { reconnectDelaysMs } : {}),
        startAt: o.restore?.has(t.name) ? undefined : o.startAt,
        restore: o.restore?.get(t.name),
      });
      if (result.outcome === 'failed' && result.disruptive.length > 0) ctx.reportDisruptiveFailure(t.name);
      return result;
    } finally {
      await transport.close().catch(() => undefined);
    }
  };

  let fleet: Awaited<ReturnType<typeof runFleet<HostResult>>>;
  try {
    fleet = await runFleet(
      o.targets.map((t) => asInventoryHost(t)),
      {
        forks: o.forks,
        serial: o.serial,
        maxFailPct: o.maxFailPct,
        keepGoing: o.keepGoing,
        signal: stop.signal,
      },
      (h, ctx) => runOne(byName(o.targets, h.name), ctx),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (live) await live.done();
  }

  for (const w of lockWarnings) collector.addMessage(w);
  // (an interrupt is already each host's outcome; a fleet stopped on failures says why)
  if (fleet.stoppedReason && fleet.stoppedReason !== 'interrupted') collector.addMessage(fleet.stoppedReason);
  if (blockedNote) collector.addMessage(blockedNote);
  // What to do about a connection that failed (trust a host key, fix credentials): once per hint.
  const hints = new Map<string, string[]>();
  for (const t of o.targets) {
    const r = fleet.results.get(t.name);
    const hint = r && 'error' in r ? r.error?.hint : undefined;
    if (hint) hints.set(hint, [...(hints.get(hint) ?? []), t.name]);
  }
  for (const [hint, hosts] of hints) collector.addMessage(`${hosts.join(', ')}: ${hint}`);
  const outcomes = o.targets.map((t) => fleet.results.get(t.name)?.outcome ?? 'not-run');
  const failed = o.targets
    .filter((_, i) => outcomes[i] === 'failed' || outcomes[i] === 'unreachable')
    .map((t) => t.name);
  const retryFile = failed.length > 0 ? o.run.writeRetryFile(failed) : undefined;
  const doc = collector.document();
  o.run.close();
  if (o.json) {
    process.stdout.write(`${stringifyResult(doc)}\n`);
  } else {
    process.stdout.write(
      `\n${formatSummary(doc, {
        resumeCommand: o.resumeCommand,
        retryCommand: retryFile && o.retryCommand ? o.retryCommand({ retryFile, hosts: failed }) : undefined,
        details: o.details ?? false,
        ...(o.hostDetailsCommand ? { hostDetailsCommand: o.hostDetailsCommand } : {}),
      })}\n`,
    );
  }
  // Hosts left out because the fleet stopped on failures (max-fail, a whole batch failed) do not
  // make the run "interrupted": the failures that stopped it give exit code 1.
  const stoppedOnFailures = fleet.stoppedReason !== undefined && fleet.stoppedReason !== 'interrupted';
  const code = exitCodeOf(stoppedOnFailures ? outcomes.filter((x) => x !== 'not-run') : outcomes);
  return code === 0 && o.detailedExitcode && changesWouldRun(doc) ? 5 : code;
}

/** The approval question: the command, its blast radius, and the evidence that led there (a few lines). */
export function approvalQuestion(req: ApprovalRequest, width = process.stdout.columns || 120): string {
  const doubt = req.inDoubt
    ? '\n  (IN DOUBT: an earlier run started this step and never finished it; it may already have run)'
    : '';
  const cut = (line: string): string => (line.length > width - 6 ? `${line.slice(0, width - 7)}…` : line);
  const why: string[] = [];
  // the decisions first (conditions that held), then the device lines behind them
  for (const e of req.evidence) for (const c of e.conditions ?? []) why.push(cut(`    held: ${c}`));
  for (const e of req.evidence)
    for (const line of e.lines ?? []) why.push(cut(`    ${e.stepId}: ${line.trim()}`));
  const shown =
    why.length > 8
      ? [...why.slice(0, 8), `    ... ${why.length - 8} more (--dry-run --json shows all the evidence)`]
      : why;
  const because = shown.length > 0 ? `\n  because:\n${shown.join('\n')}` : '';
  return `${req.host}: step ${req.stepId} wants to run\n  ${req.command}\n  impact: ${req.impact}${because}${doubt}\nRun it? ${APPROVAL_CHOICES} (default n): `;
}

function byName(targets: Target[], name: string): Target {
  const t = targets.find((x) => x.name === name);
  if (!t) throw new RunbookError('E_INTERNAL', `no target named ${name}`);
  return t;
}

function asInventoryHost(t: Target): InventoryHost {
  return (
    t.inventory ?? {
      name: t.name,
      address: t.address,
      port: t.port,
      user: t.user,
      platform: t.platform,
      vars: {},
      groups: ['all', 'ungrouped'],
      pos: { file: '<command line>', line: 1, col: 1 },
    }
  );
}
