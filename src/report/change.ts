/**
 * The change record read back from a run record: the run's meta (who, from where, which ticket,
 * which runbook and hash) and every host's result through the one reducer (journal records ->
 * host timeline -> ResultHost), plus the wording every renderer shares for approvals and endpoints.
 * `runbook runs`, `runbook report` (HTML, markdown) read this; none rebuilds results on its own.
 */
import type { TimelineApproval } from '../engine/timeline.js';
import type { JournalRecord } from '../store/journal-record.js';
import { journalTimeline } from '../store/resume.js';
import type { HostState, RunMeta, RunOutcome, RunTarget } from '../store/runs.js';
import type { StoreRun } from '../store/types.js';
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
  /** Per entry of `result.steps` (same index): what its commands printed, in order. */
  outputs: { output: string; exitCode?: number }[][];
  /** Disruptive commands as they were handed to the transport (ms since epoch). */
  sent: { at: number; key: string; command: string }[];
  /** 1-based batch, as the start and end times show it (a host that never started: 0). */
  batch: number;
}

export interface ChangeRecord {
  meta: RunMeta;
  outcome: RunOutcome;
  hosts: ChangeHost[];
}

/** The change record of a run, from its meta and journals as they are now. */
export async function readChangeRecord(handle: StoreRun): Promise<ChangeRecord> {
  const { outcome, hostStates } = await handle.status();
  const journals = new Map<string, JournalRecord[]>();
  for (const t of handle.meta.targets) journals.set(t.name, await handle.readJournal(t.name));
  const hosts = handle.meta.targets.map((target): ChangeHost => {
    const records = journals.get(target.name) ?? [];
    const tl = journalTimeline(target.name, records);
    const h: ChangeHost = {
      result: resultHost(tl),
      state: hostStates[target.name] ?? 'pending',
      target,
      sessions: tl.sessions,
      outputs: outputsByStep(records),
      sent: records.flatMap((r) =>
        r.type === 'command' ? [{ at: r.at, key: r.key, command: r.command }] : [],
      ),
      batch: 0,
    };
    const first = records.find((r) => r.type === 'host-start');
    if (first) h.startedAt = first.at;
    const last = records.at(-1);
    if (last) h.endedAt = last.at;
    return h;
  });
  assignBatches(hosts);
  return { meta: handle.meta, outcome, hosts };
}

/**
 * Outputs per step entry, in the reducer's order: each step-start opens an entry (so does a
 * step-end whose start was never seen); output goes to the newest entry of its key.
 */
function outputsByStep(records: readonly JournalRecord[]): { output: string; exitCode?: number }[][] {
  const out: { output: string; exitCode?: number }[][] = [];
  const latest = new Map<string, number>();
  const open = new Set<string>();
  for (const r of records) {
    if (r.type === 'step-start') {
      latest.set(r.key, out.push([]) - 1);
      open.add(r.key);
    } else if (r.type === 'step-end') {
      if (!open.has(r.key)) latest.set(r.key, out.push([]) - 1);
      open.delete(r.key);
    } else if (r.type === 'output') {
      const i = latest.get(r.key);
      if (i !== undefined)
        out[i]!.push({ output: r.output, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}) });
    }
  }
  return out;
}

/**
 * Batches as the times show them: hosts in start order; a host that starts after every host of
 * the current batch has ended opens the next batch (`--serial` runs batches one after another).
 */
function assignBatches(hosts: ChangeHost[]): void {
  const started = hosts.filter((h) => h.startedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
  let batch = 0;
  let end = -Infinity;
  for (const h of started) {
    if (h.startedAt! >= end) batch++;
    h.batch = batch;
    end = h.startedAt! >= end ? (h.endedAt ?? h.startedAt!) : Math.max(end, h.endedAt ?? h.startedAt!);
  }
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

/** A host changed something: it sent a disruptive command (or, in a dry run, would). */
export function hostChanged(h: ChangeHost): boolean {
  return h.result.disruptive.length > 0 || h.result.wouldRun.length > 0;
}

/** A host's outcome as reports show it (a started host with no end is interrupted; `state` says if it still runs). */
export function outcomeOf(h: ChangeHost): string {
  return h.state === 'running' ? 'running' : h.result.outcome;
}

/** A time as reports show it: `2026-12-01 22:15:13Z` (empty when unknown). */
export function when(ms: number | undefined): string {
  return ms === undefined
    ? ''
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}
