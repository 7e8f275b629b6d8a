/**
 * The per-host run journal: append-only JSON lines (`<run-dir>/hosts/<host>.jsonl`), each record
 * written with one write. A synced append is fsync'd before it returns, which also makes every
 * earlier record durable. The event listener syncs only a disruptive command's record, before the
 * command is sent; the other records ride on the next sync or the OS (a process crash loses nothing
 * written; a machine crash may lose records after the last sync: read-only steps, which resume
 * re-runs harmlessly, or a disruptive step's end, which resume then treats as in doubt and asks).
 * A disruptive command sent always has its record, so resume never re-sends it unasked. (An fsync
 * per record blocked the event loop for most of a 200-host run.)
 *
 * Integrity: each line ends with `"sum":"<16 hex>"`, the first 64 bits of the SHA-256 of the line
 * without it, so a line cut in the middle, a garbage line or an edited record is found on read
 * (`readJournalFile` returns the records it trusts plus the problems, by line). A torn last line
 * (a crash while writing it) is a problem of kind `torn` and is cut off before the next append. The
 * first append of a host also names its journal in `<dir>/.started`, so a journal that is missing
 * or empty although its host started is found too (`missing`).
 *
 * Files: created 0600 (directories 0700) whatever the umask, never through a symlink; the fd is
 * opened per append and closed at once, so a run of 100k hosts holds no fd per host.
 * Values are stored with the lossless codec (ints come back as bigint).
 */
import { closeSync, existsSync, ftruncateSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EngineEvent } from '../engine/events.js';
import {
  corruptError,
  damagedKey,
  parseSigned,
  signedLine,
  toRecord,
  type JournalProblem,
  type JournalRecord,
} from './journal-record.js';
import { fileError, openPrivateAppend, writeAll } from '../files.js';

export class Journal {
  readonly path: string;
  private closed = false;
  private announced: boolean;

  /** Prepares the journal for appending; a torn last line left by a crash is cut off. */
  constructor(path: string) {
    this.path = path;
    this.announced = existsSync(path);
    if (this.announced) repairTail(path);
  }

  /** Append one record; unless `sync` is false, fsync it (and every earlier record) before returning. */
  append(rec: JournalRecord, opts: { sync?: boolean } = {}): void {
    if (this.closed) throw new Error(`journal ${this.path} is closed`);
    if (!this.announced) {
      announceStart(this.path);
      this.announced = true;
    }
    const fd = openPrivateAppend(this.path, 'journal');
    try {
      writeAll(fd, Buffer.from(`${signedLine(rec)}\n`, 'utf8'), {
        path: this.path,
        role: 'journal',
        sync: opts.sync !== false,
      });
    } finally {
      closeSync(fd);
    }
  }

  /**
   * An event listener that journals what resume, `runbook runs` and reports need: host and step
   * starts and ends, approvals, disruptive commands sent, would-run items, result rows and command output.
   * Live-only events (connecting, retry waits, approval questions, reconnects) are not journaled.
   */
  listener(): (e: EngineEvent) => void {
    return (e) => {
      const rec = toRecord(e);
      if (rec) this.append(rec, { sync: rec.type === 'command' });
    };
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * Read a journal: the records whose checksum holds, in order, and the problems found. Never
 * throws for content (only for an unreadable file, as E_STATE). A missing or empty file is an empty
 * journal, unless its host started (see the file comment): then a `missing` problem.
 */
export function readJournalFile(path: string): { records: JournalRecord[]; problems: JournalProblem[] } {
  const records: JournalRecord[] = [];
  const problems: JournalProblem[] = [];
  let text = '';
  if (existsSync(path)) {
    try {
      if (lstatSync(path).isSymbolicLink()) throw Object.assign(new Error('symlink'), { code: 'ELOOP' });
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw fileError(err, path, 'journal');
    }
  }
  const lines = text.split('\n');
  const torn = lines[lines.length - 1] !== '';
  lines.forEach((line, i) => {
    if (line === '' && i === lines.length - 1) return;
    const rec = parseSigned(line);
    if (typeof rec === 'object') return void records.push(rec);
    const last = torn && i === lines.length - 1;
    const kind = last ? 'torn' : rec;
    const what =
      kind === 'torn'
        ? 'the last line is cut off (a crash while writing it)'
        : kind === 'checksum'
          ? 'the record was changed after it was written (its checksum does not match)'
          : 'the line is not a journal record';
    const key = damagedKey(line);
    problems.push({
      line: i + 1,
      kind,
      message: `${path}:${i + 1}: ${what}: ${truncate(line)}`,
      after: records.length,
      ...(key !== undefined ? { key } : {}),
    });
  });
  if (records.length === 0 && hostStarted(path)) {
    problems.push({
      line: 0,
      kind: 'missing',
      message: `${path}: the journal is ${text === '' ? (existsSync(path) ? 'empty' : 'missing') : 'unreadable'}, yet its host started in this run`,
    });
  }
  return { records, problems };
}

/**
 * Read a journal, refusing one that cannot be trusted: a torn last line (a crash while writing it)
 * is ignored, any other problem is RunbookError E_RUN_CORRUPT naming file:line.
 */
export function readJournal(path: string): JournalRecord[] {
  const { records, problems } = readJournalFile(path);
  const bad = problems.filter((p) => p.kind !== 'torn');
  if (bad.length > 0) throw corruptError(bad);
  return records;
}

/** Cut a torn tail (no newline): a complete signed record only lost its newline, and gets it back. */
function repairTail(path: string): void {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw fileError(err, path, 'journal');
  }
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return;
  const nl = buf.lastIndexOf(0x0a);
  const fd = openPrivateAppend(path, 'journal');
  try {
    if (typeof parseSigned(buf.subarray(nl + 1).toString('utf8')) === 'object')
      writeAll(fd, Buffer.from('\n'), { path, role: 'journal', sync: true });
    else {
      ftruncateSync(fd, nl + 1);
      writeAll(fd, Buffer.alloc(0), { path, role: 'journal', sync: true });
    }
  } finally {
    closeSync(fd);
  }
}

/** `<dir>/.started` lists the journals (file names) whose host started; never a host's own name. */
function startedPath(journal: string): string {
  return join(dirname(journal), '.started');
}

function announceStart(journal: string): void {
  const path = startedPath(journal);
  const fd = openPrivateAppend(path, 'journal list');
  try {
    writeAll(fd, Buffer.from(`${basename(journal)}\n`), { path, role: 'journal list', sync: true });
  } finally {
    closeSync(fd);
  }
}

/** The `.started` lists read, by path, kept while the file's size stays the same (it only grows). */
const startedCache = new Map<string, { size: number; names: Set<string> }>();

function hostStarted(journal: string): boolean {
  const path = startedPath(journal);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  let known = startedCache.get(path);
  if (!known || known.size !== size) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return false;
    }
    known = { size, names: new Set(text.split('\n')) };
    startedCache.set(path, known);
  }
  return known.names.has(basename(journal));
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
