/**
 * What a host's walk leaves behind, as plain JSON-safe data (ints are numbers, or decimal strings
 * beyond 2^53): one StepRecord per finished step (the same facts as its `step-end` event) and one
 * WouldRun per disruptive step a dry-run reached. Secret values are already masked.
 */
import type { StepKind } from '../runbook/model.js';
import type { StepOutcome } from './events.js';

export interface StepRecord {
  /** Execution key, e.g. `per-peer[1]/clear-sa`. */
  key: string;
  stepId: string;
  kind: StepKind;
  outcome: StepOutcome;
  durationMs: number;
  /** Commands sent by this step, every attempt. */
  commands: string[];
  /** Captures of this step, by capture name (JSON-safe). */
  captures: Record<string, unknown>;
  /** Number of attempts of a command step. */
  attempts?: number;
  /** The for_each item of an iteration record. */
  item?: unknown;
  message?: string;
  error?: { code: string; message: string };
}

/** One piece of evidence for a would-run: an earlier step's captures and matched lines, or the conditions that held. */
export interface EvidenceRecord {
  stepId: string;
  key?: string;
  captures?: Record<string, unknown>;
  lines?: string[];
  conditions?: string[];
}

/** A disruptive step a dry-run reached and did not send. */
export interface WouldRun {
  key: string;
  stepId: string;
  command: string;
  impact: string;
  evidence: EvidenceRecord[];
  /** Set when the step may run only if this earlier would-run does not verify. */
  hingesOn?: { key: string; stepId: string; title: string; command: string };
}

/** A row of a host's results table (a step's `result:`), JSON-safe. */
export interface ResultRecord {
  /** Execution key of the step that recorded it, e.g. `per-peer[1]`. */
  key: string;
  stepId: string;
  /** Column -> value (a scalar or a list of scalars), in the author's order. */
  fields: Record<string, unknown>;
}
