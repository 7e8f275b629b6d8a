/**
 * A journal that cannot be written part-way through a run: the disruptive command whose record
 * cannot be written is never sent, the run stops with E_STATE, and the CLI's explanation names
 * the resume command.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainStateFailure } from '../../src/cli/state-failure.js';
import { RunbookError } from '../../src/errors.js';
import { runRunbook } from '../../src/run/orchestrator.js';
import { getProfile } from '../../src/platforms/index.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { DirectoryStore } from '../../src/store/directory.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { caught } from '../helpers/errors.js';

const RUNBOOK = `
runbook: clear-one-peer
platform: cisco-iosxe
steps:
  - id: sa
    run: show crypto ipsec sa peer 10.1.1.1
  - id: clear
    run: clear crypto sa peer 10.1.1.1
    changes: Deletes the SAs with 10.1.1.1 only
`;

describe('a journal that fails before a disruptive command', () => {
  it('the command is never sent; E_STATE, explained with the resume command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-statefail-'));
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, RUNBOOK);
    const runbook = await loadRunbook(file);
    const store = new DirectoryStore(join(dir, 'state'));
    const target = { name: 'r1', address: '127.0.0.1', port: 2200, platform: 'cisco-iosxe' as const };
    const run = await store.createRun({
      runbookPath: file,
      runbookName: runbook.name,
      contentHash: runbook.contentHash,
      vars: {},
      targets: [target],
      mode: 'exec',
      argv: [],
    });
    const sent: string[] = [];
    const journal = join(dir, 'state', 'runs', run.meta.id, 'hosts', 'r1.jsonl');
    const err = await caught(
      runRunbook({
        runbook,
        vars: {},
        targets: [target],
        mode: 'exec',
        store,
        run,
        transport: () =>
          new MemoryTransport({
            profile: getProfile('cisco-iosxe'),
            device: (command) => (sent.push(command), '   #pkts decaps: 0\n'),
          }),
        fleet: { forks: 1, keepGoing: false },
        sleep: async () => undefined,
        // approved, but by then the journal can no longer be written (EISDIR stands for ENOSPC)
        approver: async () => {
          rmSync(journal);
          mkdirSync(journal);
          return true;
        },
      }),
    );
    expect(err.code).toBe('E_STATE');
    expect(err.message).toMatch(/cannot write the journal .*r1\.jsonl: it is a directory \(EISDIR\)/);
    expect(sent).toEqual(['show crypto ipsec sa peer 10.1.1.1']);

    const explained = await explainStateFailure(err, {
      run,
      hosts: ['r1'],
      resumeCommand: `runbook resume ${run.meta.id} --state-dir ${join(dir, 'state')}`,
    });
    expect(explained).toBeInstanceOf(RunbookError);
    expect((explained as RunbookError).code).toBe('E_STATE');
    expect((explained as RunbookError).message).toContain('; the run stopped');
    expect((explained as RunbookError).hint).toMatch(
      new RegExp(`then resume: runbook resume ${run.meta.id} --state-dir `),
    );
    // any other error passes through untouched
    const other = new RunbookError('E_USAGE', 'x');
    expect(await explainStateFailure(other, { run, hosts: ['r1'], resumeCommand: 'r' })).toBe(other);
  });
});
