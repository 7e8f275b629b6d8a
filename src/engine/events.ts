/**
 * Events the executor emits (a discriminated union on `kind`). Reporters, the run journal and
 * transcripts listen; nothing in the engine prints. Every event carries the host name and a time.
 * `key` identifies one execution of a step: the step id, prefixed by its enclosing for_each
 * iterations (`per-peer[1]/clear-sa`), stable across runs so resume can match journal records.
 */
import type { Value } from '../expr/types.js';
import type { StepKind } from '../runbook/model.js';

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'would-run' | 'ended' | 'restored';
export type HostOutcome = 'ok' | 'failed' | 'awaiting-approval' | 'interrupted' | 'unreachable';

/**
 * Dry-run: the earlier would-run whose unsent change this one hinges on. A condition on the way to
 * this step read output taken after that change was (not) sent, so this step runs only if that
 * change does not verify: "may run", not "would run".
 */
export interface HingesOn {
  key: string;
  stepId: string;
  /** The step's name (its id when it has none). */
  title: string;
  command: string;
}

/**
 * The answer to an approval question: approve (`yes`), refuse (`no`: the host fails), skip this step
 * (`skip`: nothing sent, the walk goes on and the runbook's own verification decides), approve this
 * and every later one (`all`), or stop the run (`quit`: nothing sent, resumable).
 */
export type ApprovalAnswer = 'yes' | 'no' | 'skip' | 'all' | 'quit';

/**
 * How an approval was decided: `interactive` (a person answered the prompt), `yes-flag` (`--yes`),
 * `resume-yes` (`runbook resume --yes`), `all` (an earlier `all` answer in this session).
 */
export type ApprovalHow = 'interactive' | 'yes-flag' | 'resume-yes' | 'all';

/** An approver's decision; a bare boolean is `yes`/`no` with no `how`. */
export interface ApprovalDecision {
  answer: ApprovalAnswer;
  how: ApprovalHow;
}

/** Why a disruptive step was reached: matched lines and captured values. */
export interface Evidence {
  stepId: string;
  /** Captures of that step (secrets redacted). */
  captures?: Record<string, Value>;
  /** Lines of output that matched. */
  lines?: string[];
  /** The conditions that held on the way (`when` sources). */
  conditions?: string[];
}

interface Base {
  host: string;
  /** ms since epoch */
  at: number;
}

export type EngineEvent =
  | (Base & { kind: 'host-start'; runbook: string; dryRun: boolean })
  | (Base & { kind: 'connecting'; address: string; port: number })
  | (Base & { kind: 'connected' })
  | (Base & {
      kind: 'step-start';
      key: string;
      stepId: string;
      title: string;
      disruptive: boolean;
      item?: Value;
    })
  | (Base & {
      kind: 'command-sent';
      key: string;
      stepId: string;
      command: string;
      disruptive: boolean;
      attempt: number;
    })
  | (Base & { kind: 'command-output'; key: string; stepId: string; output: string; exitCode?: number })
  | (Base & {
      kind: 'retry-wait';
      key: string;
      stepId: string;
      attempt: number;
      of: number;
      delayMs: number;
      reason: string;
    })
  | (Base & { kind: 'approval-request'; key: string; stepId: string; command: string; impact: string })
  | (Base & {
      kind: 'approval-result';
      key: string;
      stepId: string;
      approved: boolean;
      command?: string;
      impact?: string;
      how?: ApprovalHow;
      answer?: ApprovalAnswer;
      inDoubt?: boolean;
      /** Why the step was reached (the same evidence the question showed). */
      evidence?: Evidence[];
    })
  | (Base & {
      kind: 'would-run';
      key: string;
      stepId: string;
      command: string;
      impact: string;
      evidence: Evidence[];
      /** Set when the step may run only if an earlier would-run does not verify. */
      hingesOn?: HingesOn;
    })
  | (Base & { kind: 'reconnecting'; key: string; attempt: number; delayMs: number })
  /**
   * A row of the host's results table, from the `result:` of the step `key` (emitted just before its
   * step-end). Fields in the author's column order; each a scalar or a list of scalars, secrets
   * masked. A later row with the same key (the step run again on resume) replaces it.
   */
  | (Base & { kind: 'result'; key: string; stepId: string; fields: Record<string, Value> })
  | (Base & {
      kind: 'step-end';
      key: string;
      stepId: string;
      outcome: StepOutcome;
      durationMs: number;
      /** Commands actually sent by this step (all attempts). */
      commands: string[];
      /** Captures of this step (secret values redacted). */
      captures: Record<string, Value>;
      /** Scope after the step, for resume (secret values redacted). */
      scope: Record<string, Value>;
      /** What kind of step ended (absent in journals written before it was recorded). */
      stepKind?: StepKind;
      /** Attempts of a command step. */
      attempts?: number;
      message?: string;
      error?: { code: string; message: string };
    })
  | (Base & {
      kind: 'host-end';
      outcome: HostOutcome;
      message: string;
      durationMs: number;
      /** Disruptive commands sent on this host. */
      disruptive: string[];
      /** Key of the step where the run stopped, when it did not finish. */
      stoppedAt?: string;
    });

export type Reporter = (event: EngineEvent) => void;
