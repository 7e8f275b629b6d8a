/**
 * The line log used when output is not a terminal (CI, pipes, `| tee`):
 *   `HH:MM:SS host Step name [item]: outcome`
 * Readable as a record of what happened: steps are named by their `name` (the id when they have
 * none) and the loop item they ran for, not by internal keys; one line per step outcome (groups,
 * `set` bindings and steps skipped by their `when` only at `verbose`); polls summarised at the end
 * (`ok after 7 polls, 1.8s`); a multi-line message only once, with the host's end.
 * Levels: `quiet` prints only errors (failed steps, failed or unreachable hosts; the caller prints
 * the summary); `normal` adds connections, step outcomes, approvals, disruptive commands sent,
 * would/may-run items and reconnects; `verbose` adds every command sent, each poll, step starts,
 * and streams command output, indented under its step.
 */
import type { EngineEvent, Reporter } from '../engine/events.js';
import type { Value } from '../expr/types.js';
import { formatValue } from '../expr/values.js';
import { formatClock, formatDuration, withImpact, type TextSink } from './format.js';
import { itemLabel, notableSkip, stepLabel } from './step-label.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';

export interface LogReporterOptions {
  out: TextSink;
  /** Default `normal`. */
  level?: LogLevel;
  /** Time prefix of each line; default local `HH:MM:SS`. */
  clock?: (at: number) => string;
}

const OUTPUT_INDENT = '    ';

function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i < 0 ? text : `${text.slice(0, i)} …`;
}

export function createLogReporter(opts: LogReporterOptions): Reporter {
  const level = opts.level ?? 'normal';
  const clock = opts.clock ?? formatClock;
  // per host: step key -> its name, and loop iteration key -> its item's label
  const titles = new Map<string, string>();
  const items = new Map<string, string>();
  const nameOf = (host: string, key: string, stepId: string): string =>
    stepLabel(titles.get(`${host}\0${key}`) ?? stepId, key, (prefix) => items.get(`${host}\0${prefix}`));
  const line = (e: EngineEvent, text: string) =>
    opts.out.write(`${clock(e.at)} ${e.host} ${indentRest(text)}\n`);

  return (e) => {
    const quiet = level === 'quiet';
    const verbose = level === 'verbose';
    switch (e.kind) {
      case 'host-start':
        if (!quiet) line(e, `starting ${e.runbook}${e.dryRun ? ' (dry run)' : ''}`);
        return;
      case 'connecting':
        if (!quiet) line(e, `connecting to ${e.address}:${e.port}`);
        return;
      case 'connected':
        if (!quiet) line(e, 'connected');
        return;
      case 'step-start': {
        titles.set(`${e.host}\0${e.key}`, e.title);
        const label = e.item === undefined ? undefined : itemLabel(e.item);
        if (label) items.set(`${e.host}\0${e.key}`, label);
        if (verbose) line(e, `${nameOf(e.host, e.key, e.stepId)}: started`);
        return;
      }
      case 'command-sent':
        if (e.disruptive ? !quiet : verbose)
          line(
            e,
            `${nameOf(e.host, e.key, e.stepId)}: sent${e.disruptive ? ' [disruptive]' : ''}: ${e.command}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`,
          );
        return;
      case 'command-output':
        if (verbose) opts.out.write(indentOutput(e.output, e.exitCode));
        return;
      case 'retry-wait':
        if (verbose)
          line(
            e,
            `${nameOf(e.host, e.key, e.stepId)}: retry ${e.attempt}/${e.of} in ${formatDuration(e.delayMs)}${e.reason ? `: ${e.reason}` : ''}`,
          );
        return;
      case 'approval-request':
        if (!quiet)
          line(
            e,
            `${nameOf(e.host, e.key, e.stepId)}: awaiting approval: ${withImpact(e.command, e.impact)}`,
          );
        return;
      case 'approval-result': {
        if (quiet) return;
        const how = e.how === 'yes-flag' ? ' (--yes)' : e.how === 'resume-yes' ? ' (resume --yes)' : '';
        const verdict =
          e.answer === 'skip'
            ? 'skipped at approval'
            : e.answer === 'quit'
              ? 'quit at approval'
              : e.approved
                ? 'approved'
                : 'declined';
        line(e, `${nameOf(e.host, e.key, e.stepId)}: ${verdict}${how}`);
        return;
      }
      case 'would-run':
        if (!quiet)
          line(
            e,
            `${nameOf(e.host, e.key, e.stepId)}: ${e.hingesOn ? `may run (if step ${e.hingesOn.stepId} does not recover)` : 'would run'}: ${withImpact(e.command, e.impact)}`,
          );
        return;
      case 'result':
        if (verbose) line(e, `${nameOf(e.host, e.key, e.stepId)}: result: ${resultText(e.fields)}`);
        return;
      case 'reconnecting':
        if (!quiet) line(e, `${e.key}: reconnecting (attempt ${e.attempt}) in ${formatDuration(e.delayMs)}`);
        return;
      case 'step-end': {
        const text = stepEnd(e, level, nameOf(e.host, e.key, e.stepId));
        if (text !== undefined) line(e, text);
        return;
      }
      case 'host-end': {
        const shown = e.outcome === 'failed' || e.outcome === 'unreachable' || !quiet;
        const stopped = e.stoppedAt && e.outcome !== 'ok' ? ` at ${e.stoppedAt}` : '';
        if (shown)
          line(
            e,
            `${e.outcome}${stopped}${e.message ? `: ${e.message}` : ''} (${formatDuration(e.durationMs)})`,
          );
        return;
      }
      default: {
        const never: never = e;
        throw new Error(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  };
}

/** The line for a step's end at a level, or undefined when it is not shown. */
function stepEnd(
  e: Extract<EngineEvent, { kind: 'step-end' }>,
  level: LogLevel,
  name: string,
): string | undefined {
  const verbose = level === 'verbose';
  const dur = formatDuration(e.durationMs);
  const msg = e.error?.message ?? e.message;
  // structure and bindings: their children (or the next steps) say what happened
  const structural = e.stepKind === 'group' || e.stepKind === 'choose' || e.stepKind === 'set';
  switch (e.outcome) {
    case 'failed':
      return `${name}: failed${msg ? `: ${verbose ? msg : firstLine(msg)}` : ''} (${dur})`;
    case 'ok': {
      if (level === 'quiet' || (structural && !verbose)) return undefined;
      const polls =
        e.attempts !== undefined && e.attempts > 1 ? ` after ${e.attempts} polls, ${dur}` : ` (${dur})`;
      return `${name}: ok${polls}${e.message ? `: ${verbose ? e.message : firstLine(e.message)}` : ''}`;
    }
    case 'skipped': {
      if (level === 'quiet') return undefined;
      if (!notableSkip(e.message) && !verbose) return undefined;
      return `${name}: skipped${e.message ? `: ${verbose ? e.message : firstLine(e.message)}` : ''}`;
    }
    case 'would-run':
      return verbose ? `${name}: not run (dry run)` : undefined;
    case 'ended':
      // the message is the host's: it is printed once, with the host's end
      if (level === 'quiet') return undefined;
      return `${name}: ended${e.message ? ` (${e.message.split(':')[0]})` : ''}`;
    case 'restored':
      if (level === 'quiet' || (structural && !verbose)) return undefined;
      return `${name}: done in an earlier session (restored)`;
    default: {
      const never: never = e.outcome;
      return String(never);
    }
  }
}

function indentRest(text: string): string {
  return text.includes('\n') ? text.replace(/\r?\n/gu, `\n${OUTPUT_INDENT}`) : text;
}

function indentOutput(output: string, exitCode: number | undefined): string {
  const lines = output.replace(/\r\n?/gu, '\n').replace(/\n+$/u, '').split('\n');
  const body = output.trim() === '' ? '' : lines.map((l) => `${OUTPUT_INDENT}${l}\n`).join('');
  return exitCode !== undefined && exitCode !== 0 ? `${body}${OUTPUT_INDENT}(exit ${exitCode})\n` : body;
}

/** `peer=10.0.0.1 kind=sdwan` for the verbose log. */
function resultText(fields: Record<string, Value>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
}
