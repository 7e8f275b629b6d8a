import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { DirectoryStore } from '../../src/store/directory.js';
import { lockPath, releaseAllHostLocks } from '../../src/store/lock.js';
import { storeContract } from './contract.js';

afterEach(() => releaseAllHostLocks());

storeContract('directory', {
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-dirstore-'));
    return { store: new DirectoryStore(dir), twin: async () => new DirectoryStore(dir) };
  },
  async plantDeadLock(store, host, runId) {
    // the pid of a process that has exited
    const pid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    const path = lockPath(store.location, host);
    mkdirSync(join(store.location, 'locks'), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({ pid: Number(pid), runId, hostname: hostname(), startedAt: new Date().toISOString() }),
    );
  },
});
