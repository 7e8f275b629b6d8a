/** What the executor takes and gives back: its options, approval requests, and a host's result. */
import type { Value } from '../expr/types.js';
import type { Runbook } from '../runbook/model.js';
import type { TargetHost, Transport } from '../transport/types.js';
import type { ApprovalDecision, Evidence, HostOutcome, Reporter, StepOutcome } from './events.js';
import type { ResultRecord, StepRecord, WouldRun } from './records.js';
import type { TimelineResult } from './timeline.js';

export interface ApprovalRequest {
  host: string;
  stepId: string;
  key: string;
  /** The rendered command (secrets masked). */
  command: string;
  impact: string;
  evidence: Evidence[];
  /** The step started in an earlier run and never finished: it may already have been sent. */
  inDoubt: boolean;
}

export interface ExecutorOptions {
  runbook: Runbook;
  host: TargetHost;
  transport: Transport;
  /** Resolved runbook vars (from resolveVars); absent optional vars are simply not there. */
  vars: Record<string, Value>;
  mode: 'exec' | 'dry-run';
  /**
   * Asked before every disruptive command in exec mode. Absent: nothing can be approved, so the run
   * stops (outcome 'awaiting-approval') before sending the first disruptive command. `true`/`false`
   * are yes/no; a decision can also skip the step (nothing sent, the walk goes on) or quit (the
   * host stops 'interrupted', nothing sent), and says how it was decided (for the change record).
   */
  approve?: (req: ApprovalRequest) => Promise<boolean | ApprovalDecision>;
  emit: Reporter;
  /** Aborted: stop between steps (outcome 'interrupted', stoppedAt = key of the next step). */
  signal?: AbortSignal;
  /**
   * Aborted: abort the command being run too (passed to the transport as RunOptions.signal); the
   * host stops 'interrupted' at that step, which gets no step-end (a disruptive one is in doubt).
   */
  commandSignal?: AbortSignal;
  /** Skip every step before this step id (fresh run --start-at); an unknown id is a usage error thrown before connecting. */
  startAt?: string;
  /**
   * Resume: steps whose key is in `completed` are not run again; their recorded bindings (the
   * step-end `scope`) are restored. Disruptive steps whose key is in `inDoubt` are asked for again
   * with inDoubt = true.
   */
  restore?: {
    /** `results`: the rows the step (and the steps inside it) recorded; a restored step records them again. */
    completed: Map<
      string,
      { scope: Record<string, Value>; outcome: StepOutcome; results?: readonly TimelineResult[] }
    >;
    inDoubt: Set<string>;
  };
  /** Sleep that resolves early when the signal aborts (injected by tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Delays before each reconnect attempt after a dropped session; default RECONNECT_DELAYS_MS. */
  reconnectDelaysMs?: number[];
  /** More text masked in everything handed out (passwords, enable secrets, decrypted vault values). */
  secrets?: readonly string[];
}

export interface HostResult {
  host: string;
  outcome: HostOutcome;
  message: string;
  durationMs: number;
  /** One record per finished step (groups and for_each iterations included), in order. */
  steps: StepRecord[];
  /** Disruptive commands sent (secrets masked). */
  disruptive: string[];
  /** Disruptive steps a dry-run reached and did not send. */
  wouldRun: WouldRun[];
  /** Rows of the host's results table (steps' `result:`), in the order they were recorded. */
  results: ResultRecord[];
  /** Key of the step where the run stopped, when it did not finish. */
  stoppedAt?: string;
  /** The connection error, when the host was unreachable at open(). */
  error?: { code: string; message: string; hint?: string };
}
