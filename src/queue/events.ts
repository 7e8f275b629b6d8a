/**
 * What workers tell the operator's exec through the store (`runbook.events`, `runbook.runs`):
 * - engine events of the hosts they run (live progress; the journal stays the record), plus
 *   `handed-back` when a worker gives a host back (SIGTERM) so the exec waits for its next worker;
 * - the exec's stop request (Ctrl-C), which workers read to stop the run's hosts between steps.
 * Writes are batched in order, like the journal; readers poll by sequence number.
 */
import type pg from 'pg';
import type { EngineEvent } from '../engine/events.js';
import { decode, encode } from '../store/codec.js';

/** A host given back to the queue by a worker that is stopping; another worker resumes it. */
export interface HandedBack {
  kind: 'handed-back';
  host: string;
  at: number;
  worker: string;
}

export type QueueEvent = EngineEvent | HandedBack;

/** Publishes events (of any run) in order, in batches; `flush()` waits until those queued are written. */
export class EventPublisher {
  private queue: { runId: string; event: QueueEvent }[] = [];
  private writing: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  publish(runId: string, event: QueueEvent): void {
    this.queue.push({ runId, event });
    this.writing ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 2000);
        // progress is best effort: a lost event never loses a journal record
        await this.pool
          .query(
            `INSERT INTO runbook.events (run_id, event)
             SELECT r, e FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS t(r, e, n) ORDER BY n`,
            [batch.map((b) => b.runId), batch.map((b) => JSON.stringify(encode(b.event)))],
          )
          .catch(() => undefined);
      }
    } finally {
      this.writing = undefined;
    }
  }
}

/** Events of a run after sequence number `after`, oldest first, with the last sequence number read. */
export async function readEvents(
  pool: pg.Pool,
  runId: string,
  after: number,
): Promise<{ events: QueueEvent[]; last: number }> {
  const r = await pool.query<{ seq: string; event: unknown }>(
    'SELECT seq, event FROM runbook.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000',
    [runId, after],
  );
  const last = r.rows.length > 0 ? Number(r.rows[r.rows.length - 1]!.seq) : after;
  return { events: r.rows.map((row) => decode(row.event) as QueueEvent), last };
}

/** Ask every worker to stop this run's hosts between steps (the operator's Ctrl-C). */
export async function requestStop(pool: pg.Pool, runId: string): Promise<void> {
  await pool.query(
    'UPDATE runbook.runs SET stop_requested_at = now() WHERE id = $1 AND stop_requested_at IS NULL',
    [runId],
  );
}

/** The fleet rule tripped: a disruptive step failed on `host`, so no further ones are approved. */
export async function blockDisruptive(pool: pg.Pool, runId: string, host: string): Promise<void> {
  await pool.query(
    'UPDATE runbook.runs SET disruptive_failed_on = $2 WHERE id = $1 AND disruptive_failed_on IS NULL',
    [runId, host],
  );
}

/** The host a disruptive step failed on, when the fleet rule stops further ones. */
export async function disruptiveBlocked(pool: pg.Pool, runId: string): Promise<string | undefined> {
  const r = await pool.query<{ host: string | null }>(
    'SELECT disruptive_failed_on AS host FROM runbook.runs WHERE id = $1',
    [runId],
  );
  return r.rows[0]?.host ?? undefined;
}

/** Clear a stop request (resume continues the run). */
export async function clearStop(pool: pg.Pool, runId: string): Promise<void> {
  await pool.query(
    'UPDATE runbook.runs SET stop_requested_at = NULL, disruptive_failed_on = NULL WHERE id = $1',
    [runId],
  );
}

/** Of these runs, the ones whose operator asked to stop (or that are gone). */
export async function stoppedRuns(pool: pg.Pool, runIds: readonly string[]): Promise<Set<string>> {
  const r = await pool.query<{ id: string; stop: boolean }>(
    'SELECT id, stop_requested_at IS NOT NULL AS stop FROM runbook.runs WHERE id = ANY($1)',
    [runIds],
  );
  const stopped = new Set(runIds);
  for (const row of r.rows) if (!row.stop) stopped.delete(row.id);
  return stopped;
}

export async function stopRequested(pool: pg.Pool, runId: string): Promise<boolean> {
  const r = await pool.query<{ stop: boolean }>(
    'SELECT stop_requested_at IS NOT NULL AS stop FROM runbook.runs WHERE id = $1',
    [runId],
  );
  // a run deleted meanwhile: stop too
  return r.rows[0]?.stop ?? true;
}
