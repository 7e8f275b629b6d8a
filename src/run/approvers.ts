/**
 * Approvers for the orchestrator. `askingApprover` asks a person one question at a time (however
 * many hosts are in flight) through the caller's `ask` (a terminal prompt, the live progress
 * prompt); a question still waiting its turn when the run is interrupted is never asked.
 */
import { RunbookError } from '../errors.js';
import type { ApprovalRequest } from '../engine/executor.js';
import type { Approver } from './orchestrator.js';

export interface AskingApproverOptions {
  /** Ask the question; resolve true for yes. */
  ask(question: string): Promise<boolean>;
  /** Aborted: questions not yet asked reject with E_INTERRUPTED. */
  signal?: AbortSignal;
  /** Terminal width for the question's lines. */
  width?: number;
}

export function askingApprover(o: AskingApproverOptions): Approver {
  let asking: Promise<unknown> = Promise.resolve();
  return (req) => {
    const next = asking.then(async () => {
      if (o.signal?.aborted)
        throw new RunbookError('E_INTERRUPTED', 'interrupted before the question was asked');
      return o.ask(approvalQuestion(req, o.width));
    });
    asking = next.catch(() => undefined);
    return next;
  };
}

/** The approval question: the command, its blast radius, and the evidence that led there (a few lines). */
export function approvalQuestion(req: ApprovalRequest, width = 120): string {
  const doubt = req.inDoubt
    ? '\n  (IN DOUBT: an earlier run started this step and never finished it; it may already have run)'
    : '';
  const cut = (line: string): string => (line.length > width - 6 ? `${line.slice(0, width - 7)}…` : line);
  const why: string[] = [];
  // the decisions first (conditions that held), then the device lines behind them
  for (const e of req.evidence) for (const c of e.conditions ?? []) why.push(cut(`    held: ${c}`));
  for (const e of req.evidence)
    for (const line of e.lines ?? []) why.push(cut(`    ${e.stepId}: ${line.trim()}`));
  const shown =
    why.length > 8
      ? [...why.slice(0, 8), `    ... ${why.length - 8} more (--dry-run --json shows all the evidence)`]
      : why;
  const because = shown.length > 0 ? `\n  because:\n${shown.join('\n')}` : '';
  return `${req.host}: step ${req.stepId} wants to run\n  ${req.command}\n  impact: ${req.impact}${because}${doubt}\nRun it? [y/N] `;
}
