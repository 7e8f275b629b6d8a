/**
 * Connecting to the PostgreSQL store: URL checks, the masked URL every message shows, a pool whose
 * connection failures become RunbookErrors (E_STORE_CONNECT / E_STORE_AUTH, exit 3), and the schema
 * migrations the tool runs itself (one transaction under an advisory lock, so concurrent starters
 * wait for each other; a schema newer than this build is refused with E_STORE_SCHEMA).
 */
import pg from 'pg';
import { RunbookError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/all.js';
import { maskUrl } from './url.js';

/** Throws E_USAGE when the URL cannot be parsed (without echoing its password). */
export function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RunbookError('E_USAGE', `--store ${maskUrl(url)}: not a valid URL`, {
      hint: 'use postgres://USER@HOST:PORT/DATABASE (percent-encode special characters; the password is best given in $PGPASSWORD)',
    });
  }
  if (!u.hostname || u.pathname.length <= 1) {
    throw new RunbookError('E_USAGE', `--store ${maskUrl(url)}: the URL needs a host and a database`, {
      hint: 'use postgres://USER@HOST:PORT/DATABASE',
    });
  }
}

export interface PoolOptions {
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Give up connecting after this long (default 5000 ms). */
  connectTimeoutMs?: number;
}

/** A pool on the store's database; throws a RunbookError when it cannot connect or log in. */
export async function connectPool(o: PoolOptions): Promise<pg.Pool> {
  checkUrl(o.url);
  // the first connection proves the store is there (with a timeout); later ones wait for a free
  // client of the pool as long as it takes (a worker with many hosts queues on its pool)
  const probe = new pg.Client({
    connectionString: o.url,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
  });
  try {
    await probe.connect();
  } catch (err) {
    throw storeError(o.url, err);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const pool = new pg.Pool({ connectionString: o.url, max: o.max ?? 10, application_name: 'runbook' });
  // an idle connection dropped by the server must not crash the process; the next query reconnects
  pool.on('error', () => undefined);
  return pool;
}

/** The RunbookError for a failure to reach or log in to the store (never showing its password). */
export function storeError(url: string, err: unknown): RunbookError {
  const where = maskUrl(url);
  const e = err as { code?: string; message?: string };
  const msg = String(e.message ?? err).replaceAll(url, where);
  if (e.code === '28P01' || e.code === '28000' || /password|SASL|SCRAM/iu.test(msg)) {
    return new RunbookError('E_STORE_AUTH', `store ${where}: login refused: ${msg}`, {
      hint: 'check the user and password (give the password in $PGPASSWORD or ~/.pgpass rather than in the URL)',
    });
  }
  if (e.code === '3D000') {
    return new RunbookError('E_STORE_CONNECT', `store ${where}: ${msg}`, {
      hint: 'create the database first (createdb -O USER DATABASE), then run again',
    });
  }
  return new RunbookError('E_STORE_CONNECT', `store ${where}: cannot connect: ${msg || e.code}`, {
    hint: 'check that PostgreSQL runs there and accepts TCP connections (listen_addresses, pg_hba.conf), see docs/workers.md',
  });
}

/**
 * Run `fn` in one transaction on a client of the pool: COMMIT when it returns, ROLLBACK (a failed
 * rollback ignored) and rethrow when it throws; the client goes back to the pool either way.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/**
 * Bring the schema to SCHEMA_VERSION. Throws E_STORE_SCHEMA when the database was migrated by a
 * newer runbook (its schema_version is higher than this build knows).
 */
export async function migrate(pool: pg.Pool, url: string): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query("SELECT pg_advisory_xact_lock(hashtext('runbook schema'))");
    await c.query('CREATE SCHEMA IF NOT EXISTS runbook');
    await c.query(
      'CREATE TABLE IF NOT EXISTS runbook.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM runbook.schema_version');
    const current = r.rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new RunbookError(
        'E_STORE_SCHEMA',
        `store ${maskUrl(url)}: its schema is version ${current}, newer than this runbook (${SCHEMA_VERSION})`,
        { hint: 'a newer runbook migrated this store: upgrade runbook on this machine, then run again' },
      );
    }
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      await c.query(MIGRATIONS[v - 1]!);
      await c.query('INSERT INTO runbook.schema_version (version) VALUES ($1)', [v]);
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    if (err instanceof RunbookError) throw err;
    throw storeError(url, err);
  } finally {
    c.release();
  }
}
