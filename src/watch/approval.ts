/**
 * Approval from another terminal, through files in the run's directory:
 * - `<run-dir>/approval/request.json`: the step a run waits for (written by the watcher's
 *   approver while it waits, removed once decided);
 * - `<run-dir>/approval/decisions.jsonl`: one line per `runbook approve <run-id> [--step KEY]
 *   [--deny]` (appended with O_APPEND: concurrent writers never interleave a line).
 * A decision without a step applies to every step of the run; with one, to the step whose key or
 * id it names. The newest applicable decision wins. An unanswered request times out as a denial.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import type { ApprovalRequest } from '../engine/options.js';
import type { Approver } from '../run/orchestrator.js';
import { abortableSleep } from '../sleep.js';

export interface ApprovalDecision {
  decision: 'approve' | 'deny';
  /** A step key or id; absent: every step of the run. */
  step?: string;
  /** ISO time. */
  at: string;
  /** Login name of who decided. */
  by: string;
}

export interface PendingApproval {
  host: string;
  stepId: string;
  key: string;
  command: string;
  impact: string;
  inDoubt: boolean;
  askedAt: string;
  /** ISO time the request is denied if nobody answers. */
  deadline: string;
}

const dirOf = (runDir: string): string => join(runDir, 'approval');

/** Append a decision (what `runbook approve` does). */
export function writeDecision(runDir: string, d: Omit<ApprovalDecision, 'at' | 'by'>): ApprovalDecision {
  mkdirSync(dirOf(runDir), { recursive: true });
  let by = 'unknown';
  try {
    by = userInfo().username;
  } catch {
    // no passwd entry (a container): keep 'unknown'
  }
  const full: ApprovalDecision = { ...d, at: new Date().toISOString(), by };
  appendFileSync(join(dirOf(runDir), 'decisions.jsonl'), `${JSON.stringify(full)}\n`, { mode: 0o600 });
  return full;
}

export function readDecisions(runDir: string): ApprovalDecision[] {
  const path = join(dirOf(runDir), 'decisions.jsonl');
  if (!existsSync(path)) return [];
  const out: ApprovalDecision[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const d = JSON.parse(line) as ApprovalDecision;
      if (d.decision === 'approve' || d.decision === 'deny') out.push(d);
    } catch {
      // a torn or empty line: ignored
    }
  }
  return out;
}

export function readPending(runDir: string): PendingApproval | undefined {
  const path = join(dirOf(runDir), 'request.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PendingApproval;
  } catch {
    return undefined;
  }
}

/** The newest decision that applies to this step, if any. */
function decisionFor(
  decisions: readonly ApprovalDecision[],
  req: { key: string; stepId: string },
): ApprovalDecision | undefined {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const d = decisions[i]!;
    if (d.step === undefined || d.step === req.key || d.step === req.stepId) return d;
  }
  return undefined;
}

export interface FileApproverOptions {
  runDir: () => string;
  timeoutMs: number;
  /** How often the decisions file is read (default 250 ms). */
  pollMs?: number;
  /** Told when a step starts waiting and how it was decided. */
  say(text: string): void;
  /** The command a person runs to approve (for the log line). */
  approveCommand: (req: ApprovalRequest) => string;
  /** Aborted: the wait ends with E_INTERRUPTED (nothing sent; resumable). */
  signal?: AbortSignal;
}

/** An approver that waits for `runbook approve` (see the file header). */
export function fileApprover(o: FileApproverOptions): Approver {
  return async (req) => {
    const dir = dirOf(o.runDir());
    mkdirSync(dir, { recursive: true });
    const deadline = Date.now() + o.timeoutMs;
    const pending: PendingApproval = {
      host: req.host,
      stepId: req.stepId,
      key: req.key,
      command: req.command,
      impact: req.impact,
      inDoubt: req.inDoubt,
      askedAt: new Date().toISOString(),
      deadline: new Date(deadline).toISOString(),
    };
    writeFileSync(join(dir, 'request.json'), `${JSON.stringify(pending, null, 2)}\n`, { mode: 0o600 });
    o.say(
      `waiting for approval: ${req.host} step ${req.stepId}: ${req.command} (impact: ${req.impact}); approve with: ${o.approveCommand(req)}`,
    );
    try {
      for (;;) {
        const d = decisionFor(readDecisions(o.runDir()), req);
        if (d) {
          o.say(
            `${d.decision === 'approve' ? 'approved' : 'denied'} by ${d.by}: ${req.host} step ${req.stepId}`,
          );
          return d.decision === 'approve';
        }
        if (Date.now() >= deadline) {
          o.say(`approval timed out: ${req.host} step ${req.stepId} was not sent`);
          return false;
        }
        if (o.signal?.aborted)
          throw new RunbookError('E_INTERRUPTED', 'interrupted while waiting for approval');
        await abortableSleep(Math.min(o.pollMs ?? 250, Math.max(1, deadline - Date.now())), o.signal);
      }
    } finally {
      rmSync(join(dir, 'request.json'), { force: true });
    }
  };
}
