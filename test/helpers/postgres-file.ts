/**
 * One throwaway PostgreSQL cluster per test file (test/helpers/postgres.ts): started before the
 * file's tests, stopped after them. Kept apart from postgres.ts, which the benchmarks use outside
 * vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import { requirePostgres, startPostgres, type PgCluster } from './postgres.js';

/** `enabled`: PostgreSQL is here (under CI=true it must be); `cluster()`: the file's running cluster. */
export function postgresPerFile(): { enabled: boolean; cluster(): PgCluster } {
  const enabled = requirePostgres();
  let running: PgCluster | undefined;
  beforeAll(async () => {
    if (enabled) running = await startPostgres();
  }, 120_000);
  afterAll(async () => running?.stop());
  return {
    enabled,
    cluster: () => {
      if (!running) throw new Error('PostgreSQL is not running (see requirePostgres)');
      return running;
    },
  };
}
