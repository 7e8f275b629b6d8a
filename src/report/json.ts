/**
 * The `--json` result: events are collected while the run goes, and ONE document is produced at the
 * end (`document()`, printed with `stringifyResult`). The document is plain data; the final summary
 * is rendered from it too (src/report/summary.ts).
 */
import type {
  EngineEvent,
  Evidence,
  HingesOn,
  HostOutcome,
  Reporter,
  StepOutcome,
} from '../engine/events.js';
import type { Value } from '../expr/types.js';
import { runOutcome, type RunOutcome } from '../store/runs.js';

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
  approvals: { key: string; stepId: string; command: string; impact: string; approved?: boolean }[];
  /** Key of the step where the host stopped, when it did not finish. */
  stoppedAt?: string;
  /** Notable events: reconnects, declined approvals, end messages. */
  messages: string[];
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
  const hosts = new Map<string, ResultHost & { ended: boolean; started: boolean }>();
  const messages: string[] = [];
  const hostOf = (name: string) => {
    let h = hosts.get(name);
    if (!h) {
      h = {
        host: name,
        outcome: 'pending',
        message: '',
        steps: [],
        disruptive: [],
        wouldRun: [],
        approvals: [],
        messages: [],
        ended: false,
        started: false,
      };
      hosts.set(name, h);
    }
    return h;
  };
  for (const name of opts.hosts ?? []) hostOf(name);
  const stepOf = (h: ResultHost, key: string) => {
    for (let i = h.steps.length - 1; i >= 0; i--) if (h.steps[i]!.key === key) return h.steps[i];
    return undefined;
  };

  const report: Reporter = (e: EngineEvent) => {
    const h = hostOf(e.host);
    switch (e.kind) {
      case 'host-start':
        h.started = true;
        break;
      case 'connecting':
        h.address = e.address;
        h.port = e.port;
        break;
      case 'connected':
        break;
      case 'step-start':
        h.steps.push({
          key: e.key,
          id: e.stepId,
          title: e.title,
          outcome: 'running',
          disruptive: e.disruptive,
          startedAt: new Date(e.at).toISOString(),
          commands: [],
          captures: {},
          ...(e.item === undefined ? {} : { item: e.item }),
        });
        break;
      case 'command-sent':
        stepOf(h, e.key)?.commands.push(e.command);
        if (e.disruptive) h.disruptive.push(e.command);
        break;
      case 'command-output':
      case 'retry-wait':
        break;
      case 'approval-request':
        h.approvals.push({ key: e.key, stepId: e.stepId, command: e.command, impact: e.impact });
        break;
      case 'approval-result': {
        const pending = [...h.approvals].reverse().find((a) => a.key === e.key && a.approved === undefined);
        if (pending) pending.approved = e.approved;
        else
          h.approvals.push({ key: e.key, stepId: e.stepId, command: '', impact: '', approved: e.approved });
        if (!e.approved) h.messages.push(`${e.key}: approval declined`);
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
      case 'reconnecting':
        h.messages.push(`${e.key}: session dropped, reconnecting (attempt ${e.attempt})`);
        break;
      case 'step-end': {
        let s = stepOf(h, e.key);
        if (!s || s.outcome !== 'running') {
          s = {
            key: e.key,
            id: e.stepId,
            title: e.stepId,
            outcome: 'running',
            disruptive: false,
            startedAt: new Date(e.at - e.durationMs).toISOString(),
            commands: [],
            captures: {},
          };
          h.steps.push(s);
        }
        s.outcome = e.outcome;
        s.durationMs = e.durationMs;
        s.commands = [...e.commands];
        s.captures = e.captures;
        if (e.message !== undefined) s.message = e.message;
        if (e.error !== undefined) s.error = e.error;
        if (e.outcome === 'ended' && e.message) h.messages.push(`${e.key}: ${e.message}`);
        break;
      }
      case 'host-end':
        h.ended = true;
        h.outcome = e.outcome;
        h.message = e.message;
        h.durationMs = e.durationMs;
        h.disruptive = [...e.disruptive];
        if (e.stoppedAt !== undefined) h.stoppedAt = e.stoppedAt;
        break;
      default: {
        const never: never = e;
        throw new Error(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  };

  const document = (): ResultDocument => {
    const list: ResultHost[] = [...hosts.values()].map(({ ended, started, ...h }) => {
      if (ended) return h;
      const running = h.steps.findLast((s) => s.outcome === 'running');
      return {
        ...h,
        outcome: started ? 'interrupted' : 'pending',
        message: h.message || (started ? 'the run stopped before this host finished' : 'not started'),
        ...(running ? { stoppedAt: running.key } : {}),
      };
    });
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

  return { report, addMessage: (text) => messages.push(text), document };
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
