/**
 * The step loop: keys, `when`, resume and --start-at skipping, on_failure, and every step kind but
 * commands (groups with for_each, choose, end, assert, set).
 *
 * Keys: a top-level step's key is its id; a child's key is its parent's key + `/` + its id; a
 * for_each iteration is `group[i]` and its children `group[i]/child`; on_failure recovery steps are
 * `<failed step key>/<id>`.
 *
 * Failure: a failed step hands `failed` to its list, which applies the step's on_failure: abort
 * (default) fails the list, so the enclosing group fails and its own on_failure applies, up to the
 * host; continue tolerates the failure (the host's outcome is not affected); steps runs the recovery
 * steps, then fails the list unless they reached an `end`.
 *
 * Unfinished steps: when the walk stops inside a step (approval missing, interrupt, host
 * unreachable) that step and its enclosing groups get no step-end; a journal sees them as started,
 * and a disruptive one whose command was sent is in doubt.
 */
import { formatValue } from '../expr/values.js';
import type { Value } from '../expr/types.js';
import type { AssertStep, ChooseStep, EndStep, GroupStep, SetStep, Step } from '../runbook/model.js';
import { renderLoose as renderMessage, runCommand } from './command.js';
import {
  NEXT,
  errorFacts,
  tainted,
  undecidable,
  type Condition,
  type Flow,
  type Frame,
  type RunContext,
} from './context.js';

export async function runSteps(ctx: RunContext, steps: readonly Step[], frame: Frame): Promise<Flow> {
  // a would-run taints the rest of this list (and is handed back to the enclosing one)
  let after = frame.afterWouldRun;
  for (const step of steps) {
    const key = frame.prefix + (step.localId ?? step.id);
    if (ctx.aborted)
      return tainted(
        {
          kind: 'stop',
          outcome: 'interrupted',
          message: `interrupted before step ${step.id}`,
          stoppedAt: key,
        },
        after,
      );
    const flow = await runStep(ctx, step, key, { ...frame, afterWouldRun: after });
    after ||= flow.afterWouldRun === true;
    if (flow.kind !== 'failed') {
      if (flow.kind === 'stop') return tainted(flow, after);
      continue;
    }
    const onFailure = step.onFailure;
    if (onFailure.kind === 'continue') continue;
    if (onFailure.kind === 'abort') return tainted(flow, after);
    const recovery = await runSteps(ctx, onFailure.steps, {
      ...frame,
      prefix: `${key}/`,
      afterWouldRun: after,
    });
    after ||= recovery.afterWouldRun === true;
    if (recovery.kind === 'stop') return tainted(recovery, after);
    const why =
      recovery.kind === 'failed' ? `; recovery failed too: ${recovery.message}` : '; recovery steps ran';
    return tainted({ kind: 'failed', key: flow.key, message: `${flow.message}${why}` }, after);
  }
  return tainted(NEXT, after);
}

async function runStep(ctx: RunContext, step: Step, key: string, frame: Frame): Promise<Flow> {
  let entering = false;
  if (ctx.startAtPending !== undefined) {
    if (step.id === ctx.startAtPending) ctx.startAtPending = undefined;
    else if (contains(step, ctx.startAtPending)) entering = true;
    else {
      ctx.stepEnd(step, key, ctx.stepStart(step, key), {
        outcome: 'skipped',
        message: `before --start-at ${ctx.opts.startAt}`,
      });
      return NEXT;
    }
  }
  const done = ctx.opts.restore?.completed.get(key);
  if (done) {
    ctx.restore(done.scope, key);
    ctx.stepEnd(step, key, ctx.stepStart(step, key), {
      outcome: 'restored',
      bound: done.scope,
      message: `restored from the checkpoint (was ${done.outcome})`,
    });
    return NEXT;
  }

  const started = ctx.stepStart(step, key);
  const conditions = [...frame.conditions];
  // --start-at enters the groups that contain the start step without judging their conditions.
  if (step.when && !entering) {
    let held: boolean;
    try {
      held = ctx.holds(step.when);
    } catch (err) {
      const error = errorFacts(err);
      if (undecidable(ctx, frame, error)) {
        ctx.stepEnd(step, key, started, {
          outcome: 'skipped',
          message: `dry-run: cannot decide \`${step.when.source}\`: ${error.message} (it depends on a change that was not sent)`,
        });
        return NEXT;
      }
      ctx.stepEnd(step, key, started, { outcome: 'failed', error, message: error.message });
      return { kind: 'failed', key, message: `step ${step.id}: ${error.message}` };
    }
    if (!held) {
      ctx.stepEnd(step, key, started, {
        outcome: 'skipped',
        message: `when \`${step.when.source}\` is false`,
      });
      return NEXT;
    }
    conditions.push({ source: step.when.source, refs: step.when.refs });
  }
  const inner: Frame = { prefix: frame.prefix, conditions, afterWouldRun: frame.afterWouldRun };
  let flow: Flow;
  switch (step.kind) {
    case 'command':
      flow = await runCommand(ctx, step, key, inner, started);
      break;
    case 'group':
      flow = await runGroup(ctx, step, key, inner, started, entering);
      break;
    case 'choose':
      flow = await runChoose(ctx, step, key, inner, started, entering);
      break;
    case 'end':
      flow = runEnd(ctx, step, key, started);
      break;
    case 'assert':
      flow = runAssert(ctx, step, key, inner, started);
      break;
    case 'set':
      flow = runSet(ctx, step, key, started);
      break;
  }
  return ctx.resultFlow(key, flow);
}

/** Run a list inside a group-like step and close the step from the list's flow. */
async function runBody(
  ctx: RunContext,
  step: Step,
  key: string,
  started: number,
  body: (bound: Record<string, Value>) => Promise<Flow>,
  item?: Value,
): Promise<Flow> {
  const { result: flow, bound } = await ctx.collecting(async () => body({}));
  const facts = item === undefined ? {} : { item };
  if (flow.kind === 'stop') {
    if (flow.outcome === 'ok' || flow.outcome === 'failed')
      ctx.stepEnd(step, key, started, { outcome: 'ended', bound, ...facts, message: flow.message });
    return flow;
  }
  if (flow.kind === 'failed') {
    ctx.stepEnd(step, key, started, {
      outcome: 'failed',
      bound,
      ...facts,
      message: flow.message,
      error: { code: 'E_STEP_FAILED', message: flow.message },
    });
    return flow;
  }
  ctx.stepEnd(step, key, started, { outcome: 'ok', bound, ...facts });
  return tainted(NEXT, flow.afterWouldRun);
}

async function runGroup(
  ctx: RunContext,
  step: GroupStep,
  key: string,
  frame: Frame,
  started: number,
  entering: boolean,
): Promise<Flow> {
  const forEach = step.forEach;
  if (!forEach) {
    const inner: Frame = { ...frame, prefix: `${key}/` };
    return runBody(ctx, step, key, started, () => runSteps(ctx, step.steps, inner));
  }
  return runBody(ctx, step, key, started, async () => {
    let items: Value;
    try {
      items = forEach.items.evaluate(ctx.scope);
    } catch (err) {
      return { kind: 'failed', key, message: `step ${step.id}: for_each: ${errorFacts(err).message}` };
    }
    if (!Array.isArray(items)) {
      return {
        kind: 'failed',
        key,
        message: `step ${step.id}: for_each \`${forEach.items.source}\` is ${formatValue(items)}, not a list`,
      };
    }
    const sources = ctx.sourcesOf(forEach.items.refs);
    const had = Object.prototype.hasOwnProperty.call(ctx.scope, forEach.as);
    const previous = ctx.scope[forEach.as];
    const condition: Condition = {
      source: `${forEach.as} in ${forEach.items.source}`,
      refs: [forEach.as, ...forEach.items.refs],
    };
    let any = false;
    // an action table's record, fresh for this run of the table (journaled with the group)
    try {
      for (const { name, expr } of forEach.init ?? []) ctx.bind(name, expr.evaluate(ctx.scope), []);
    } catch (err) {
      return { kind: 'failed', key, message: `step ${step.id}: ${errorFacts(err).message}` };
    }
    const over = (): boolean => forEach.until !== undefined && ctx.holds(forEach.until);
    try {
      for (const [i, item] of items.entries()) {
        const iterKey = `${key}[${i}]`;
        if (ctx.aborted)
          return {
            kind: 'stop',
            outcome: 'interrupted',
            message: `interrupted before step ${step.id} item ${i + 1}`,
            stoppedAt: iterKey,
          };
        ctx.bind(forEach.as, item, sources, true);
        const done = ctx.opts.restore?.completed.get(iterKey);
        if (done && !entering) {
          ctx.restore(done.scope, iterKey);
          ctx.stepEnd(step, iterKey, ctx.stepStart(step, iterKey, item), {
            outcome: 'restored',
            item,
            bound: done.scope,
            message: `restored from the checkpoint (was ${done.outcome})`,
          });
          if (over()) break;
          continue;
        }
        const iterStarted = ctx.stepStart(step, iterKey, item);
        const iterFrame: Frame = {
          prefix: `${iterKey}/`,
          conditions: [...frame.conditions, condition],
          afterWouldRun: frame.afterWouldRun,
        };
        const flow = ctx.resultFlow(
          iterKey,
          await runBody(ctx, step, iterKey, iterStarted, () => runSteps(ctx, step.steps, iterFrame), item),
        );
        any ||= flow.afterWouldRun === true;
        if (flow.kind !== 'next') return tainted(flow, any);
        if (over()) break;
      }
      return tainted(NEXT, any);
    } finally {
      if (had) ctx.scope[forEach.as] = previous!;
      else delete ctx.scope[forEach.as];
    }
  });
}

async function runChoose(
  ctx: RunContext,
  step: ChooseStep,
  key: string,
  frame: Frame,
  started: number,
  entering: boolean,
): Promise<Flow> {
  const passed: string[] = [];
  const passedRefs: string[] = [];
  for (const [i, branch] of step.branches.entries()) {
    let held = branch.when === undefined;
    if (entering)
      held = branch.steps.some((s) => s.id === ctx.startAtPending || contains(s, ctx.startAtPending!));
    else if (branch.when) {
      try {
        held = ctx.holds(branch.when);
      } catch (err) {
        const error = errorFacts(err);
        if (undecidable(ctx, frame, error)) {
          ctx.stepEnd(step, key, started, {
            outcome: 'skipped',
            message: `dry-run: cannot decide \`${branch.when.source}\`: ${error.message} (it depends on a change that was not sent)`,
          });
          return NEXT;
        }
        ctx.stepEnd(step, key, started, { outcome: 'failed', error, message: error.message });
        return { kind: 'failed', key, message: `step ${step.id} branch ${i + 1}: ${error.message}` };
      }
    }
    if (!held) {
      if (branch.when) {
        passed.push(branch.when.source);
        passedRefs.push(...branch.when.refs);
      }
      continue;
    }
    const condition: Condition = branch.when
      ? { source: branch.when.source, refs: branch.when.refs }
      : { source: `otherwise${passed.length ? ` (none of: ${passed.join('; ')})` : ''}`, refs: passedRefs };
    const inner: Frame = {
      prefix: `${key}/`,
      conditions: [...frame.conditions, condition],
      afterWouldRun: frame.afterWouldRun,
    };
    return runBody(ctx, step, key, started, () => runSteps(ctx, branch.steps, inner));
  }
  ctx.stepEnd(step, key, started, { outcome: 'skipped', message: 'no branch condition holds' });
  return NEXT;
}

function runEnd(ctx: RunContext, step: EndStep, key: string, started: number): Flow {
  const message = renderMessage(ctx, step.message);
  ctx.stepEnd(step, key, started, { outcome: 'ended', message: `${step.status}: ${message}` });
  return {
    kind: 'stop',
    outcome: step.status,
    message,
    ...(step.status === 'failed' ? { stoppedAt: key } : {}),
  };
}

function runAssert(ctx: RunContext, step: AssertStep, key: string, frame: Frame, started: number): Flow {
  let held: boolean;
  let message: string;
  try {
    held = ctx.holds(step.that);
    message = held
      ? ''
      : step.message
        ? renderMessage(ctx, step.message)
        : `assertion \`${step.that.source}\` does not hold`;
  } catch (err) {
    held = false;
    message = errorFacts(err).message;
  }
  if (held) {
    ctx.stepEnd(step, key, started, { outcome: 'ok' });
    return NEXT;
  }
  const error = { code: 'E_STEP_FAILED', message };
  if (ctx.dryRun && frame.afterWouldRun) {
    ctx.stepEnd(step, key, started, {
      outcome: 'skipped',
      message: `dry-run: not judged, the change before this step was not sent (${message})`,
    });
    return NEXT;
  }
  ctx.stepEnd(step, key, started, { outcome: 'failed', error, message });
  return { kind: 'failed', key, message: `step ${step.id} failed: ${ctx.redactor.text(message)}` };
}

function runSet(ctx: RunContext, step: SetStep, key: string, started: number): Flow {
  const bound: Record<string, Value> = {};
  try {
    for (const { name, expr } of step.values) {
      const value = expr.evaluate(ctx.scope);
      ctx.bind(name, value, ctx.sourcesOf(expr.refs));
      bound[name] = value;
    }
  } catch (err) {
    const error = errorFacts(err);
    ctx.stepEnd(step, key, started, { outcome: 'failed', bound, error, message: error.message });
    return { kind: 'failed', key, message: `step ${step.id} failed: ${ctx.redactor.text(error.message)}` };
  }
  ctx.stepEnd(step, key, started, { outcome: 'ok', bound });
  return NEXT;
}

/** True when `id` is a step inside `step` (not counting on_failure recovery steps). */
export function contains(step: Step, id: string): boolean {
  const children =
    step.kind === 'group' ? step.steps : step.kind === 'choose' ? step.branches.flatMap((b) => b.steps) : [];
  return children.some((c) => c.id === id || contains(c, id));
}

/** Every step id a walk can start at (on_failure recovery steps excluded). */
export function startableIds(steps: readonly Step[]): Set<string> {
  const out = new Set<string>();
  const visit = (s: Step): void => {
    out.add(s.id);
    if (s.kind === 'group') s.steps.forEach(visit);
    if (s.kind === 'choose') s.branches.forEach((b) => b.steps.forEach(visit));
  };
  steps.forEach(visit);
  return out;
}
