/**
 * The recording tap (`runbook exec --record DIR`): a Transport wrapper that writes one cassette per
 * host, `DIR/<host>.cassette.yaml` (mode 0600, rewritten after every command so a run cut short
 * still leaves what it said): the prompt seen at login and, for each command sent, in order, its
 * output (a command polled five times appears five times), the step that sent it, the dialog
 * questions the device asked, exit status and stderr (exec sessions), a dropped session.
 * Every text is redacted with the run's secrets before it reaches the disk. The prompt and the
 * dialog questions come from the raw text received (a TranscriptWriter tee), since a command's
 * result has them removed. A cassette is a device model file (schemas/device.schema.json).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { RunbookError } from '../errors.js';
import { stripAnsi } from './ansi.js';
import { redact } from './redact.js';
import type { TranscriptWriter } from './transcript.js';
import type { CommandResult, RunOptions, Transport } from './types.js';

export interface RecordOptions {
  dir: string;
  /** Host name (the file name) and, when no prompt is seen, the device name. */
  host: string;
  platform: string;
  runbook: string;
  mode: 'exec' | 'dry-run';
  /** Never written: replaced by `[redacted]`. */
  secrets: string[];
}

interface RecordedInteraction {
  command: string;
  step?: string;
  output: string;
  dialog?: string[];
  disconnected?: boolean;
  exit_code?: number;
  stderr?: string;
}

export interface Recorder {
  /** Wrap the host's transport: every command through it is recorded. */
  tap(inner: Transport): Transport;
  /** Feed it the raw session text (tee it with the transcript, if any). */
  readonly transcript: TranscriptWriter;
  /** The cassette's path. */
  readonly file: string;
}

/** `DIR/<host>.cassette.yaml`; characters other than letters, digits, `.`, `_`, `-` become `_`. */
export function cassetteFile(dir: string, host: string): string {
  return join(dir, `${host.replace(/[^\w.-]/g, '_')}.cassette.yaml`);
}

export function openRecorder(o: RecordOptions): Recorder {
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const file = cassetteFile(o.dir, o.host);
  const secrets = [...o.secrets];
  const clean = (s: string): string => redact(s, secrets);
  const interactions: RecordedInteraction[] = [];
  let prompt: string | undefined;
  /** Raw text received since the last command was sent. */
  let raw = '';
  let sentAny = false;

  const write = (): void => {
    const name = prompt?.replace(/[>#$%]\s*$/, '').replace(/\(.*\)$/, '');
    const device = name && /^[A-Za-z][\w.-]{0,62}$/.test(name) ? name : deviceName(o.host);
    const doc: Record<string, unknown> = {
      device,
      platform: o.platform,
      recorded: {
        at: new Date().toISOString(),
        runbook: o.runbook,
        mode: o.mode,
        ...(prompt ? { prompt } : {}),
      },
      ...(prompt && name === device ? { prompts: { exec: prompt } } : {}),
      interactions,
    };
    writeCassette(file, doc);
  };

  const transcript: TranscriptWriter = {
    sent: () => {
      if (!sentAny && prompt === undefined) prompt = lastLine(raw);
      sentAny = true;
      raw = '';
    },
    received: (text) => {
      raw = (raw + text).slice(-65_536);
    },
    note: () => undefined,
    addSecrets: (more) => secrets.push(...more),
    close: () => undefined,
  };

  const record = (
    command: string,
    opts: RunOptions,
    r: Partial<CommandResult>,
    error?: RunbookError,
  ): void => {
    const i: RecordedInteraction = {
      command: clean(command),
      ...(opts.stepId !== undefined ? { step: opts.stepId } : {}),
      output: clean(r.output ?? ''),
    };
    const asked = (opts.dialogs ?? [])
      .map((d) => questionLine(stripAnsi(raw), d.prompt))
      .filter((q): q is string => q !== undefined);
    if (asked.length > 0) i.dialog = asked.map(clean);
    if (r.disconnected || error?.code === 'E_DISCONNECTED') i.disconnected = true;
    if (r.exitCode !== undefined) i.exit_code = r.exitCode;
    if (r.stderr) i.stderr = clean(r.stderr);
    interactions.push(i);
    write();
  };

  return {
    file,
    transcript,
    tap: (inner) => ({
      profile: inner.profile,
      open: async () => {
        try {
          await inner.open();
        } finally {
          write();
        }
      },
      reconnect: () => inner.reconnect(),
      close: () => inner.close(),
      run: async (command, opts = {}) => {
        raw = '';
        try {
          const r = await inner.run(command, opts);
          record(command, opts, r);
          return r;
        } catch (err) {
          if (err instanceof RunbookError) record(command, opts, {}, err);
          throw err;
        }
      },
    }),
  };
}

/** Add how the run ended on the host to its cassette (after the run: from its journal). */
export function finishCassette(file: string, outcome: { status: string; message?: string }): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // the host never got as far as a cassette
  }
  const doc = parseDocument(text);
  doc.set('outcome', outcome);
  writeCassette(file, doc.toJS() as Record<string, unknown>);
}

function writeCassette(file: string, doc: Record<string, unknown>): void {
  const text = `# yaml-language-server: $schema=https://github.com/runbook/runbook/schemas/device.schema.json\n# A cassette recorded by runbook exec --record: replay it with runbook test RUNBOOK --cassette FILE\n${stringify(doc, { lineWidth: 0, blockQuote: 'literal' })}`;
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function deviceName(host: string): string {
  const s = host.replace(/[^\w.-]/g, '-').replace(/^[^A-Za-z]+/, '');
  return s === '' ? 'device' : s.slice(0, 63);
}

function lastLine(text: string): string | undefined {
  const lines = stripAnsi(text)
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.at(-1);
}

/** The line of `text` where the dialog regex matched (the question the device asked). */
function questionLine(text: string, prompt: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(prompt);
  } catch {
    return undefined;
  }
  const lines = text.split(/\r?\n|\r/);
  const hit = lines.find((l) => re.test(l));
  return hit?.trim();
}
