/**
 * The worker loop (`runbook worker`): pulls host jobs of its group from pg-boss, runs each host
 * through the orchestrator (one target, the run's own record and locks), journals to the store and
 * relays events and approvals to the operator's exec through it.
 *
 * Contract:
 * - A host is resumed from its journal, whoever ran it before: steps that ended are restored, a
 *   disruptive step that started and never ended is in doubt and is asked for again (never re-sent
 *   without approval). A host whose journal already ends ok or failed is not run again.
 * - `signal` aborted (SIGTERM): no new job is taken; each running host stops after its running
 *   step, its journal is flushed, and its job is handed back (failed, so pg-boss retries it at once
 *   on another worker).
 * - A worker that dies stops renewing its jobs; after their visibility timeout they go back to the
 *   queue (pg-boss maintenance, every `maintenanceSeconds`) and another worker resumes them.
 * - The run's stop request (the operator's Ctrl-C) stops its hosts between steps; a job of a stopped
 *   run that has not started ends `interrupted` without connecting.
 * - With no jobs the worker polls quietly.
 */
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { RunbookError } from '../errors.js';
import type { EngineEvent, Reporter } from '../engine/events.js';
import { runRunbook, type Approver, type RestoreState } from '../run/orchestrator.js';
import type { Target } from '../fleet/target.js';
import type { Value } from '../expr/types.js';
import { isPlatformName } from '../platforms/index.js';
import { loadRunbook } from '../runbook/load.js';
import type { Runbook } from '../runbook/model.js';
import { resolveVars } from '../runbook/vars.js';
import type { PostgresStore } from '../store/postgres.js';
import { resumeState } from '../store/resume.js';
import type { RunMeta } from '../store/runs.js';
import type { Transport } from '../transport/types.js';
import { storeApprover } from './approver.js';
import { ensureQueue, startBoss, touch, DEFAULT_VISIBILITY_S, type HostJob } from './boss.js';
import { disruptiveBlocked, EventPublisher, stoppedRuns, stopRequested, type QueueEvent } from './events.js';

/** Opens transports for one runbook's hosts (connection flags of the worker, the runbook's secrets). */
export type TransportFactory = (o: {
  runbook: Runbook;
  vars: Record<string, Value>;
}) => Promise<(t: Target, commandSignal: AbortSignal) => Transport>;

export interface WorkerOptions {
  store: PostgresStore;
  group: string;
  /** Hosts run at once by this worker (default 4). */
  concurrency?: number;
  transports: TransportFactory;
  /** Aborted: stop taking jobs, stop running hosts after their step, hand their jobs back. */
  signal: AbortSignal;
  /** One line per job started or finished (no secrets). */
  log?: (line: string) => void;
  /** How often pg-boss looks for jobs of dead workers (default 10 s; `RUNBOOK_QUEUE_MAINTENANCE_S`). */
  maintenanceSeconds?: number;
  /** How often an idle worker asks for a job (default 0.5 s). */
  pollSeconds?: number;
  /** Delays before reconnect attempts (the executor's default when absent). */
  reconnectDelaysMs?: number[];
  /** How often held jobs are renewed and stop requests read (default 1 s; well under any visibility timeout). */
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
  const name = await ensureQueue(boss, o.group, DEFAULT_VISIBILITY_S);
  const stats: WorkerStats = { completed: 0, handedBack: 0 };
  const me = `${hostname()}:${process.pid}`;
  const log = o.log ?? (() => undefined);
  const runbooks = new Map<string, Promise<Runbook>>();
  const active = new Set<Promise<void>>();
  const running = new Map<string, { runId: string; onStop(): void }>();
  const events = new EventPublisher(o.store.pool);

  // One beat for every job this worker holds: renew their visibility and look for stop requests
  // (two queries, however many hosts run here).
  const beat = setInterval(() => {
    const jobs = [...running.entries()];
    if (jobs.length === 0) return;
    touch(
      o.store.pool,
      jobs.map(([id]) => id),
    ).catch(() => undefined);
    stoppedRuns(o.store.pool, [...new Set(jobs.map(([, j]) => j.runId))])
      .then((stopped) => {
        for (const [, j] of jobs) if (stopped.has(j.runId)) j.onStop();
      })
      .catch(() => undefined);
  }, o.beatMs ?? 1000);

  const handle = async (job: PgBoss.Job<HostJob>): Promise<void> => {
    const outcome = await runJob({
      ...o,
      job,
      me,
      log,
      runbooks,
      events,
      hold: (onStop) => {
        running.set(job.id, { runId: job.data.runId, onStop });
        return () => running.delete(job.id);
      },
    });
    if (outcome === 'handed-back') {
      stats.handedBack++;
      throw new Error(`handed back by ${me} (stopping)`); // pg-boss retries it on another worker
    }
    stats.completed++;
  };

  const concurrency = o.concurrency ?? 4;
  log(`worker ${me}: serving group ${o.group} (${concurrency} at once) from ${o.store.location}`);
  // One fetch loop: ask for as many jobs as there are free slots; with none free or none queued,
  // wait for a slot or the poll interval (one query per interval when idle, however large N).
  let slotFreed: () => void = () => undefined;
  while (!o.signal.aborted) {
    const free = concurrency - active.size;
    const jobs =
      free > 0
        ? await boss.fetch<HostJob>(name, { batchSize: free }).catch(() => [] as PgBoss.Job<HostJob>[])
        : [];
    for (const job of jobs ?? []) {
      const p: Promise<void> = handle(job)
        .then(
          () => boss.complete(name, job.id),
          (err: unknown) => boss.fail(name, job.id, { message: String((err as Error).message ?? err) }),
        )
        .catch(() => undefined) // the job expires and comes back if pg-boss could not be told
        .finally(() => {
          active.delete(p);
          slotFreed();
        });
      active.add(p);
    }
    if ((jobs ?? []).length > 0 && active.size < concurrency) continue;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, (o.pollSeconds ?? 0.5) * 1000);
      o.signal.addEventListener('abort', done, { once: true });
      slotFreed = done;
      function done(): void {
        clearTimeout(t);
        o.signal.removeEventListener('abort', done);
        slotFreed = () => undefined;
        resolve();
      }
    });
  }
  await Promise.allSettled([...active]);
  clearInterval(beat);
  await boss.stop({ graceful: true, wait: true, close: false, timeout: 30_000 }).catch(() => undefined);
  log(`worker ${me}: stopped (${stats.completed} hosts finished, ${stats.handedBack} handed back)`);
  return stats;
}

interface JobContext extends WorkerOptions {
  job: PgBoss.Job<HostJob>;
  me: string;
  log: (line: string) => void;
  runbooks: Map<string, Promise<Runbook>>;
  events: EventPublisher;
  /** Keep the job renewed while its host runs; `onStop` is called when its run is stopped. Returns the release. */
  hold(onStop: () => void): () => void;
}

async function runJob(c: JobContext): Promise<'done' | 'handed-back'> {
  const { runId, host } = c.job.data;
  const pool = c.store.pool;
  const publish = (e: QueueEvent): void => c.events.publish(runId, e);
  const run = await c.store.openRun(runId);
  const meta = run.meta;
  const t = meta.targets.find((x) => x.name === host);
  const end = (outcome: 'failed' | 'interrupted' | 'ok', message: string): 'done' => {
    publish({
      kind: 'host-end',
      host,
      at: Date.now(),
      outcome,
      message,
      durationMs: 0,
      disruptive: [],
    });
    return 'done';
  };
  try {
    // fetched just before this worker was told to stop: give it back untouched
    if (c.signal.aborted) return 'handed-back';
    if (!t || !isPlatformName(t.platform)) return end('failed', `run ${runId} has no host ${host}`);
    if (await stopRequested(pool, runId)) return end('interrupted', 'interrupted before it started');
    const st = resumeState(await run.readJournal(host), host);
    if (st.finished) return end(st.outcome === 'ok' ? 'ok' : 'failed', `already finished (${st.outcome})`);
    let runbook: Runbook;
    try {
      runbook = await loadRunbookOnce(c.runbooks, meta);
    } catch (err) {
      const msg = err instanceof RunbookError ? err.message : String(err);
      return end('failed', `worker ${c.me}: ${msg}`);
    }
    const vars = recordedVars(runbook, meta);
    const transport = await c.transports({ runbook, vars });
    c.log(`${runId} ${host}: ${st.started ? 'resuming' : 'starting'}`);

    // stop between steps on SIGTERM (hand the job back) or the run's stop request (Ctrl-C)
    const stop = new AbortController();
    let handingBack = false;
    const onWorkerStop = (): void => {
      handingBack = true;
      stop.abort(new RunbookError('E_INTERRUPTED', `worker ${c.me} is stopping`));
    };
    if (c.signal.aborted) onWorkerStop();
    else c.signal.addEventListener('abort', onWorkerStop, { once: true });
    const release = c.hold(() => {
      if (!stop.signal.aborted) stop.abort(new RunbookError('E_INTERRUPTED', 'the operator stopped the run'));
    });
    const ends: Promise<void>[] = [];
    const relay: Reporter = (e: EngineEvent) => {
      // a host handed back is not over: the exec waits for the worker that resumes it
      if (e.kind === 'host-end' && handingBack && e.outcome === 'interrupted') return;
      // progress shows the last line of output; the journal and the transcript keep the rest
      if (e.kind === 'command-output') publish({ ...e, output: lastLine(e.output) });
      // the operator learns a host is over only once its journal says so
      else if (e.kind === 'host-end')
        ends.push(
          run
            .journal(host)
            .flush()
            .then(() => publish(e)),
        );
      else publish(e);
    };
    const mode = c.job.data.approve;
    const approver: Approver | undefined =
      mode === 'ask'
        ? storeApprover({ run, signal: stop.signal })
        : mode === 'yes'
          ? async () => (await disruptiveBlocked(pool, runId)) === undefined
          : undefined;
    const restore: RestoreState = new Map();
    if (st.started) restore.set(host, { completed: st.completed, inDoubt: st.inDoubt });
    const target: Target = {
      name: t.name,
      address: t.address,
      port: t.port,
      platform: t.platform,
      ...(t.user ? { user: t.user } : {}),
    };
    try {
      const result = await runRunbook({
        store: c.store,
        run,
        runbook,
        vars,
        targets: [target],
        mode: meta.mode,
        transport,
        ...(approver ? { approver } : {}),
        reporters: [relay],
        signal: stop.signal,
        fleet: { forks: 1, keepGoing: true },
        // (the restore map is always given, so a run that cannot lock is never deleted here)
        restore,
        ...(c.job.data.startAt !== undefined && !st.started ? { startAt: c.job.data.startAt } : {}),
        ...(c.reconnectDelaysMs ? { reconnectDelaysMs: c.reconnectDelaysMs } : {}),
        shareRunLocks: true,
      });
      await Promise.allSettled(ends);
      const outcome = result.outcomes.get(host);
      if (handingBack && (outcome === 'interrupted' || outcome === 'not-run')) {
        publish({ kind: 'handed-back', host, at: Date.now(), worker: c.me });
        c.log(`${runId} ${host}: handed back`);
        return 'handed-back';
      }
      c.log(`${runId} ${host}: ${outcome}`);
      return 'done';
    } finally {
      release();
      c.signal.removeEventListener('abort', onWorkerStop);
    }
  } catch (err) {
    if (err instanceof RunbookError && err.code === 'E_LOCKED') {
      return end('failed', err.message);
    }
    throw err;
  } finally {
    await c.events.flush();
    await run.close().catch(() => undefined);
  }
}

function lastLine(output: string): string {
  const line = output.trimEnd().split('\n').pop() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function loadRunbookOnce(cache: Map<string, Promise<Runbook>>, meta: RunMeta): Promise<Runbook> {
  const key = `${meta.runbookPath}#${meta.contentHash}`;
  let p = cache.get(key);
  if (!p) {
    p = loadRunbook(meta.runbookPath).then((rb) => {
      if (rb.contentHash !== meta.contentHash) {
        throw new RunbookError(
          'E_RUNBOOK_CHANGED',
          `${meta.runbookPath} here differs from the run's runbook`,
          {
            hint: 'deploy the same runbook files to every worker (same path), then resume the run',
          },
        );
      }
      return rb;
    });
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

/** The run's vars as recorded (secret ones are recorded masked, so they stay unset here). */
function recordedVars(runbook: Runbook, meta: RunMeta): Record<string, Value> {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(meta.vars)) {
    const decl = runbook.vars.find((d) => d.name === k);
    if (!decl || decl.secret) continue;
    pairs.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  return resolveVars(runbook, pairs);
}
