/**
 * The queue engine: pg-boss (PostgreSQL-native, schema `pgboss`) on the store's own pool, so jobs,
 * journals and locks live in one database. One queue per worker group (`runbook-hosts.<group>`),
 * one job per host of a run. The exec enqueues the hosts it starts in batches and wakes the group's
 * workers with a NOTIFY on `runbook_jobs` (payload: the group); workers also poll, slowly.
 *
 * Retry policy: a host's job is retried only when its worker could not finish it: the worker died
 * or lost the store (the job expires, below), it stopped on SIGTERM (handed back: at once, see
 * worker.ts), or an unexpected error (a bug, the store failing) came out of the worker. A runbook
 * that fails on a host is that host's outcome, never a retry. Retries wait RETRY_DELAY_S, doubling
 * (pg-boss's backoff, with jitter), at most RETRY_LIMIT times; the worker that gets the last attempt
 * and fails reports the host failed instead of failing the job.
 *
 * Visibility timeout: a job a worker holds stays `active` while the worker renews it (`touch`, every
 * beat); a worker that dies stops renewing, pg-boss's maintenance fails the job after the timeout
 * and retries it on another worker, which resumes the host from its journal. pg-boss 10 has no
 * renewal call of its own (pg-boss 11's heartbeats are not on a Node 20 line): `touch` moves the
 * job's `started_on`, which in pg-boss 10 is read only by that expiry check
 * (`state = 'active' AND started_on + expire_in < now()`, plans.js failJobsByTimeout) and by the
 * retry count of the next fetch (`started_on IS NOT NULL`, unchanged by a touch). The pg-boss
 * version is pinned to 10.x in package.json; test/queue/touch.test.ts checks the behaviour.
 */
import PgBoss from 'pg-boss';
import type pg from 'pg';
import { RunbookError } from '../errors.js';

/** Default visibility timeout: a job whose worker has been silent this long goes back to the queue. */
export const DEFAULT_VISIBILITY_S = 60;

/** `runbook_worker_group` when an inventory host has none (like AWX's default instance group). */
export const DEFAULT_GROUP = 'default';

/** Attempts after the first that a host's job gets when its worker could not finish it. */
export const RETRY_LIMIT = 8;
/** Seconds before the first retry; pg-boss doubles it for each further one (with jitter). */
const RETRY_DELAY_S = 2;

/** The channel the exec NOTIFYs when it queued hosts (payload: the group), so idle workers fetch at once. */
export const JOBS_CHANNEL = 'runbook_jobs';

const retryPolicy = (visibilityS: number) => ({
  retryLimit: RETRY_LIMIT,
  retryDelay: RETRY_DELAY_S,
  retryBackoff: true,
  expireInSeconds: visibilityS,
});

/** Throws E_USAGE unless the group name can name a queue. */
export function checkGroup(group: string, where: string): string {
  if (!/^[A-Za-z0-9_-]{1,60}$/u.test(group)) {
    throw new RunbookError('E_USAGE', `${where}: worker group ${JSON.stringify(group)} is not a valid name`, {
      hint: 'use letters, digits, - and _ (at most 60), e.g. runbook_worker_group=emea-edge',
    });
  }
  return group;
}

export function queueName(group: string): string {
  return `runbook-hosts.${group}`;
}

export interface BossOptions {
  pool: pg.Pool;
  /** How often pg-boss looks for expired jobs (default: a third of the visibility timeout, at least 1 s). */
  maintenanceSeconds?: number;
}

/** A started pg-boss sharing the store's pool (its schema is migrated on first start). */
export async function startBoss(o: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    db: { executeSql: (text: string, values: unknown[]) => o.pool.query(text, values) },
    schema: 'pgboss',
    maintenanceIntervalSeconds: o.maintenanceSeconds ?? 20,
    // no cron schedules: the clock monitor would only add queries
    schedule: false,
  });
  // pg-boss reports background errors (a dropped connection) here; the next poll retries
  boss.on('error', () => undefined);
  // pg-boss creates its schema on first start; starters racing each other collide on CREATE SCHEMA,
  // so starts are serialised by an advisory lock held on a connection of their own
  const c = await o.pool.connect();
  try {
    await c.query("SELECT pg_advisory_lock(hashtext('runbook pg-boss start'))");
    try {
      await boss.start();
    } finally {
      await c.query("SELECT pg_advisory_unlock(hashtext('runbook pg-boss start'))");
    }
  } finally {
    c.release();
  }
  return boss;
}

/** Create the group's queue when it does not exist yet. */
export async function ensureQueue(boss: PgBoss, group: string, visibilityS: number): Promise<string> {
  const name = queueName(group);
  if (!(await boss.getQueue(name))) {
    try {
      await boss.createQueue(name, { name, ...retryPolicy(visibilityS) });
    } catch (err) {
      // another process created it meanwhile (its transaction may commit a moment later)
      for (let i = 0; i < 50 && !(await boss.getQueue(name)); i++)
        await new Promise((r) => setTimeout(r, 100));
      if (!(await boss.getQueue(name))) throw err;
    }
  }
  return name;
}

/** What a host job carries: the run and the host (everything else is in the run record). */
export interface HostJob {
  runId: string;
  host: string;
  /**
   * Who approves disruptive steps: `ask` the operator's exec through the store; `yes` (exec --yes):
   * approved here unless the fleet rule blocked disruptive steps; `none`: the host stops awaiting
   * approval.
   */
  approve: 'ask' | 'yes' | 'none';
  /** Skip the steps before this id on a fresh host (exec --start-at). */
  startAt?: string;
}

/** Queue these hosts' jobs (with these ids) in one insert, then wake the groups' workers. */
export async function enqueueHosts(
  boss: PgBoss,
  pool: pg.Pool,
  jobs: readonly { id: string; group: string; job: HostJob }[],
  visibilityS: number,
): Promise<void> {
  if (jobs.length === 0) return;
  await boss.insert(
    jobs.map(({ id, group, job }) => ({
      id,
      name: queueName(group),
      data: job,
      ...retryPolicy(visibilityS),
    })),
  );
  for (const group of new Set(jobs.map((j) => j.group)))
    await pool.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, group]);
}

/**
 * Of these jobs, the ones pg-boss gave up on (retries spent: the last worker died too), with the
 * error it recorded. Read-only on pg-boss's table (`state`, `output`), both in its documented job
 * shape (`getJobById`), in one query for the many jobs of a run.
 */
export async function deadJobs(pool: pg.Pool, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const r = await pool.query<{ id: string; message: string | null }>(
    "SELECT id, output->>'message' AS message FROM pgboss.job WHERE id = ANY($1::uuid[]) AND state = 'failed'",
    [ids],
  );
  return new Map(r.rows.map((row) => [row.id, row.message ?? 'failed']));
}

/** Renew the visibility timeout of jobs this worker holds (see the file comment). */
export async function touch(pool: pg.Pool, jobIds: readonly string[]): Promise<void> {
  await pool.query(
    "UPDATE pgboss.job SET started_on = now() WHERE id = ANY($1::uuid[]) AND state = 'active'",
    [jobIds],
  );
}
