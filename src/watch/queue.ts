/**
 * The watcher's accepted events and throttle windows, kept in `<state-dir>/watch/queue.json` so
 * that a restart with the same state dir starts what was queued and resumes what was running
 * (an accepted event is never lost), and does not run again inside a `once_within` window.
 *
 * Written whole through a temp file + fsync + rename on every change: a reader sees the old or the
 * new file, never half. One watcher per state dir (see `lockQueue`).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { acquireHostLock, type HostLock } from '../store/lock.js';
import type { Sender } from './listen.js';

export interface WatchEvent {
  /** `ev-<ms>-<n>`: unique within a state dir. */
  id: string;
  rule: string;
  /** Inventory host name. */
  host: string;
  sender: Sender;
  /** The message as received (decoded text), for the run record. */
  message: string;
  /** ISO time the first message of the event arrived. */
  receivedAt: string;
  /** Regex groups of the match (raw text; typed again through the rule's vars when the run starts). */
  groups: Record<string, string>;
  /** Further matches coalesced into this event by `once_within`. */
  coalesced: number;
  /** queued: waits for its host, a run slot or an earlier run; running: `runId` was started. */
  state: 'queued' | 'running';
  runId?: string;
}

interface QueueFile {
  version: 1;
  events: WatchEvent[];
  /** `rule\u0000host` -> ms of the last accepted event (throttle windows survive a restart). */
  lastAccepted: Record<string, number>;
}

export class EventQueue {
  readonly path: string;
  private data: QueueFile;

  constructor(stateDir: string) {
    const dir = join(stateDir, 'watch');
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'queue.json');
    this.data = existsSync(this.path) ? readQueue(this.path) : { version: 1, events: [], lastAccepted: {} };
  }

  events(): readonly WatchEvent[] {
    return this.data.events;
  }

  lastAccepted(rule: string, host: string): number | undefined {
    return this.data.lastAccepted[`${rule}\u0000${host}`];
  }

  /** Accept an event (and open its throttle window). */
  add(e: WatchEvent, atMs: number): void {
    this.data.events.push(e);
    this.data.lastAccepted[`${e.rule}\u0000${e.host}`] = atMs;
    this.save();
  }

  update(id: string, change: Partial<Pick<WatchEvent, 'state' | 'runId'>>): void {
    const e = this.data.events.find((x) => x.id === id);
    if (!e) return;
    Object.assign(e, change);
    if (change.state === 'queued' && change.runId === undefined && e.state === 'queued') delete e.runId;
    this.save();
  }

  /**
   * Count one more match coalesced into the event, in memory only: written with the next change.
   * (A router repeating a line must not cost an fsync per message; the count is informational.)
   */
  bump(id: string): void {
    const e = this.data.events.find((x) => x.id === id);
    if (e) e.coalesced += 1;
  }

  remove(id: string): void {
    this.data.events = this.data.events.filter((x) => x.id !== id);
    this.save();
  }

  /** Forget throttle windows that ended (keeps the file small). */
  prune(nowMs: number, windowMs: (rule: string) => number): void {
    for (const [k, at] of Object.entries(this.data.lastAccepted)) {
      if (nowMs - at >= windowMs(k.split('\u0000')[0]!)) delete this.data.lastAccepted[k];
    }
  }

  private save(): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(this.data, null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

function readQueue(path: string): QueueFile {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as QueueFile;
    if (data.version !== 1 || !Array.isArray(data.events)) throw new Error('not a version 1 queue');
    return { version: 1, events: data.events, lastAccepted: data.lastAccepted ?? {} };
  } catch (err) {
    throw new RunbookError(
      'E_RUN_CORRUPT',
      `${path}: cannot read the watcher's event queue: ${(err as Error).message}`,
      {
        hint: 'the file was edited or damaged; move it away to start with an empty queue (its events are then lost)',
      },
    );
  }
}

/** One watcher per state dir: the queue is locked like a host (a live holder -> E_LOCKED). */
export function lockQueue(stateDir: string, owner: string): HostLock {
  try {
    return acquireHostLock(stateDir, '.watch-queue', owner);
  } catch (err) {
    if (err instanceof RunbookError && err.code === 'E_LOCKED')
      throw new RunbookError('E_LOCKED', `another runbook watch uses the state dir ${stateDir}`, {
        hint: 'stop it first, or give this watcher its own --state-dir',
      });
    throw err;
  }
}
