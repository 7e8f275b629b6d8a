/**
 * Approvers for the orchestrator. `askingApprover` asks a person one question at a time (however
 * many hosts are in flight) through the caller's `ask` (a terminal prompt, the live progress
 * prompt); a question still waiting its turn when the run is interrupted is never asked. Every
 * decision says how it was made (interactive, --yes, resume --yes, an earlier `all`): the run
 * record keeps it.
 */
import { RunbookError } from '../errors.js';
import type { ApprovalAnswer, ApprovalDecision } from '../engine/events.js';
import type { ApprovalRequest } from '../engine/executor.js';
import type { Approver } from './orchestrator.js';

/** The choices, as the prompt lists them (Ansible `--step`'s habit). */
export const APPROVAL_CHOICES = '[y]es / [n]o / [s]kip this step / [a]ll / [q]uit';

/** An answer line as an ApprovalAnswer; undefined when it is none of them (ask again). Empty is no. */
export function parseApprovalAnswer(line: string): ApprovalAnswer | undefined {
  const a = line.trim().toLowerCase();
  if (a === '' || a === 'n' || a === 'no') return 'no';
  if (a === 'y' || a === 'yes') return 'yes';
  if (a === 's' || a === 'skip') return 'skip';
  if (a === 'a' || a === 'all') return 'all';
  if (a === 'q' || a === 'quit') return 'quit';
  return undefined;
}

/** Approves everything, saying how for the change record: `--yes` (`yes-flag`) or `resume --yes`. */
export function approveAllAs(how: 'yes-flag' | 'resume-yes'): Approver {
  return async () => ({ answer: 'yes', how });
}

export interface AskingApproverOptions {
  /** Ask the question; resolves with the answer line. */
  ask(question: string): Promise<string>;
  /** Aborted: questions not yet asked reject with E_INTERRUPTED. */
  signal?: AbortSignal;
  /** Terminal width for the question's lines. */
  width?: number;
  /** A person answered quit: the caller stops the run (other hosts stop between steps). */
  onQuit?: () => void;
}

/**
 * A person answers per step: yes, no (the host fails), skip this step (nothing sent; the
 * runbook's own verification decides the host's outcome), all (this and every later step of the
 * run, on every host, without asking), or quit (nothing sent; the run stops, resumable). Anything
 * else is asked again.
 */
export function askingApprover(o: AskingApproverOptions): Approver {
  let asking: Promise<unknown> = Promise.resolve();
  let all = false;
  return (req) => {
    const next = asking.then(async (): Promise<ApprovalDecision> => {
      if (o.signal?.aborted)
        throw new RunbookError('E_INTERRUPTED', 'interrupted before the question was asked');
      if (all) return { answer: 'yes', how: 'all' };
      let question = approvalQuestion(req, o.width);
      let answer: ApprovalAnswer | undefined;
      while (answer === undefined) {
        answer = parseApprovalAnswer(await o.ask(question));
        question = `please answer ${APPROVAL_CHOICES}: `;
      }
      if (answer === 'all') all = true;
      if (answer === 'quit') o.onQuit?.();
      return { answer, how: 'interactive' };
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
  return `${req.host}: step ${req.stepId} wants to run\n  ${req.command}\n  impact: ${req.impact}${because}${doubt}\nRun it? ${APPROVAL_CHOICES} (default n): `;
}
