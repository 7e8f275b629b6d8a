/**
 * The worker against real PostgreSQL and pg-boss, in this process (no SSH: the host never gets
 * that far), for what the integration suites cannot reach from outside:
 * - `touch` keeps a held job active past its visibility timeout; an untouched one expires and goes
 *   back to the queue (pg-boss 10 has no renewal call: boss.ts explains why writing started_on is sound);
 * - retry policy: an unexpected error is logged with the run and host and the job is retried later
 *   (not at once); on the last attempt the host is reported failed instead; a host the worker cannot
 *   run (a RunbookError) is an outcome, never a retry;
 * - a lost store connection is logged, and the worker carries on once it is back.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  enqueueHosts,
  ensureQueue,
  queueName,
  startBoss,
  touch,
  type HostJob,
} from '../../src/queue/boss.js';
import { readStream, streamStart, type StreamCursor } from '../../src/queue/events.js';
import type { TransportFactory } from '../../src/queue/job.js';
import { runWorker } from '../../src/queue/worker.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { postgresPerFile } from '../helpers/postgres-file.js';

const { enabled, cluster: cluster } = postgresPerFile();

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > limitMs) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

async function jobRow(store: PostgresStore, id: string) {
  const r = await store.pool.query<{ state: string; retry_count: number; delay_s: number }>(
    `SELECT state, retry_count, EXTRACT(epoch FROM start_after - now())::float AS delay_s FROM pgboss.job WHERE id = $1`,
    [id],
  );
  return r.rows[0];
}

/** A run of one host, `edge1`, on a port nothing listens on. */
async function createRun(store: PostgresStore, runbookPath: string, contentHash: string) {
  const run = await store.createRun({
    runbookPath,
    runbookName: 'x',
    contentHash,
    vars: {},
    targets: [{ name: 'edge1', address: '127.0.0.1', port: 1, platform: 'cisco-iosxe' }],
    mode: 'exec',
  } as Parameters<PostgresStore['createRun']>[0]);
  await run.close();
  return run;
}

describe.skipIf(!enabled)('the worker and pg-boss', () => {
  it('a touched job stays active past its visibility timeout; an untouched one goes back to the queue', async () => {
    const store = await openPostgresStore({ url: cluster().createDatabase('queue_touch') });
    const boss = await startBoss({ pool: store.pool, maintenanceSeconds: 1 });
    try {
      const name = await ensureQueue(boss, 'touch', 1);
      const job: HostJob = { runId: 'r', host: 'h', approve: 'none' };
      const [held, left] = [randomUUID(), randomUUID()];
      await enqueueHosts(
        boss,
        store.pool,
        [
          { id: held, group: 'touch', job },
          { id: left, group: 'touch', job: { ...job, host: 'h2' } },
        ],
        1,
      );
      const got = await boss.fetch<HostJob>(name, { batchSize: 2 });
      expect(got.map((j) => j.id).sort()).toEqual([held, left].sort());
      // renew one of the two for 4 s (four times its timeout), as a worker's beat does
      for (let i = 0; i < 16; i++) {
        await touch(store.pool, [held]);
        await sleep(250);
      }
      expect((await jobRow(store, held))?.state).toBe('active');
      // the other one expired meanwhile: back in the queue for another worker
      expect((await jobRow(store, left))?.state).toBe('retry');
      // and the touched one expires too once its worker stops renewing it
      await until('the held job to expire', async () =>
        (await jobRow(store, held))?.state === 'retry' ? true : undefined,
      );
    } finally {
      await boss.stop({ graceful: false, wait: true, close: false });
      await store.close();
    }
  });

  it('a host the worker cannot run (its runbook is not there) is an outcome, never a retry', async () => {
    const store = await openPostgresStore({ url: cluster().createDatabase('queue_outcome') });
    const run = await createRun(store, '/nonexistent/runbook.yaml', 'h');
    const w = await startTestWorker(store, async () => {
      throw new Error('never reached');
    });
    try {
      const id = randomUUID();
      await enqueueHosts(w.boss, store.pool, [{ id, group: 'test', job: hostJob(run.meta.id) }], 60);
      const end = await until('the host-end', async () => (await ends(store, run.meta.id, w.cursor))[0]);
      expect(end.outcome).toBe('failed');
      expect(end.message).toContain('/nonexistent/runbook.yaml');
      const row = await until('the job to complete', async () => {
        const r = await jobRow(store, id);
        return r?.state === 'completed' ? r : undefined;
      });
      expect(row.retry_count).toBe(0);
    } finally {
      await w.stop();
      await store.close();
    }
  });

  it('an unexpected error is logged with its host and retried later, not at once; the last attempt reports the host failed', async () => {
    const store = await openPostgresStore({ url: cluster().createDatabase('queue_retry') });
    const dir = mkdtempSync(join(tmpdir(), 'runbook-queue-'));
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, 'runbook: tiny\nplatform: cisco-iosxe\nsteps:\n  - id: v\n    run: show version\n');
    const rb = await loadRunbook(file);
    const run = await createRun(store, file, rb.contentHash);
    const w = await startTestWorker(store, async () => {
      throw new Error('boom: a bug in the worker');
    });
    try {
      const id = randomUUID();
      await enqueueHosts(w.boss, store.pool, [{ id, group: 'test', job: hostJob(run.meta.id) }], 60);
      const row = await until('the job to be failed for a retry', async () => {
        const r = await jobRow(store, id);
        return r?.state === 'retry' ? r : undefined;
      });
      // retried later: pg-boss holds it back for the retry delay (2 s, doubling, with jitter)
      expect(row.delay_s).toBeGreaterThan(1);
      expect(w.lines.join('\n')).toContain(
        `${run.meta.id} edge1: error: boom: a bug in the worker (attempt 1 of`,
      );
      // nothing told the exec the host ended: it waits for the retry
      expect(await ends(store, run.meta.id, w.cursor)).toEqual([]);

      // a job on its last attempt: the host is reported failed and the job completes
      const last = randomUUID();
      await w.boss.insert([{ id: last, name: queueName('test'), data: hostJob(run.meta.id), retryLimit: 0 }]);
      const end = await until(
        'the host-end of the last attempt',
        async () => (await ends(store, run.meta.id, w.cursor))[0],
      );
      expect(end.outcome).toBe('failed');
      expect(end.message).toContain('boom: a bug in the worker (gave up after 1 attempts)');
      expect((await jobRow(store, last))?.state).toBe('completed');
    } finally {
      await w.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lost store connection is logged, and the worker serves again once it is back', async () => {
    const url = cluster().createDatabase('queue_lost');
    const store = await openPostgresStore({ url });
    const w = await startTestWorker(store, async () => {
      throw new Error('unused');
    });
    const admin = new pg.Client({ connectionString: cluster().adminUrl });
    await admin.connect();
    try {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'queue_lost' AND pid <> pg_backend_pid()",
      );
      await until('the loss to be logged', async () =>
        w.lines.some((l) => /lost the store .*queue_lost/.test(l)) ? true : undefined,
      );
      // it reconnects by itself: a job queued now is run (here: failed as an outcome, no runbook file)
      // (this test's own connections were cut too: the first query on one may fail)
      const run = await until('the store to answer the test', () =>
        createRun(store, '/nonexistent/runbook.yaml', 'h').catch(() => undefined),
      );
      await until('the job to be queued', () =>
        enqueueHosts(w.boss, store.pool, [{ id: randomUUID(), group: 'test', job: hostJob(run.meta.id) }], 60)
          .then(() => true)
          .catch(() => undefined),
      );
      const end = await until('the host-end', async () => (await ends(store, run.meta.id, w.cursor))[0]);
      expect(end.outcome).toBe('failed');
      expect(w.lines.join('\n')).toMatch(/the store .*queue_lost answers again/);
      expect(w.lines.join('\n')).not.toContain(cluster().password);
    } finally {
      await admin.end();
      await w.stop();
      await store.close();
    }
  });
});

function hostJob(runId: string): HostJob {
  return { runId, host: 'edge1', approve: 'none' };
}

async function ends(store: PostgresStore, runId: string, cursor: StreamCursor) {
  return (await readStream(store.pool, runId, cursor)).events.flatMap((e) =>
    e.kind === 'host-end' ? [e] : [],
  );
}

/** A worker of group `test` in this process, logging to `lines`. */
async function startTestWorker(store: PostgresStore, transports: TransportFactory) {
  const boss = await startBoss({ pool: store.pool });
  await ensureQueue(boss, 'test', 60);
  const cursor = await streamStart(store.pool);
  const lines: string[] = [];
  const stop = new AbortController();
  const worker = runWorker({
    store,
    group: 'test',
    transports,
    signal: stop.signal,
    log: (l) => lines.push(l),
    pollSeconds: 0.2,
  });
  await until('the worker to serve', async () =>
    lines.some((l) => /serving group test/.test(l)) ? true : undefined,
  );
  return {
    boss,
    cursor,
    lines,
    async stop() {
      stop.abort();
      await worker;
      await boss.stop({ graceful: false, wait: true, close: false });
    },
  };
}
