import { describe } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { storeContract } from './contract.js';

const { enabled, cluster: pg } = postgresPerFile();
let n = 0;

describe.skipIf(!enabled)('PostgreSQL store', () => {
  storeContract('postgres', {
    async fresh() {
      const url = pg().createDatabase(`contract_${process.pid}_${n++}`);
      return {
        store: await openPostgresStore({ url, leaseMs: 2000 }),
        twin: () => openPostgresStore({ url, leaseMs: 2000 }),
      };
    },
    async plantDeadLock(store, host, runId) {
      await (store as PostgresStore).pool.query(
        `INSERT INTO runbook.locks (host, run_id, token, pid, hostname, started_at, heartbeat_at, lease_ms)
       VALUES ($1, $2, 'dead', 1, 'elsewhere', now() - interval '1 hour', now() - interval '1 hour', 1000)`,
        [host, runId],
      );
    },
    async damageRecord(store, runId, host, index, how) {
      await (store as PostgresStore).pool.query(
        `UPDATE runbook.journal SET line = ${how === 'edit' ? `regexp_replace(line, '"at":[0-9]+', '"at":999')` : "'noise'"}
         WHERE seq = (SELECT seq FROM runbook.journal WHERE run_id = $1 AND host = $2 ORDER BY seq OFFSET $3 LIMIT 1)`,
        [runId, host, index],
      );
    },
    async emptyJournal(store, runId, host) {
      await (store as PostgresStore).pool.query(
        'DELETE FROM runbook.journal WHERE run_id = $1 AND host = $2',
        [runId, host],
      );
    },
  });
});
