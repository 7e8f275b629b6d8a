/**
 * Approvals per step, as Ansible's --step asks: y / n / skip this step / all / quit, each recorded
 * with how it was decided. A skipped disruptive step sends nothing and the runbook's own
 * verification decides the host's outcome.
 */
import { describe, expect, it } from 'vitest';
import { approveAllAs, askingApprover, parseApprovalAnswer } from '../../src/run/approvers.js';
import type { ApprovalRequest } from '../../src/engine/executor.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { run } from '../engine/harness.js';

const RB = compileRunbookSource(
  `runbook: clear-and-check
description: clear one SA and check it counts again
platform: cisco-iosxe
steps:
  - id: clear
    name: Clear the SA
    run: clear crypto sa peer 10.0.0.2
    changes: renegotiates the SA with 10.0.0.2
  - id: check
    run: show crypto ipsec sa peer 10.0.0.2
    expect: {contains: 'decaps: 1'}
`,
  'clear-and-check.yaml',
);

/** A device whose SA counts only after it was cleared. */
function device() {
  let cleared = false;
  return (command: string) => {
    if (command.startsWith('clear ')) {
      cleared = true;
      return '';
    }
    return `#pkts decaps: ${cleared ? 1 : 0}`;
  };
}

const req = (stepId: string): ApprovalRequest => ({
  host: 'edge1',
  stepId,
  key: stepId,
  command: 'clear crypto sa peer 10.0.0.2',
  impact: 'renegotiates',
  evidence: [],
  inDoubt: false,
});

describe('approval answers', () => {
  it('parses y, n, s, a, q and their words; an empty answer is no; anything else is none', () => {
    expect(
      ['y', 'YES', 'n', '', 's', 'skip', 'a', 'all', 'q', 'quit', 'maybe'].map(parseApprovalAnswer),
    ).toEqual(['yes', 'yes', 'no', 'no', 'skip', 'skip', 'all', 'all', 'quit', 'quit', undefined]);
  });

  it('asks again after an answer it does not know; all approves every later step without asking', async () => {
    const answers = ['maybe', 'a'];
    const asked: string[] = [];
    let quit = 0;
    const approve = askingApprover({
      ask: async (q) => {
        asked.push(q);
        return answers.shift() ?? 'n';
      },
      onQuit: () => quit++,
    });
    expect(await approve(req('one'))).toEqual({ answer: 'all', how: 'interactive' });
    expect(await approve(req('two'))).toEqual({ answer: 'yes', how: 'all' });
    expect(asked).toHaveLength(2);
    expect(asked[0]).toContain('Run it? [y]es / [n]o / [s]kip this step / [a]ll / [q]uit (default n): ');
    expect(asked[1]).toMatch(/^please answer \[y\]es/);
    expect(quit).toBe(0);
    expect(await approveAllAs('resume-yes')(req('three'))).toEqual({ answer: 'yes', how: 'resume-yes' });
  });

  it('skip: nothing is sent, the walk goes on and the verification fails the host; the skip is recorded', async () => {
    const r = await run(RB, device(), { approve: async () => ({ answer: 'skip', how: 'interactive' }) });
    expect(r.transport.sent).toEqual(['show crypto ipsec sa peer 10.0.0.2']);
    expect(r.end('clear')).toMatchObject({
      outcome: 'skipped',
      message: expect.stringMatching(/^skipped at approval/),
    });
    expect(r.end('check').outcome).toBe('failed');
    expect(r.result.outcome).toBe('failed');
    expect(r.of('approval-result')).toEqual([
      expect.objectContaining({
        key: 'clear',
        approved: false,
        answer: 'skip',
        how: 'interactive',
        command: 'clear crypto sa peer 10.0.0.2',
      }),
    ]);
  });

  it('yes sends it and the verification passes; quit stops the host, nothing sent, resumable', async () => {
    const yes = await run(RB, device(), { approve: async () => ({ answer: 'yes', how: 'yes-flag' }) });
    expect(yes.result.outcome).toBe('ok');
    expect(yes.of('approval-result')[0]).toMatchObject({ approved: true, how: 'yes-flag' });
    const quit = await run(RB, device(), { approve: async () => ({ answer: 'quit', how: 'interactive' }) });
    expect(quit.transport.sent).toEqual([]);
    expect(quit.result).toMatchObject({ outcome: 'interrupted', stoppedAt: 'clear' });
  });
});
