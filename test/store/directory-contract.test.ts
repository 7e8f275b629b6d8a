import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { DirectoryStore } from '../../src/store/directory.js';
import { lockPath, releaseAllHostLocks } from '../../src/store/lock.js';
import { storeContract } from './contract.js';

afterEach(() => releaseAllHostLocks());

const journalFile = (store: { location: string }, runId: string, host: string): string =>
  join(store.location, 'runs', runId, 'hosts', `${host}.jsonl`);

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
  async damageRecord(store, runId, host, index, how) {
    const path = journalFile(store, runId, host);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[index] =
      how === 'edit' ? lines[index]!.replace(/"at":(\d+)/, '"at":9$1') : 'not a record, just noise';
    writeFileSync(path, lines.join('\n'));
  },
  async emptyJournal(store, runId, host) {
    truncateSync(journalFile(store, runId, host), 0);
  },
});
