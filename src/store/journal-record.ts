/**
 * Journal records: their type, the conversions between engine events and records, and how a
 * record is signed and checked (a line's `"sum"`, the first 64 bits of the SHA-256 of the line
 * without it). The directory store writes these lines to files (journal.ts), the PostgreSQL store
 * to rows (postgres-journal.ts); both read them back through `parseSigned`.
 */
import { createHash } from 'node:crypto';
import type {
  ApprovalAnswer,
  ApprovalHow,
  EngineEvent,
  Evidence,
  HingesOn,
  HostOutcome,
  StepOutcome,
} from '../engine/events.js';
import type { Value } from '../expr/types.js';
import type { StepKind } from '../runbook/model.js';
import { RunbookError } from '../errors.js';
import { parseLine, stringifyLine } from './codec.js';

/** One journal line. `at` is ms since epoch. */
export type JournalRecord =
  | { type: 'host-start'; at: number; runbook: string; dryRun: boolean }
  | {
      type: 'step-start';
      at: number;
      key: string;
      stepId: string;
      title: string;
      disruptive: boolean;
      item?: Value;
    }
  /** A disruptive command was handed to the transport (only disruptive commands are journaled). */
  | { type: 'command'; at: number; key: string; stepId: string; command: string; attempt: number }
  /**
   * An approval decision. `how`/`answer`/`command`/`impact`/`inDoubt` are recorded since the change
   * record (older journals lack them).
   */
  | {
      type: 'approval';
      at: number;
      key: string;
      stepId: string;
      approved: boolean;
      command?: string;
      impact?: string;
      how?: ApprovalHow;
      answer?: ApprovalAnswer;
      inDoubt?: boolean;
      evidence?: Evidence[];
    }
  /**
   * What a command printed (secrets masked; cut to OUTPUT_LIMIT characters), for the run report.
   * Not needed by resume.
   */
  | { type: 'output'; at: number; key: string; stepId: string; output: string; exitCode?: number }
  /** Dry-run: a disruptive step reached and not sent, with the evidence (for reports). */
  | {
      type: 'would-run';
      at: number;
      key: string;
      stepId: string;
      command: string;
      impact: string;
      evidence: Evidence[];
      hingesOn?: HingesOn;
    }
  /** A row of the host's results table (a step's `result:`), written before the step's end. */
  | { type: 'result'; at: number; key: string; stepId: string; fields: Record<string, Value> }
  | {
      type: 'step-end';
      at: number;
      key: string;
      stepId: string;
      outcome: StepOutcome;
      durationMs: number;
      commands: string[];
      captures: Record<string, Value>;
      scope: Record<string, Value>;
      stepKind?: StepKind;
      attempts?: number;
      message?: string;
      error?: { code: string; message: string };
    }
  | {
      type: 'host-end';
      at: number;
      outcome: HostOutcome;
      message: string;
      durationMs: number;
      disruptive: string[];
      stoppedAt?: string;
    };

export type JournalRecordType = JournalRecord['type'];

const RECORD_TYPES: ReadonlySet<string> = new Set<JournalRecordType>([
  'host-start',
  'step-start',
  'command',
  'approval',
  'would-run',
  'output',
  'result',
  'step-end',
  'host-end',
]);

/** Characters of one command's output kept in the journal (the rest is cut, with a note). */
const OUTPUT_LIMIT = 16_384;

/** The journal record for an event, or undefined for events that are not journaled. */
export function toRecord(e: EngineEvent): JournalRecord | undefined {
  switch (e.kind) {
    case 'host-start':
      return { type: 'host-start', at: e.at, runbook: e.runbook, dryRun: e.dryRun };
    case 'step-start':
      return {
        type: 'step-start',
        at: e.at,
        key: e.key,
        stepId: e.stepId,
        title: e.title,
        disruptive: e.disruptive,
        ...(e.item === undefined ? {} : { item: e.item }),
      };
    case 'command-sent':
      return e.disruptive
        ? { type: 'command', at: e.at, key: e.key, stepId: e.stepId, command: e.command, attempt: e.attempt }
        : undefined;
    case 'approval-result': {
      const { kind: _kind, host: _host, ...rest } = e;
      return { type: 'approval', ...rest };
    }
    case 'would-run': {
      const { kind: _kind, host: _host, ...rest } = e;
      return { type: 'would-run', ...rest };
    }
    case 'result': {
      const { kind: _kind, host: _host, ...rest } = e;
      return { type: 'result', ...rest };
    }
    case 'step-end': {
      const { kind: _kind, host: _host, ...rest } = e;
      return { type: 'step-end', ...rest };
    }
    case 'host-end': {
      const { kind: _kind, host: _host, ...rest } = e;
      return { type: 'host-end', ...rest };
    }
    case 'command-output': {
      const { kind: _kind, host: _host, output, ...rest } = e;
      const cut = output.length > OUTPUT_LIMIT;
      return {
        type: 'output',
        ...rest,
        output: cut ? `${output.slice(0, OUTPUT_LIMIT)}\n... (cut: ${output.length} characters)` : output,
      };
    }
    case 'connecting':
    case 'connected':
    case 'retry-wait':
    case 'approval-request':
    case 'reconnecting':
      return undefined;
    default: {
      const never: never = e;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}

/** The event a journal record stands for (journals hold the same facts as events, minus live ones). */
export function recordToEvent(host: string, rec: JournalRecord): EngineEvent {
  switch (rec.type) {
    case 'host-start':
      return { kind: 'host-start', host, at: rec.at, runbook: rec.runbook, dryRun: rec.dryRun };
    case 'step-start': {
      const { type: _t, ...rest } = rec;
      return { kind: 'step-start', host, ...rest };
    }
    case 'command':
      return {
        kind: 'command-sent',
        host,
        at: rec.at,
        key: rec.key,
        stepId: rec.stepId,
        command: rec.command,
        disruptive: true,
        attempt: rec.attempt,
      };
    case 'approval': {
      const { type: _t, ...rest } = rec;
      return { kind: 'approval-result', host, ...rest };
    }
    case 'would-run': {
      const { type: _t, ...rest } = rec;
      return { kind: 'would-run', host, ...rest };
    }
    case 'output': {
      const { type: _t, ...rest } = rec;
      return { kind: 'command-output', host, ...rest };
    }
    case 'result': {
      const { type: _t, ...rest } = rec;
      return { kind: 'result', host, ...rest };
    }
    case 'step-end': {
      const { type: _t, ...rest } = rec;
      return { kind: 'step-end', host, ...rest };
    }
    case 'host-end': {
      const { type: _t, ...rest } = rec;
      return { kind: 'host-end', host, ...rest };
    }
    default: {
      const never: never = rec;
      throw new Error(`unhandled journal record ${JSON.stringify(never)}`);
    }
  }
}

/** A line of a journal that cannot be trusted, or a journal that should exist and does not. */
export interface JournalProblem {
  /** 1-based line number (0 for the whole file). */
  line: number;
  kind: 'torn' | 'garbage' | 'checksum' | 'missing';
  /** `file:line: what`, for messages. */
  message: string;
  /** How many trusted records come before the damaged one (where it was in the journal). */
  after?: number;
  /** The step key the damaged line names, when one can be read from it (not to be trusted more than that). */
  key?: string;
}

/** The `"key"` a damaged record names, if one can be read (a cut or edited line may still hold it). */
export function damagedKey(text: string): string | undefined {
  const m = /"key":("(?:[^"\\]|\\.)*")/.exec(text);
  if (!m) return undefined;
  try {
    const key: unknown = JSON.parse(m[1]!);
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** E_RUN_CORRUPT for the problems of one journal. */
export function corruptError(problems: readonly JournalProblem[]): RunbookError {
  const lost = problems.some((p) => p.kind === 'missing');
  return new RunbookError('E_RUN_CORRUPT', problems.map((p) => p.message).join('\n'), {
    hint: lost
      ? 'the run record was damaged or deleted, so what this host did is not known for sure: check the device by hand, then run the runbook afresh for this host (the record is kept as it is)'
      : 'the run record was damaged or edited: `runbook resume` leaves the damaged records out and puts the steps they belonged to in doubt (asked again before they run); or check the device by hand and run the runbook afresh for this host',
  });
}

/** The line for a record: its JSON with `"sum"` last (a record never has a `sum` field of its own). */
export function signedLine(rec: JournalRecord): string {
  const body = stringifyLine(rec);
  return `${body.slice(0, -1)},"sum":"${checksum(body)}"}`;
}

const SUM = /,"sum":"([0-9a-f]{16})"\}$/;

/**
 * The checksum of a record stored as a JSON value (PostgreSQL jsonb rows written before schema 4;
 * jsonb reorders keys): over its encoded form with keys sorted, so it survives the round trip.
 */
export function valueSum(encoded: unknown): string {
  return checksum(canonical(encoded));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A stored JSON value as a record, when it is one (see parseRecord). */
export function recordOf(decoded: unknown): JournalRecord | undefined {
  const v = decoded as { type?: unknown; at?: unknown } | null;
  if (
    v &&
    typeof v === 'object' &&
    typeof v.type === 'string' &&
    RECORD_TYPES.has(v.type) &&
    typeof v.at === 'number'
  )
    return v as JournalRecord;
  return undefined;
}

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** The record of a line, or why it is not one. */
export function parseSigned(line: string): JournalRecord | 'garbage' | 'checksum' {
  const m = SUM.exec(line);
  if (!m) return 'garbage';
  const body = `${line.slice(0, m.index)}}`;
  const rec = parseRecord(body);
  if (!rec) return 'garbage';
  return checksum(body) === m[1] ? rec : 'checksum';
}

function parseRecord(line: string): JournalRecord | undefined {
  try {
    return recordOf(parseLine(line));
  } catch {
    // not JSON
  }
  return undefined;
}
