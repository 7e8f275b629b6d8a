/**
 * A store migrated from schema 3 (journal rows as jsonb with a sum over the sorted keys) to schema 4
 * (rows hold the signed line a journal file holds): rows written before the upgrade are still read,
 * checked and streamed, in order with the rows written after it, and an edited old row is still found.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { encode } from '../../src/store/codec.js';
import { recordToEvent, valueSum, type JournalRecord } from '../../src/store/journal-record.js';
import { MIGRATIONS } from '../../src/store/migrations/all.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { readStream } from '../../src/queue/events.js';
import { postgresPerFile } from '../helpers/postgres-file.js';
import { DAMAGEABLE, meta } from './contract.js';

const { enabled, cluster: cluster } = postgresPerFile();

/** A database at schema 3, as a runbook of that version left it. */
async function schema3(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE SCHEMA runbook');
    await c.query(
      'CREATE TABLE runbook.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    for (let v = 1; v <= 3; v++) {
      await c.query(MIGRATIONS[v - 1]!);
      await c.query('INSERT INTO runbook.schema_version (version) VALUES ($1)', [v]);
    }
  } finally {
    await c.end();
  }
}

describe.skipIf(!enabled)('PostgreSQL store: journal rows from schema 3 after the upgrade to 4', () => {
  it('old jsonb rows are read, checked and streamed in order with new line rows; an edited old row is found', async () => {
    // a run made at schema 4, then copied with its rows in the schema 3 form into a database at 3
    const donorUrl = cluster().createDatabase('upgrade_donor');
    const donor = await openPostgresStore({ url: donorUrl });
    const made = await donor.createRun(meta(['edge-1']));
    const runId = made.meta.id;
    const old = DAMAGEABLE.slice(0, 6);
    const runRow = (await donor.pool.query('SELECT * FROM runbook.runs WHERE id = $1', [runId]))
      .rows[0] as Record<string, unknown>;
    await made.close();
    await donor.close();

    const url = cluster().createDatabase('upgrade_v3');
    await schema3(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const cols = Object.keys(runRow);
    await c.query(
      `INSERT INTO runbook.runs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
      cols.map((k) => (k === 'meta' ? JSON.stringify(runRow[k]) : runRow[k])),
    );
    for (const rec of old) {
      const body = encode(rec) as Record<string, unknown>;
      await c.query('INSERT INTO runbook.journal (run_id, host, record) VALUES ($1, $2, $3)', [
        runId,
        'edge-1',
        JSON.stringify({ ...body, sum: valueSum(body) }),
      ]);
    }
    await c.query('INSERT INTO runbook.started_hosts (run_id, host) VALUES ($1, $2)', [runId, 'edge-1']);
    await c.end();

    // opening migrates to 4 with the old rows in place
    const store = await openPostgresStore({ url });
    const version = await store.pool.query<{ v: number }>(
      'SELECT max(version) AS v FROM runbook.schema_version',
    );
    expect(version.rows[0]!.v).toBe(MIGRATIONS.length);
    const run = await store.openRun(runId);
    expect(await run.readJournal('edge-1')).toEqual(old);

    // records written now are lines, read after the old ones
    const j = run.journal('edge-1');
    const added = DAMAGEABLE.slice(6);
    for (const r of added) j.append(r);
    await j.flush();
    const kinds = await store.pool.query<{ line: boolean }>(
      'SELECT line IS NOT NULL AS line FROM runbook.journal WHERE run_id = $1 AND NOT live ORDER BY seq',
      [runId],
    );
    expect(kinds.rows.map((r) => r.line)).toEqual([...old.map(() => false), ...added.map(() => true)]);
    const all: JournalRecord[] = [...old, ...added];
    expect(await run.readJournal('edge-1')).toEqual(all);
    const stream = await readStream(store.pool, runId, { xid: '0', seq: '0' });
    expect(stream.events).toEqual(all.map((r) => recordToEvent('edge-1', r)));

    // an old row edited after the upgrade is found by its sum, as before
    await store.pool.query(
      `UPDATE runbook.journal SET record = jsonb_set(record, '{at}', '999')
       WHERE seq = (SELECT seq FROM runbook.journal WHERE run_id = $1 ORDER BY seq OFFSET 2 LIMIT 1)`,
      [runId],
    );
    const checked = await run.readJournalChecked('edge-1');
    expect(checked.damage.map((d) => d.kind)).toEqual(['checksum']);
    expect(checked.records).toHaveLength(all.length - 1);
    await run.close();
    await store.close();
  });
});
