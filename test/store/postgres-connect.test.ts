import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { RunbookError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/store/migrations/all.js';
import { maskUrl } from '../../src/store/url.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { freePort } from '../helpers/sshd.js';

const { enabled, cluster: cluster } = postgresPerFile();

async function failure(p: Promise<unknown>): Promise<RunbookError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RunbookError)) throw new Error(`expected a RunbookError, got ${String(err)}`);
  return err;
}

describe('maskUrl', () => {
  it('masks the password and keeps the rest', () => {
    expect(maskUrl('postgres://ops:s3cr%40t@db.example:5433/runbook')).toBe(
      'postgres://ops:****@db.example:5433/runbook',
    );
    expect(maskUrl('postgres://ops@db/runbook')).toBe('postgres://ops@db/runbook');
    expect(maskUrl('postgres://ops:pa ss@[bad/x')).not.toContain('pa ss');
  });
});

describe.skipIf(!enabled)('PostgreSQL store: connecting and migrating', () => {
  it('a fresh database is migrated to the current schema version; opening again changes nothing', async () => {
    const url = cluster().createDatabase('migrate_twice');
    const [a, b] = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url })]);
    const r = await a.pool.query<{ version: number }>(
      'SELECT version FROM runbook.schema_version ORDER BY version',
    );
    expect(r.rows.map((x) => x.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    await a.close();
    await b.close();
  });

  it('a schema from a newer runbook is refused, saying to upgrade', async () => {
    const url = cluster().createDatabase('newer_schema');
    await (await openPostgresStore({ url })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('INSERT INTO runbook.schema_version (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
    await c.end();
    const err = await failure(openPostgresStore({ url }));
    expect(err.code).toBe('E_STORE_SCHEMA');
    expect(err.message).toContain(`version ${SCHEMA_VERSION + 1}`);
    expect(err.hint).toContain('upgrade runbook');
  });

  it('wrong credentials are E_STORE_AUTH naming the URL with the password masked', async () => {
    const url = `postgres://runbook:wrong-pass-123@127.0.0.1:${cluster().port}/runbook`;
    const err = await failure(openPostgresStore({ url }));
    expect(err.code).toBe('E_STORE_AUTH');
    expect(err.message).toContain(`postgres://runbook:****@127.0.0.1:${cluster().port}/runbook`);
    expect(`${err.message} ${err.hint}`).not.toContain('wrong-pass-123');
  });

  it('an unreachable database is E_STORE_CONNECT naming the URL', async () => {
    const port = await freePort();
    const err = await failure(
      openPostgresStore({ url: `postgres://runbook:pw-xyz@127.0.0.1:${port}/runbook` }),
    );
    expect(err.code).toBe('E_STORE_CONNECT');
    expect(err.message).toContain(`postgres://runbook:****@127.0.0.1:${port}/runbook`);
    expect(err.message).not.toContain('pw-xyz');
  });
});
