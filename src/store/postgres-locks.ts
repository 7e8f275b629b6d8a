/**
 * Host locks in PostgreSQL: a row per locked host (`runbook.locks`) with the holder's run id, pid,
 * machine, and a lease the holder renews (heartbeat every lease/3). A lock whose lease ran out (its
 * holder died, or lost the database) is taken over by the next run that asks, atomically (the row is
 * locked FOR UPDATE while judged). Locks hold across every process and machine using the database.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { RunbookError } from '../errors.js';
import type { LockInfo } from './lock.js';
import { inTransaction } from './postgres-connect.js';
import type { StoreLock } from './types.js';

/** Default lease: a holder that has not renewed its lock for this long is dead. */
export const DEFAULT_LEASE_MS = 30_000;

interface Row {
  run_id: string;
  pid: number;
  hostname: string;
  started_at: Date;
  heartbeat_at: Date;
  lease_ms: number;
  alive: boolean;
}

export class PostgresLocks {
  private readonly held = new Map<string, string>(); // token -> host
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly leaseMs: number = DEFAULT_LEASE_MS,
  ) {}

  async lock(host: string, runId: string): Promise<StoreLock> {
    return (await this.lockMany([host], runId))[0]!;
  }

  /** Take every host's lock in one transaction, all or nothing (rows locked in host order). */
  async lockMany(hosts: readonly string[], runId: string): Promise<StoreLock[]> {
    if (hosts.length === 0) return [];
    const info: LockInfo = {
      pid: process.pid,
      runId,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
    };
    const tokens = hosts.map(() => randomBytes(12).toString('hex'));
    const stale = new Map<string, NonNullable<StoreLock['tookOverStale']>>();
    await inTransaction(this.pool, async (c) => {
      // a row to lock even when a host is free, so two takers of a free host serialise too
      await c.query(
        `INSERT INTO runbook.locks (host, run_id, token, pid, hostname, started_at, heartbeat_at, lease_ms)
         SELECT h, '', '', 0, '', now(), 'epoch', 0 FROM unnest($1::text[]) AS h ON CONFLICT (host) DO NOTHING`,
        [hosts],
      );
      const r = await c.query<Row & { host: string }>(
        `SELECT host, run_id, pid, hostname, started_at, heartbeat_at, lease_ms,
                heartbeat_at + lease_ms * interval '1 millisecond' > now() AS alive
         FROM runbook.locks WHERE host = ANY($1::text[]) ORDER BY host FOR UPDATE`,
        [hosts],
      );
      const byHost = new Map(r.rows.map((row) => [row.host, row]));
      for (const h of hosts) {
        const old = byHost.get(h)!;
        if (old.alive) throw lockedError(h, toInfo(old));
        if (old.run_id !== '') stale.set(h, { pid: old.pid, runId: old.run_id, hostname: old.hostname });
      }
      await c.query(
        `UPDATE runbook.locks AS l SET run_id = $3, token = t.token, pid = $4, hostname = $5, started_at = $6,
                heartbeat_at = now(), lease_ms = $7
         FROM unnest($1::text[], $2::text[]) AS t(host, token) WHERE l.host = t.host`,
        [hosts, tokens, runId, info.pid, info.hostname, info.startedAt, this.leaseMs],
      );
    });
    this.startHeartbeat();
    return hosts.map((host, i) => {
      const token = tokens[i]!;
      this.held.set(token, host);
      const took = stale.get(host);
      return {
        host,
        info,
        ...(took ? { tookOverStale: took } : {}),
        release: async () => {
          if (!this.held.delete(token)) return;
          await this.pool.query(`DELETE FROM runbook.locks WHERE host = $1 AND token = $2`, [host, token]);
          if (this.held.size === 0) this.stopHeartbeat();
        },
      };
    });
  }

  async holder(host: string): Promise<LockInfo | undefined> {
    const r = await this.pool.query<Row>(
      `SELECT run_id, pid, hostname, started_at, heartbeat_at, lease_ms FROM runbook.locks
       WHERE host = $1 AND run_id <> '' AND heartbeat_at + lease_ms * interval '1 millisecond' > now()`,
      [host],
    );
    return r.rows[0] ? toInfo(r.rows[0]) : undefined;
  }

  /** Hosts whose live lock belongs to `runId`. */
  async lockedBy(runId: string): Promise<Set<string>> {
    const r = await this.pool.query<{ host: string }>(
      `SELECT host FROM runbook.locks
       WHERE run_id = $1 AND heartbeat_at + lease_ms * interval '1 millisecond' > now()`,
      [runId],
    );
    return new Set(r.rows.map((x) => x.host));
  }

  async releaseAll(): Promise<void> {
    this.stopHeartbeat();
    const tokens = [...this.held.keys()];
    this.held.clear();
    if (tokens.length > 0)
      await this.pool
        .query('DELETE FROM runbook.locks WHERE token = ANY($1)', [tokens])
        .catch(() => undefined);
  }

  private startHeartbeat(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        const tokens = [...this.held.keys()];
        // a missed beat is retried on the next one; the lease outlasts two misses
        this.pool
          .query('UPDATE runbook.locks SET heartbeat_at = now() WHERE token = ANY($1)', [tokens])
          .catch(() => undefined);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.timer.unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function toInfo(r: Row): LockInfo {
  return { pid: r.pid, runId: r.run_id, hostname: r.hostname, startedAt: r.started_at.toISOString() };
}

function lockedError(host: string, holder: LockInfo): RunbookError {
  return new RunbookError(
    'E_LOCKED',
    `host ${host} is locked by run ${holder.runId} (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt})`,
    {
      hint: `wait for that run to finish (see \`runbook runs ${holder.runId} --store URL\`); a holder that died loses the lock when its lease runs out`,
    },
  );
}
