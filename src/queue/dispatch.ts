/**
 * The operator's side of `exec --workers`: a remote host runner for the orchestrator. Each host the
 * orchestrator starts (so forks, serial batches, max-fail and the disruptive-failure rule hold
 * fleet-wide, decided here) becomes one job on its worker group's queue; one poller reads the
 * workers' events (relayed to the orchestrator's reporters: live progress, the JSON document) and
 * pending approvals (answered by the orchestrator's approver, so a person, `--yes` and the fleet
 * rule decide as in-process). A host's result is its last `host-end` event. Ctrl-C (the
 * orchestrator's signal) asks every worker, through the store, to stop the run's hosts between steps.
 */
import { RunbookError } from '../errors.js';
import type { EngineEvent } from '../engine/events.js';
import type { HostResult } from '../engine/executor.js';
import type { RemoteHostIO } from '../run/orchestrator.js';
import type { Target } from '../fleet/target.js';
import { abortableSleep } from '../sleep.js';
import type { PostgresStore } from '../store/postgres.js';
import type { ApprovalRecord, StoreRun } from '../store/types.js';
import { DEFAULT_VISIBILITY_S, enqueueHost, ensureQueue, startBoss } from './boss.js';
import { blockDisruptive, clearStop, readEvents, requestStop } from './events.js';
import { DEFAULT_GROUP } from './boss.js';

export interface RemoteHostsOptions {
  store: PostgresStore;
  run: StoreRun;
  /** Visibility timeout of the jobs, seconds (default 60). */
  visibilityS?: number;
  /** exec --start-at (fresh hosts). */
  startAt?: string;
  /** exec --yes: workers approve disruptive steps themselves, unless the fleet rule tripped. */
  yes?: boolean;
  /** exec --keep-going: a failed disruptive step does not stop disruptive steps elsewhere. */
  keepGoing?: boolean;
  /** How often to read events and approvals (default 100 ms). */
  pollMs?: number;
}

export interface RemoteHosts {
  run(t: Target, io: RemoteHostIO): Promise<HostResult>;
  close(): Promise<void>;
}

interface Waiter {
  io: RemoteHostIO;
  resolve(r: HostResult): void;
  reject(err: unknown): void;
}

export async function remoteHosts(o: RemoteHostsOptions): Promise<RemoteHosts> {
  const boss = await startBoss({ pool: o.store.pool });
  // a resumed run was maybe stopped by Ctrl-C: its hosts may run again
  await clearStop(o.store.pool, o.run.meta.id);
  const visibilityS = o.visibilityS ?? DEFAULT_VISIBILITY_S;
  const runId = o.run.meta.id;
  const waiting = new Map<string, Waiter>();
  const deciding = new Set<string>();
  const queues = new Map<string, Promise<string>>();
  const closed = new AbortController();
  let stopSent = false;
  let after = 0;

  const groupOf = (host: string): string =>
    o.run.meta.targets.find((t) => t.name === host)?.workerGroup ?? DEFAULT_GROUP;

  const onEvent = (e: EngineEvent | { kind: 'handed-back'; host: string }): void => {
    const w = waiting.get(e.host);
    if (!w || e.kind === 'handed-back') return; // a worker gave the host back: the next one resumes it
    w.io.emit(e);
    if (e.kind === 'host-end') {
      waiting.delete(e.host);
      if (e.outcome === 'failed' && e.disruptive.length > 0 && !o.keepGoing)
        void blockDisruptive(o.store.pool, runId, e.host).catch(() => undefined);
      w.resolve({
        host: e.host,
        outcome: e.outcome,
        message: e.message,
        durationMs: e.durationMs,
        steps: [],
        disruptive: e.disruptive,
        wouldRun: [],
        results: [],
        ...(e.stoppedAt === undefined ? {} : { stoppedAt: e.stoppedAt }),
      });
    }
  };

  const decide = async (a: ApprovalRecord): Promise<void> => {
    const w = waiting.get(a.host);
    if (!w) return;
    deciding.add(a.id);
    let approved = false;
    try {
      const got = w.io.approve
        ? await w.io.approve({
            host: a.host,
            stepId: a.stepId,
            key: a.key,
            command: a.command,
            impact: a.impact,
            evidence: a.evidence ?? [],
            inDoubt: a.inDoubt,
          })
        : false;
      // over workers a decision is yes or no (skip and quit count as no)
      approved = typeof got === 'boolean' ? got : got.answer === 'yes' || got.answer === 'all';
    } catch {
      approved = false; // interrupted while asking: the worker stops the host anyway
    }
    await o.run.decideApproval(a.id, { approved, by: `${process.env.USER ?? 'operator'} (runbook exec)` });
  };

  const poll = async (): Promise<void> => {
    while (!closed.signal.aborted) {
      try {
        if (!stopSent && [...waiting.values()].some((w) => w.io.signal?.aborted)) {
          stopSent = true;
          await requestStop(o.store.pool, runId);
        }
        const got = await readEvents(o.store.pool, runId, after);
        after = got.last;
        for (const e of got.events) onEvent(e);
        if (got.events.length >= 5000) continue;
        for (const a of await o.run.approvals())
          if (!a.decision && !deciding.has(a.id)) void decide(a).catch(() => deciding.delete(a.id));
      } catch {
        // the store is unreachable for a moment: the workers carry on; read again on the next tick
      }
      await abortableSleep(o.pollMs ?? 100, closed.signal);
    }
  };
  const poller = poll();

  return {
    async run(t, io) {
      const group = groupOf(t.name);
      let queue = queues.get(group);
      if (!queue) {
        queue = ensureQueue(boss, group, visibilityS);
        queues.set(group, queue);
      }
      await queue;
      const result = new Promise<HostResult>((resolve, reject) => {
        waiting.set(t.name, { io, resolve, reject });
      });
      await enqueueHost(
        boss,
        group,
        {
          runId,
          host: t.name,
          approve: !io.approve ? 'none' : o.yes ? 'yes' : 'ask',
          ...(o.startAt === undefined ? {} : { startAt: o.startAt }),
        },
        visibilityS,
      );
      return result;
    },
    async close() {
      closed.abort();
      await poller;
      for (const w of waiting.values())
        w.reject(new RunbookError('E_INTERNAL', 'the dispatcher closed while hosts were running'));
      await boss.stop({ graceful: false, wait: true, close: false }).catch(() => undefined);
    },
  };
}
