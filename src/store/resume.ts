/**
 * What resume needs from one host's journal, read through the one reducer (engine/timeline).
 * Records are replayed in order, so a journal that was already resumed (several host-start ...
 * host-end sessions) gives the state after the last one.
 */
import type { HostOutcome } from '../engine/events.js';
import { inDoubtSteps, timelineOf, type HostTimeline, type InDoubtStep } from '../engine/timeline.js';
import { recordToEvent, type JournalProblem, type JournalRecord } from './journal-record.js';
import type { CheckedJournal } from './types.js';

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

/** What resume made of one damaged record: the step it put in doubt, if any. */
export interface DamageNote {
  /** The problem as found (`file:line: what: text`). */
  message: string;
  /** The step put in doubt because of it (undefined: no unfinished step could be affected). */
  inDoubt?: string;
}

/**
 * Resume state from a checked journal (StoreRun.readJournalChecked). A damaged record (a line cut
 * in the middle, garbage, an edit) is left out, and the step it belonged to is put in doubt unless
 * a trusted record shows that step finished: its key when the damaged line still names one, else
 * the step open at that point and the step of the next trusted record. So a disruptive step whose
 * command record was lost is never re-sent unasked, while the rest of the journal resumes. A torn
 * last line puts the open disruptive step in doubt. The host counts as started when anything was
 * journaled.
 */
export function resumeStateChecked(
  host: string,
  checked: CheckedJournal,
): ResumeState & { damage: DamageNote[] } {
  const { records, damage } = checked;
  const h = journalTimeline(host, records);
  const state = resumeStateOf(h, { tornTail: damage.some((d) => d.kind === 'torn') });
  const notes: DamageNote[] = [];
  for (const d of damage) {
    if (d.kind === 'torn') continue;
    const keys = affectedKeys(host, records, d);
    const open = keys.filter((k) => !state.completed.has(k));
    for (const key of open) {
      if (state.inDoubt.has(key)) continue;
      const known = h.steps.filter((s) => s.key === key);
      const first = known[0];
      state.inDoubt.add(key);
      state.inDoubtSteps.set(key, {
        key,
        stepId: first?.stepId ?? key.split('/').pop() ?? key,
        title: first?.title ?? key,
        startedAt: first?.startedAt ?? 0,
        commandsSent: [...new Set(known.flatMap((s) => s.commands))],
      });
    }
    notes.push({ message: d.message, ...(open.length > 0 ? { inDoubt: open.join(', ') } : {}) });
  }
  if (damage.length > 0 || records.length > 0) state.started = true;
  return { ...state, damage: notes };
}

/** Keys a damaged record may belong to (see resumeStateChecked). */
function affectedKeys(host: string, records: readonly JournalRecord[], d: JournalProblem): string[] {
  if (d.key !== undefined) return [d.key];
  const after = d.after ?? records.length;
  const keys = new Set(journalTimeline(host, records.slice(0, after)).open.keys());
  const next = records[after];
  if (next && 'key' in next) keys.add(next.key);
  return [...keys];
}
