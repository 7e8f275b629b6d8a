/**
 * The run orchestrator: one run of a runbook over a set of targets. It takes every host lock
 * first, schedules hosts in batches (forks, serial, max-fail, the disruptive-failure rule), asks
 * the caller's approver, stops on the caller's abort signals, journals each host in the run record,
 * and returns the run's result document, outcomes and exit code. It prints nothing and reads no
 * process state (no signals, no TTY): `exec`, `resume`, the lab, a worker, `watch` and `test` call
 * it with their own transports, approver and reporters.
 *
 * Contract:
 * - Nothing runs unless every target's lock was taken (E_LOCKED otherwise, with nothing taken); a
 *   fresh run that cannot start leaves no record behind (`restore` absent), a resumed one is kept.
 * - An approver is asked once per disruptive step; after a disruptive step failed on some host,
 *   the fleet rule refuses every later approval (unless keepGoing), and the result says why.
 * - `signal` aborted: no new host starts and running hosts stop between steps; `commandSignal`
 *   aborted: the running command is aborted too (its step stays in doubt if it was disruptive).
 * - The run record is closed when this returns; the retry file lists failed/unreachable hosts.
 */
import { hostname as osHostname } from 'node:os';
import { RunbookError, type ExitCode } from '../errors.js';
import type { Value } from '../expr/types.js';
import type { Runbook } from '../runbook/model.js';
import { runFleet, type HostRunContext } from '../fleet/scheduler.js';
import type { Target } from '../fleet/target.js';
import type { Store, StoreJournal, StoreLock, StoreRun } from '../store/types.js';
import { createJsonCollector, type ResultDocument } from '../report/json.js';
import type { Transport } from '../transport/types.js';
import type { ApprovalDecision, EngineEvent, Reporter } from '../engine/events.js';
import {
  checkStartAt,
  runHost,
  type ApprovalRequest,
  type ExecutorOptions,
  type HostResult,
} from '../engine/executor.js';

/**
 * Decides one disruptive step: true (or a `yes`/`all` decision) sends it; a decision may also skip
 * the step or quit, and says how it was made. Rejecting (E_INTERRUPTED) stops the host.
 */
export type Approver = (req: ApprovalRequest) => Promise<boolean | ApprovalDecision>;

/** Approves everything (a rule's `auto` policy); the fleet rule still applies. `--yes` uses approvers.ts `approveAllAs`, which says how. */
export const approveAll: Approver = async () => true;

/** Per host, what the journal says is done (resume). */
export type RestoreState = Map<string, NonNullable<ExecutorOptions['restore']>>;

export interface FleetSettings {
  /** Hosts run at once within a batch (>= 1). */
  forks: number;
  /** Batch sizes: 'N', 'P%' or a comma list of them; undefined: one batch. */
  serial?: string;
  /** Stop before the next batch when more than this percentage of a batch failed. */
  maxFailPct?: number;
  /** Let hosts run disruptive steps after a disruptive step failed on another host. */
  keepGoing: boolean;
}

export interface RunRunbookOptions {
  runbook: Runbook;
  /** Resolved runbook vars. */
  vars: Record<string, Value>;
  targets: Target[];
  mode: 'exec' | 'dry-run';
  /** Where locks live and the run is recorded (the directory store or PostgreSQL). */
  store: Store;
  /** The run record (created by the caller in `store`; closed by this call). */
  run: StoreRun;
  /** A transport for a target, not yet connected; `commandSignal` aborts what it runs. */
  transport: (target: Target, commandSignal: AbortSignal) => Transport;
  /**
   * Runs one host somewhere else (a worker, through the queue) instead of in this process: the
   * remote side journals; events it relays go to `io.emit`, approvals it asks to `io.approve`.
   * Absent: hosts run here, through `transport`.
   */
  remote?: (target: Target, io: RemoteHostIO) => Promise<HostResult>;
  /**
   * Locks already held for this run elsewhere (a worker running an operator's run): a host whose
   * lock this run holds is not locked again. Default false: take every lock.
   */
  shareRunLocks?: boolean;
  /**
   * false: do not build the result document from the events (`document` then holds no host's
   * steps); a worker sets it, the operator's exec builds the document. Default true.
   */
  collect?: boolean;
  /** Absent: nothing can be approved, so hosts stop (awaiting-approval) before their first disruptive command. */
  approver?: Approver;
  /** Listeners for every engine event (progress, logs, a worker's event relay). */
  reporters?: Reporter[];
  /** Told about things as they happen (a stale lock taken over). */
  onNote?: (text: string) => void;
  /** Called once every lock is taken, before any host starts. */
  onStart?: () => void;
  /** Aborted: stop between steps. */
  signal?: AbortSignal;
  /** Aborted: abort the running command too. */
  commandSignal?: AbortSignal;
  fleet: FleetSettings;
  /** Skip the steps before this id (fresh hosts only). */
  startAt?: string;
  restore?: RestoreState;
  /** Delays before each reconnect attempt; absent: the executor's default. */
  reconnectDelaysMs?: number[];
  /** More text masked in every event, record and message (passwords, enable secrets, decrypted vault values). */
  secrets?: readonly string[];
  /** Sleep used by the executor (virtual time in offline tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RunResult {
  /** The `--json` document; the summary renders from it too. */
  document: ResultDocument;
  /** Every target's outcome, in target order (`not-run` when the fleet stopped before it). */
  outcomes: Map<string, string>;
  /** Hosts that failed or were unreachable. */
  failedHosts: string[];
  /** The file listing `failedHosts` (for `--limit @FILE`), when there are any. */
  retryFile?: string;
  /** Why later batches did not run (max-fail, a whole batch failed, interrupted). */
  stoppedReason?: string;
  exitCode: ExitCode;
}

/** Exit code of a whole run: interrupted/awaiting beats failed beats unreachable. */
export function exitCodeOf(outcomes: readonly string[]): ExitCode {
  if (outcomes.some((o) => o === 'interrupted' || o === 'awaiting-approval' || o === 'not-run')) return 4;
  if (outcomes.some((o) => o === 'failed')) return 1;
  if (outcomes.some((o) => o === 'unreachable')) return 3;
  return 0;
}

/** What a remote host runner gets: where to relay events and whom to ask for approvals. */
export interface RemoteHostIO {
  emit: Reporter;
  /** Absent: nothing can be approved (the host stops awaiting approval). */
  approve?: Approver;
  signal?: AbortSignal;
}

export async function runRunbook(o: RunRunbookOptions): Promise<RunResult> {
  let locked: { locks: Map<string, StoreLock>; notes: string[] };
  try {
    checkStartAt(o.runbook, o.startAt);
    locked = await lockAll(o);
  } catch (err) {
    await o.run.close();
    if (!o.restore) await o.store.deleteRun(o.run.meta.id);
    throw err;
  }
  try {
    o.onStart?.();
    for (const n of locked.notes) o.onNote?.(`warning: ${n}`);
    return await runLocked(o, locked.notes);
  } finally {
    await Promise.all([...locked.locks.values()].map((l) => l.release().catch(() => undefined)));
  }
}

/**
 * Take every target's lock before anything runs, so a run never starts on some hosts and then
 * finds another run on the next one. Throws E_LOCKED (nothing taken) when a live run holds one.
 */
async function lockAll(o: RunRunbookOptions): Promise<{ locks: Map<string, StoreLock>; notes: string[] }> {
  const locks = new Map<string, StoreLock>();
  const notes: string[] = [];
  const wanted: Target[] = [];
  for (const t of o.targets) {
    if (o.shareRunLocks && (await o.store.lockHolder(t.lockName ?? t.name))?.runId === o.run.meta.id)
      continue;
    wanted.push(t);
  }
  const taken = await o.store.lockHosts(
    wanted.map((t) => t.lockName ?? t.name),
    o.run.meta.id,
  );
  wanted.forEach((t, i) => {
    const lock = taken[i]!;
    locks.set(t.name, lock);
    if (lock.tookOverStale) {
      const s = lock.tookOverStale;
      const on = s.hostname === osHostname() ? '' : ` on ${s.hostname}`;
      notes.push(`${t.name}: took over a stale lock of run ${s.runId} (its process ${s.pid}${on} is gone)`);
    }
  });
  return { locks, notes };
}

/**
 * The transport waiting before every command until the journal's disruptive-command records are
 * durable, so a disruptive command is never sent unrecorded (PostgreSQL journals write asynchronously).
 */
function flushingTransport(t: Transport, journal: StoreJournal): Transport {
  return {
    profile: t.profile,
    open: () => t.open(),
    run: async (command, opts) => {
      await journal.commandsDurable();
      return t.run(command, opts);
    },
    reconnect: () => t.reconnect(),
    close: () => t.close(),
  };
}

async function runLocked(o: RunRunbookOptions, lockNotes: string[]): Promise<RunResult> {
  const collector = createJsonCollector({
    runId: o.run.meta.id,
    runbook: { name: o.runbook.name, path: o.run.meta.runbookPath, contentHash: o.runbook.contentHash },
    mode: o.mode,
    hosts: o.targets.map((t) => t.name),
  });
  // (a worker's hosts are collected by the operator's exec: its own document would go unread)
  const listeners: Reporter[] = [...(o.collect === false ? [] : [collector.report]), ...(o.reporters ?? [])];
  const never = new AbortController().signal;
  const commandSignal = o.commandSignal ?? never;

  // Why approvals were refused by the fleet's disruptive-failure rule (said once in the result).
  let blockedNote: string | undefined;
  const approverFor = (ctx: HostRunContext): Approver | undefined => {
    const ask = o.approver;
    if (!ask) return undefined;
    return async (req) => {
      if (!ctx.disruptiveAllowed()) {
        blockedNote ??= ctx.disruptiveBlockedReason();
        return false;
      }
      return ask(req);
    };
  };

  const runOne = async (t: Target, ctx: HostRunContext): Promise<HostResult> => {
    if (o.remote) {
      const approve = approverFor(ctx);
      const emit: Reporter = (e) => {
        for (const l of listeners) l(e);
      };
      const result = await o.remote(t, {
        emit,
        ...(approve ? { approve } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (result.outcome === 'failed' && result.disruptive.length > 0) ctx.reportDisruptiveFailure(t.name);
      return result;
    }
    const journal = o.run.journal(t.name);
    const toJournal = journal.listener();
    const emit: Reporter = (e: EngineEvent) => {
      toJournal(e);
      for (const l of listeners) l(e);
    };
    const transport = flushingTransport(o.transport(t, commandSignal), journal);
    const approve = approverFor(ctx);
    const restore = o.restore?.get(t.name);
    try {
      const result = await runHost({
        runbook: o.runbook,
        host: { name: t.name, address: t.address, port: t.port, platform: t.platform, user: t.user },
        transport,
        vars: o.vars,
        mode: o.mode,
        ...(approve ? { approve } : {}),
        emit,
        ...(o.signal ? { signal: o.signal } : {}),
        commandSignal,
        ...(o.reconnectDelaysMs ? { reconnectDelaysMs: o.reconnectDelaysMs } : {}),
        ...(o.secrets ? { secrets: o.secrets } : {}),
        ...(o.sleep ? { sleep: o.sleep } : {}),
        ...(o.restore?.has(t.name) || o.startAt === undefined ? {} : { startAt: o.startAt }),
        ...(restore ? { restore } : {}),
      });
      if (result.outcome === 'failed' && result.disruptive.length > 0) ctx.reportDisruptiveFailure(t.name);
      return result;
    } finally {
      await transport.close().catch(() => undefined);
    }
  };

  const byName = new Map(o.targets.map((t) => [t.name, t]));
  const fleet = await runFleet(
    o.targets,
    { ...o.fleet, ...(o.signal ? { signal: o.signal } : {}) },
    (h, ctx) => {
      const t = byName.get(h.name);
      if (!t) throw new RunbookError('E_INTERNAL', `no target named ${h.name}`);
      return runOne(t, ctx);
    },
  );

  for (const w of lockNotes) collector.addMessage(w);
  // (an interrupt is already each host's outcome; a fleet stopped on failures says why)
  if (fleet.stoppedReason && fleet.stoppedReason !== 'interrupted') collector.addMessage(fleet.stoppedReason);
  if (blockedNote) collector.addMessage(blockedNote);
  // What to do about a connection that failed (trust a host key, fix credentials): once per hint.
  const hints = new Map<string, string[]>();
  for (const t of o.targets) {
    const r = fleet.results.get(t.name);
    const hint = r && 'error' in r && r.error ? r.error.hint : undefined;
    if (hint) hints.set(hint, [...(hints.get(hint) ?? []), t.name]);
  }
  for (const [hint, hosts] of hints) collector.addMessage(`${hosts.join(', ')}: ${hint}`);

  const outcomes = new Map(o.targets.map((t) => [t.name, fleet.results.get(t.name)?.outcome ?? 'not-run']));
  const failedHosts = o.targets
    .filter((t) => outcomes.get(t.name) === 'failed' || outcomes.get(t.name) === 'unreachable')
    .map((t) => t.name);
  const retryFile = failedHosts.length > 0 ? await o.run.writeRetryFile(failedHosts) : undefined;
  const document = collector.document();
  await o.run.close();
  // Hosts left out because the fleet stopped on failures (max-fail, a whole batch failed) do not
  // make the run "interrupted": the failures that stopped it give exit code 1.
  const stoppedOnFailures = fleet.stoppedReason !== undefined && fleet.stoppedReason !== 'interrupted';
  const all = [...outcomes.values()];
  const result: RunResult = {
    document,
    outcomes,
    failedHosts,
    exitCode: exitCodeOf(stoppedOnFailures ? all.filter((x) => x !== 'not-run') : all),
  };
  if (retryFile) result.retryFile = retryFile;
  if (fleet.stoppedReason) result.stoppedReason = fleet.stoppedReason;
  return result;
}
