/**
 * What resume needs from one host's journal. Records are replayed in order, so a journal that was
 * already resumed (several host-start ... host-end sessions) gives the state after the last one.
 */
import type { HostOutcome, StepOutcome } from '../engine/events.js';
import type { Value } from '../expr/types.js';
import type { JournalRecord } from './journal.js';

/** A disruptive step that started but has no step-end: it may or may not have changed the device. */
export interface InDoubtStep {
  key: string;
  stepId: string;
  title: string;
  /** ms since epoch of the step-start. */
  startedAt: number;
  /** Disruptive commands known to have been sent by that step (journaled before sending). */
  commandsSent: string[];
}

export interface ResumeState {
  /** The host's last session ended ok or failed: resume leaves it alone. */
  finished: boolean;
  /** Outcome of the last host-end, if any. */
  outcome?: HostOutcome;
  /** Steps that ended, by key, with the scope after them (secrets redacted) and their outcome. */
  completed: Map<string, { scope: Record<string, Value>; outcome: StepOutcome }>;
  /** Keys of disruptive steps that started and never ended. */
  inDoubt: Set<string>;
  /** Details of the in-doubt steps, by key. */
  inDoubtSteps: Map<string, InDoubtStep>;
  /** Key of the last step that ended: its scope is the scope to restore. */
  lastKey?: string;
  /** Whether the host ever started (a host-start record exists). */
  started: boolean;
}

export function resumeState(records: readonly JournalRecord[]): ResumeState {
  const state: ResumeState = {
    finished: false,
    completed: new Map(),
    inDoubt: new Set(),
    inDoubtSteps: new Map(),
    started: false,
  };
  const open = new Map<string, InDoubtStep & { disruptive: boolean }>();
  for (const rec of records) {
    switch (rec.type) {
      case 'host-start':
        state.started = true;
        state.finished = false;
        delete state.outcome;
        break;
      case 'step-start': {
        // Started again without an end in between (a later session stopped before sending it):
        // what the earlier session sent keeps the step in doubt.
        const earlier = open.get(rec.key);
        const sent = earlier?.commandsSent ?? [];
        const startedAt = earlier && sent.length > 0 ? earlier.startedAt : rec.at;
        open.set(rec.key, {
          key: rec.key,
          stepId: rec.stepId,
          title: rec.title,
          startedAt,
          commandsSent: [...sent],
          disruptive: rec.disruptive,
        });
        break;
      }
      case 'command':
        open.get(rec.key)?.commandsSent.push(rec.command);
        break;
      case 'approval':
      case 'would-run':
        break;
      case 'step-end': {
        open.delete(rec.key);
        const prev = state.completed.get(rec.key);
        // a step restored from the journal keeps the outcome it really had
        const outcome = rec.outcome === 'restored' && prev ? prev.outcome : rec.outcome;
        state.completed.set(rec.key, { scope: rec.scope, outcome });
        state.lastKey = rec.key;
        break;
      }
      case 'host-end':
        state.outcome = rec.outcome;
        state.finished = rec.outcome === 'ok' || rec.outcome === 'failed';
        break;
      default: {
        const never: never = rec;
        throw new Error(`unhandled journal record ${JSON.stringify(never)}`);
      }
    }
  }
  // In doubt: a disruptive step that journaled a command (written before sending) and never ended.
  // A step stopped before sending (awaiting approval, interrupted) simply runs again.
  for (const step of open.values()) {
    if (!step.disruptive || step.commandsSent.length === 0) continue;
    const { disruptive: _d, ...info } = step;
    state.inDoubt.add(step.key);
    state.inDoubtSteps.set(step.key, info);
  }
  return state;
}
