/**
 * Who approves a disruptive step, and how (for the change record): `--yes` (or `resume --yes`)
 * approves every step; on a terminal a person answers per step, as Ansible's `--step` asks:
 * [y]es, [n]o (the host fails), [s]kip this step (nothing sent; the runbook's own verification
 * decides the host's outcome), [a]ll (this and every later step of this run, on every host), or
 * [q]uit (nothing sent; the run stops, resumable). Without either, there is no approver: the run
 * stops before the first disruptive command (awaiting approval).
 */
import type { ApprovalRequest } from '../engine/executor.js';
import type { ApprovalAnswer, ApprovalDecision } from '../engine/events.js';

/** The choices, as the prompt lists them. */
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

export interface ApproverOptions {
  /** `--yes` given. */
  yes: boolean;
  /** This session resumes a run (`--yes` is then recorded as `resume-yes`). */
  resumed: boolean;
  /** Ask a person; absent: no terminal. Rejects with E_INTERRUPTED on Ctrl-C. */
  ask?: (question: string) => Promise<string>;
  /** The question for a request. */
  question: (req: ApprovalRequest) => string;
  /** A person answered quit: stop the run (other hosts stop between steps). */
  onQuit: () => void;
}

export type Approver = (req: ApprovalRequest) => Promise<ApprovalDecision>;

/** The approver of a session, or undefined when nothing can approve (no --yes, no terminal). */
export function createApprover(o: ApproverOptions): Approver | undefined {
  if (o.yes) return async () => ({ answer: 'yes', how: o.resumed ? 'resume-yes' : 'yes-flag' });
  const ask = o.ask;
  if (!ask) return undefined;
  let all = false;
  return async (req) => {
    if (all) return { answer: 'yes', how: 'all' };
    let answer: ApprovalAnswer | undefined;
    let question = o.question(req);
    while (answer === undefined) {
      answer = parseApprovalAnswer(await ask(question));
      question = `please answer ${APPROVAL_CHOICES}: `;
    }
    if (answer === 'all') all = true;
    if (answer === 'quit') o.onQuit();
    return { answer, how: 'interactive' };
  };
}
