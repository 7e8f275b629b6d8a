/**
 * A worker's approver: a disruptive step waits until the operator decides it through the store
 * (the operator's `exec --workers` answers: a prompt, or `--yes`, with the fleet's rules). The
 * request carries the question the operator sees; the worker polls for the decision.
 */
import { RunbookError } from '../errors.js';
import { approvalQuestion } from '../run/approvers.js';
import type { Approver } from '../run/orchestrator.js';
import { abortableSleep } from '../sleep.js';
import type { StoreRun } from '../store/types.js';

export interface StoreApproverOptions {
  run: StoreRun;
  /** Aborted: stop waiting (E_INTERRUPTED). */
  signal: AbortSignal;
  /** How often to look for the decision (default 100 ms). */
  pollMs?: number;
}

export function storeApprover(o: StoreApproverOptions): Approver {
  const asked = new Map<string, number>();
  return async (req) => {
    const base = `${req.host}|${req.key}`;
    const attempt = asked.get(base) ?? 0;
    asked.set(base, attempt + 1);
    const id = await o.run.requestApproval({
      host: req.host,
      key: req.key,
      stepId: req.stepId,
      command: req.command,
      impact: req.impact,
      inDoubt: req.inDoubt,
      question: approvalQuestion(req),
      evidence: req.evidence,
      // a resumed in-doubt step is a new question, never an old answer
      attempt: req.inDoubt ? 1000 + attempt : attempt,
    });
    for (;;) {
      const a = (await o.run.approvals()).find((x) => x.id === id);
      if (a?.decision) return a.decision.approved;
      if (o.signal.aborted) throw new RunbookError('E_INTERRUPTED', 'stopped while awaiting approval');
      await abortableSleep(o.pollMs ?? 100, o.signal);
    }
  };
}
