/**
 * The one reducer: engine events (live, or read back from a journal, which holds the same facts)
 * -> a host's timeline of steps. The JSON report, live progress, `runbook runs`, resume and the
 * executor's own result all read a HostTimeline; none rebuilds step results on its own.
 *
 * Invariants:
 * - Steps appear in start order; a `step-start` always opens a new entry (a step re-run in a later
 *   session, or a retried iteration, is a new entry), and a `step-end` closes the newest running
 *   entry with its key (or adds one when the start was never seen).
 * - `done` holds, per key, the last finished outcome and the scope after it (what resume restores);
 *   a `restored` end keeps the outcome the step really had.
 * - A disruptive step that journaled a command (written before sending) and never ended is in
 *   doubt; started again without an end, it keeps what the earlier session sent.
 * - Results: one row per key, in the order recorded; a `step-start` drops the row its key had (the
 *   step runs again), a `result` with a key already there replaces that row (a restored step
 *   records its rows again). `done` keeps, per key, the rows of the step and the steps inside it
 *   (indexed by enclosing key as rows come, so a run of thousands of iterations stays linear).
 * - Values are as emitted: secrets were masked by the executor before any event left it.
 */
import type { Value } from '../expr/types.js';
import type { StepKind } from '../runbook/model.js';
import type {
  ApprovalAnswer,
  ApprovalHow,
  EngineEvent,
  Evidence,
  HingesOn,
  HostOutcome,
  Reporter,
  StepOutcome,
} from './events.js';

/** What a running step waits for now (live progress): the command, a retry's next poll, an approval. */
export interface StepWait {
  text: string;
  /** ms since epoch when the wait ends, when known. */
  until?: number;
  reason?: string;
}

export interface TimelineStep {
  /** Execution key (`per-peer[1]/clear-sa`). */
  key: string;
  stepId: string;
  title: string;
  kind?: StepKind;
  /** `running`: started, not ended; `in-doubt`: a disruptive step that sent and never ended. */
  outcome: StepOutcome | 'running' | 'in-doubt';
  disruptive: boolean;
  /** ms since epoch. */
  startedAt: number;
  durationMs?: number;
  /** Commands sent, every attempt (from a journal: the disruptive ones until the step ends). */
  commands: string[];
  captures: Record<string, Value>;
  /** The scope after the step (resume). */
  scope?: Record<string, Value>;
  attempts?: number;
  item?: Value;
  message?: string;
  error?: { code: string; message: string };
  /** Approval decisions for this step, in order. */
  approvals: boolean[];
  /** 1 = first session of the host, 2 = first resume, ... */
  session: number;
  /** Live only. */
  wait?: StepWait;
  /** Live only: the last non-empty line of output. */
  lastOutput?: string;
}

export interface TimelineApproval {
  key: string;
  stepId: string;
  command: string;
  impact: string;
  approved?: boolean;
  /** The answer (`skip`, `all`, ...) and how it was decided, when the approver said (change record). */
  answer?: ApprovalAnswer;
  how?: ApprovalHow;
  /** ms since epoch of the decision. */
  at?: number;
  /** The step was in doubt (an earlier session may have sent it). */
  inDoubt?: boolean;
  /** Why the step was reached, as the question showed it. */
  evidence?: Evidence[];
}

export interface TimelineWouldRun {
  key: string;
  stepId: string;
  command: string;
  impact: string;
  evidence: Evidence[];
  /** Set when the step may run only if this earlier would-run does not verify ("may run"). */
  hingesOn?: HingesOn;
}

/** A row of the host's results table: the `result:` of one execution of a step. */
export interface TimelineResult {
  key: string;
  stepId: string;
  /** Column -> value, in the author's order. */
  fields: Record<string, Value>;
}

export type HostPhase = 'pending' | 'starting' | 'connecting' | 'connected' | 'ended';

export interface HostTimeline {
  host: string;
  phase: HostPhase;
  /** Sessions seen (host-start records). */
  sessions: number;
  dryRun: boolean;
  /** ms since epoch of the latest host-start. */
  startedAt?: number;
  address?: string;
  port?: number;
  steps: TimelineStep[];
  /** The same steps once ended, in the order they ended (a group after its children). */
  finished: TimelineStep[];
  /** Outcome of the latest host-end (undefined: never ended, or started again since). */
  outcome?: HostOutcome;
  message: string;
  /** Sum of the sessions' durations. */
  durationMs?: number;
  /** Disruptive commands sent (the latest host-end's list once it ended). */
  disruptive: string[];
  wouldRun: TimelineWouldRun[];
  approvals: TimelineApproval[];
  stoppedAt?: string;
  /** Notable events: reconnects, declined approvals, end messages. */
  messages: string[];
  /** Rows recorded by steps' `result:`, by key, in the order recorded (`[...results.values()]`). */
  results: Map<string, TimelineResult>;
  /** Key -> the keys of the rows of that step and of the steps inside it (for `done`). */
  rowsUnder: Map<string, Set<string>>;
  /** Per key: the last finished outcome, the scope after it, and the rows it (and its inner steps) recorded. */
  done: Map<string, { scope: Record<string, Value>; outcome: StepOutcome; results?: TimelineResult[] }>;
  /** Key of the last step that ended. */
  lastKey?: string;
  /** Open steps by key (started, not ended), with what they sent so far. */
  open: Map<string, { step: TimelineStep; sent: string[]; startedAt: number }>;
}

export function newHostTimeline(host: string): HostTimeline {
  return {
    host,
    phase: 'pending',
    sessions: 0,
    dryRun: false,
    steps: [],
    finished: [],
    message: '',
    disruptive: [],
    wouldRun: [],
    approvals: [],
    messages: [],
    results: new Map(),
    rowsUnder: new Map(),
    done: new Map(),
    open: new Map(),
  };
}

function latest(h: HostTimeline, key: string): TimelineStep | undefined {
  for (let i = h.steps.length - 1; i >= 0; i--) if (h.steps[i]!.key === key) return h.steps[i];
  return undefined;
}

/** Apply one event to the host's timeline (mutates `h`). */
export function applyEvent(h: HostTimeline, e: EngineEvent): void {
  switch (e.kind) {
    case 'host-start':
      h.sessions += 1;
      h.phase = 'starting';
      h.dryRun = e.dryRun;
      h.startedAt = e.at;
      delete h.outcome;
      break;
    case 'connecting':
      h.phase = 'connecting';
      h.address = e.address;
      h.port = e.port;
      break;
    case 'connected':
      h.phase = 'connected';
      break;
    case 'step-start': {
      if (h.results.has(e.key)) {
        h.results.delete(e.key);
        for (const a of ancestors(e.key)) h.rowsUnder.get(a)?.delete(e.key);
      }
      const step: TimelineStep = {
        key: e.key,
        stepId: e.stepId,
        title: e.title,
        outcome: 'running',
        disruptive: e.disruptive,
        startedAt: e.at,
        commands: [],
        captures: {},
        approvals: [],
        session: h.sessions,
        ...(e.item === undefined ? {} : { item: e.item }),
      };
      h.steps.push(step);
      // started again without an end: what the earlier session sent keeps the step in doubt
      const earlier = h.open.get(e.key);
      const sent = earlier?.sent ?? [];
      h.open.set(e.key, {
        step,
        sent: [...sent],
        startedAt: earlier && sent.length ? earlier.startedAt : e.at,
      });
      break;
    }
    case 'command-sent': {
      const s = latest(h, e.key);
      if (s) {
        s.commands.push(e.command);
        s.wait = {
          text: `${e.disruptive ? '[disruptive] ' : ''}${e.command}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`,
        };
      }
      if (e.disruptive) {
        h.disruptive.push(e.command);
        h.open.get(e.key)?.sent.push(e.command);
      }
      break;
    }
    case 'command-output': {
      const s = latest(h, e.key);
      const last = e.output.trimEnd().split('\n').pop()?.trim();
      if (s && last) s.lastOutput = last;
      break;
    }
    case 'retry-wait': {
      const s = latest(h, e.key);
      if (s) {
        s.wait = {
          text: `retry ${e.attempt}/${e.of}`,
          until: e.at + e.delayMs,
          ...(e.reason ? { reason: e.reason } : {}),
        };
      }
      break;
    }
    case 'approval-request': {
      h.approvals.push({ key: e.key, stepId: e.stepId, command: e.command, impact: e.impact });
      const s = latest(h, e.key);
      if (s) s.wait = { text: 'awaiting approval' };
      break;
    }
    case 'approval-result': {
      let pending = h.approvals.findLast((a) => a.key === e.key && a.approved === undefined);
      if (!pending) {
        pending = { key: e.key, stepId: e.stepId, command: e.command ?? '', impact: e.impact ?? '' };
        h.approvals.push(pending);
      }
      pending.approved = e.approved;
      pending.at = e.at;
      if (e.answer) pending.answer = e.answer;
      if (e.how) pending.how = e.how;
      if (e.inDoubt) pending.inDoubt = true;
      if (e.evidence) pending.evidence = e.evidence;
      const s = latest(h, e.key);
      if (s) {
        s.approvals.push(e.approved);
        s.wait = { text: e.approved ? 'approved' : 'declined' };
      }
      if (!e.approved)
        h.messages.push(
          `${e.key}: ${e.answer === 'skip' ? 'skipped at approval' : e.answer === 'quit' ? 'quit at approval' : 'approval declined'}`,
        );
      break;
    }
    case 'would-run':
      h.wouldRun.push({
        key: e.key,
        stepId: e.stepId,
        command: e.command,
        impact: e.impact,
        evidence: e.evidence,
        ...(e.hingesOn ? { hingesOn: e.hingesOn } : {}),
      });
      break;
    case 'result': {
      const row: TimelineResult = { key: e.key, stepId: e.stepId, fields: e.fields };
      h.results.set(e.key, row);
      for (const a of ancestors(e.key)) {
        let under = h.rowsUnder.get(a);
        if (!under) h.rowsUnder.set(a, (under = new Set()));
        under.add(e.key);
      }
      break;
    }
    case 'reconnecting': {
      const s = latest(h, e.key);
      if (s) s.wait = { text: `reconnecting (attempt ${e.attempt})`, until: e.at + e.delayMs };
      h.messages.push(`${e.key}: session dropped, reconnecting (attempt ${e.attempt})`);
      break;
    }
    case 'step-end': {
      let s = latest(h, e.key);
      if (!s || s.outcome !== 'running') {
        s = {
          key: e.key,
          stepId: e.stepId,
          title: e.stepId,
          outcome: 'running',
          disruptive: false,
          startedAt: e.at - e.durationMs,
          commands: [],
          captures: {},
          approvals: [],
          session: h.sessions,
        };
        h.steps.push(s);
      }
      h.open.delete(e.key);
      s.outcome = e.outcome;
      s.durationMs = e.durationMs;
      s.commands = [...e.commands];
      s.captures = e.captures;
      s.scope = e.scope;
      if (e.stepKind !== undefined) s.kind = e.stepKind;
      if (e.attempts !== undefined) s.attempts = e.attempts;
      if (e.message !== undefined) s.message = e.message;
      if (e.error !== undefined) s.error = e.error;
      delete s.wait;
      h.finished.push(s);
      const prev = h.done.get(e.key);
      const outcome = e.outcome === 'restored' && prev ? prev.outcome : e.outcome;
      const rows = [...(h.rowsUnder.get(e.key) ?? [])].map((k) => h.results.get(k)!);
      h.done.set(e.key, { scope: e.scope, outcome, ...(rows.length ? { results: rows } : {}) });
      h.lastKey = e.key;
      if (e.outcome === 'ended' && e.message) h.messages.push(`${e.key}: ${e.message}`);
      break;
    }
    case 'host-end':
      h.phase = 'ended';
      h.outcome = e.outcome;
      h.message = e.message;
      h.durationMs = (h.durationMs ?? 0) + e.durationMs;
      h.disruptive = [...e.disruptive];
      if (e.stoppedAt !== undefined) h.stoppedAt = e.stoppedAt;
      else delete h.stoppedAt;
      break;
    default: {
      const never: never = e;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}

/** `per-peer[1]/fix` -> `per-peer`, `per-peer[1]`, `per-peer[1]/fix`: the key and its enclosing steps' keys. */
function ancestors(key: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < key.length; i++) if (key[i] === '/' || key[i] === '[') out.push(key.slice(0, i));
  out.push(key);
  return out;
}

/** The columns of a host's results table: every row's fields, in order of first appearance. */
export function resultColumns(rows: readonly { fields: Record<string, unknown> }[]): string[] {
  const out = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.fields)) out.add(k);
  return [...out];
}

/** A disruptive step that started and never ended, having sent (journaled) a command. */
export interface InDoubtStep {
  key: string;
  stepId: string;
  title: string;
  /** ms since epoch of the step-start (the earliest one that sent). */
  startedAt: number;
  /** Disruptive commands known to have been sent by that step (journaled before sending). */
  commandsSent: string[];
}

/** Disruptive steps in doubt, by key (a step stopped before sending simply runs again). */
export function inDoubtSteps(h: HostTimeline): Map<string, InDoubtStep> {
  const out = new Map<string, InDoubtStep>();
  for (const [key, o] of h.open) {
    if (!o.step.disruptive || o.sent.length === 0) continue;
    out.set(key, {
      key,
      stepId: o.step.stepId,
      title: o.step.title,
      startedAt: o.startedAt,
      commandsSent: [...o.sent],
    });
  }
  return out;
}

/** The host's steps with in-doubt ones marked (`runbook runs`, reports). */
export function stepsWithDoubt(h: HostTimeline): TimelineStep[] {
  const doubt = inDoubtSteps(h);
  return h.steps.map((s) =>
    s.outcome === 'running' && doubt.has(s.key) && h.open.get(s.key)?.step === s
      ? { ...s, outcome: 'in-doubt' }
      : s,
  );
}

/** Timelines of several hosts fed by one reporter (hosts listed first keep their order). */
export interface Timelines {
  report: Reporter;
  get(host: string): HostTimeline;
  all(): HostTimeline[];
}

export function createTimelines(hosts: readonly string[] = []): Timelines {
  const map = new Map<string, HostTimeline>();
  const get = (host: string): HostTimeline => {
    let h = map.get(host);
    if (!h) {
      h = newHostTimeline(host);
      map.set(host, h);
    }
    return h;
  };
  for (const h of hosts) get(h);
  return { report: (e) => applyEvent(get(e.host), e), get, all: () => [...map.values()] };
}

/** One host's timeline from its events in order (e.g. a journal read back as events). */
export function timelineOf(host: string, events: Iterable<EngineEvent>): HostTimeline {
  const h = newHostTimeline(host);
  for (const e of events) applyEvent(h, e);
  return h;
}
