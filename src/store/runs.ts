/**
 * Run records: `<state-dir>/runs/<run-id>/` holds meta.json (what was run, against what, how to
 * resume) and `hosts/<host>.jsonl` journals. A run's outcome is derived from its journals (and, for
 * hosts without a host-end, from whether a live process still holds the host's lock).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostOutcome } from '../engine/events.js';
import { RunbookError } from '../errors.js';
import { checkFreeSpace, ensurePrivateDir, fileError, writePrivateFileAtomic } from '../files.js';
import { Journal, readJournal, readJournalFile } from './journal.js';
import { type JournalProblem, type JournalRecord } from './journal-record.js';
import { isLockAlive, readHostLock } from './lock.js';
import { fileSafeName } from './paths.js';

export interface RunTarget {
  name: string;
  address: string;
  port: number;
  platform: string;
  /** SSH user resolved for this host (inventory or --user), when one was. */
  user?: string;
  /** The worker group whose workers run this host (`exec --workers` only). */
  workerGroup?: string;
  /** Where the host really went after ssh config (HostName, Port, User, ProxyJump): the change record. */
  resolved?: { address: string; port: number; user: string; via?: string[] };
}

/** Who ran a change, from where, with what (the change record's provenance). */
export interface RunOperator {
  /** Local user name. */
  user: string;
  /** Local host name. */
  host: string;
  /** `runbook` version. */
  tool: string;
}

export interface RunMeta {
  /** `YYYYMMDD-HHMMSS-xxxx` (UTC time + random hex): sorts by creation time. */
  id: string;
  /** ISO time. */
  createdAt: string;
  /** Absolute path of the runbook file. */
  runbookPath: string;
  runbookName: string;
  /** sha256 of the runbook file's bytes, hex: resume refuses a changed file. */
  contentHash: string;
  /** Vars as given (secret values redacted). */
  vars: Record<string, unknown>;
  targets: RunTarget[];
  mode: 'exec' | 'dry-run';
  /** The options needed to resume (no secrets). */
  argv: string[];
  /** Who ran it (absent in records made before the change record). */
  operator?: RunOperator;
  /** The change ticket (`--change ID`). */
  change?: string;
  /** What started the run when no person did: a syslog event (`runbook watch`). */
  trigger?: RunTrigger;
}

/** The syslog event behind a run started by `runbook watch`. */
export interface RunTrigger {
  kind: 'syslog';
  /** Rule name (`--on` rules are `command-line`). */
  rule: string;
  /** `udp://127.0.0.2:51514`: transport, source address and port. */
  sender: string;
  /** The message as received. */
  message: string;
  /** ISO time the message arrived. */
  receivedAt: string;
  /** The watcher's event id. */
  eventId: string;
}

/**
 * State of one host in a run record. `pending`: never started; `running`: a live process holds its
 * lock; `corrupt`: its journal cannot be read (`runbook runs <id>` says where).
 */
export type HostState = HostOutcome | 'pending' | 'running' | 'corrupt';

/**
 * Outcome of a whole run, first match wins: running, corrupt, failed (some host failed or was
 * unreachable), interrupted (some host stopped part-way or never started), awaiting-approval, ok.
 */
export type RunOutcome = 'running' | 'corrupt' | 'failed' | 'interrupted' | 'awaiting-approval' | 'ok';

export interface RunSummary {
  id: string;
  createdAt: string;
  runbookName: string;
  runbookPath: string;
  mode: RunMeta['mode'];
  hosts: string[];
  outcome: RunOutcome;
  hostStates: Record<string, HostState>;
  /** Set for runs `runbook watch` started. */
  trigger?: RunTrigger;
  /** Why the run is corrupt, when its record itself cannot be read. */
  problem?: string;
}

/** The listed form of a run from its record and status (both stores list runs through it). */
export function runSummary(
  meta: RunMeta,
  status: { outcome: RunOutcome; hostStates: Record<string, HostState> },
): RunSummary {
  return {
    id: meta.id,
    createdAt: meta.createdAt,
    runbookName: meta.runbookName,
    runbookPath: meta.runbookPath,
    mode: meta.mode,
    hosts: meta.targets.map((t) => t.name),
    outcome: status.outcome,
    hostStates: status.hostStates,
    ...(meta.trigger ? { trigger: meta.trigger } : {}),
  };
}

/** A run whose meta.json cannot be read: listed as corrupt with what is known (its id). */
function corruptSummary(id: string, problem: string): RunSummary {
  const m = /^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-/.exec(id);
  const createdAt = m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : '';
  return {
    id,
    createdAt,
    runbookName: '?',
    runbookPath: '?',
    mode: 'exec',
    hosts: [],
    outcome: 'corrupt',
    hostStates: {},
    problem,
  };
}

export interface RunHandle {
  readonly meta: RunMeta;
  /** The run's directory. */
  readonly dir: string;
  readonly stateDir: string;
  /** The host's journal, opened for appending (one instance per host per handle). */
  journal(host: string): Journal;
  /**
   * Records of the host's journal (empty when the host never started); E_RUN_CORRUPT when it cannot
   * be trusted (a torn last line is ignored).
   */
  readJournal(host: string): JournalRecord[];
  /** The records of the host's journal that can be trusted, and the problems found (never throws for content). */
  readJournalChecked(host: string): { records: JournalRecord[]; problems: JournalProblem[] };
  /** Per-host states and the run outcome, from the journals as they are now. */
  status(): { outcome: RunOutcome; hostStates: Record<string, HostState> };
  /** Write `<dir>/retry` (one host name a line) for `--limit @<file>`; returns its path. */
  writeRetryFile(hosts: readonly string[]): string;
  /** Close the journals this handle opened. */
  close(): void;
  /** Delete the record (a fresh run that could not start leaves nothing behind). */
  discard(): void;
}

export const DEFAULT_STATE_DIR = '.runbook';

let lastCreatedMs = 0;

export class RunStore {
  readonly stateDir: string;

  constructor(stateDir: string = DEFAULT_STATE_DIR) {
    this.stateDir = stateDir;
  }

  get runsDir(): string {
    return join(this.stateDir, 'runs');
  }

  async create(meta: Omit<RunMeta, 'id' | 'createdAt'>): Promise<RunHandle> {
    ensurePrivateDir(this.stateDir);
    ensurePrivateDir(this.runsDir);
    checkFreeSpace(this.runsDir);
    const now = nextCreationTime();
    for (;;) {
      const id = newRunId(now);
      const dir = join(this.runsDir, id);
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw fileError(err, dir, 'run record');
      }
      const full: RunMeta = { id, createdAt: now.toISOString(), ...meta };
      ensurePrivateDir(join(dir, 'hosts'));
      writePrivateFileAtomic(join(dir, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`, 'run record');
      return new Handle(this.stateDir, dir, full);
    }
  }

  async open(id: string): Promise<RunHandle> {
    const dir = join(this.runsDir, id);
    const metaPath = join(dir, 'meta.json');
    if (!/^[A-Za-z0-9][\w.-]*$/u.test(id) || !existsSync(metaPath)) {
      throw new RunbookError('E_RUN_NOT_FOUND', `no run ${id} in ${this.runsDir}`, {
        hint: `list the recorded runs with \`runbook runs${this.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${this.stateDir}`}\``,
      });
    }
    return new Handle(this.stateDir, dir, readMeta(metaPath));
  }

  /**
   * Recorded runs, newest first (by creation time). A run whose meta.json cannot be read is listed
   * with outcome `corrupt` (and `problem` saying why), never hidden.
   */
  async list(): Promise<RunSummary[]> {
    if (!existsSync(this.runsDir)) return [];
    const ids = readdirSync(this.runsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(this.runsDir, d.name, 'meta.json')))
      .map((d) => d.name);
    const out: RunSummary[] = [];
    for (const id of ids) {
      let handle: RunHandle;
      try {
        handle = await this.open(id);
      } catch (err) {
        if (!(err instanceof RunbookError) || err.code !== 'E_RUN_CORRUPT') continue;
        out.push(corruptSummary(id, err.message));
        continue;
      }
      out.push(runSummary(handle.meta, handle.status()));
    }
    // ids sort by second; createdAt (ms) orders runs started within the same second
    return out.sort((a, b) =>
      a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt),
    );
  }
}

class Handle implements RunHandle {
  private readonly journals = new Map<string, Journal>();
  constructor(
    readonly stateDir: string,
    readonly dir: string,
    readonly meta: RunMeta,
  ) {}

  private journalPath(host: string): string {
    return join(this.dir, 'hosts', `${fileSafeName(host)}.jsonl`);
  }

  journal(host: string): Journal {
    let j = this.journals.get(host);
    if (!j) {
      j = new Journal(this.journalPath(host));
      this.journals.set(host, j);
    }
    return j;
  }

  readJournal(host: string): JournalRecord[] {
    return readJournal(this.journalPath(host));
  }

  readJournalChecked(host: string): { records: JournalRecord[]; problems: JournalProblem[] } {
    return readJournalFile(this.journalPath(host));
  }

  status(): { outcome: RunOutcome; hostStates: Record<string, HostState> } {
    const hostStates: Record<string, HostState> = {};
    for (const t of this.meta.targets) hostStates[t.name] = this.hostState(t.name);
    return { outcome: runOutcome(Object.values(hostStates)), hostStates };
  }

  private hostState(host: string): HostState {
    let records: JournalRecord[];
    try {
      records = this.readJournal(host);
    } catch (err) {
      if (err instanceof RunbookError && err.code === 'E_RUN_CORRUPT') return 'corrupt';
      throw err;
    }
    return hostStateOf(records, () => {
      const lock = readHostLock(this.stateDir, host);
      return lock !== undefined && lock.runId === this.meta.id && isLockAlive(lock);
    });
  }

  writeRetryFile(hosts: readonly string[]): string {
    const path = join(this.dir, 'retry');
    writePrivateFileAtomic(path, hosts.map((h) => `${h}\n`).join(''), 'retry file');
    return path;
  }

  close(): void {
    for (const j of this.journals.values()) j.close();
    this.journals.clear();
  }

  discard(): void {
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A host's state from its journal: pending, interrupted (started, no host-end) or its host-end
 * outcome; an unfinished host whose lock this run still holds (`lockedByRun()`) is running.
 */
export function hostStateOf(records: readonly JournalRecord[], lockedByRun: () => boolean): HostState {
  let state: HostState = 'pending';
  for (const r of records) {
    if (r.type === 'host-start') state = 'interrupted';
    else if (r.type === 'host-end') state = r.outcome;
  }
  if ((state === 'interrupted' || state === 'pending') && lockedByRun()) return 'running';
  return state;
}

/** Creation times strictly increase within a process, so runs list in the order they were made. */
export function nextCreationTime(): Date {
  lastCreatedMs = Math.max(Date.now(), lastCreatedMs + 1);
  return new Date(lastCreatedMs);
}

/** A run id for a creation time: `YYYYMMDD-HHMMSS-xxxx` (UTC + random hex). */
export function newRunId(now: Date): string {
  return `${stamp(now)}-${randomBytes(2).toString('hex')}`;
}

/** The run outcome for a set of host states (see RunOutcome). */
export function runOutcome(states: readonly HostState[]): RunOutcome {
  if (states.includes('running')) return 'running';
  if (states.includes('corrupt')) return 'corrupt';
  if (states.includes('failed') || states.includes('unreachable')) return 'failed';
  if (states.includes('interrupted') || states.includes('pending')) return 'interrupted';
  if (states.includes('awaiting-approval')) return 'awaiting-approval';
  return 'ok';
}

function readMeta(path: string): RunMeta {
  try {
    const meta = JSON.parse(readFileSync(path, 'utf8')) as Partial<RunMeta> | null;
    const missing = metaProblem(meta);
    if (missing) throw new Error(missing);
    return meta as RunMeta;
  } catch (err) {
    throw new RunbookError(
      'E_RUN_CORRUPT',
      `${path}: cannot read the run record: ${(err as Error).message}`,
      {
        hint: 'the run record was edited or damaged; start a fresh run',
      },
    );
  }
}

/** What a parsed meta.json lacks, or undefined when it has the shape runbook wrote. */
function metaProblem(m: Partial<RunMeta> | null): string | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'it is not an object';
  for (const k of ['id', 'createdAt', 'runbookPath', 'runbookName', 'contentHash', 'mode'] as const)
    if (typeof m[k] !== 'string') return `field ${k} is missing or not a string`;
  if (!Array.isArray(m.targets)) return 'field targets is missing or not a list';
  for (const t of m.targets)
    if (!t || typeof t !== 'object' || typeof t.name !== 'string' || typeof t.port !== 'number')
      return 'a target lacks its name or port';
  if (!Array.isArray(m.argv)) return 'field argv is missing or not a list';
  if (m.vars === null || typeof m.vars !== 'object') return 'field vars is missing';
  return undefined;
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}
