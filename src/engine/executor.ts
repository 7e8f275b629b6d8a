/**
 * The executor: walks a compiled runbook against one device through a Transport, emitting events.
 * Dry-run, approvals, retries and on_failure are decided here and nowhere else; nothing here prints.
 *
 * Host outcome: `ok` when the walk reaches its end or an `end: {status: ok}` (steps that failed under
 * `on_failure: continue` are tolerated and do not change it; a dry-run's verification steps that
 * cannot hold after a would-run are recorded as failed and tolerated too); `failed` on a failure
 * that reaches the top (on_failure abort or recovery steps without an `end`), an
 * `end: {status: failed}`, or a refused approval; `awaiting-approval` when a disruptive step is
 * reached in exec mode without an `approve` callback (nothing disruptive was sent);
 * `interrupted` when `signal` aborts; `unreachable` when the connection fails or cannot be restored.
 */
import { RunbookError, formatPos } from '../errors.js';
import type { Runbook } from '../runbook/model.js';
import { RunContext, type Flow } from './context.js';
import type { HostOutcome } from './events.js';
import type { ExecutorOptions, HostResult } from './options.js';
import type { EvidenceRecord, StepRecord, WouldRun } from './records.js';
import type { TimelineStep, TimelineWouldRun } from './timeline.js';
import { toJson } from '../expr/values.js';
import { runSteps, startableIds } from './walk.js';
import { tableHolding, unboundAtStart } from '../runbook/start-at.js';

export type { ApprovalRequest, ExecutorOptions, HostResult } from './options.js';

/**
 * Throws E_USAGE when `startAt` names no step of the runbook, or when a step it skips binds a name
 * that a later step reads (callers may check before a run starts).
 */
export function checkStartAt(runbook: Runbook, startAt: string | undefined): void {
  if (startAt === undefined) return;
  const table = tableHolding(runbook.steps, startAt);
  if (table !== undefined)
    throw new RunbookError(
      'E_USAGE',
      `--start-at ${startAt}: that step is inside action table '${table}', whose actions are tried in order from its start`,
      { hint: `start at '${table}' (or earlier)` },
    );
  const unbound = unboundAtStart(runbook.steps, startAt);
  if (unbound.length > 0) {
    const skipped = [...new Set(unbound.map((u) => u.boundBy))];
    const uses = unbound.map(
      (u) => `step '${u.readBy}' (${formatPos(u.readAt)}) reads '${u.name}', bound by '${u.boundBy}'`,
    );
    throw new RunbookError(
      'E_USAGE',
      `--start-at ${startAt} skips step${skipped.length > 1 ? 's' : ''} ${skipped.map((s) => `'${s}'`).join(', ')}, whose values later steps need: ${uses.join('; ')}`,
      { hint: `start at '${skipped[0]}' or earlier, or run the whole runbook` },
    );
  }
  if (!startableIds(runbook.steps).has(startAt)) {
    const ids = [...startableIds(runbook.steps)];
    throw new RunbookError(
      'E_USAGE',
      `--start-at ${startAt}: runbook ${runbook.name} has no step with that id`,
      {
        hint: `use one of: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`,
      },
    );
  }
}

export async function runHost(opts: ExecutorOptions): Promise<HostResult> {
  checkStartAt(opts.runbook, opts.startAt);
  const ctx = new RunContext(opts);
  const started = Date.now();
  ctx.emit({ kind: 'host-start', runbook: opts.runbook.name, dryRun: ctx.dryRun });
  ctx.emit({ kind: 'connecting', address: opts.host.address, port: opts.host.port });

  let flow: Flow;
  let error: HostResult['error'];
  try {
    let opened = false;
    try {
      await opts.transport.open();
      opened = true;
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    }
    if (opened) {
      ctx.emit({ kind: 'connected' });
      flow = await runSteps(ctx, opts.runbook.steps, { prefix: '', conditions: [], afterWouldRun: false });
    } else {
      flow = {
        kind: 'stop',
        outcome: 'unreachable',
        message: error?.message ?? `cannot connect to ${opts.host.name}`,
      };
    }
  } finally {
    await opts.transport.close().catch(() => undefined);
  }

  const end = hostEnd(ctx, flow);
  const durationMs = Date.now() - started;
  const message = ctx.redactor.text(end.message);
  const hostEndEvent: Parameters<RunContext['emit']>[0] = {
    kind: 'host-end',
    outcome: end.outcome,
    message,
    durationMs,
    disruptive: [...ctx.disruptive],
  };
  if (end.stoppedAt !== undefined) hostEndEvent.stoppedAt = end.stoppedAt;
  ctx.emit(hostEndEvent);
  const result: HostResult = {
    host: opts.host.name,
    outcome: end.outcome,
    message,
    durationMs,
    steps: ctx.timeline.finished.map(stepRecord),
    disruptive: [...ctx.disruptive],
    wouldRun: ctx.timeline.wouldRun.map(wouldRunRecord),
    results: [...ctx.timeline.results.values()].map((r) => ({
      key: r.key,
      stepId: r.stepId,
      fields: toJson(r.fields) as Record<string, unknown>,
    })),
  };
  if (end.stoppedAt !== undefined) result.stoppedAt = end.stoppedAt;
  if (error) result.error = ctx.redactor.deep(error);
  return result;
}

function hostEnd(ctx: RunContext, flow: Flow): { outcome: HostOutcome; message: string; stoppedAt?: string } {
  if (flow.kind === 'stop') return flow;
  if (flow.kind === 'failed') return { outcome: 'failed', message: flow.message, stoppedAt: flow.key };
  const ran = ctx.timeline.finished.filter(
    (r) => r.outcome !== 'skipped' && r.outcome !== 'restored' && r.kind === 'command',
  ).length;
  if (ctx.dryRun) {
    const n = ctx.timeline.wouldRun.length;
    return {
      outcome: 'ok',
      message: n
        ? `dry-run: ${n} disruptive command${n === 1 ? '' : 's'} would run`
        : 'dry-run: no disruptive command would run',
    };
  }
  return { outcome: 'ok', message: `completed (${ran} command step${ran === 1 ? '' : 's'} run)` };
}

/** A finished step of the timeline as plain JSON-safe data. */
function stepRecord(s: TimelineStep): StepRecord {
  const rec: StepRecord = {
    key: s.key,
    stepId: s.stepId,
    kind: s.kind ?? 'command',
    outcome: s.outcome === 'running' || s.outcome === 'in-doubt' ? 'failed' : s.outcome,
    durationMs: s.durationMs ?? 0,
    commands: [...s.commands],
    captures: toJson(s.captures) as Record<string, unknown>,
  };
  if (s.attempts !== undefined) rec.attempts = s.attempts;
  if (s.item !== undefined) rec.item = toJson(s.item);
  if (s.message !== undefined) rec.message = s.message;
  if (s.error) rec.error = s.error;
  return rec;
}

function wouldRunRecord(w: TimelineWouldRun): WouldRun {
  return {
    key: w.key,
    stepId: w.stepId,
    command: w.command,
    impact: w.impact,
    evidence: w.evidence.map((e) => {
      const r: EvidenceRecord = { stepId: e.stepId };
      if (e.captures) r.captures = toJson(e.captures) as Record<string, unknown>;
      if (e.lines) r.lines = e.lines;
      if (e.conditions) r.conditions = e.conditions;
      return r;
    }),
    ...(w.hingesOn ? { hingesOn: w.hingesOn } : {}),
  };
}
