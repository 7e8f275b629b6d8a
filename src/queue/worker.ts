/**
 * The worker loop (`runbook worker`): pulls host jobs of its group from pg-boss, runs each (job.ts)
 * through the orchestrator (one target, the run's own record and locks), journals to the store and
 * relays events and approvals to the operator's exec through it.
 *
 * Contract:
 * - A host is resumed from its journal, whoever ran it before: steps that ended are restored, a
 *   disruptive step that started and never ended is in doubt and is asked for again (never re-sent
 *   without approval). A host whose journal already ends ok or failed is not run again.
 * - `signal` aborted (SIGTERM): no new job is taken; each running host stops after its running
 *   step, its journal is flushed, and its job is handed back (cancelled and resumed in one
 *   transaction: queued again at once, for another worker).
 * - A runbook that fails on a host, or a host this worker cannot run (its runbook differs here, a
 *   secret var the worker was not given), is the host's outcome: the job completes. An unexpected
 *   error (a bug, the store failing) is logged with the run and host and fails the job, which
 *   pg-boss retries later (boss.ts); on the job's last attempt the host is reported failed instead.
 * - A worker that dies stops renewing its jobs; after their visibility timeout they go back to the
 *   queue (pg-boss maintenance, every `maintenanceSeconds`) and another worker resumes them.
 * - The run's stop request (the operator's Ctrl-C) stops its hosts between steps; a job of a stopped
 *   run that has not started ends `interrupted` without connecting.
 * - With no jobs the worker waits quietly: woken by the exec's NOTIFY when hosts are queued, and
 *   polling every `pollSeconds` in case a notification was missed.
 * - Nothing fails silently: a store that cannot be reached (the fetch loop, renewals) is logged once
 *   when it goes and once when it is back; an error while running a job is logged with its host.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type pg from 'pg';
import { matchAllBounded } from '../match/bounded.js';
import { isPlatformName } from '../platforms/index.js';
import type { Runbook } from '../runbook/model.js';
import { inTransaction } from '../store/postgres-connect.js';
import type { PostgresStore } from '../store/postgres.js';
import { ensureQueue, JOBS_CHANNEL, startBoss, touch, DEFAULT_VISIBILITY_S, type HostJob } from './boss.js';
import { stoppedRuns } from './events.js';
import { reportEnd, runJob, type SecretVars, type TransportFactory } from './job.js';
import { listen, type Listener } from './listen.js';

export interface WorkerOptions {
  store: PostgresStore;
  group: string;
  /** Hosts run at once by this worker (default 4). */
  concurrency?: number;
  transports: TransportFactory;
  /** Filled with `RUN HOST` of each host running here (for a crash report). */
  running?: Set<string>;
  /** Secret vars the worker was given (absent: none). */
  secretVars?: SecretVars;
  /** Aborted: stop taking jobs, stop running hosts after their step, hand their jobs back. */
  signal: AbortSignal;
  /** One line per job started or finished (no secrets). */
  log?: (line: string) => void;
  /** How often pg-boss looks for jobs of dead workers (default 10 s; `RUNBOOK_QUEUE_MAINTENANCE_S`). */
  maintenanceSeconds?: number;
  /** How often an idle worker asks for a job when no notification came (default 2 s). */
  pollSeconds?: number;
  /** Delays before reconnect attempts (the executor's default when absent). */
  reconnectDelaysMs?: number[];
  /** How often stop requests are read and held jobs looked at for renewal (default 1 s); a job is renewed every quarter of its visibility timeout, at least one beat apart. */
  beatMs?: number;
}

export interface WorkerStats {
  completed: number;
  handedBack: number;
}

/** Runs until `signal` aborts and every running host was handed back or finished. */
export async function runWorker(o: WorkerOptions): Promise<WorkerStats> {
  const envMaint = Number(process.env.RUNBOOK_QUEUE_MAINTENANCE_S);
  const boss = await startBoss({
    pool: o.store.pool,
    maintenanceSeconds: o.maintenanceSeconds ?? (Number.isInteger(envMaint) && envMaint >= 1 ? envMaint : 10),
  });
  try {
    return await serve(o, boss);
  } finally {
    // (also when serving failed: pg-boss's timers would keep the process alive)
    await boss.stop({ graceful: true, wait: true, close: false, timeout: 30_000 }).catch(() => undefined);
  }
}

async function serve(o: WorkerOptions, boss: PgBoss): Promise<WorkerStats> {
  // every running host listens on the worker's signal
  setMaxListeners((o.concurrency ?? 4) + 20, o.signal);
  const name = await ensureQueue(boss, o.group, DEFAULT_VISIBILITY_S);
  const stats: WorkerStats = { completed: 0, handedBack: 0 };
  const me = `${hostname()}:${process.pid}`;
  const log = o.log ?? (() => undefined);
  const runbooks = new Map<string, Promise<Runbook>>();
  const transportsMade = new Map<string, ReturnType<TransportFactory>>();
  const active = new Set<Promise<void>>();
  // per held job: when it was last renewed and how often it needs to be (a quarter of its visibility)
  const running = new Map<string, { runId: string; onStop(): void; renewedAt: number; renewMs: number }>();
  const health = storeHealth(me, o.store.location, log);
  // warm up before serving: the platform profiles every job needs, the regex matching thread
  isPlatformName('cisco-iosxe');
  await matchAllBounded([{ source: 'x', flags: 'g' }], 'x', { deadlineMs: 10_000, what: 'warm-up' }).catch(
    () => undefined,
  );

  const beatMs = o.beatMs ?? 1000;
  // One beat for every job this worker holds: renew those due (each a quarter of its visibility
  // timeout after the last renewal: a row update per job, so not every beat) and look for stop
  // requests (at most two queries, however many hosts run here).
  const beat = setInterval(() => {
    const jobs = [...running.entries()];
    if (jobs.length === 0) return;
    const now = performance.now();
    const due = jobs.filter(([, j]) => now - j.renewedAt >= j.renewMs);
    for (const [, j] of due) j.renewedAt = now;
    if (due.length > 0)
      touch(
        o.store.pool,
        due.map(([id]) => id),
      ).then(health.ok, (err: unknown) => health.failed('renewing its jobs', err));
    stoppedRuns(o.store.pool, [...new Set(jobs.map(([, j]) => j.runId))])
      .then((stopped) => {
        for (const [, j] of jobs) if (stopped.has(j.runId)) j.onStop();
      })
      .catch(() => undefined); // (the touch above reports the store's state)
  }, beatMs);

  const handle = async (job: PgBoss.JobWithMetadata<HostJob>): Promise<void> => {
    const what = `${job.data.runId} ${job.data.host}`;
    let outcome: 'done' | 'handed-back';
    try {
      outcome = await runJob({
        ...o,
        job,
        me,
        log,
        runbooks,
        transportsMade,
        hold: (onStop) => {
          running.set(job.id, {
            runId: job.data.runId,
            onStop,
            renewedAt: performance.now(),
            renewMs: Math.max(beatMs, (intervalSeconds(job.expireIn) ?? DEFAULT_VISIBILITY_S) * 250),
          });
          o.running?.add(what);
          return () => {
            running.delete(job.id);
            o.running?.delete(what);
          };
        },
      });
    } catch (err) {
      const msg = errorText(err);
      if (job.retryCount >= job.retryLimit) {
        // the last attempt: the host's outcome, so the operator's exec is told rather than left waiting
        log(`${what}: error: ${msg} (attempt ${job.retryCount + 1}, the last: the host is reported failed)`);
        await reportEnd(
          o.store,
          job.data,
          'failed',
          `worker ${me}: ${msg} (gave up after ${job.retryCount + 1} attempts)`,
        );
        await boss.complete(name, job.id);
        stats.completed++;
        return;
      }
      log(`${what}: error: ${msg} (attempt ${job.retryCount + 1} of ${job.retryLimit + 1}: retried later)`);
      await boss.fail(name, job.id, { message: msg });
      return;
    }
    if (outcome === 'handed-back') {
      stats.handedBack++;
      await handBack(o.store.pool, boss, name, job.id);
      return;
    }
    await boss.complete(name, job.id);
    stats.completed++;
  };

  // wake the fetch loop when the exec queues hosts of this group
  let wake: () => void = () => undefined;
  let listener: Listener | undefined;
  try {
    listener = await listen({
      url: o.store.url,
      channel: JOBS_CHANNEL,
      onNotify: (payload) => {
        if (payload === o.group) wake();
      },
      onError: (err) => health.failed('listening for new jobs', err),
    });

    const concurrency = o.concurrency ?? 4;
    log(`worker ${me}: serving group ${o.group} (${concurrency} at once) from ${o.store.location}`);
    // One fetch loop: ask for as many jobs as there are free slots; with none free or none queued,
    // wait for a slot, a notification or the poll interval (one query per interval when idle).
    while (!o.signal.aborted) {
      const free = concurrency - active.size;
      let jobs: PgBoss.JobWithMetadata<HostJob>[] = [];
      if (free > 0) {
        try {
          jobs = (await boss.fetch<HostJob>(name, { batchSize: free, includeMetadata: true })) ?? [];
          health.ok();
        } catch (err) {
          health.failed('fetching jobs', err);
        }
      }
      for (const job of jobs) {
        const p: Promise<void> = handle(job)
          .catch((err: unknown) => {
            // pg-boss could not be told: the job expires and comes back
            log(`${job.data.runId} ${job.data.host}: could not settle its job: ${errorText(err)}`);
          })
          .finally(() => {
            active.delete(p);
            wake();
          });
        active.add(p);
      }
      if (jobs.length > 0 && active.size < concurrency) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, (o.pollSeconds ?? 2) * 1000);
        o.signal.addEventListener('abort', done, { once: true });
        wake = done;
        function done(): void {
          clearTimeout(t);
          o.signal.removeEventListener('abort', done);
          wake = () => undefined;
          resolve();
        }
      });
    }
    await Promise.allSettled([...active]);
  } finally {
    clearInterval(beat);
    await listener?.close();
    await o.store.journalWriter.idle();
  }
  log(`worker ${me}: stopped (${stats.completed} hosts finished, ${stats.handedBack} handed back)`);
  return stats;
}

/**
 * Give a job back to the queue at once (SIGTERM): cancelled and resumed in one transaction, so it
 * is never left cancelled, and available to the next fetch without a retry delay.
 */
async function handBack(pool: pg.Pool, boss: PgBoss, name: string, id: string): Promise<void> {
  await inTransaction(pool, async (c) => {
    const db = { executeSql: (text: string, values: unknown[]) => c.query(text, values) };
    await boss.cancel(name, id, { db });
    await boss.resume(name, id, { db });
  });
}

/** Logs the store going away once, and coming back once (never silent, never a flood). */
function storeHealth(me: string, location: string, log: (line: string) => void) {
  let down = false;
  return {
    ok: (): void => {
      if (!down) return;
      down = false;
      log(`worker ${me}: the store ${location} answers again`);
    },
    failed: (what: string, err: unknown): void => {
      if (down) return;
      down = true;
      log(
        `worker ${me}: lost the store ${location} while ${what}: ${errorText(err)} (retrying; hosts that cannot journal stop, their jobs come back after the visibility timeout)`,
      );
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Seconds of a PostgreSQL interval as node-postgres gives it (undefined when it is not one). */
function intervalSeconds(i: unknown): number | undefined {
  if (i === null || typeof i !== 'object') return undefined;
  const v = i as Record<string, unknown>;
  const n = (k: string): number => (typeof v[k] === 'number' ? v[k] : 0);
  const s =
    n('days') * 86_400 + n('hours') * 3600 + n('minutes') * 60 + n('seconds') + n('milliseconds') / 1000;
  return s > 0 ? s : undefined;
}
