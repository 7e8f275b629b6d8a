/**
 * One host job on a worker (worker.ts runs the loop): the run's record and the host's journal are
 * read from the store, the runbook is loaded here (and must be the run's), the secret vars come from
 * the worker, and the host runs through the orchestrator with the run's locks, relaying its live
 * events into the run's stream. A host that cannot run here (its runbook differs, a secret is
 * missing, its journal is refused) or that already finished ends with an outcome; only unexpected
 * errors are thrown (worker.ts retries the job). Returns `handed-back` when the worker is stopping.
 */
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
import { encode } from '../store/codec.js';
import { toRecord } from '../store/journal-record.js';
import type { PostgresStore } from '../store/postgres.js';
import { resumeState } from '../store/resume.js';
import type { RunMeta } from '../store/runs.js';
import type { Transport } from '../transport/types.js';
import { storeApprover } from './approver.js';
import type { HostJob } from './boss.js';
import { disruptiveBlocked, stopRequested, type QueueEvent } from './events.js';

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

/** A host's end told to the exec without running it (a live row: not part of the host's journal). */
export async function reportEnd(
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

/** What one job needs from its worker. */
export interface JobContext {
  store: PostgresStore;
  job: PgBoss.Job<HostJob>;
  /** The worker's stop (SIGTERM): hand the host back after its running step. */
  signal: AbortSignal;
  transports: TransportFactory;
  secretVars?: SecretVars;
  reconnectDelaysMs?: number[];
  /** Transport factories made for a runbook and its vars (connection flags are read once, not per host). */
  transportsMade: Map<string, ReturnType<TransportFactory>>;
  me: string;
  log: (line: string) => void;
  runbooks: Map<string, Promise<Runbook>>;
  /** Keep the job renewed while its host runs; `onStop` is called when its run is stopped. Returns the release. */
  hold(onStop: () => void): () => void;
}

export async function runJob(c: JobContext): Promise<'done' | 'handed-back'> {
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
