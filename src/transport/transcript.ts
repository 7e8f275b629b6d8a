/**
 * Session transcripts (`--transcript DIR`): one file per host (`DIR/<host>.log`, mode 0600, appended),
 * every line sent and received with an ISO timestamp and the step id. Lines look like
 *   2026-01-08T15:00:23.723Z [verify-sa] > show crypto ipsec sa peer 10.20.20.1
 *   2026-01-08T15:00:23.801Z [verify-sa] < interface: Tunnel10001
 *   2026-01-08T15:00:21.002Z [-] # connected to r1 (127.0.0.1:2222)
 * Received text is written line by line as lines complete (a partial line is written when something
 * is sent or the file closes). Secrets are redacted before anything reaches the disk; ANSI sequences
 * are removed and other control characters escaped.
 */
import { closeSync, writeSync } from 'node:fs';
import { ensurePrivateDir, openPrivateAppend } from '../files.js';
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

export function openTranscript(dir: string, host: string, secrets: string[]): TranscriptWriter {
  ensurePrivateDir(dir, 'transcript directory');
  const path = join(dir, transcriptFileName(host));
  const fd = openPrivateAppend(path, 'transcript');
  const known = [...secrets];
  let partial = '';
  let partialStep: string | undefined;
  let closed = false;

  const line = (stepId: string | undefined, mark: string, text: string): void => {
    if (closed) return;
    writeSync(fd, `${new Date().toISOString()} [${stepId ?? '-'}] ${mark} ${visible(redact(text, known))}\n`);
  };
  const flush = (): void => {
    if (partial.length > 0) line(partialStep, '<', partial);
    partial = '';
  };

  return {
    sent(text, stepId) {
      flush();
      line(stepId, '>', text.replace(/\r?\n$/, ''));
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
    },
    addSecrets(more) {
      known.push(...more);
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      closeSync(fd);
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
