import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { acquireHostLock, lockPath, readHostLock, releaseAllHostLocks } from '../../src/store/lock.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const viteNode = join(root, 'node_modules', '.bin', 'vite-node');
const holder = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'runbook-lock-'));
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  releaseAllHostLocks();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
});

function spawnHolder(
  stateDir: string,
  host: string,
  runId: string,
): Promise<{ child: ChildProcessWithoutNullStreams; line: string }> {
  const child = spawn(viteNode, [holder, stateDir, host, runId], { cwd: root });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, line: out.slice(0, nl) });
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${out}`)));
  });
}

function lockedError(fn: () => unknown): RunbookError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RunbookError) return err;
    throw err;
  }
  throw new Error('expected E_LOCKED');
}

describe('host locks', () => {
  it('a second acquisition in the same state dir fails with the holder named; release frees it', () => {
    const dir = tmp();
    const a = acquireHostLock(dir, 'edge-1', 'run-a');
    expect(a.tookOverStale).toBeUndefined();
    expect(readHostLock(dir, 'edge-1')).toMatchObject({
      pid: process.pid,
      runId: 'run-a',
      hostname: hostname(),
    });
    const err = lockedError(() => acquireHostLock(dir, 'edge-1', 'run-b'));
    expect(err.code).toBe('E_LOCKED');
    expect(err.message).toContain('run-a');
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.hint).toContain('runbook runs run-a');
    // other hosts are independent
    acquireHostLock(dir, 'edge-2', 'run-b').release();
    a.release();
    expect(existsSync(lockPath(dir, 'edge-1'))).toBe(false);
    acquireHostLock(dir, 'edge-1', 'run-b').release();
  });

  it('host names with odd characters map to safe file names', () => {
    const dir = tmp();
    const l = acquireHostLock(dir, '../127.0.0.1:2201', 'r');
    expect(l.path.startsWith(join(dir, 'locks'))).toBe(true);
    expect(l.path).toContain('%2E.%2F127.0.0.1%3A2201.lock');
    l.release();
  });

  it('contention between processes: the lock held by a live child refuses us, and frees when the child releases', async () => {
    const dir = tmp();
    const { child, line } = await spawnHolder(dir, 'edge-1', 'run-child');
    expect(line).toBe(`locked ${child.pid}`);
    const err = lockedError(() => acquireHostLock(dir, 'edge-1', 'run-parent'));
    expect(err.code).toBe('E_LOCKED');
    expect(err.message).toContain('run-child');
    expect(err.message).toContain(`pid ${child.pid}`);

    const released = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: string) => d.includes('released') && resolve()),
    );
    child.stdin.write('release\n');
    await released;
    const mine = acquireHostLock(dir, 'edge-1', 'run-parent');
    expect(mine.tookOverStale).toBeUndefined();
    mine.release();
  }, 30_000);

  it('a child cannot take a lock this process holds', async () => {
    const dir = tmp();
    const mine = acquireHostLock(dir, 'edge-1', 'run-parent');
    const { line } = await spawnHolder(dir, 'edge-1', 'run-child').catch((e: Error) => ({ line: e.message }));
    expect(line).toContain('E_LOCKED');
    expect(line).toContain('run-parent');
    mine.release();
  }, 30_000);

  it('a stale lock of a killed process is taken over, and says so', async () => {
    const dir = tmp();
    const { child } = await spawnHolder(dir, 'edge-1', 'run-dead');
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL'); // no chance to release
    await exited;
    expect(readHostLock(dir, 'edge-1')).toMatchObject({ pid, runId: 'run-dead' });
    const lock = acquireHostLock(dir, 'edge-1', 'run-new');
    expect(lock.tookOverStale).toEqual({ pid, runId: 'run-dead' });
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, runId: 'run-new' });
    lock.release();
  }, 30_000);

  it('a stale lock file written by a dead pid (never started here) is taken over', () => {
    const dir = tmp();
    // a pid that is certainly dead: a finished child's
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    mkdirSync(join(dir, 'locks'), { recursive: true });
    writeFileSync(
      lockPath(dir, 'edge-1'),
      JSON.stringify({ pid: dead, runId: 'old', hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    const lock = acquireHostLock(dir, 'edge-1', 'new');
    expect(lock.tookOverStale).toEqual({ pid: dead, runId: 'old' });
    lock.release();
  });

  it('a lock held on another machine is never judged stale', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'locks'), { recursive: true });
    writeFileSync(
      lockPath(dir, 'edge-1'),
      JSON.stringify({
        pid: 999999,
        runId: 'remote',
        hostname: `${hostname()}-other`,
        startedAt: '2026-01-01T00:00:00Z',
      }),
    );
    const err = lockedError(() => acquireHostLock(dir, 'edge-1', 'new'));
    expect(err.message).toContain(`on ${hostname()}-other`);
  });

  it('release does not remove a lock that is no longer ours', () => {
    const dir = tmp();
    const lock = acquireHostLock(dir, 'edge-1', 'mine');
    writeFileSync(
      lock.path,
      JSON.stringify({ pid: process.pid, runId: 'someone-else', hostname: hostname(), startedAt: 'x' }),
    );
    lock.release();
    expect(readHostLock(dir, 'edge-1')?.runId).toBe('someone-else');
  });
});
