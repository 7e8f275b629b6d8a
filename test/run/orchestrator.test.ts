/**
 * The run orchestrator as a library (what a worker, `watch` or `test` calls): a fleet over the
 * in-memory transport with a scripted approver, the run record it leaves, locks, batches, the
 * disruptive-failure rule and the abort signal.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/engine/executor.js';
import { runRunbook, type RunRunbookOptions } from '../../src/run/orchestrator.js';
import type { Target } from '../../src/fleet/target.js';
import { getProfile } from '../../src/platforms/index.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { resumeState } from '../../src/store/resume.js';
import { DirectoryStore } from '../../src/store/directory.js';
import { acquireHostLock } from '../../src/store/lock.js';
import { MemoryTransport, type DeviceFn } from '../../src/transport/memory.js';

const RUNBOOK = `
runbook: clear-one-peer
platform: cisco-iosxe
steps:
  - id: sa
    run: show crypto ipsec sa peer 10.1.1.1
    capture:
      decaps: {regex: '#pkts decaps: (?<n>\\d+)', types: {n: int}}
  - id: healthy
    when: decaps.n > 0
    end: {status: ok, message: 'decaps growing; nothing to do'}
  - id: clear
    run: clear crypto sa peer 10.1.1.1
    changes: Deletes the SAs with 10.1.1.1 only
  - id: verify
    run: show crypto ipsec sa peer 10.1.1.1
    expect:
      - regex: '#pkts decaps: [1-9]'
`;

/** A router whose SA has `decaps` packets until cleared; clearing fixes it unless `clearFails`. */
function router(decaps: number, clearFails = false): { device: DeviceFn; sent: string[] } {
  const sent: string[] = [];
  let n = decaps;
  const device: DeviceFn = (command) => {
    sent.push(command);
    if (command.startsWith('show crypto ipsec sa')) return `   #pkts encaps: 100\n   #pkts decaps: ${n}\n`;
    if (command === 'clear crypto sa peer 10.1.1.1') {
      if (!clearFails) n = 5;
      return '';
    }
    return `% Invalid input detected at '^' marker.`;
  };
  return { device, sent };
}

async function setup(routers: Record<string, { device: DeviceFn; sent: string[] }>) {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-orch-'));
  const file = join(dir, 'rb.yaml');
  writeFileSync(file, RUNBOOK);
  const runbook = await loadRunbook(file);
  const targets: Target[] = Object.keys(routers).map((name, i) => ({
    name,
    address: '127.0.0.1',
    port: 2200 + i,
    platform: 'cisco-iosxe',
  }));
  const store = new DirectoryStore(join(dir, 'state'));
  const run = await store.createRun({
    runbookPath: file,
    runbookName: runbook.name,
    contentHash: runbook.contentHash,
    vars: {},
    targets: targets.map(({ name, address, port, platform }) => ({ name, address, port, platform })),
    mode: 'exec',
    argv: [],
  });
  const base: RunRunbookOptions = {
    runbook,
    vars: {},
    targets,
    mode: 'exec',
    store,
    run,
    transport: (t) =>
      new MemoryTransport({ profile: getProfile(t.platform), device: routers[t.name]!.device }),
    fleet: { forks: 2, keepGoing: false },
    sleep: async () => undefined,
  };
  return { base, store, run, dir };
}

describe('runRunbook (the library entry point)', () => {
  it('runs a fleet with a scripted approver: approved hosts change, a declined one does not', async () => {
    const routers = { r1: router(0), r2: router(0), r3: router(7), r4: router(0) };
    const { base, store, run } = await setup(routers);
    const asked: ApprovalRequest[] = [];
    const result = await runRunbook({
      ...base,
      approver: async (req) => {
        asked.push(req);
        return req.host !== 'r2';
      },
    });
    expect(asked.map((r) => [r.host, r.stepId, r.command])).toEqual(
      expect.arrayContaining([
        ['r1', 'clear', 'clear crypto sa peer 10.1.1.1'],
        ['r2', 'clear', 'clear crypto sa peer 10.1.1.1'],
        ['r4', 'clear', 'clear crypto sa peer 10.1.1.1'],
      ]),
    );
    expect(asked).toHaveLength(3);
    expect(Object.fromEntries(result.outcomes)).toEqual({ r1: 'ok', r2: 'failed', r3: 'ok', r4: 'ok' });
    expect(routers.r1.sent).toContain('clear crypto sa peer 10.1.1.1');
    expect(routers.r2.sent).not.toContain('clear crypto sa peer 10.1.1.1');
    expect(routers.r3.sent).toEqual(['show crypto ipsec sa peer 10.1.1.1']);
    expect(result.exitCode).toBe(1);
    expect(result.failedHosts).toEqual(['r2']);
    expect(result.retryFile).toBeDefined();
    // the document and the run record say the same
    const doc = result.document;
    expect(doc.hosts.map((h) => [h.host, h.outcome])).toEqual([
      ['r1', 'ok'],
      ['r2', 'failed'],
      ['r3', 'ok'],
      ['r4', 'ok'],
    ]);
    expect(doc.hosts.find((h) => h.host === 'r1')!.disruptive).toEqual(['clear crypto sa peer 10.1.1.1']);
    const reopened = await store.openRun(run.meta.id);
    expect(resumeState(await reopened.readJournal('r1')).outcome).toBe('ok');
    expect(resumeState(await reopened.readJournal('r2')).outcome).toBe('failed');
    expect((await reopened.status()).outcome).toBe('failed');
    await reopened.close();
  });

  it('without an approver, hosts stop before their first disruptive command (exit 4)', async () => {
    const routers = { r1: router(0), r2: router(3) };
    const { base } = await setup(routers);
    const result = await runRunbook(base);
    expect(Object.fromEntries(result.outcomes)).toEqual({ r1: 'awaiting-approval', r2: 'ok' });
    expect(routers.r1.sent).not.toContain('clear crypto sa peer 10.1.1.1');
    expect(result.exitCode).toBe(4);
  });

  it('after a disruptive step failed on one host, later approvals are refused fleet-wide and the result says why', async () => {
    const routers = { r1: router(0, true), r2: router(0), r3: router(0) };
    const { base } = await setup(routers);
    let asked = 0;
    const result = await runRunbook({
      ...base,
      fleet: { forks: 1, keepGoing: false },
      approver: async () => {
        asked++;
        return true;
      },
    });
    expect(result.outcomes.get('r1')).toBe('failed');
    expect(asked).toBe(1);
    expect(routers.r2.sent).not.toContain('clear crypto sa peer 10.1.1.1');
    expect(routers.r3.sent).not.toContain('clear crypto sa peer 10.1.1.1');
    expect(result.document.messages.join('\n')).toMatch(/a disruptive step failed on r1/);
  });

  it('an aborted signal starts no host: every host is not-run and the exit code is 4', async () => {
    const routers = { r1: router(0), r2: router(0) };
    const { base } = await setup(routers);
    const stop = new AbortController();
    stop.abort();
    const result = await runRunbook({ ...base, approver: async () => true, signal: stop.signal });
    expect([...result.outcomes.values()]).toEqual(['not-run', 'not-run']);
    expect(routers.r1.sent).toEqual([]);
    expect(result.exitCode).toBe(4);
  });

  it('a host locked by a live run refuses the whole run before anything is sent, and leaves no record', async () => {
    const routers = { r1: router(0), r2: router(0) };
    const { base, store } = await setup(routers);
    const held = acquireHostLock(store.location, 'r2', 'another-run');
    try {
      await expect(runRunbook({ ...base, approver: async () => true })).rejects.toMatchObject({
        code: 'E_LOCKED',
      });
    } finally {
      held.release();
    }
    expect(routers.r1.sent).toEqual([]);
    expect(await store.listRuns()).toEqual([]);
  });
});
