/**
 * A host's journal in PostgreSQL: `append` queues, one writer per journal inserts queued records in
 * batches (in order: a batch is written after the previous one committed), `flush()` waits until the
 * queue is empty and rethrows the first write error. Records are stored with the lossless codec.
 */
import type pg from 'pg';
import type { Reporter } from '../engine/events.js';
import { RunbookError } from '../errors.js';
import { decode, encode } from './codec.js';
import { toRecord, type JournalRecord } from './journal.js';
import type { StoreJournal } from './types.js';

export class PostgresJournal implements StoreJournal {
  private queue: JournalRecord[] = [];
  private writing: Promise<void> | undefined;
  private error: unknown;

  constructor(
    private readonly pool: pg.Pool,
    private readonly runId: string,
    private readonly host: string,
  ) {}

  append(rec: JournalRecord): void {
    this.queue.push(rec);
    this.writing ??= this.drain();
  }

  listener(): Reporter {
    return (e) => {
      const rec = toRecord(e);
      if (rec) this.append(rec);
    };
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.error !== undefined) throw this.error;
  }

  close(): Promise<void> {
    return this.flush();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          await this.pool.query(
            `INSERT INTO runbook.journal (run_id, host, record)
             SELECT $1, $2, r FROM unnest($3::jsonb[]) WITH ORDINALITY AS t(r, n) ORDER BY n`,
            [this.runId, this.host, batch.map((r) => JSON.stringify(encode(r)))],
          );
        } catch (err) {
          this.error ??= new RunbookError(
            'E_STORE_CONNECT',
            `run ${this.runId}: cannot write the journal of ${this.host}: ${(err as Error).message}`,
            { hint: 'the store became unreachable; once it is back, resume the run' },
          );
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}

/** A host's records, in append order. */
export async function readPostgresJournal(
  pool: pg.Pool,
  runId: string,
  host: string,
): Promise<JournalRecord[]> {
  const r = await pool.query<{ record: unknown }>(
    'SELECT record FROM runbook.journal WHERE run_id = $1 AND host = $2 ORDER BY seq',
    [runId, host],
  );
  return r.rows.map((row) => decode(row.record) as JournalRecord);
}
