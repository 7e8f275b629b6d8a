/**
 * One command step: render, decide whether it changes state, ask for approval (exec) or report it
 * as would-run (dry-run), send it, judge the output (platform error patterns first, exit code,
 * captures, expect), and poll with retry/until. The only place where a command reaches a transport.
 */
import { MASK } from '../redact.js';
import { RunbookError } from '../errors.js';
import type { Value } from '../expr/types.js';
import { formatValue } from '../expr/values.js';
import { runCapturesBounded } from '../match/capture.js';
import { evaluateExpectBounded } from '../match/expect.js';
import { findDeviceError } from '../platforms/index.js';
import type { CommandStep } from '../runbook/model.js';
import { commandPolicy } from './policy.js';
import type { CommandResult, RunOptions } from '../transport/types.js';
import { NEXT, errorFacts, undecidable, type Flow, type Frame, type RunContext } from './context.js';
import type { ApprovalAnswer } from './events.js';

/** Outcome of one attempt: `ok`, or why it failed. */
type Attempt =
  | { ok: true; dropped?: boolean }
  | { ok: false; error: { code: string; message: string }; untilFailed?: boolean };

export async function runCommand(
  ctx: RunContext,
  step: CommandStep,
  key: string,
  frame: Frame,
  started: number,
): Promise<Flow> {
  const commands: string[] = [];
  const captures: Record<string, Value> = {};
  const bound: Record<string, Value> = {};
  const fail = (error: { code: string; message: string }, attempts?: number): Flow => {
    ctx.stepEnd(step, key, started, {
      outcome: 'failed',
      commands,
      captures,
      bound,
      error,
      message: error.message,
      ...(attempts ? { attempts } : {}),
    });
    return { kind: 'failed', key, message: `step ${step.id} failed: ${ctx.redactor.text(error.message)}` };
  };

  const policy = commandPolicy(ctx.opts.runbook.platform, ctx.transport.profile);
  let command: string;
  try {
    command = step.run.render(ctx.scope, policy.gates);
  } catch (err) {
    const error = errorFacts(err);
    if (!undecidable(ctx, frame, error)) return fail(error);
    // Dry-run: the command reads what an unsent change would have produced.
    if (!step.disruptive) {
      ctx.stepEnd(step, key, started, {
        outcome: 'skipped',
        message: `dry-run: cannot render the command: ${error.message} (it depends on a change that was not sent)`,
      });
      return NEXT;
    }
    command = step.run.renderPlaceholders(ctx.scope);
  }
  const impact = renderLoose(ctx, step.impact);

  // Safety net: a step that is read-only as written must still be read-only once rendered, on the
  // runbook's platform and the host's alike. (A step whose written form is not read-only passed
  // validation only by declaring `changes: false`.)
  const refusal = step.disruptive ? undefined : policy.renderedRefusal(step.run.source, command);
  if (refusal) {
    return fail({
      code: 'E_STEP_FAILED',
      message: `refused to send \`${ctx.redactor.text(command)}\`: ${refusal}`,
    });
  }

  if (step.disruptive) {
    if (ctx.dryRun) {
      const refs = [...step.run.refs, ...(step.impact?.refs ?? [])];
      const hingesOn = ctx.hingesOn(frame.conditions);
      ctx.addWouldRun({
        key,
        stepId: step.id,
        title: step.name,
        command,
        impact,
        evidence: ctx.evidence(step.id, refs, frame.conditions),
        ...(hingesOn ? { hingesOn } : {}),
      });
      ctx.stepEnd(step, key, started, { outcome: 'would-run', message: `dry-run: not sent: ${command}` });
      return { kind: 'next', afterWouldRun: true };
    }
    const inDoubt = ctx.opts.restore?.inDoubt.has(key) ?? false;
    const evidence = ctx.evidence(
      step.id,
      [...step.run.refs, ...(step.impact?.refs ?? [])],
      frame.conditions,
    );
    let approved: ApprovalAnswer | undefined;
    try {
      approved = await ctx.approve({
        host: ctx.host,
        stepId: step.id,
        key,
        command,
        impact,
        evidence,
        inDoubt,
      });
    } catch (err) {
      // Ctrl-C at the approval prompt: nothing was sent, the step runs again on resume.
      if (err instanceof RunbookError && err.code === 'E_INTERRUPTED') {
        return {
          kind: 'stop',
          outcome: 'interrupted',
          message: `interrupted while step ${step.id} waited for approval; nothing was sent`,
          stoppedAt: key,
        };
      }
      throw err;
    }
    if (approved === undefined) {
      const why = inDoubt
        ? `is in doubt (an earlier run sent it and never finished: it may already have run) and needs approval before sending \`${ctx.redactor.text(command)}\` again`
        : `changes state and needs approval before sending \`${ctx.redactor.text(command)}\``;
      return {
        kind: 'stop',
        outcome: 'awaiting-approval',
        message: `step ${step.id} ${why}; rerun with --yes, or in a terminal to answer the prompt`,
        stoppedAt: key,
      };
    }
    if (approved === 'skip') {
      // the person chose not to send it: the walk goes on and the runbook's verification judges
      ctx.stepEnd(step, key, started, {
        outcome: 'skipped',
        message: `skipped at approval: \`${ctx.redactor.text(command)}\` was not sent`,
      });
      return NEXT;
    }
    if (approved === 'quit') {
      return {
        kind: 'stop',
        outcome: 'interrupted',
        message: `stopped at the approval of step ${step.id} (quit); nothing was sent`,
        stoppedAt: key,
      };
    }
    if (approved === 'no') {
      fail({ code: 'E_APPROVAL_REQUIRED', message: `approval refused for \`${command}\`; nothing was sent` });
      return {
        kind: 'stop',
        outcome: 'failed',
        message: `step ${step.id}: approval refused; \`${ctx.redactor.text(command)}\` was not sent`,
        stoppedAt: key,
      };
    }
  }

  // Dry-run after a would-run in this branch: the change was not made, so do not poll for its effect.
  const tolerant = ctx.dryRun && frame.afterWouldRun;
  // what this step reads cannot reflect the unsent change: steps that hinge on it "may run"
  if (tolerant) ctx.markUnjudged(key);
  const times = tolerant ? 1 : (step.retry?.times ?? 1);
  const runOpts: RunOptions = {
    stepId: step.id,
    expectDisconnect: step.expectDisconnect,
    dialogs: step.dialogs,
    ...(step.maxOutputBytes !== undefined ? { maxOutputBytes: step.maxOutputBytes } : {}),
  };
  if (ctx.opts.commandSignal) runOpts.signal = ctx.opts.commandSignal;
  if (step.timeoutMs !== undefined) {
    runOpts.totalTimeoutMs = step.timeoutMs;
    runOpts.inactivityTimeoutMs = step.timeoutMs;
  }

  let last: Attempt = { ok: false, error: { code: 'E_INTERNAL', message: 'no attempt was made' } };
  let attempt = 0;
  while (attempt < times) {
    attempt++;
    ctx.emit({ kind: 'command-sent', key, stepId: step.id, command, disruptive: step.disruptive, attempt });
    commands.push(command);
    let result: CommandResult | undefined;
    try {
      result = await ctx.transport.run(command, runOpts);
    } catch (err) {
      const facts = errorFacts(err);
      if (facts.code === 'E_INTERRUPTED' || ctx.opts.commandSignal?.aborted) {
        const sent = step.disruptive
          ? '; it may have changed the device (resume asks before running it again)'
          : '';
        return {
          kind: 'stop',
          outcome: 'interrupted',
          message: `interrupted: the command of step ${step.id} was aborted${sent}`,
          stoppedAt: key,
        };
      }
      if (facts.code === 'E_DISCONNECTED') {
        const back = await ctx.reconnect(key);
        if (back !== 'ok') return lost(ctx, step.id, key, back, command);
        // A disruptive command that dropped the session was sent: go on to its verification steps.
        if (step.disruptive) {
          last = { ok: true, dropped: true };
          break;
        }
      }
      last = { ok: false, error: facts };
    }
    if (result) {
      const ev: Parameters<RunContext['emit']>[0] = {
        kind: 'command-output',
        key,
        stepId: step.id,
        output: result.output,
      };
      if (result.exitCode !== undefined) ev.exitCode = result.exitCode;
      ctx.emit(ev);
      if (result.disconnected) {
        const back = await ctx.reconnect(key);
        if (back !== 'ok') return lost(ctx, step.id, key, back, command);
        last = { ok: true, dropped: true };
        break;
      }
      last = await judge(ctx, step, result, captures, bound, key, attempt);
    }
    if (last.ok) break;
    if (attempt < times) {
      const delayMs = step.retry?.delayMs ?? 0;
      ctx.emit({
        kind: 'retry-wait',
        key,
        stepId: step.id,
        attempt,
        of: times,
        delayMs,
        reason: last.error.message,
      });
      await ctx.sleep(delayMs, ctx.opts.signal);
      if (ctx.aborted)
        return {
          kind: 'stop',
          outcome: 'interrupted',
          message: `interrupted while step ${step.id} was polling`,
          stoppedAt: key,
        };
    }
  }

  if (last.ok) {
    const message = last.dropped
      ? step.expectDisconnect
        ? 'the session dropped as expected; reconnected'
        : 'the session dropped during the command (it was sent); reconnected'
      : undefined;
    ctx.stepEnd(step, key, started, {
      outcome: 'ok',
      commands,
      captures,
      bound,
      attempts: attempt,
      ...(message ? { message } : {}),
    });
    return NEXT;
  }
  let error = last.error;
  if (last.untilFailed && step.retry?.until) {
    error = {
      code: 'E_STEP_FAILED',
      message: `until \`${step.retry.until.source}\` did not hold after ${attempt} attempt${attempt === 1 ? '' : 's'}${lastValues(ctx, step.retry.until)}`,
    };
  }
  if (tolerant) {
    // not a failure: a verification that cannot hold because the change before it was not sent
    const message = `dry-run: not judged, the change before this step was not sent (${error.message})`;
    ctx.stepEnd(step, key, started, {
      outcome: 'skipped',
      commands,
      captures,
      bound,
      attempts: attempt,
      message,
    });
    return NEXT;
  }
  return fail(error, attempt);
}

/** Captures of a step without `timeout` give up after this long. */
const CAPTURE_DEADLINE_MS = 60_000;

/** Judge one attempt's output: error patterns, exit code, captures (bound as they come), expect, until. */
async function judge(
  ctx: RunContext,
  step: CommandStep,
  result: CommandResult,
  captures: Record<string, Value>,
  bound: Record<string, Value>,
  key: string,
  attempt: number,
): Promise<Attempt> {
  const deviceError = findDeviceError(ctx.transport.profile, result.output);
  if (deviceError)
    return {
      ok: false,
      error: { code: 'E_DEVICE_ERROR', message: `${deviceError.message}: ${deviceError.line}` },
    };
  if (result.exitCode !== undefined && !step.okExitCodes.includes(result.exitCode)) {
    const err = result.stderr?.trim().split('\n')[0];
    return {
      ok: false,
      error: {
        code: 'E_STEP_FAILED',
        message: `exit status ${result.exitCode} (expected ${step.okExitCodes.join(' or ')})${err ? `: ${err}` : ''}`,
      },
    };
  }
  const extra: Record<string, Value> = {
    output: result.output,
    exit_code: BigInt(result.exitCode ?? -1),
    attempt: BigInt(attempt),
  };
  const matched: string[] = [];
  // regexes run off the event loop, bounded by the step's timeout (or a minute) and the hard interrupt
  const bounds = {
    deadlineMs: step.timeoutMs ?? CAPTURE_DEADLINE_MS,
    ...(ctx.opts.commandSignal ? { signal: ctx.opts.commandSignal } : {}),
  };
  try {
    if (step.captures.length) {
      const got = await runCapturesBounded(step.captures, result.output, bounds);
      for (const [name, value] of Object.entries(got.values)) {
        captures[name] = value;
        bound[name] = value;
        ctx.bind(name, value, [key]);
      }
      matched.push(...got.lines);
    }
    if (step.expect) {
      const r = await evaluateExpectBounded(
        step.expect,
        { output: result.output, scope: { ...ctx.scope, ...extra } },
        bounds,
      );
      matched.push(...r.lines);
      if (!r.ok)
        return { ok: false, error: { code: 'E_STEP_FAILED', message: `expect failed: ${r.reason}` } };
    }
    if (step.retry?.until && !ctx.holds(step.retry.until, extra)) {
      return {
        ok: false,
        untilFailed: true,
        error: {
          code: 'E_STEP_FAILED',
          message: `until \`${step.retry.until.source}\` does not hold yet${lastValues(ctx, step.retry.until)}`,
        },
      };
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, error: errorFacts(err) };
  } finally {
    ctx.saw({ key, stepId: step.id, captures: { ...captures }, lines: [...new Set(matched)] });
  }
}

function lost(
  ctx: RunContext,
  stepId: string,
  key: string,
  why: 'failed' | 'interrupted',
  command: string,
): Flow {
  if (why === 'interrupted')
    return {
      kind: 'stop',
      outcome: 'interrupted',
      message: `interrupted while reconnecting after step ${stepId}`,
      stoppedAt: key,
    };
  return {
    kind: 'stop',
    outcome: 'unreachable',
    message: `the session dropped during step ${stepId} (\`${ctx.redactor.text(command)}\`) and reconnecting failed`,
    stoppedAt: key,
  };
}

/**
 * ` (last values: a = 1, b = {n: 0})` for the names an expression reads. Of a record (a TextFSM
 * row has dozens of columns) only the fields the expression names are shown, when it names some.
 */
function lastValues(ctx: RunContext, expr: { source: string; refs: readonly string[] }): string {
  const shown = expr.refs
    .filter((r) => r in ctx.scope && r !== 'vars' && r !== 'host' && r !== 'run')
    .map(
      (r) =>
        `${r} = ${ctx.redactor.names.has(r) ? MASK : formatValue(fieldsRead(ctx.scope[r]!, r, expr.source))}`,
    );
  return shown.length ? ` (last values: ${ctx.redactor.text(shown.join(', '))})` : '';
}

/** `value` narrowed to the fields `source` reads as `name.field`, when it is a record and reads some. */
function fieldsRead(value: Value, name: string, source: string): Value {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const fields = new Set(
    [...source.matchAll(new RegExp(`(?<![\\w.])${name}\\.([A-Za-z_]\\w*)`, 'g'))].map((m) => m[1]!),
  );
  const kept = Object.entries(value).filter(([k]) => fields.has(k));
  return kept.length > 0 ? Object.fromEntries(kept) : value;
}

/** Render a message or impact for people: values that cannot be rendered stay as placeholders. */
export function renderLoose(ctx: RunContext, t: CommandStep['impact']): string {
  if (!t) return '';
  try {
    return t.render(ctx.scope, { multiline: true });
  } catch (err) {
    if (!(err instanceof RunbookError)) throw err;
    return t.renderPlaceholders(ctx.scope);
  }
}
