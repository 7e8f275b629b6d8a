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
import type { HostResult } from '../engine/executor.js';
import type { RemoteHostIO } from '../run/orchestrator.js';
import type { Target } from '../fleet/target.js';
import { abortableSleep } from '../sleep.js';
import type { PostgresStore } from '../store/postgres.js';
import type { ApprovalRecord, Store, StoreRun } from '../store/types.js';
import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type pg from 'pg';
import {
  deadJobs,
  DEFAULT_GROUP,
  DEFAULT_VISIBILITY_S,
  enqueueHosts,
  ensureQueue,
  startBoss,
  type HostJob,
} from './boss.js';
import {
  blockDisruptive,
  clearStop,
  readStream,
  requestStop,
  streamStart,
  type QueueEvent,
} from './events.js';

/** The store as the one workers share (`exec`/`resume --workers`); E_USAGE for a local state directory. */
export function workersStore(store: Store): PostgresStore {
  if (store.kind !== 'postgres')
    throw new RunbookError(
      'E_USAGE',
      '--workers needs a shared store: --store postgres://... or $RUNBOOK_STORE',
      {
        hint: 'workers and this command meet in PostgreSQL (docs/workers.md)',
      },
    );
  return store as PostgresStore;
}

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
  /** The host's job (pg-boss id). */
  jobId: string;
  io: RemoteHostIO;
  resolve(r: HostResult): void;
  reject(err: unknown): void;
}

export async function remoteHosts(o: RemoteHostsOptions): Promise<RemoteHosts> {
  const boss = await startBoss({ pool: o.store.pool });
  // a resumed run was maybe stopped by Ctrl-C: its hosts may run again
  await clearStop(o.store.pool, o.run.meta.id);
  // jobs an earlier session of the run left queued (it was stopped, or died) would run its hosts
  // a second time beside this session's jobs
  await cancelQueued(boss, o.store.pool, o.run.meta.id);
  const visibilityS = o.visibilityS ?? DEFAULT_VISIBILITY_S;
  const runId = o.run.meta.id;
  const waiting = new Map<string, Waiter>();
  const deciding = new Set<string>();
  const queues = new Map<string, Promise<string>>();
  const closed = new AbortController();
  let stopSent = false;
  // only what the workers write from now on (a resumed run's earlier ends are not this session's)
  let cursor = await streamStart(o.store.pool);
  // hosts whose worker is handing them back: their `interrupted` end is not their end
  const handingBack = new Set<string>();

  const groups = new Map(o.run.meta.targets.map((t) => [t.name, t.workerGroup ?? DEFAULT_GROUP]));
  const groupOf = (host: string): string => groups.get(host) ?? DEFAULT_GROUP;

  const onEvent = (e: QueueEvent): void => {
    const w = waiting.get(e.host);
    if (!w) return;
    if (e.kind === 'handing-back') {
      handingBack.add(e.host);
      return;
    }
    if (e.kind === 'host-start') handingBack.delete(e.host);
    // a host handed back is not over: the exec waits for the worker that resumes it
    if (e.kind === 'host-end' && handingBack.has(e.host) && e.outcome === 'interrupted') return;
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

  // pg-boss gives up on a job whose retries are spent (its last worker died too): the host failed
  let lastDeadCheck = Date.now();
  const checkDead = async (): Promise<void> => {
    if (Date.now() - lastDeadCheck < 5000) return;
    lastDeadCheck = Date.now();
    const byJob = new Map([...waiting].map(([host, w]) => [w.jobId, host]));
    for (const [id, message] of await deadJobs(o.store.pool, [...byJob.keys()])) {
      const host = byJob.get(id)!;
      onEvent({
        kind: 'host-end',
        host,
        at: Date.now(),
        outcome: 'failed',
        message: `its workers could not finish it (retries spent): ${message}`,
        durationMs: 0,
        disruptive: [],
      });
    }
  };

  const poll = async (): Promise<void> => {
    while (!closed.signal.aborted) {
      try {
        await checkDead();
        if (!stopSent && [...waiting.values()].some((w) => w.io.signal?.aborted)) {
          stopSent = true;
          await requestStop(o.store.pool, runId);
        }
        const got = await readStream(o.store.pool, runId, cursor);
        cursor = got.cursor;
        for (const e of got.events) onEvent(e);
        if (got.full) continue;
        for (const a of await o.run.approvals())
          if (!a.decision && !deciding.has(a.id)) void decide(a).catch(() => deciding.delete(a.id));
      } catch {
        // the store is unreachable for a moment: the workers carry on; read again on the next tick
      }
      await abortableSleep(o.pollMs ?? 100, closed.signal);
    }
  };
  const poller = poll();

  // hosts started in the same turn of the event loop are queued in one insert
  let batch: { id: string; group: string; job: HostJob; fail(err: unknown): void }[] = [];
  const flushBatch = (): void => {
    const jobs = batch;
    batch = [];
    void Promise.all([...new Set(jobs.map((j) => j.group))].map((g) => ensureQueueOnce(g)))
      .then(() => enqueueHosts(boss, o.store.pool, jobs, visibilityS))
      .catch((err: unknown) => {
        for (const j of jobs) j.fail(err);
      });
  };
  const ensureQueueOnce = (group: string): Promise<string> => {
    let queue = queues.get(group);
    if (!queue) {
      queue = ensureQueue(boss, group, visibilityS);
      queue.catch(() => queues.delete(group));
      queues.set(group, queue);
    }
    return queue;
  };

  return {
    run(t, io) {
      return new Promise<HostResult>((resolve, reject) => {
        const jobId = randomUUID();
        waiting.set(t.name, { jobId, io, resolve, reject });
        if (batch.length === 0) setImmediate(flushBatch);
        batch.push({
          id: jobId,
          group: groupOf(t.name),
          job: {
            runId,
            host: t.name,
            approve: !io.approve ? 'none' : o.yes ? 'yes' : 'ask',
            ...(o.startAt === undefined ? {} : { startAt: o.startAt }),
          },
          fail: (err) => {
            waiting.delete(t.name);
            reject(
              err instanceof RunbookError
                ? err
                : new RunbookError(
                    'E_STORE_CONNECT',
                    `cannot queue host ${t.name}: ${(err as Error).message}`,
                  ),
            );
          },
        });
      });
    },
    async close() {
      closed.abort();
      await poller;
      // hosts not started yet stay unstarted (resume queues them again)
      await cancelQueued(boss, o.store.pool, runId).catch(() => undefined);
      for (const w of waiting.values())
        w.reject(new RunbookError('E_INTERNAL', 'the dispatcher closed while hosts were running'));
      await boss.stop({ graceful: false, wait: true, close: false }).catch(() => undefined);
    },
  };
}

/** Cancel the run's jobs no worker has taken yet (read from pg-boss's table, cancelled through its API). */
async function cancelQueued(boss: PgBoss, pool: pg.Pool, runId: string): Promise<void> {
  const r = await pool.query<{ name: string; ids: string[] }>(
    `SELECT name, array_agg(id::text) AS ids FROM pgboss.job
     WHERE name LIKE 'runbook-hosts.%' AND data->>'runId' = $1 AND state IN ('created', 'retry')
     GROUP BY name`,
    [runId],
  );
  for (const row of r.rows) await boss.cancel(row.name, row.ids);
}
