/**
 * A run record that could not be written part-way through a run (ENOSPC, a state dir turned
 * read-only or unwritable: E_STATE from the journal). Every host stops at that point (a disruptive
 * command is never sent unrecorded: its record is written first), so the error says which steps
 * sent their command without their end being recorded (IN DOUBT: resume asks before running them
 * again) and gives the exact command to resume once the disk is fixed.
 */
import { RunbookError } from '../errors.js';
import { resumeStateChecked } from '../store/resume.js';
import type { StoreRun } from '../store/types.js';

export interface StateFailureContext {
  run: StoreRun;
  hosts: readonly string[];
  /** e.g. `runbook resume 20260102-030405-abcd --state-dir /srv/rb` */
  resumeCommand: string;
}

/** `err` explained when it is E_STATE raised while the run was under way; anything else as it is. */
export async function explainStateFailure(err: unknown, c: StateFailureContext): Promise<unknown> {
  if (!(err instanceof RunbookError) || err.code !== 'E_STATE') return err;
  const doubts: string[] = [];
  let started = false;
  for (const host of c.hosts) {
    try {
      const st = resumeStateChecked(host, await c.run.readJournalChecked(host));
      started ||= st.started;
      for (const d of st.inDoubtSteps.values()) {
        const sent = d.commandsSent.length
          ? ` (sent ${d.commandsSent.map((x) => `\`${x}\``).join(', ')})`
          : '';
        doubts.push(`${host}: step ${d.key}${sent} is IN DOUBT: its end could not be recorded`);
      }
    } catch {
      // the journal cannot be read either: resume will say what it finds
      started = true;
    }
  }
  // before any host started (locks, the run record): nothing to resume, the error says it all
  if (!started) return err;
  const stopped = doubts.length
    ? `; the run stopped. ${doubts.join('; ')}; resume asks before running ${doubts.length === 1 ? 'it' : 'them'} again`
    : '; the run stopped before any step was left in doubt';
  return new RunbookError('E_STATE', `${err.message}${stopped}`, {
    hint: `make the state directory writable again (free some space, remount it read-write, fix its permissions), then resume: ${c.resumeCommand}`,
    cause: err,
  });
}
