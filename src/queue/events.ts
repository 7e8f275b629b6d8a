/**
 * What workers tell the operator's exec through the store (`runbook.journal`, `runbook.runs`):
 * - the hosts' journal records and live events (`connecting`, ...) in one ordered stream (the
 *   journal table, migration 003), read by the exec as engine events for live progress and results;
 *   plus `handing-back` when a worker that is stopping gives a host back (SIGTERM): the host's
 *   `interrupted` end that follows is not its end, the exec waits for the worker that resumes it;
 * - the exec's stop request (Ctrl-C), which workers read to stop the run's hosts between steps.
 */
import type pg from 'pg';
import type { EngineEvent } from '../engine/events.js';
import { decode } from '../store/codec.js';
import { recordOf, recordToEvent } from '../store/journal-record.js';
import { rowValue, type StoredRow } from '../store/postgres-journal.js';

/** A worker that is stopping hands the host back; another worker resumes it. */
export interface HandingBack {
  kind: 'handing-back';
  host: string;
  at: number;
  worker: string;
}

export type QueueEvent = EngineEvent | HandingBack;

/** Where a reader of a run's stream is: the last row read, in commit order (transaction id, then seq). */
export interface StreamCursor {
  xid: string;
  seq: string;
}

/** A cursor after every row already committed: a reader that starts now sees only what comes next. */
export async function streamStart(pool: pg.Pool): Promise<StreamCursor> {
  const r = await pool.query<{ xid: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xid');
  return { xid: r.rows[0]!.xid, seq: '0' };
}

/**
 * The run's rows after `cursor`, as events, oldest first. Only rows of transactions older than every
 * running one are read, so a row that commits later can never sort before the new cursor.
 */
export async function readStream(
  pool: pg.Pool,
  runId: string,
  cursor: StreamCursor,
  limit = 5000,
): Promise<{ events: QueueEvent[]; cursor: StreamCursor; full: boolean }> {
  const r = await pool.query<StoredRow & { xid: string; seq: string; host: string; live: boolean }>(
    `SELECT xid::text AS xid, seq, host, live, line, record FROM runbook.journal
     WHERE run_id = $1 AND (xid, seq) > ($2::xid8, $3::bigint)
       AND xid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY xid, seq LIMIT $4`,
    [runId, cursor.xid, cursor.seq, limit],
  );
  const last = r.rows.at(-1);
  const events: QueueEvent[] = [];
  for (const row of r.rows) {
    const stored = rowValue(row);
    if (row.live) {
      if (stored !== null && typeof stored === 'object') events.push(decode(stored) as QueueEvent);
      continue;
    }
    // progress only: the row's sum is not checked here (resume reads the journal checked); a row
    // that is not a journal record is left out
    const { sum: _sum, ...body } = (stored ?? {}) as Record<string, unknown>;
    const rec = recordOf(decode(body));
    if (rec) events.push(recordToEvent(row.host, rec));
  }
  return {
    events,
    cursor: last ? { xid: last.xid, seq: String(last.seq) } : cursor,
    full: r.rows.length >= limit,
  };
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
