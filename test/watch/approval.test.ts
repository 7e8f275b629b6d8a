import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/engine/executor.js';
import { fileApprover, readDecisions, readPending, writeDecision } from '../../src/watch/approval.js';
import { RunStore } from '../../src/store/runs.js';
import { runCli } from '../helpers/cli.js';

const req = (key: string, stepId: string): ApprovalRequest => ({
  host: 'edge1',
  stepId,
  key,
  command: 'clear crypto sa peer 10.40.40.1',
  impact: 'that peer only',
  evidence: [],
  inDoubt: false,
});

describe('approval through the run directory', () => {
  let dir: string;
  let lines: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-approval-'));
    mkdirSync(join(dir, 'run'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const approver = (timeoutMs = 10_000, signal?: AbortSignal) =>
    fileApprover({
      runDir: () => join(dir, 'run'),
      timeoutMs,
      pollMs: 5,
      say: (t) => lines.push(t),
      approveCommand: (r) => `runbook approve X --step ${r.key}`,
      ...(signal ? { signal } : {}),
    });

  it('waits with a pending request until `approve --step KEY`; a decision for another step does not count', async () => {
    const asked = approver()(req('per-peer[0]/clear', 'clear'));
    await new Promise((r) => setTimeout(r, 20));
    expect(readPending(join(dir, 'run'))).toMatchObject({
      key: 'per-peer[0]/clear',
      command: 'clear crypto sa peer 10.40.40.1',
    });
    writeDecision(join(dir, 'run'), { decision: 'approve', step: 'something-else' });
    await new Promise((r) => setTimeout(r, 20));
    writeDecision(join(dir, 'run'), { decision: 'approve', step: 'per-peer[0]/clear' });
    expect(await asked).toBe(true);
    expect(readPending(join(dir, 'run'))).toBeUndefined();
    expect(lines[0]).toContain('approve with: runbook approve X --step per-peer[0]/clear');
  });

  it('a run-wide decision applies to every step; --deny refuses; the newest decision wins', async () => {
    writeDecision(join(dir, 'run'), { decision: 'approve' });
    expect(await approver()(req('a', 'a'))).toBe(true);
    writeDecision(join(dir, 'run'), { decision: 'deny', step: 'b' });
    expect(await approver()(req('b', 'b'))).toBe(false);
    expect(await approver()(req('c', 'c'))).toBe(true);
  });

  it('an unanswered request times out as a denial; an abort stops the wait (resumable)', async () => {
    expect(await approver(30)(req('a', 'a'))).toBe(false);
    expect(lines.at(-1)).toMatch(/approval timed out/);
    const ctl = new AbortController();
    const waiting = approver(10_000, ctl.signal)(req('b', 'b'));
    ctl.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
  });

  it('runbook approve writes the decision; an unknown run id is exit 2 with a hint', async () => {
    const store = new RunStore(join(dir, 'state'));
    const run = await store.create({
      runbookPath: '/x.yaml',
      runbookName: 'x',
      contentHash: 'h',
      vars: {},
      targets: [],
      mode: 'exec',
      argv: [],
    });
    run.close();
    const ok = await runCli(['approve', run.meta.id, '--step', 'clear', '--state-dir', join(dir, 'state')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`approved step clear of run ${run.meta.id}`);
    expect(readDecisions(run.dir)).toEqual([expect.objectContaining({ decision: 'approve', step: 'clear' })]);
    const bad = await runCli(['approve', '20990101-000000-beef', '--state-dir', join(dir, 'state')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no run 20990101-000000-beef/);
    expect(bad.stderr).toMatch(/hint: list the recorded runs/);
  });
});
