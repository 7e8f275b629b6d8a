/**
 * Journals in PostgreSQL. Every journal of a store instance appends to one writer, which inserts
 * what is queued in batches, in order (a batch is written after the previous one committed), so a
 * thousand hosts cost a few inserts per beat rather than one per record (inserts nobody waits for
 * start at most every BATCH_MS). Each record gets a number;
 * a journal's `flush()` waits until its last record is written, `commandsDurable()` until its last
 * disruptive-command record is. Write errors surface from those waits. A record is stored as the
 * signed line a journal file holds (journal-record.ts `signedLine`: the lossless codec's JSON and a `sum`;
 * migration 004), so an edited or garbage row is found on read as a damaged journal line is; rows
 * of schema 3 and before (jsonb, the sum over the keys sorted) are still read.
 *
 * The same writer carries a worker's live events (`appendLive`: progress the operator's exec shows,
 * e.g. `connecting`), as rows marked `live` in the same ordered stream (migration 003): journal
 * readers skip them, the exec reads both in commit order.
 */
import type pg from 'pg';
import type { Reporter } from '../engine/events.js';
import { RunbookError } from '../errors.js';
import { decode, stringifyLine } from './codec.js';
import {
  corruptError,
  damagedKey,
  parseSigned,
  recordOf,
  signedLine,
  toRecord,
  valueSum,
  type JournalProblem,
  type JournalRecord,
} from './journal-record.js';
import type { StoreJournal } from './types.js';

interface Pending {
  seq: number;
  runId: string;
  host: string;
  record: unknown;
  live: boolean;
}

/** The least time between the starts of two inserts that nobody waits for. */
const BATCH_MS = 25;

/** The one writer of a store instance's journal rows. */
export class JournalWriter {
  private queue: Pending[] = [];
  private next = 1;
  private written = 0;
  private writing: Promise<void> | undefined;
  private readonly failed = new Map<number, unknown>(); // first seq of a failed batch -> error
  private waiters: { seq: number; resolve(): void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastStart = -Infinity;

  /**
   * `batchMs`: inserts nobody waits for start at most this often (a record queued when the writer
   * was idle for that long is written at once), so records that come many a second from many
   * hosts share an insert. A wait (`until`: a journal's flush, a disruptive command's durability)
   * starts the write at once, or right after the one in flight.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly batchMs = BATCH_MS,
  ) {}

  /** Queue a record; returns its number. */
  append(runId: string, host: string, record: JournalRecord): number {
    return this.push(runId, host, record, false);
  }

  /** Queue a live event (progress only, not part of the host's journal); returns its number. */
  appendLive(runId: string, host: string, event: object): number {
    return this.push(runId, host, event, true);
  }

  /** Resolves once everything queued so far was written (errors are left to the journals' waits). */
  async idle(): Promise<void> {
    await this.until(this.next - 1).catch(() => undefined);
  }

  private push(runId: string, host: string, record: unknown, live: boolean): number {
    const seq = this.next++;
    this.queue.push({ seq, runId, host, record, live });
    this.schedule();
    return seq;
  }

  /** The next insert: now if one is awaited or the last began `batchMs` ago, else once it did. */
  private schedule(): void {
    if (this.writing !== undefined || this.queue.length === 0) return;
    const wait = this.waiters.length > 0 ? 0 : this.lastStart + this.batchMs - performance.now();
    if (wait <= 0) this.start();
    else this.timer ??= setTimeout(() => this.start(), wait);
  }

  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing !== undefined || this.queue.length === 0) return;
    this.lastStart = performance.now();
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      this.schedule();
    });
  }

  /** Resolves once record `seq` (and every one before it) was written; rejects if its batch failed. */
  async until(seq: number): Promise<void> {
    if (seq > this.written) {
      const written = new Promise<void>((resolve) => this.waiters.push({ seq, resolve }));
      this.schedule();
      await written;
    }
    for (const [from, err] of this.failed) if (from <= seq) throw err;
  }

  /** One insert of what is queued (up to 2000 rows); never rejects (errors go to the waits). */
  private async drain(): Promise<void> {
    const batch = this.queue.splice(0, 2000);
    try {
      // one statement: rows in order (VALUES are inserted as listed, so `seq` follows the batch),
      // each a parameter of its own (sent as it is: nothing to escape or parse); a host's started
      // mark is written with its host-start record, or not at all
      const values: unknown[] = [];
      const rows: string[] = [];
      const marks: string[] = [];
      for (const p of batch) {
        const i = values.length;
        values.push(
          p.runId,
          p.host,
          p.live ? stringifyLine(p.record) : signedLine(p.record as JournalRecord),
        );
        rows.push(`($${i + 1}, $${i + 2}, $${i + 3}, ${p.live ? 'true' : 'false'})`);
        if (!p.live && (p.record as JournalRecord).type === 'host-start')
          marks.push(`($${i + 1}, $${i + 2})`);
      }
      const insert = `INSERT INTO runbook.journal (run_id, host, line, live) VALUES ${rows.join(', ')}`;
      await this.pool.query(
        marks.length === 0
          ? insert
          : `WITH rows AS (${insert})
             INSERT INTO runbook.started_hosts (run_id, host) VALUES ${marks.join(', ')} ON CONFLICT DO NOTHING`,
        values,
      );
    } catch (err) {
      this.failed.set(
        batch[0]!.seq,
        new RunbookError('E_STORE_CONNECT', `cannot write journal records: ${(err as Error).message}`, {
          hint: 'the store became unreachable; once it is back, resume the run',
        }),
      );
    }
    this.written = batch.at(-1)!.seq;
    const ready = this.waiters.filter((w) => w.seq <= this.written);
    this.waiters = this.waiters.filter((w) => w.seq > this.written);
    for (const w of ready) w.resolve();
  }
}

/** One host's journal of one run, appending through the store's writer. */
export class PostgresJournal implements StoreJournal {
  private last = 0;
  private lastCommand = 0;

  constructor(
    private readonly writer: JournalWriter,
    private readonly runId: string,
    private readonly host: string,
  ) {}

  append(rec: JournalRecord): void {
    this.last = this.writer.append(this.runId, this.host, rec);
    if (rec.type === 'command') this.lastCommand = this.last;
  }

  listener(): Reporter {
    return (e) => {
      const rec = toRecord(e);
      if (rec) this.append(rec);
    };
  }

  flush(): Promise<void> {
    return this.writer.until(this.last);
  }

  commandsDurable(): Promise<void> {
    return this.writer.until(this.lastCommand);
  }

  close(): Promise<void> {
    return this.flush();
  }
}

/** A journal row as read: `line` (schema 4 on), or `record` (jsonb, written before schema 4). */
export interface StoredRow {
  line: string | null;
  record?: unknown;
}

/**
 * The record of a stored row, or why it is not one (`sum` missing or not matching: edited). A line
 * is checked as a journal file's line is; a jsonb record by its sum over the keys sorted.
 */
export function rowRecord(row: StoredRow): JournalRecord | 'garbage' | 'checksum' {
  if (row.line !== null) return parseSigned(row.line);
  const stored = row.record;
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return 'garbage';
  const { sum, ...body } = stored as Record<string, unknown>;
  const rec = recordOf(decode(body));
  if (!rec) return 'garbage';
  return sum === valueSum(body) ? rec : 'checksum';
}

/**
 * A row's JSON value, unchecked (progress only: the exec's stream), or null when a line is not JSON
 * (an edited row, which the journal's checked read reports).
 */
export function rowValue(row: StoredRow): unknown {
  if (row.line === null) return row.record ?? null;
  try {
    return JSON.parse(row.line);
  } catch {
    return null;
  }
}

/** The text of a stored row, for messages. */
export function rowText(row: StoredRow): string {
  return row.line ?? JSON.stringify(row.record) ?? String(row.record);
}

/**
 * A host's records whose sum holds, in append order, and the damaged rows (`<where> record N: what`,
 * N counting the host's rows from 1). Never throws for content.
 */
export async function readPostgresJournalChecked(
  pool: pg.Pool,
  runId: string,
  host: string,
  where: string,
): Promise<{ records: JournalRecord[]; problems: JournalProblem[] }> {
  const r = await pool.query<StoredRow>(
    'SELECT line, record FROM runbook.journal WHERE run_id = $1 AND host = $2 AND NOT live ORDER BY seq',
    [runId, host],
  );
  const records: JournalRecord[] = [];
  const problems: JournalProblem[] = [];
  if (r.rows.length === 0 && (await hostStarted(pool, runId, host)))
    problems.push({
      line: 0,
      kind: 'missing',
      message: `${where} host ${host}: the journal is empty, yet its host started in this run`,
    });
  r.rows.forEach((row, i) => {
    const rec = rowRecord(row);
    if (typeof rec === 'object') return void records.push(rec);
    const kind = rec;
    const text = rowText(row);
    const key = damagedKey(text);
    const what =
      kind === 'checksum'
        ? 'the record was changed after it was written (its checksum does not match)'
        : 'the row is not a journal record';
    problems.push({
      line: i + 1,
      kind,
      message: `${where} host ${host} record ${i + 1}: ${what}: ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`,
      after: records.length,
      ...(key !== undefined ? { key } : {}),
    });
  });
  return { records, problems };
}

async function hostStarted(pool: pg.Pool, runId: string, host: string): Promise<boolean> {
  const r = await pool.query('SELECT 1 FROM runbook.started_hosts WHERE run_id = $1 AND host = $2', [
    runId,
    host,
  ]);
  return r.rows.length > 0;
}

/** A host's records, in append order; E_RUN_CORRUPT when a row is damaged. */
export async function readPostgresJournal(
  pool: pg.Pool,
  runId: string,
  host: string,
  where: string,
): Promise<JournalRecord[]> {
  const { records, problems } = await readPostgresJournalChecked(pool, runId, host, where);
  if (problems.length > 0) throw corruptError(problems);
  return records;
}
