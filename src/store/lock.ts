/**
 * Host locks: at most one run acts on a host at a time, across processes sharing a state dir.
 * A lock is the file `<state-dir>/locks/<host>.lock` holding {pid, runId, hostname, startedAt}. It is
 * written to a private temp file and hard-linked into place, so it appears atomically and complete
 * (link(2) fails if the lock exists, like O_EXCL). A lock left by a dead process on this machine is
 * stale and is taken over; locks held by this process are released on `release()` and at exit.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { createPrivateExclusive, ensurePrivateDir, fileError } from '../files.js';
import { fileSafeName } from './paths.js';

export interface LockInfo {
  pid: number;
  runId: string;
  /** Machine name of the holder (`os.hostname()`): liveness can only be checked on the same machine. */
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
}

export interface HostLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): void;
  /** Set when a stale lock (dead holder) was taken over; callers should warn. */
  tookOverStale?: { pid: number; runId: string };
}

const held = new Set<HostLock>();
let exitHookInstalled = false;

export function lockPath(stateDir: string, host: string): string {
  return join(stateDir, 'locks', `${fileSafeName(host)}.lock`);
}

/** The current holder of a host's lock, or undefined when unlocked (or unreadable). */
export function readHostLock(stateDir: string, host: string): LockInfo | undefined {
  return readLockFile(lockPath(stateDir, host));
}

/** Whether the lock's holder is a live process. Locks of other machines count as live. */
export function isLockAlive(info: LockInfo): boolean {
  if (info.hostname !== osHostname()) return true;
  return isProcessAlive(info.pid);
}

/**
 * Take the host's lock for `runId`. Throws RunbookError E_LOCKED when a live process holds it.
 */
export function acquireHostLock(stateDir: string, host: string, runId: string): HostLock {
  const path = lockPath(stateDir, host);
  ensurePrivateDir(join(stateDir, 'locks'));
  const info: LockInfo = {
    pid: process.pid,
    runId,
    hostname: osHostname(),
    startedAt: new Date().toISOString(),
  };
  let tookOverStale: { pid: number; runId: string } | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, info)) return register(path, info, tookOverStale);
    const holder = readLockFile(path);
    if (holder === undefined) continue; // released meanwhile, or not ours to judge yet: try again
    if (isLockAlive(holder)) throw lockedError(host, path, holder);
    if (removeIfUnchanged(path, holder)) tookOverStale = { pid: holder.pid, runId: holder.runId };
  }
  throw new RunbookError(
    'E_LOCKED',
    `could not take the lock of host ${host} (${path}): other runs keep taking it`,
    {
      hint: 'another run is starting on this host; wait for it, then try again',
    },
  );
}

/** Release every lock this process holds (also done automatically at process exit). */
export function releaseAllHostLocks(): void {
  for (const lock of [...held]) lock.release();
}

function register(path: string, info: LockInfo, tookOverStale: HostLock['tookOverStale']): HostLock {
  const lock: HostLock = {
    path,
    info,
    release() {
      if (!held.delete(lock)) return;
      const now = readLockFile(path);
      if (now && now.pid === info.pid && now.runId === info.runId && now.startedAt === info.startedAt)
        safeUnlink(path);
    },
    ...(tookOverStale ? { tookOverStale } : {}),
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseAllHostLocks);
  }
  return lock;
}

function tryCreate(path: string, info: LockInfo): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  createPrivateExclusive(tmp, `${JSON.stringify(info)}\n`, 'lock');
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(err, path, 'lock');
  } finally {
    safeUnlink(tmp);
  }
}

/**
 * Move a stale lock aside, then check that what was moved is the lock judged stale; if another
 * process replaced it meanwhile, put that one back. Returns true when the stale lock is gone.
 */
function removeIfUnchanged(path: string, stale: LockInfo): boolean {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = readLockFile(aside);
  if (
    moved &&
    (moved.pid !== stale.pid || moved.runId !== stale.runId || moved.startedAt !== stale.startedAt)
  ) {
    try {
      linkSync(aside, path);
    } catch {
      // someone else holds it now; they will be judged on the next attempt
    }
    safeUnlink(aside);
    return false;
  }
  safeUnlink(aside);
  return true;
}

function readLockFile(path: string): LockInfo | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (
      typeof v.pid === 'number' &&
      typeof v.runId === 'string' &&
      typeof v.hostname === 'string' &&
      typeof v.startedAt === 'string'
    ) {
      return { pid: v.pid, runId: v.runId, hostname: v.hostname, startedAt: v.startedAt };
    }
  } catch {
    // fall through
  }
  // a lock file we cannot read was not written by us (ours appear complete): treat it as a dead holder
  return { pid: 0, runId: 'unknown', hostname: osHostname(), startedAt: '' };
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(host: string, path: string, holder: LockInfo): RunbookError {
  const where =
    holder.hostname === osHostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.hostname}`;
  return new RunbookError(
    'E_LOCKED',
    `host ${host} is locked by run ${holder.runId} (${where}, since ${holder.startedAt})`,
    {
      hint: `wait for that run to finish (see \`runbook runs ${holder.runId}\`); if that process is gone, delete ${path}`,
    },
  );
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
