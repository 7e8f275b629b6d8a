/**
 * Session transcripts (`--transcript DIR`): one file per host (`DIR/<host>.log`, mode 0600, appended),
 * every line sent and received with an ISO timestamp and the step id. Lines look like
 *   2026-01-08T15:00:23.723Z [verify-sa] > show crypto ipsec sa peer 10.20.20.1
 *   2026-01-08T15:00:23.801Z [verify-sa] < interface: Tunnel10001
 *   2026-01-08T15:00:21.002Z [-] # connected to r1 (127.0.0.1:2222)
 * Received text is written line by line as lines complete (a partial line is written when something
 * is sent or the file closes). Secrets are redacted before anything reaches the disk; ANSI sequences
 * are removed and other control characters escaped.
 *
 * No fd is held between writes: lines are buffered and appended (open, write, close) when
 * something is sent or noted, when FLUSH_BYTES are buffered, and on close, so a run over 100k
 * hosts never holds more transcript fds than hosts writing at that instant. A transcript that
 * cannot be written (ENOSPC, a read-only or unwritable directory) never fails the run, which
 * has its journal: the first failure is a process warning naming the file and the reason, and
 * nothing more is written to that transcript.
 */
import { closeSync } from 'node:fs';
import { ensurePrivateDir, fileError, openPrivateAppend, writeAll } from '../files.js';
import { join } from 'node:path';
import { stripAnsi } from './ansi.js';
import { redact } from './redact.js';

export interface TranscriptWriter {
  /** Text sent to the device (a command, a dialog answer, a pager space). */
  sent(text: string, stepId?: string): void;
  /** Text received, in chunks as they arrive. */
  received(text: string, stepId?: string): void;
  /** A remark of our own (connected, paging refused, reconnecting...). */
  note(text: string, stepId?: string): void;
  /** Adds secrets learnt later (e.g. a typed password). */
  addSecrets(secrets: string[]): void;
  close(): void;
}

/** File name for a host: characters other than letters, digits, `.`, `_`, `-` become `_`. */
export function transcriptFileName(host: string): string {
  return `${host.replace(/[^\w.-]/g, '_')}.log`;
}

function visible(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Buffered transcript text appended at once past this size (and at each send, note and close). */
export const FLUSH_BYTES = 64 * 1024;

export function openTranscript(dir: string, host: string, secrets: string[]): TranscriptWriter {
  ensurePrivateDir(dir, 'transcript directory');
  const path = join(dir, transcriptFileName(host));
  // created now, so a directory where it cannot be is found before anything is sent
  closeSync(openPrivateAppend(path, 'transcript'));
  const known = [...secrets];
  let partial = '';
  let partialStep: string | undefined;
  let closed = false;
  let failed = false;
  let buffered: string[] = [];
  let bufferedBytes = 0;

  const write = (): void => {
    if (buffered.length === 0 || failed) return;
    const data = Buffer.from(buffered.join(''), 'utf8');
    buffered = [];
    bufferedBytes = 0;
    try {
      const fd = openPrivateAppend(path, 'transcript');
      try {
        writeAll(fd, data, { path, role: 'transcript', sync: false });
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      failed = true;
      const e = fileError(err, path, 'transcript');
      process.emitWarning(
        `${e instanceof Error ? e.message : String(e)}; the rest of the transcript of ${host} is not written`,
      );
    }
  };
  const line = (stepId: string | undefined, mark: string, text: string): void => {
    if (closed || failed) return;
    const l = `${new Date().toISOString()} [${stepId ?? '-'}] ${mark} ${visible(redact(text, known))}\n`;
    buffered.push(l);
    bufferedBytes += l.length;
    if (bufferedBytes >= FLUSH_BYTES) write();
  };
  const flush = (): void => {
    if (partial.length > 0) line(partialStep, '<', partial);
    partial = '';
  };

  return {
    sent(text, stepId) {
      flush();
      line(stepId, '>', text.replace(/\r?\n$/, ''));
      write();
    },
    received(text, stepId) {
      if (stepId !== partialStep) flush();
      partialStep = stepId;
      const lines = (partial + stripAnsi(text)).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const l of lines) line(stepId, '<', l.replace(/\r/g, ''));
    },
    note(text, stepId) {
      flush();
      line(stepId, '#', text);
      write();
    },
    addSecrets(more) {
      known.push(...more);
    },
    close() {
      if (closed) return;
      flush();
      write();
      closed = true;
    },
  };
}

/** One writer feeding two (the second may be absent): a transcript and a cassette recorder. */
export function teeTranscript(a: TranscriptWriter, b: TranscriptWriter | undefined): TranscriptWriter {
  if (!b) return a;
  return {
    sent: (text, stepId) => (a.sent(text, stepId), b.sent(text, stepId)),
    received: (text, stepId) => (a.received(text, stepId), b.received(text, stepId)),
    note: (text, stepId) => (a.note(text, stepId), b.note(text, stepId)),
    addSecrets: (s) => (a.addSecrets(s), b.addSecrets(s)),
    close: () => (a.close(), b.close()),
  };
}
