/**
 * The PostgreSQL store: run records, journals, approvals and host locks in one database shared by
 * operators and workers (schema `runbook`, migrated on open: postgres-connect.ts). Open it with
 * `openPostgresStore({url})`; every message names the URL with its password masked.
 */
import type pg from 'pg';
import { RunbookError } from '../errors.js';
import { decode, encode } from './codec.js';
import { connectPool, migrate } from './postgres-connect.js';
import { maskUrl } from './url.js';
import {
  JournalWriter,
  PostgresJournal,
  readPostgresJournal,
  readPostgresJournalChecked,
  rowRecord,
  type StoredRow,
} from './postgres-journal.js';
import { DEFAULT_LEASE_MS, PostgresLocks } from './postgres-locks.js';
import {
  hostStateOf,
  newRunId,
  nextCreationTime,
  runOutcome,
  runSummary,
  type HostState,
  type RunMeta,
  type RunSummary,
} from './runs.js';
import { corruptError, type JournalRecord } from './journal-record.js';
import type { ApprovalAsk, ApprovalRecord, Store, StoreJournal, StoreLock, StoreRun } from './types.js';

export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host:port/database` (the password is better given in $PGPASSWORD). */
  url: string;
  /** Host lock lease (default 30 s, or $RUNBOOK_LOCK_LEASE_MS): a holder silent this long is dead. */
  leaseMs?: number;
  /** Pool size (default 10). */
  poolSize?: number;
}

export async function openPostgresStore(o: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = await connectPool({ url: o.url, ...(o.poolSize ? { max: o.poolSize } : {}) });
  try {
    await migrate(pool, o.url);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const envLease = Number(process.env.RUNBOOK_LOCK_LEASE_MS);
  const leaseMs = o.leaseMs ?? (Number.isInteger(envLease) && envLease > 0 ? envLease : DEFAULT_LEASE_MS);
  return new PostgresStore(pool, o.url, leaseMs);
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly locks: PostgresLocks;
  /** Every journal of this instance appends through it. */
  readonly journalWriter: JournalWriter;
  private closed = false;
  /**
   * Run records read by this instance (a run's meta never changes once created; a worker reads it
   * per job, hundreds at once: one read serves them all).
   */
  private readonly metas = new Map<string, Promise<RunMeta>>();

  constructor(
    /** The store's pool; the queue (src/queue) shares it. */
    readonly pool: pg.Pool,
    /** The URL as given (with its password): never print it, use `location`. */
    readonly url: string,
    leaseMs: number,
  ) {
    this.location = maskUrl(url);
    this.locks = new PostgresLocks(pool, leaseMs);
    this.journalWriter = new JournalWriter(pool);
  }

  async createRun(meta: Omit<RunMeta, 'id' | 'createdAt'>): Promise<StoreRun> {
    const now = nextCreationTime();
    for (;;) {
      const full: RunMeta = { id: newRunId(now), createdAt: now.toISOString(), ...meta };
      const r = await this.pool.query(
        'INSERT INTO runbook.runs (id, created_at, meta) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [full.id, full.createdAt, JSON.stringify(encode(full))],
      );
      if (r.rowCount === 1) return new PostgresRun(this, full);
    }
  }

  async openRun(id: string): Promise<StoreRun> {
    let meta = this.metas.get(id);
    if (!meta) {
      meta = this.readMeta(id);
      meta.catch(() => this.metas.delete(id));
      if (this.metas.size >= 100) this.metas.delete(this.metas.keys().next().value!);
      this.metas.set(id, meta);
    }
    return new PostgresRun(this, await meta);
  }

  private async readMeta(id: string): Promise<RunMeta> {
    const r = await this.pool.query<{ meta: unknown }>('SELECT meta FROM runbook.runs WHERE id = $1', [id]);
    const row = r.rows[0];
    if (!row) {
      throw new RunbookError('E_RUN_NOT_FOUND', `no run ${id} in the store ${this.location}`, {
        hint: `list the recorded runs with \`runbook runs --store ${this.location}\``,
      });
    }
    return decode(row.meta) as RunMeta;
  }

  async listRuns(): Promise<RunSummary[]> {
    const r = await this.pool.query<{ meta: unknown }>(
      'SELECT meta FROM runbook.runs ORDER BY created_at DESC, id DESC',
    );
    const out: RunSummary[] = [];
    for (const row of r.rows) {
      const meta = decode(row.meta) as RunMeta;
      out.push(runSummary(meta, await new PostgresRun(this, meta).status()));
    }
    return out;
  }

  async deleteRun(id: string): Promise<void> {
    // (the journal has no foreign key: see migration 003)
    await this.pool.query('DELETE FROM runbook.journal WHERE run_id = $1', [id]);
    await this.pool.query('DELETE FROM runbook.runs WHERE id = $1', [id]);
    this.metas.delete(id);
  }

  lockHost(host: string, runId: string): Promise<StoreLock> {
    return this.locks.lock(host, runId);
  }

  lockHosts(hosts: readonly string[], runId: string): Promise<StoreLock[]> {
    return this.locks.lockMany(hosts, runId);
  }

  lockHolder(host: string) {
    return this.locks.holder(host);
  }

  /** Hosts whose live lock belongs to the run. */
  lockedBy(runId: string): Promise<Set<string>> {
    return this.locks.lockedBy(runId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.locks.releaseAll();
    await this.pool.end().catch(() => undefined);
  }
}

class PostgresRun implements StoreRun {
  private readonly journals = new Map<string, PostgresJournal>();
  readonly location: string;

  constructor(
    private readonly store: PostgresStore,
    readonly meta: RunMeta,
  ) {
    this.location = `${store.location} run ${meta.id}`;
  }

  journal(host: string): StoreJournal {
    let j = this.journals.get(host);
    if (!j) {
      j = new PostgresJournal(this.store.journalWriter, this.meta.id, host);
      this.journals.set(host, j);
    }
    return j;
  }

  async readJournal(host: string) {
    await this.journals.get(host)?.flush();
    return readPostgresJournal(this.store.pool, this.meta.id, host, this.location);
  }

  async readJournalChecked(host: string) {
    await this.journals.get(host)?.flush();
    const { records, problems } = await readPostgresJournalChecked(
      this.store.pool,
      this.meta.id,
      host,
      this.location,
    );
    const missing = problems.filter((p) => p.kind === 'missing');
    if (missing.length > 0) throw corruptError(missing);
    return { records, damage: problems };
  }

  async status() {
    const r = await this.store.pool.query<StoredRow & { host: string }>(
      'SELECT host, line, record FROM runbook.journal WHERE run_id = $1 AND NOT live ORDER BY seq',
      [this.meta.id],
    );
    const byHost = new Map<string, JournalRecord[]>();
    const damaged = new Set<string>();
    for (const row of r.rows) {
      const list = byHost.get(row.host) ?? [];
      const rec = rowRecord(row);
      if (typeof rec === 'object') list.push(rec);
      else damaged.add(row.host);
      byHost.set(row.host, list);
    }
    const started = await this.store.pool.query<{ host: string }>(
      'SELECT host FROM runbook.started_hosts WHERE run_id = $1',
      [this.meta.id],
    );
    // started, yet no journal row left: its journal was deleted
    for (const { host } of started.rows) if (!byHost.has(host)) damaged.add(host);
    const locked = await this.store.lockedBy(this.meta.id);
    const hostStates: Record<string, HostState> = {};
    for (const t of this.meta.targets)
      hostStates[t.name] = damaged.has(t.name)
        ? 'corrupt'
        : hostStateOf(byHost.get(t.name) ?? [], () => locked.has(t.name));
    return { outcome: runOutcome(Object.values(hostStates)), hostStates };
  }

  async writeRetryFile(): Promise<string | undefined> {
    return undefined;
  }

  async requestApproval(req: ApprovalAsk): Promise<string> {
    const ask = { ...req, attempt: req.attempt ?? 0 };
    const id = `${ask.host}|${ask.key}|${ask.attempt}`;
    await this.store.pool.query(
      'INSERT INTO runbook.approvals (run_id, id, ask) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [this.meta.id, id, JSON.stringify(encode(ask))],
    );
    return id;
  }

  async decideApproval(id: string, decision: { approved: boolean; by: string }): Promise<ApprovalRecord> {
    await this.store.pool.query(
      `UPDATE runbook.approvals SET approved = $3, decided_by = $4, decided_at = now()
       WHERE run_id = $1 AND id = $2 AND decided_at IS NULL`,
      [this.meta.id, id, decision.approved, decision.by],
    );
    const rec = (await this.approvals()).find((a) => a.id === id);
    if (!rec) throw new RunbookError('E_INTERNAL', `run ${this.meta.id}: no approval ${id}`);
    return rec;
  }

  async approvals(): Promise<ApprovalRecord[]> {
    const r = await this.store.pool.query<{
      id: string;
      ask: unknown;
      requested_at: Date;
      approved: boolean | null;
      decided_by: string | null;
      decided_at: Date | null;
    }>(
      `SELECT id, ask, requested_at, approved, decided_by, decided_at FROM runbook.approvals
       WHERE run_id = $1 ORDER BY requested_at, id`,
      [this.meta.id],
    );
    return r.rows.map((row) => ({
      // (the ask is stored with the lossless codec: evidence holds CEL ints)
      ...(decode(row.ask) as ApprovalAsk),
      id: row.id,
      requestedAt: row.requested_at.getTime(),
      ...(row.decided_at
        ? {
            decision: {
              approved: Boolean(row.approved),
              by: row.decided_by ?? '',
              at: row.decided_at.getTime(),
            },
          }
        : {}),
    }));
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const j of this.journals.values()) await j.close().catch((e: unknown) => errors.push(e));
    this.journals.clear();
    if (errors.length > 0) throw errors[0];
  }
}
