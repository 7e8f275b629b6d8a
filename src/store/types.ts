/**
 * The Store seam: where run records, per-host journals, approvals and host locks live. Two
 * backends share this interface and one test suite (test/store/contract.ts): a directory (the
 * embedded default, `<state-dir>/runs`, `<state-dir>/locks`) and PostgreSQL (shared by operators
 * and workers; `--store postgres://...`).
 *
 * Contracts every backend keeps:
 * - Run ids sort by creation time; `listRuns` is newest first and shows every run in the store.
 * - A journal keeps records in append order per host; `append` never blocks, `flush()` resolves
 *   once every record appended before it is durable (a disruptive command's record is flushed before
 *   the command is sent: see `flushingTransport`).
 * - A host lock taken through one Store instance (or process, or machine) holds on every other until
 *   released or its holder is gone (a dead process on this machine for the directory store, a lease
 *   not renewed for PostgreSQL); a dead holder's lock is taken over and reported (`tookOverStale`).
 * - An approval is asked once per (run, host, step key, attempt) and decided once: the first
 *   decision wins and later ones are ignored.
 */
import type { Evidence, Reporter } from '../engine/events.js';
import type { JournalProblem, JournalRecord } from './journal-record.js';
import type { LockInfo } from './lock.js';
import type { HostState, RunMeta, RunOutcome, RunSummary } from './runs.js';

export type StoreKind = 'directory' | 'postgres';

export interface Store {
  readonly kind: StoreKind;
  /** Where the store is, for messages: the state directory, or the URL with its password masked. */
  readonly location: string;
  /** Record a new run; `id` and `createdAt` are assigned here. */
  createRun(meta: Omit<RunMeta, 'id' | 'createdAt'>): Promise<StoreRun>;
  /** Open a recorded run. Throws RunbookError E_RUN_NOT_FOUND (with a hint naming `runbook runs`). */
  openRun(id: string): Promise<StoreRun>;
  /** Every recorded run (every operator's, for a shared store), newest first. */
  listRuns(): Promise<RunSummary[]>;
  /** Forget a run that never started (its creation is undone when its locks cannot be taken). */
  deleteRun(id: string): Promise<void>;
  /** Take a host's lock for a run. Throws RunbookError E_LOCKED (holder, since when) when a live run holds it. */
  lockHost(host: string, runId: string): Promise<StoreLock>;
  /**
   * Take several hosts' locks for a run, all or nothing (in order; nothing is left taken when one
   * is held by a live run: E_LOCKED as for `lockHost`).
   */
  lockHosts(hosts: readonly string[], runId: string): Promise<StoreLock[]>;
  /** The live holder of a host's lock, if any. */
  lockHolder(host: string): Promise<LockInfo | undefined>;
  /** Release what this instance holds and close connections. Idempotent. */
  close(): Promise<void>;
}

export interface CheckedJournal {
  records: JournalRecord[];
  damage: JournalProblem[];
}

export interface StoreLock {
  readonly host: string;
  readonly info: LockInfo;
  /** Set when a dead holder's lock was taken over; callers should warn. */
  readonly tookOverStale?: { pid: number; runId: string; hostname: string };
  /** Release the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface StoreRun {
  readonly meta: RunMeta;
  /** Where the record is, for messages: a directory, or `<masked url> run <id>`. */
  readonly location: string;
  /** The host's journal, opened for appending (one instance per host per run handle). */
  journal(host: string): StoreJournal;
  /**
   * The host's records in append order (empty when the host never started). Throws E_RUN_CORRUPT
   * when a record is damaged (a torn last line, a crash while writing it, is left out).
   */
  readJournal(host: string): Promise<JournalRecord[]>;
  /**
   * For resume: the host's records that can be trusted (checksums hold), in append order, and
   * where the others were (`damage`: torn, garbage or edited records, with the key they name when
   * one can be read). Throws E_RUN_CORRUPT only when the journal of a host that started is missing
   * or empty, which leaves nothing to resume from.
   */
  readJournalChecked(host: string): Promise<CheckedJournal>;
  /** Per-host states and the run outcome, from the journals and locks as they are now. */
  status(): Promise<{ outcome: RunOutcome; hostStates: Record<string, HostState> }>;
  /**
   * Record the hosts to retry; returns a local file (one host name a line) for `--limit @<file>`,
   * or undefined when the store keeps no local files.
   */
  writeRetryFile(hosts: readonly string[]): Promise<string | undefined>;
  /** Ask for an approval; returns its id (the same id when the same request was asked before). */
  requestApproval(req: ApprovalAsk): Promise<string>;
  /** Decide an approval; the first decision wins (returns it). */
  decideApproval(id: string, decision: { approved: boolean; by: string }): Promise<ApprovalRecord>;
  /** This run's approvals, oldest first. */
  approvals(): Promise<ApprovalRecord[]>;
  /** Flush and close the journals this handle opened. */
  close(): Promise<void>;
}

export interface StoreJournal {
  /** Queue one record (written in order); write errors surface from `flush()`. */
  append(rec: JournalRecord): void;
  /** An event listener journaling what resume and `runbook runs` need (see journal-record.ts `toRecord`). */
  listener(): Reporter;
  /** Resolves when every record appended so far is durable; rejects with the first write error. */
  flush(): Promise<void>;
  /**
   * Resolves when every disruptive-command record appended so far is durable (awaited before each
   * command is sent, so a disruptive command is never sent unrecorded); rejects on a write error.
   */
  commandsDurable(): Promise<void>;
  close(): Promise<void>;
}

/** A disruptive step waiting for an operator. */
export interface ApprovalAsk {
  host: string;
  key: string;
  stepId: string;
  /** Rendered command, secrets masked. */
  command: string;
  impact: string;
  inDoubt: boolean;
  /** The approval question as the operator sees it (evidence included). */
  question: string;
  /** Why the step was reached (matched lines, captures, conditions), as the executor gave it. */
  evidence?: Evidence[];
  /** Distinguishes asks of the same step (retries, a resumed in-doubt step); default 0. */
  attempt?: number;
}

export interface ApprovalRecord extends ApprovalAsk {
  id: string;
  /** ms since epoch */
  requestedAt: number;
  decision?: { approved: boolean; by: string; at: number };
}
