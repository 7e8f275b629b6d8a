/**
 * The change record read back from a run record: the run's meta (who, from where, which ticket,
 * which runbook and hash) and every host's result through the one reducer (journal records ->
 * host timeline -> ResultHost), plus the wording every renderer shares for approvals and endpoints.
 * `runbook runs`, `runbook report` (HTML, markdown) read this; none rebuilds results on its own.
 */
import type { TimelineApproval } from '../engine/timeline.js';
import { journalTimeline } from '../store/resume.js';
import type { HostState, RunHandle, RunMeta, RunOutcome, RunTarget } from '../store/runs.js';
import { resultHost, type ResultHost } from './json.js';

export interface ChangeHost {
  /** As recorded (the journal read through the reducer). */
  result: ResultHost;
  /** The host's state now (`running` while a live process holds its lock). */
  state: HostState;
  target: RunTarget;
  /** Sessions of this host (2+ when resumed). */
  sessions: number;
  /** ms since epoch of the host's first start, when it started. */
  startedAt?: number;
  /** ms since epoch of its last recorded event, when any. */
  endedAt?: number;
}

export interface ChangeRecord {
  meta: RunMeta;
  outcome: RunOutcome;
  hosts: ChangeHost[];
}

/** The change record of a run, from its meta and journals as they are now. */
export function readChangeRecord(handle: RunHandle): ChangeRecord {
  const { outcome, hostStates } = handle.status();
  const hosts = handle.meta.targets.map((target): ChangeHost => {
    const records = handle.readJournal(target.name);
    const tl = journalTimeline(target.name, records);
    const h: ChangeHost = {
      result: resultHost(tl),
      state: hostStates[target.name] ?? 'pending',
      target,
      sessions: tl.sessions,
    };
    const first = records.find((r) => r.type === 'host-start');
    if (first) h.startedAt = first.at;
    const last = records.at(-1);
    if (last) h.endedAt = last.at;
    return h;
  });
  return { meta: handle.meta, outcome, hosts };
}

/** How an approval was decided, in words: `interactive: y`, `--yes`, `resume --yes`, ... */
export function approvalHow(a: TimelineApproval): string {
  const answer = a.answer ?? (a.approved === undefined ? undefined : a.approved ? 'yes' : 'no');
  switch (a.how) {
    case 'yes-flag':
      return '--yes';
    case 'resume-yes':
      return 'resume --yes';
    case 'all':
      return 'interactive: all (an earlier answer)';
    case 'interactive':
      return `interactive: ${answer === 'yes' ? 'y' : (answer ?? '?')}`;
    case undefined:
      return answer === undefined ? 'not decided (the run stopped)' : answer;
  }
}

/** The decision in one word: approved, declined, skipped, quit, pending. */
export function approvalVerdict(
  a: TimelineApproval,
): 'approved' | 'declined' | 'skipped' | 'quit' | 'pending' {
  if (a.answer === 'skip') return 'skipped';
  if (a.answer === 'quit') return 'quit';
  if (a.approved === undefined) return 'pending';
  return a.approved ? 'approved' : 'declined';
}

/** Where the host really went: `admin@10.0.0.1:22 (via jump1)`, or the address as given. */
export function endpointText(t: RunTarget): string {
  const r = t.resolved;
  if (!r) return `${t.user ? `${t.user}@` : ''}${t.address}:${t.port}`;
  return `${r.user}@${r.address}:${r.port}${r.via?.length ? ` (via ${r.via.join(', ')})` : ''}`;
}

/** Who ran it: `alice on ops-laptop (runbook 0.1.0)`, or `(not recorded)` for older records. */
export function operatorText(meta: RunMeta): string {
  const o = meta.operator;
  return o ? `${o.user} on ${o.host} (${o.tool})` : '(not recorded)';
}
