/**
 * The queue engine: pg-boss (PostgreSQL-native, schema `pgboss`) on the store's own pool, so jobs,
 * journals and locks live in one database. One queue per worker group (`runbook-hosts.<group>`),
 * one job per host of a run.
 *
 * Visibility timeout: a job a worker holds stays `active` while the worker renews it (`touch`, every
 * third of the timeout); a worker that dies stops renewing, pg-boss's maintenance fails the job
 * after the timeout and retries it on another worker, which resumes the host from its journal.
 * pg-boss 10 has no renewal call of its own: `touch` moves the job's `started_on`, the column its
 * expiry check (`started_on + expire_in < now()`) reads.
 */
import PgBoss from 'pg-boss';
import type pg from 'pg';
import { RunbookError } from '../errors.js';

/** Default visibility timeout: a job whose worker has been silent this long goes back to the queue. */
export const DEFAULT_VISIBILITY_S = 60;

/** `runbook_worker_group` when an inventory host has none (like AWX's default instance group). */
export const DEFAULT_GROUP = 'default';

/** A job is retried this many times (hand-backs on SIGTERM and dead workers count). */
const RETRY_LIMIT = 1000;

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
      await boss.createQueue(name, {
        name,
        retryLimit: RETRY_LIMIT,
        retryDelay: 0,
        expireInSeconds: visibilityS,
      });
    } catch (err) {
      // another process created it meanwhile
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

export async function enqueueHost(
  boss: PgBoss,
  group: string,
  job: HostJob,
  visibilityS: number,
): Promise<string> {
  const id = await boss.send(queueName(group), job, {
    retryLimit: RETRY_LIMIT,
    retryDelay: 0,
    expireInSeconds: visibilityS,
  });
  if (!id) throw new RunbookError('E_INTERNAL', `run ${job.runId}: pg-boss did not queue host ${job.host}`);
  return id;
}

/** Renew the visibility timeout of jobs this worker holds (see the file comment). */
export async function touch(pool: pg.Pool, jobIds: readonly string[]): Promise<void> {
  await pool.query(
    "UPDATE pgboss.job SET started_on = now() WHERE id = ANY($1::uuid[]) AND state = 'active'",
    [jobIds],
  );
}
