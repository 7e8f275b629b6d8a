/**
 * What resume needs from one host's journal, read through the one reducer (engine/timeline).
 * Records are replayed in order, so a journal that was already resumed (several host-start ...
 * host-end sessions) gives the state after the last one.
 */
import type { HostOutcome } from '../engine/events.js';
import { inDoubtSteps, timelineOf, type HostTimeline, type InDoubtStep } from '../engine/timeline.js';
import { recordToEvent, type JournalRecord } from './journal.js';

export type { InDoubtStep } from '../engine/timeline.js';

export interface ResumeState {
  /** The host's last session ended ok or failed: resume leaves it alone. */
  finished: boolean;
  /** Outcome of the last host-end, if any. */
  outcome?: HostOutcome;
  /**
   * Steps that ended, by key, with the scope after them (secrets redacted), their outcome, and the
   * result rows they and their inner steps recorded.
   */
  completed: HostTimeline['done'];
  /** Keys of disruptive steps that started and never ended. */
  inDoubt: Set<string>;
  /** Details of the in-doubt steps, by key. */
  inDoubtSteps: Map<string, InDoubtStep>;
  /** Key of the last step that ended: its scope is the scope to restore. */
  lastKey?: string;
  /** Whether the host ever started (a host-start record exists). */
  started: boolean;
}

/** A host's journal as a timeline (the same reducer live events go through). */
export function journalTimeline(host: string, records: readonly JournalRecord[]): HostTimeline {
  return timelineOf(
    host,
    records.map((r) => recordToEvent(host, r)),
  );
}

/**
 * `tornTail`: the journal's last line was cut off (a crash while writing it): a disruptive step
 * still open then stays in doubt even if no command record survived.
 */
export interface ResumeStateOptions {
  tornTail?: boolean;
}

export function resumeState(
  records: readonly JournalRecord[],
  host = '',
  opts: ResumeStateOptions = {},
): ResumeState {
  return resumeStateOf(journalTimeline(host, records), opts);
}

export function resumeStateOf(h: HostTimeline, opts: ResumeStateOptions = {}): ResumeState {
  const doubt = inDoubtSteps(h);
  if (opts.tornTail)
    for (const [key, o] of h.open)
      if (o.step.disruptive && !doubt.has(key))
        doubt.set(key, {
          key,
          stepId: o.step.stepId,
          title: o.step.title,
          startedAt: o.startedAt,
          commandsSent: [],
        });
  const state: ResumeState = {
    finished: h.outcome === 'ok' || h.outcome === 'failed',
    completed: h.done,
    inDoubt: new Set(doubt.keys()),
    inDoubtSteps: doubt,
    started: h.sessions > 0,
  };
  if (h.outcome !== undefined) state.outcome = h.outcome;
  if (h.lastKey !== undefined) state.lastKey = h.lastKey;
  return state;
}
