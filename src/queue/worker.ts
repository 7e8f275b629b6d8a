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
import { RunbookError } from '../errors.js';
import type { EngineEvent, Reporter } from '../engine/events.js';
import { runRunbook, type Approver, type RestoreState } from '../run/orchestrator.js';
import type { Target } from '../fleet/target.js';
import type { Value } from '../expr/types.js';
import { matchAllBounded } from '../match/bounded.js';
import { isPlatformName } from '../platforms/index.js';
import { loadRunbook } from '../runbook/load.js';
import type { Runbook } from '../runbook/model.js';
import { resolveVars } from '../runbook/vars.js';
import type { PostgresStore } from '../store/postgres.js';
import { resumeState } from '../store/resume.js';
import type { RunMeta } from '../store/runs.js';
import type { Transport } from '../transport/types.js';
import { storeApprover } from './approver.js';
import { encode } from '../store/codec.js';
import { toRecord } from '../store/journal.js';
import { ensureQueue, JOBS_CHANNEL, startBoss, touch, DEFAULT_VISIBILITY_S, type HostJob } from './boss.js';
import { disruptiveBlocked, stoppedRuns, stopRequested, type QueueEvent } from './events.js';
import { listen, type Listener } from './listen.js';

/** Opens transports for one runbook's hosts (connection flags of the worker, the runbook's secrets). */
export type TransportFactory = (o: { runbook: Runbook; vars: Record<string, Value> }) => Promise<{
  open: (t: Target, commandSignal: AbortSignal) => Transport;
  /** Masked in every record and event (the worker's passwords, decrypted vault values). */
  secrets: readonly string[];
}>;

/**
 * The values of a runbook's secret vars, from the worker's own side (its `-e`, its vault): the run
 * record never holds them. Returns the vars to add and the runbook with vaulted vars marked secret.
 */
export type SecretVars = (runbook: Runbook) => { runbook: Runbook; vars: Record<string, Value> };

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
  const running = new Map<string, { runId: string; onStop(): void }>();
  const health = storeHealth(me, o.store.location, log);
  // warm up before serving: the platform profiles every job needs, the regex matching thread
  isPlatformName('cisco-iosxe');
  await matchAllBounded([{ source: 'x', flags: 'g' }], 'x', { deadlineMs: 10_000, what: 'warm-up' }).catch(
    () => undefined,
  );

  // One beat for every job this worker holds: renew their visibility and look for stop requests
  // (two queries, however many hosts run here).
  const beat = setInterval(() => {
    const jobs = [...running.entries()];
    if (jobs.length === 0) return;
    touch(
      o.store.pool,
      jobs.map(([id]) => id),
    ).then(health.ok, (err: unknown) => health.failed('renewing its jobs', err));
    stoppedRuns(o.store.pool, [...new Set(jobs.map(([, j]) => j.runId))])
      .then((stopped) => {
        for (const [, j] of jobs) if (stopped.has(j.runId)) j.onStop();
      })
      .catch(() => undefined); // (the touch above reports the store's state)
  }, o.beatMs ?? 1000);

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
          running.set(job.id, { runId: job.data.runId, onStop });
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
  const c = await pool.connect();
  try {
    const db = { executeSql: (text: string, values: unknown[]) => c.query(text, values) };
    await c.query('BEGIN');
    await boss.cancel(name, id, { db });
    await boss.resume(name, id, { db });
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
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

/** A host's end told to the exec without running it (a live row: not part of the host's journal). */
async function reportEnd(
  store: PostgresStore,
  job: HostJob,
  outcome: 'failed' | 'interrupted' | 'ok',
  message: string,
): Promise<void> {
  const e: QueueEvent = {
    kind: 'host-end',
    host: job.host,
    at: Date.now(),
    outcome,
    message,
    durationMs: 0,
    disruptive: [],
  };
  store.journalWriter.appendLive(job.runId, job.host, e);
  await store.journalWriter.idle();
}

interface JobContext extends WorkerOptions {
  job: PgBoss.Job<HostJob>;
  /** Transport factories made for a runbook and its vars (connection flags are read once, not per host). */
  transportsMade: Map<string, ReturnType<TransportFactory>>;
  me: string;
  log: (line: string) => void;
  runbooks: Map<string, Promise<Runbook>>;
  /** Keep the job renewed while its host runs; `onStop` is called when its run is stopped. Returns the release. */
  hold(onStop: () => void): () => void;
}

async function runJob(c: JobContext): Promise<'done' | 'handed-back'> {
  const { runId, host } = c.job.data;
  const pool = c.store.pool;
  const writer = c.store.journalWriter;
  // live events go in the journal's stream, after the records queued before them (journal.ts)
  const publish = (e: QueueEvent): void => void writer.appendLive(runId, host, e);
  const end = async (outcome: 'failed' | 'interrupted' | 'ok', message: string): Promise<'done'> => {
    c.log(`${runId} ${host}: ${outcome}: ${message}`);
    await reportEnd(c.store, c.job.data, outcome, message);
    return 'done';
  };
  // fetched just before this worker was told to stop: give it back untouched
  if (c.signal.aborted) return 'handed-back';
  const run = await c.store.openRun(runId);
  const meta = run.meta;
  const t = meta.targets.find((x) => x.name === host);
  try {
    if (!t || !isPlatformName(t.platform)) return await end('failed', `run ${runId} has no host ${host}`);
    // the runbook loads while the store is asked about the host (a cold worker's first job)
    const loading = loadRunbookOnce(c.runbooks, meta);
    loading.catch(() => undefined);
    const [stopped, records] = await Promise.all([
      stopRequested(pool, runId),
      run.readJournal(host).catch((err: unknown) => err as Error),
    ]);
    if (stopped) return await end('interrupted', 'interrupted before it started');
    // a journal the store cannot trust (E_RUN_CORRUPT) is the host's outcome, never a retry
    if (records instanceof RunbookError)
      return await end('failed', `${records.message}${records.hint ? ` (${records.hint})` : ''}`);
    if (records instanceof Error) throw records;
    const st = resumeState(records, host);
    if (st.finished)
      return await end(st.outcome === 'ok' ? 'ok' : 'failed', `already finished (${st.outcome})`);
    let runbook: Runbook;
    let vars: Record<string, Value>;
    let transport: Awaited<ReturnType<TransportFactory>>;
    try {
      runbook = await loading;
      const secret = c.secretVars?.(runbook) ?? { runbook, vars: {} };
      runbook = secret.runbook;
      vars = recordedVars(runbook, meta, secret.vars);
      transport = await transportsOnce(c, runbook, vars);
    } catch (err) {
      // this worker cannot run the host (its runbook differs, a secret it was not given): an outcome
      if (err instanceof RunbookError)
        return await end('failed', `worker ${c.me}: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
      throw err;
    }
    // told to stop meanwhile: give it back before it starts
    if (c.signal.aborted) return 'handed-back';
    c.log(`${runId} ${host}: ${st.started ? 'resuming' : 'starting'}`);

    // stop between steps on SIGTERM (hand the job back) or the run's stop request (Ctrl-C)
    const stop = new AbortController();
    let handingBack = false;
    const onWorkerStop = (): void => {
      handingBack = true;
      // before the host's `interrupted` end, so the exec knows that end is not the host's end
      publish({ kind: 'handing-back', host, at: Date.now(), worker: c.me });
      stop.abort(new RunbookError('E_INTERRUPTED', `worker ${c.me} is stopping`));
    };
    if (c.signal.aborted) onWorkerStop();
    else c.signal.addEventListener('abort', onWorkerStop, { once: true });
    const release = c.hold(() => {
      if (!stop.signal.aborted) stop.abort(new RunbookError('E_INTERRUPTED', 'the operator stopped the run'));
    });
    // the journal listener (orchestrator) records what belongs to the journal; the rest is live
    const relay: Reporter = (e: EngineEvent) => {
      if (toRecord(e) === undefined) publish(e);
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
        transport: transport.open,
        ...(approver ? { approver } : {}),
        reporters: [relay],
        signal: stop.signal,
        fleet: { forks: 1, keepGoing: true },
        // (the restore map is always given, so a run that cannot lock is never deleted here)
        restore,
        ...(c.job.data.startAt !== undefined && !st.started ? { startAt: c.job.data.startAt } : {}),
        ...(c.reconnectDelaysMs ? { reconnectDelaysMs: c.reconnectDelaysMs } : {}),
        secrets: transport.secrets,
        shareRunLocks: true,
        collect: false,
      });
      const outcome = result.outcomes.get(host);
      if (handingBack && (outcome === 'interrupted' || outcome === 'not-run')) {
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
    if (err instanceof RunbookError && err.code === 'E_LOCKED') return await end('failed', err.message);
    throw err;
  } finally {
    await run.close().catch(() => undefined);
    await writer.idle();
  }
}

function transportsOnce(
  c: JobContext,
  runbook: Runbook,
  vars: Record<string, Value>,
): ReturnType<TransportFactory> {
  const key = `${runbook.contentHash}|${JSON.stringify(encode(vars))}`;
  let p = c.transportsMade.get(key);
  if (!p) {
    p = c.transports({ runbook, vars });
    p.catch(() => c.transportsMade.delete(key));
    if (c.transportsMade.size >= 20) c.transportsMade.delete(c.transportsMade.keys().next().value!);
    c.transportsMade.set(key, p);
  }
  return p;
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

/**
 * The run's vars as recorded, plus the secret ones from this worker (`secret`): the run record
 * never holds a secret value (exec --workers refuses one), so a required secret var this worker
 * was not given is an E_VAR_INVALID saying how to give it.
 */
function recordedVars(runbook: Runbook, meta: RunMeta, secret: Record<string, Value>): Record<string, Value> {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(meta.vars)) {
    const decl = runbook.vars.find((d) => d.name === k);
    if (!decl || decl.secret || k in secret) continue;
    pairs.push(`${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  const missing = runbook.vars.filter(
    (d) => d.secret && d.required && d.default === undefined && !(d.name in secret),
  );
  if (missing.length > 0) {
    throw new RunbookError(
      'E_VAR_INVALID',
      `runbook '${runbook.name}' needs the secret ${missing.length === 1 ? 'var' : 'vars'} ${missing.map((d) => `'${d.name}'`).join(', ')}, which this worker was not given`,
      {
        hint: `secrets are never sent through the store: give them to each worker, e.g. runbook worker -e @secrets.yml --vault-password-file FILE (or -e ${missing[0]!.name}=...)`,
      },
    );
  }
  return resolveVars(runbook, pairs, new Map(Object.entries(secret)));
}
