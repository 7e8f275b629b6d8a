/**
 * The state of one host's walk: the scope, where each bound name came from (for dry-run evidence),
 * the records, and the helpers every step kind uses (emit with redaction, step-end, reconnect).
 */
import { RunbookError } from '../errors.js';
import { varsScope } from '../expr/values.js';
import type { CompiledExpr, Value } from '../expr/types.js';
import type { Step } from '../runbook/model.js';
import type { Transport } from '../transport/types.js';
import type {
  ApprovalAnswer,
  ApprovalDecision,
  EngineEvent,
  Evidence,
  HingesOn,
  HostOutcome,
  StepOutcome,
} from './events.js';
import type { ApprovalRequest, ExecutorOptions } from './options.js';
import { applyEvent, newHostTimeline, type HostTimeline } from './timeline.js';
import { makeRedactor, type Redactor } from './redact.js';
import { abortableSleep } from '../sleep.js';
import { evaluateRow, recordsAfter } from './results.js';

/** Delays before each reconnect attempt after a dropped session (ms). */
export const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10_000, 20_000];

/**
 * How a step (or a list of steps) left the walk. `afterWouldRun`: in a dry-run, a would-run
 * happened in this step or before it in its branch, so later verification cannot be expected to
 * hold; the taint travels back to the enclosing lists in the returned flow (frames are never
 * mutated).
 */
export type Flow = (
  | { kind: 'next' }
  /** The step failed; the enclosing list applies the step's on_failure. */
  | { kind: 'failed'; key: string; message: string }
  /** The host's walk is over (end step, approval missing or refused, interrupt, unreachable). */
  | { kind: 'stop'; outcome: HostOutcome; message: string; stoppedAt?: string }
) & { afterWouldRun?: boolean };

/** `flow`, marked as after a would-run when `tainted`. */
export function tainted(flow: Flow, taint: boolean | undefined): Flow {
  return taint && !flow.afterWouldRun ? { ...flow, afterWouldRun: true } : flow;
}

export const NEXT: Flow = { kind: 'next' };

/** A condition that held on the way to a step. */
export interface Condition {
  source: string;
  refs: readonly string[];
}

/** Where a list of steps sits: its key prefix, the conditions that held, dry-run state. */
export interface Frame {
  readonly prefix: string;
  readonly conditions: readonly Condition[];
  /** Dry-run: a would-run happened earlier in this branch, so verification cannot be expected to hold. */
  readonly afterWouldRun: boolean;
}

/** What a finished command step saw, for evidence. */
interface Seen {
  key: string;
  stepId: string;
  captures: Record<string, Value>;
  lines: string[];
}

export interface StepEndFacts {
  outcome: StepOutcome;
  commands?: string[];
  captures?: Record<string, Value>;
  /** Names this step bound (captures, set values, everything bound inside a group). */
  bound?: Record<string, Value>;
  attempts?: number;
  item?: Value;
  message?: string;
  error?: { code: string; message: string };
}

export class RunContext {
  readonly opts: ExecutorOptions;
  readonly transport: Transport;
  readonly host: string;
  readonly dryRun: boolean;
  readonly redactor: Redactor;
  readonly scope: Record<string, Value>;
  /** Names that come from options (vars, `vars`, `host`): never overwritten by a restore. */
  readonly reserved: ReadonlySet<string>;
  /** What this host's walk did, from its own events (the one reducer). */
  readonly timeline: HostTimeline;
  /** Disruptive commands handed to the transport (redacted). */
  get disruptive(): readonly string[] {
    return this.timeline.disruptive;
  }
  /** Set while `--start-at` has not been reached. */
  startAtPending: string | undefined;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Names bound by the step being run, collected by enclosing groups (stack). */
  private readonly bindings: Record<string, Value>[] = [];
  /** name -> keys of the command steps whose output the value derives from. */
  private readonly sources = new Map<string, Set<string>>();
  private readonly seen = new Map<string, Seen>();
  /** Dry-run: command steps that ran after an unsent change, by key, with that change. */
  private readonly unjudged = new Map<string, { seq: number; on: HingesOn }>();
  private lastWouldRun: { seq: number; on: HingesOn } | undefined;
  /** Keys of steps that ended ok but whose `result:` failed, with the failure (see `resultFlow`). */
  private readonly failedResults = new Map<string, string>();

  constructor(opts: ExecutorOptions) {
    this.opts = opts;
    this.transport = opts.transport;
    this.host = opts.host.name;
    this.dryRun = opts.mode === 'dry-run';
    this.redactor = makeRedactor(
      opts.runbook.vars,
      opts.vars,
      opts.secrets ?? [],
      opts.transport.secrets ?? [],
    );
    const { name, address, port, platform } = opts.host;
    this.scope = {
      ...varsScope(opts.vars),
      host: { name, address, port: BigInt(port), platform },
      run: { dry_run: this.dryRun },
    };
    this.reserved = new Set(Object.keys(this.scope));
    this.timeline = newHostTimeline(this.host);
    this.startAtPending = opts.startAt;
    this.sleep = opts.sleep ?? abortableSleep;
  }

  emit(event: DistributiveOmit<EngineEvent, 'host' | 'at'>): void {
    this.send(this.redactor.deep({ ...event, host: this.host, at: Date.now() } as EngineEvent));
  }

  /** An event (already redacted) to the host's timeline and the listeners. */
  private send(event: EngineEvent): void {
    applyEvent(this.timeline, event);
    this.opts.emit(event);
  }

  get aborted(): boolean {
    return this.opts.signal?.aborted ?? false;
  }

  /** Evaluate a condition; anything but `true` is false. Errors propagate (RunbookError E_EXPR). */
  holds(expr: CompiledExpr, extra?: Record<string, Value>): boolean {
    return expr.evaluate(extra ? { ...this.scope, ...extra } : this.scope) === true;
  }

  /**
   * Bind a name in the scope, remembering which device outputs it derives from. `local` names (loop
   * variables) are not part of any step's recorded bindings.
   */
  bind(name: string, value: Value, fromKeys: Iterable<string>, local = false): void {
    this.scope[name] = value;
    this.sources.set(name, new Set(fromKeys));
    if (!local) for (const b of this.bindings) b[name] = value;
  }

  /** Keys of the command steps whose output the given names derive from. */
  sourcesOf(refs: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const r of refs) for (const k of this.sources.get(r) ?? []) out.add(k);
    return out;
  }

  /** Record what a command step captured and which lines matched. */
  saw(seen: Seen): void {
    this.seen.set(seen.key, seen);
  }

  /**
   * Evidence for a would-run or an approval: the captures and matched lines of the command steps
   * whose output the step's templates and conditions read, then the conditions that held. Matched
   * lines are narrowed to those that mention a value the step uses (e.g. the loop item's peer),
   * when any does.
   */
  evidence(stepId: string, refs: Iterable<string>, conditions: readonly Condition[]): Evidence[] {
    const names = [...refs, ...conditions.flatMap((c) => c.refs)];
    const keys = this.sourcesOf(names);
    const focus = new Set<string>();
    for (const n of names) {
      const v = this.scope[n];
      if (n !== 'vars' && n !== 'host' && n !== 'run' && v !== undefined && !Array.isArray(v))
        leafStrings(v, focus);
    }
    const out: Evidence[] = [];
    for (const s of this.seen.values()) {
      if (!keys.has(s.key)) continue;
      const e: Evidence = { stepId: s.stepId, captures: this.redactor.bindings(s.captures) };
      const narrowed = s.lines.filter((l) => [...focus].some((f) => l.includes(f)));
      const lines = narrowed.length ? narrowed : s.lines;
      if (lines.length) e.lines = lines;
      out.push(e);
    }
    if (conditions.length) out.push({ stepId, conditions: conditions.map((c) => c.source) });
    return out;
  }

  /** Collect the names bound while `fn` runs (for a group's step-end scope). */
  async collecting<T>(fn: () => Promise<T>): Promise<{ result: T; bound: Record<string, Value> }> {
    const bound: Record<string, Value> = {};
    this.bindings.push(bound);
    try {
      return { result: await fn(), bound };
    } finally {
      this.bindings.pop();
    }
  }

  /** Restore a completed step's recorded bindings (resume). */
  restore(scope: Record<string, Value>, key: string): void {
    for (const [name, value] of Object.entries(scope)) {
      if (!this.reserved.has(name)) this.bind(name, value, [key]);
    }
  }

  /** The step's name for display, its `{{ }}` parts rendered (secrets masked; unknown: `<expr>`). */
  private titleOf(step: Step): string {
    if (!step.title) return step.name;
    try {
      return step.title.renderMasked(this.scope);
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      return step.title.renderPlaceholders(this.scope);
    }
  }

  stepStart(step: Step, key: string, item?: Value): number {
    const ev: DistributiveOmit<EngineEvent, 'host' | 'at'> = {
      kind: 'step-start',
      key,
      stepId: step.id,
      title: this.titleOf(step),
      disruptive: step.kind === 'command' && step.disruptive,
    };
    if (item !== undefined) ev.item = item;
    this.emit(ev);
    return Date.now();
  }

  /**
   * Close a step. A step with `result:` that ended ok (or an `end` reached) records its row first
   * (a for_each group: per iteration, i.e. when `facts.item` is given). A row that cannot be
   * evaluated fails a step that ended ok, outside dry-run (the walk learns it from `resultFlow`);
   * otherwise the step's message says it was not recorded. A restored step records the rows of its
   * checkpoint again.
   */
  stepEnd(step: Step, key: string, started: number, facts: StepEndFacts): void {
    if (facts.outcome === 'restored') {
      for (const row of this.opts.restore?.completed.get(key)?.results ?? [])
        this.emit({ kind: 'result', key: row.key, stepId: row.stepId, fields: row.fields });
    } else if (
      step.result &&
      recordsAfter(step.kind, facts.outcome) &&
      (step.kind !== 'group' || !step.forEach || facts.item !== undefined)
    ) {
      facts = this.record(step, key, step.result, facts);
    }
    const durationMs = Date.now() - started;
    const captures = facts.captures ?? {};
    const ev: Extract<EngineEvent, { kind: 'step-end' }> = {
      kind: 'step-end',
      host: this.host,
      at: Date.now(),
      key,
      stepId: step.id,
      outcome: facts.outcome,
      durationMs,
      commands: facts.commands ?? [],
      captures: this.redactor.bindings(captures),
      scope: this.redactor.bindings(facts.bound ?? {}),
      stepKind: step.kind,
    };
    if (facts.attempts !== undefined) ev.attempts = facts.attempts;
    if (facts.message !== undefined) ev.message = facts.message;
    if (facts.error) ev.error = facts.error;
    this.send(this.redactor.deep(ev));
  }

  private record(
    step: Step,
    key: string,
    columns: NonNullable<Step['result']>,
    facts: StepEndFacts,
  ): StepEndFacts {
    try {
      const fields = evaluateRow(step.id, columns, this.scope);
      this.emit({ kind: 'result', key, stepId: step.id, fields });
      return facts;
    } catch (err) {
      const error = errorFacts(err);
      if (facts.outcome === 'ok' && !this.dryRun) {
        this.failedResults.set(key, `step ${step.id} failed: ${this.redactor.text(error.message)}`);
        return { ...facts, outcome: 'failed', error, message: error.message };
      }
      const note = `result not recorded: ${error.message}`;
      return { ...facts, message: facts.message ? `${facts.message}; ${note}` : note };
    }
  }

  /** `flow` of the step `key`, failed when its `result:` could not be recorded after it ended ok. */
  resultFlow(key: string, flow: Flow): Flow {
    const message = this.failedResults.get(key);
    if (message === undefined) return flow;
    this.failedResults.delete(key);
    return flow.kind === 'next' ? tainted({ kind: 'failed', key, message }, flow.afterWouldRun) : flow;
  }

  /** Dry-run: this command step ran after the latest unsent change, so its output cannot judge it. */
  markUnjudged(key: string): void {
    if (this.lastWouldRun) this.unjudged.set(key, this.lastWouldRun);
  }

  /**
   * Dry-run: the latest would-run that one of these conditions depends on through output read after
   * it (the step runs only if that change does not verify), if any.
   */
  hingesOn(conditions: readonly Condition[]): HingesOn | undefined {
    let best: { seq: number; on: HingesOn } | undefined;
    for (const k of this.sourcesOf(conditions.flatMap((c) => c.refs))) {
      const u = this.unjudged.get(k);
      if (u && (!best || u.seq > best.seq)) best = u;
    }
    return best?.on;
  }

  addWouldRun(w: {
    key: string;
    stepId: string;
    title: string;
    command: string;
    impact: string;
    evidence: Evidence[];
    hingesOn?: HingesOn;
  }): void {
    const { title, ...rest } = w;
    const red = this.redactor.deep(rest);
    this.lastWouldRun = {
      seq: (this.lastWouldRun?.seq ?? 0) + 1,
      on: { key: red.key, stepId: red.stepId, title, command: red.command },
    };
    this.emit({ kind: 'would-run', ...red });
  }

  /** Ask the approver; undefined when there is none. The decision is emitted (and so journaled). */
  async approve(req: ApprovalRequest): Promise<ApprovalAnswer | undefined> {
    const red = this.redactor.deep(req);
    this.emit({
      kind: 'approval-request',
      key: req.key,
      stepId: req.stepId,
      command: red.command,
      impact: red.impact,
    });
    if (!this.opts.approve) return undefined;
    const got = await this.opts.approve(red);
    const decision: Partial<ApprovalDecision> & { answer: ApprovalAnswer } =
      typeof got === 'boolean' ? { answer: got ? 'yes' : 'no' } : got;
    const approved = decision.answer === 'yes' || decision.answer === 'all';
    this.emit({
      kind: 'approval-result',
      key: req.key,
      stepId: req.stepId,
      approved,
      command: red.command,
      impact: red.impact,
      answer: decision.answer,
      ...(decision.how ? { how: decision.how } : {}),
      ...(req.inDoubt ? { inDoubt: true } : {}),
      ...(red.evidence.length ? { evidence: red.evidence } : {}),
    });
    return decision.answer;
  }

  /** Reconnect after a dropped session, with backoff. */
  async reconnect(key: string): Promise<'ok' | 'failed' | 'interrupted'> {
    const delays = this.opts.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
    for (const [i, delayMs] of delays.entries()) {
      this.emit({ kind: 'reconnecting', key, attempt: i + 1, delayMs });
      await this.sleep(delayMs, this.opts.signal);
      if (this.aborted) return 'interrupted';
      try {
        await this.transport.reconnect();
        return 'ok';
      } catch (err) {
        if (!(err instanceof RunbookError)) throw err;
      }
    }
    return 'failed';
  }
}

/**
 * Dry-run after a would-run: an expression that cannot be evaluated (it reads what the unsent
 * change would have produced) makes the step undecidable, not failed.
 */
export function undecidable(ctx: RunContext, frame: Frame, error: { code: string }): boolean {
  return ctx.dryRun && frame.afterWouldRun && error.code === 'E_EXPR';
}

/** String leaves of a value (3+ characters), for narrowing evidence lines. */
function leafStrings(v: Value, into: Set<string>): void {
  if (typeof v === 'string') {
    if (v.length >= 3) into.add(v);
  } else if (Array.isArray(v)) v.forEach((x) => leafStrings(x, into));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => leafStrings(x, into));
}

/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The error code and message of anything thrown by a step. Non-RunbookErrors are bugs: rethrown. */
export function errorFacts(err: unknown): { code: string; message: string } {
  if (err instanceof RunbookError) return { code: err.code, message: err.message };
  throw err;
}
