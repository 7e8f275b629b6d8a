/**
 * The per-host run journal: append-only JSON lines (`<run-dir>/hosts/<host>.jsonl`), each record
 * written with one write. A synced append is fsync'd before it returns, which also makes every
 * earlier record durable. The event listener syncs only a disruptive command's record, before the
 * command is sent; the other records ride on the next sync or the OS (a process crash loses nothing
 * written; a machine crash may lose records after the last sync: read-only steps, which resume
 * re-runs harmlessly, or a disruptive step's end, which resume then treats as in doubt and asks).
 * A disruptive command sent always has its record, so resume never re-sends it unasked. A torn
 * last line is ignored on read and cut off before the next append. (An fsync per record blocked
 * the event loop for most of a 200-host run.)
 * Values are stored with the lossless codec (ints come back as bigint).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
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
  'step-end',
  'host-end',
]);

/** Characters of one command's output kept in the journal (the rest is cut, with a note). */
const OUTPUT_LIMIT = 16_384;

export class Journal {
  readonly path: string;
  private fd: number | undefined;

  /** Opens (creating if needed) the journal for appending; a torn last line left by a crash is cut off. */
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    const existed = existsSync(path);
    this.fd = openSync(path, 'a+');
    if (existed) repairTail(this.fd, path);
    else fsyncDir(dirname(path));
  }

  /** Append one record; unless `sync` is false, fsync it (and every earlier record) before returning. */
  append(rec: JournalRecord, opts: { sync?: boolean } = {}): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const buf = Buffer.from(`${stringifyLine(rec)}\n`, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    if (opts.sync !== false) fsyncSync(this.fd);
  }

  /**
   * An event listener that journals what resume, `runbook runs` and reports need: host and step
   * starts and ends, approvals, disruptive commands sent, would-run items and command output.
   * Live-only events (connecting, retry waits, approval questions, reconnects) are not journaled.
   */
  listener(): (e: EngineEvent) => void {
    return (e) => {
      const rec = toRecord(e);
      if (rec) this.append(rec, { sync: rec.type === 'command' });
    };
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

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

/**
 * Read a journal. A missing file is an empty journal; an unparsable last line (torn by a crash) is
 * ignored; an unparsable line before it is RunbookError E_RUN_CORRUPT naming file:line.
 */
export function readJournal(path: string): JournalRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === '') last--;
  const records: JournalRecord[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const rec = parseRecord(line);
    if (rec) {
      records.push(rec);
      continue;
    }
    if (i === last) break;
    throw new RunbookError(
      'E_RUN_CORRUPT',
      `${path}:${i + 1}: journal line is not a valid record: ${truncate(line)}`,
      {
        hint: 'the run record was edited or damaged; fix or delete that line, or start a fresh run',
      },
    );
  }
  return records;
}

function parseRecord(line: string): JournalRecord | undefined {
  try {
    const v = parseLine(line) as { type?: unknown; at?: unknown } | null;
    if (
      v &&
      typeof v === 'object' &&
      typeof v.type === 'string' &&
      RECORD_TYPES.has(v.type) &&
      typeof v.at === 'number'
    )
      return v as JournalRecord;
  } catch {
    // not JSON
  }
  return undefined;
}

/** Cut an unparsable tail without newline; terminate a parsable one. */
function repairTail(fd: number, path: string): void {
  const buf = readFileSync(path);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return;
  const nl = buf.lastIndexOf(0x0a);
  if (parseRecord(buf.subarray(nl + 1).toString('utf8'))) writeSync(fd, '\n');
  else ftruncateSync(fd, nl + 1);
  fsyncSync(fd);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // directories cannot be fsync'd on every platform; the file itself is fsync'd on each append
  }
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
