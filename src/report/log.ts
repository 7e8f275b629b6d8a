/**
 * The line-per-event log used when output is not a terminal (CI, pipes, `| tee`):
 *   `HH:MM:SS host key: event`
 * Levels: `quiet` prints only errors (failed steps, failed or unreachable hosts; the final summary
 * is printed by the caller); `normal` prints every event except command output; `verbose` also
 * streams command output, indented under its step.
 */
import type { EngineEvent, Reporter } from '../engine/events.js';
import { formatClock, formatDuration, withImpact, type TextSink } from './format.js';

export type LogLevel = 'quiet' | 'normal' | 'verbose';

export interface LogReporterOptions {
  out: TextSink;
  /** Default `normal`. */
  level?: LogLevel;
  /** Time prefix of each line; default local `HH:MM:SS`. */
  clock?: (at: number) => string;
}

const OUTPUT_INDENT = '    ';

export function createLogReporter(opts: LogReporterOptions): Reporter {
  const level = opts.level ?? 'normal';
  const clock = opts.clock ?? formatClock;
  const emit = (e: EngineEvent, text: string) =>
    opts.out.write(`${clock(e.at)} ${e.host} ${indentRest(text)}\n`);
  return (e) => {
    const line = describe(e, level);
    if (line === undefined) return;
    if (e.kind === 'command-output') {
      opts.out.write(line);
      return;
    }
    emit(e, line);
  };
}

/** The text of one event at a level (without time and host), or undefined when not shown. */
function describe(e: EngineEvent, level: LogLevel): string | undefined {
  const quiet = level === 'quiet';
  switch (e.kind) {
    case 'host-start':
      return quiet ? undefined : `starting ${e.runbook}${e.dryRun ? ' (dry run)' : ''}`;
    case 'connecting':
      return quiet ? undefined : `connecting to ${e.address}:${e.port}`;
    case 'connected':
      return quiet ? undefined : 'connected';
    case 'step-start':
      return quiet ? undefined : `${e.key}: started`;
    case 'command-sent':
      return quiet
        ? undefined
        : `${e.key}: sent${e.disruptive ? ' [disruptive]' : ''}: ${e.command}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'command-output':
      return level === 'verbose' ? indentOutput(e.output, e.exitCode) : undefined;
    case 'retry-wait':
      return quiet
        ? undefined
        : `${e.key}: retry ${e.attempt}/${e.of} in ${formatDuration(e.delayMs)}${e.reason ? `: ${e.reason}` : ''}`;
    case 'approval-request':
      return quiet ? undefined : `${e.key}: awaiting approval: ${withImpact(e.command, e.impact)}`;
    case 'approval-result':
      return quiet ? undefined : `${e.key}: ${e.approved ? 'approved' : 'declined'}`;
    case 'would-run':
      return quiet ? undefined : `${e.key}: would run: ${withImpact(e.command, e.impact)}`;
    case 'reconnecting':
      return quiet
        ? undefined
        : `${e.key}: reconnecting (attempt ${e.attempt}) in ${formatDuration(e.delayMs)}`;
    case 'step-end': {
      const dur = formatDuration(e.durationMs);
      const msg = e.error?.message ?? e.message;
      const outcome = e.outcome;
      switch (outcome) {
        case 'failed':
          return `${e.key}: failed${msg ? `: ${msg}` : ''} (${dur})`;
        case 'ok':
          return quiet ? undefined : `${e.key}: ok (${dur})${e.message ? `: ${e.message}` : ''}`;
        case 'skipped':
          return quiet ? undefined : `${e.key}: skipped${e.message ? `: ${e.message}` : ''}`;
        case 'would-run':
          return quiet ? undefined : `${e.key}: not run (dry run)`;
        case 'ended':
          return quiet ? undefined : `${e.key}: ended${e.message ? `: ${e.message}` : ''}`;
        case 'restored':
          return quiet ? undefined : `${e.key}: done in an earlier session (restored)`;
        default: {
          const never: never = outcome;
          return String(never);
        }
      }
    }
    case 'host-end': {
      const shown = e.outcome === 'failed' || e.outcome === 'unreachable' || !quiet;
      const stopped = e.stoppedAt && e.outcome !== 'ok' ? ` at ${e.stoppedAt}` : '';
      return shown
        ? `${e.outcome}${stopped}${e.message ? `: ${e.message}` : ''} (${formatDuration(e.durationMs)})`
        : undefined;
    }
    default: {
      const never: never = e;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
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
