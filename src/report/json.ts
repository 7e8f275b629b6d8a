/**
 * The `--json` result: events are collected while the run goes, and ONE document is produced at the
 * end (`document()`, printed with `stringifyResult`). The document is plain data; the final summary
 * is rendered from it too (src/report/summary.ts).
 */
import type { Evidence, HingesOn, HostOutcome, Reporter, StepOutcome } from '../engine/events.js';
import {
  createTimelines,
  type HostTimeline,
  type TimelineApproval,
  type TimelineStep,
} from '../engine/timeline.js';
import type { Value } from '../expr/types.js';
import { runOutcome, type RunOutcome } from '../store/runs.js';
import { resultRows } from './results-table.js';

export interface ResultStep {
  /** Execution key (`per-peer[1]/clear-sa`), unique per host. */
  key: string;
  id: string;
  title: string;
  /** `running` when the run stopped while the step was in progress. */
  outcome: StepOutcome | 'running';
  disruptive: boolean;
  /** ISO time the step started. */
  startedAt: string;
  durationMs?: number;
  /** Commands sent (all attempts). */
  commands: string[];
  /** Captured values (secrets redacted). */
  captures: Record<string, Value>;
  /** The for_each item this execution ran for. */
  item?: Value;
  message?: string;
  error?: { code: string; message: string };
}

export interface ResultWouldRun {
  key: string;
  stepId: string;
  command: string;
  impact: string;
  evidence: Evidence[];
  /** Set when the step may run only if this earlier would-run does not verify ("may run"). */
  hingesOn?: HingesOn;
}

export interface ResultHost {
  host: string;
  /** `pending`: never started; `interrupted` also when the host started and never reported an end. */
  outcome: HostOutcome | 'pending';
  message: string;
  durationMs?: number;
  address?: string;
  port?: number;
  steps: ResultStep[];
  /** Disruptive commands sent on this host. */
  disruptive: string[];
  /** Dry run: disruptive commands that would have been sent, with why. */
  wouldRun: ResultWouldRun[];
  /** Approval decisions, in order. */
  approvals: TimelineApproval[];
  /** Key of the step where the host stopped, when it did not finish. */
  stoppedAt?: string;
  /** Notable events: reconnects, declined approvals, end messages. */
  messages: string[];
  /** The host's results table (steps' `result:`): one row per step run, in the order recorded. */
  results: ResultRow[];
  /** The table's columns: every row's fields, in order of first appearance. */
  resultColumns: string[];
}

/** A row of a host's results table. */
export interface ResultRow {
  /** Id of the step whose `result:` recorded it. */
  step: string;
  /** Execution key (`per-peer[1]`): one row per key. */
  key: string;
  /** Column -> value (a scalar or a list of scalars; secrets masked). */
  fields: Record<string, Value>;
}

export interface ResultDocument {
  /** Format version of this document. */
  version: 1;
  runId: string;
  runbook: { name: string; path: string; contentHash: string };
  mode: 'exec' | 'dry-run';
  startedAt: string;
  finishedAt: string;
  outcome: RunOutcome;
  hosts: ResultHost[];
  /** Run-wide messages (warnings such as a stale lock taken over). */
  messages: string[];
}

export interface JsonCollectorOptions {
  runId: string;
  runbook: ResultDocument['runbook'];
  mode: ResultDocument['mode'];
  /** Hosts in display order; hosts seen only in events are appended. */
  hosts?: readonly string[];
  /** Clock for startedAt/finishedAt; default Date.now. */
  now?: () => number;
}

export interface JsonCollector {
  report: Reporter;
  /** Add a run-wide message. */
  addMessage(text: string): void;
  /** The document as of now (call at the end). */
  document(): ResultDocument;
}

export function createJsonCollector(opts: JsonCollectorOptions): JsonCollector {
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const timelines = createTimelines(opts.hosts ?? []);
  const messages: string[] = [];

  const document = (): ResultDocument => {
    const list = timelines.all().map(resultHost);
    return {
      version: 1,
      runId: opts.runId,
      runbook: opts.runbook,
      mode: opts.mode,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(now()).toISOString(),
      outcome: runOutcome(list.map((h) => h.outcome)),
      hosts: list,
      messages: [...messages],
    };
  };

  return { report: timelines.report, addMessage: (text) => messages.push(text), document };
}

/** A host of the document, from its timeline: a host that never ended is interrupted (or pending). */
export function resultHost(t: HostTimeline): ResultHost {
  const h: ResultHost = {
    host: t.host,
    outcome: t.outcome ?? 'pending',
    message: t.message,
    steps: t.steps.map(resultStep),
    disruptive: [...t.disruptive],
    wouldRun: t.wouldRun.map((w) => ({ ...w })),
    approvals: t.approvals.map((a) => ({ ...a })),
    messages: [...t.messages],
    ...resultRows([...t.results.values()]),
  };
  if (t.durationMs !== undefined) h.durationMs = t.durationMs;
  if (t.address !== undefined) h.address = t.address;
  if (t.port !== undefined) h.port = t.port;
  if (t.stoppedAt !== undefined) h.stoppedAt = t.stoppedAt;
  if (t.phase === 'ended') return h;
  const started = t.sessions > 0;
  const running = h.steps.findLast((s) => s.outcome === 'running');
  return {
    ...h,
    outcome: started ? 'interrupted' : 'pending',
    message: h.message || (started ? 'the run stopped before this host finished' : 'not started'),
    ...(running ? { stoppedAt: running.key } : {}),
  };
}

function resultStep(s: TimelineStep): ResultStep {
  const r: ResultStep = {
    key: s.key,
    id: s.stepId,
    title: s.title,
    outcome: s.outcome === 'in-doubt' ? 'running' : s.outcome,
    disruptive: s.disruptive,
    startedAt: new Date(s.startedAt).toISOString(),
    commands: [...s.commands],
    captures: s.captures,
  };
  if (s.durationMs !== undefined) r.durationMs = s.durationMs;
  if (s.item !== undefined) r.item = s.item;
  if (s.message !== undefined) r.message = s.message;
  if (s.error !== undefined) r.error = s.error;
  return r;
}

/**
 * The document as JSON text. Ints (bigint) become JSON numbers, written exactly (digits as they
 * are, even beyond 2^53); non-finite doubles become strings ("NaN", "Infinity").
 */
export function stringifyResult(doc: ResultDocument, indent = 2): string {
  return stringifyJson(doc, indent);
}

/** JSON text of any value with the bigint and non-finite number rules of `stringifyResult`. */
export function stringifyJson(value: unknown, indent = 2): string {
  const marker = '\u0000runbook-int\u0000';
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${marker}${v.toString()}`;
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    },
    indent,
  );
  return text.replace(/"\\u0000runbook-int\\u0000(-?\d+)"/gu, '$1');
}
