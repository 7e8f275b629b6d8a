/**
 * One command over an SSH exec channel (Linux hosts): stdout and stderr kept apart, the exit status
 * returned (a signal-killed command reports 128 + the signal number, as shells do). Inactivity (reset
 * on data from either stream) and total timeouts close the channel and throw E_TIMEOUT. A channel that
 * closes without an exit status is a dropped session (E_DISCONNECTED, or `disconnected` when expected).
 * More than `maxOutputBytes` of stdout and stderr together kills the command (E_OUTPUT_LIMIT).
 */
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { RunbookError } from '../errors.js';
import type { SshClient } from './connect.js';
import { redact, Tail } from './redact.js';
import { timeoutError, type Timeouts } from './timeouts.js';
import type { TranscriptWriter } from './transcript.js';
import { DEFAULT_MAX_OUTPUT_BYTES, type CommandResult, type RunOptions } from './types.js';

export interface ExecContext {
  client: SshClient;
  label: string;
  timeouts: Timeouts;
  secrets: string[];
  transcript?: TranscriptWriter;
  /** True once the connection is gone (a drop during the command). */
  isClosed: () => boolean;
  onClose: (cb: () => void) => () => void;
}

function signalNumber(name: string | undefined): number {
  if (!name) return 0;
  const n = (constants.signals as Record<string, number>)[name.startsWith('SIG') ? name : `SIG${name}`];
  return n ?? 0;
}

export function runExec(ctx: ExecContext, command: string, opts: RunOptions = {}): Promise<CommandResult> {
  const started = Date.now();
  const inactivityMs = opts.inactivityTimeoutMs ?? ctx.timeouts.inactivityMs;
  const totalMs = opts.totalTimeoutMs ?? ctx.timeouts.totalMs;
  const step = opts.stepId;
  const where = step ? ` in step ${step}` : '';
  return new Promise<CommandResult>((resolve, reject) => {
    if (ctx.isClosed()) {
      reject(dropped());
      return;
    }
    const tail = new Tail();
    const out = new StringDecoder('utf8');
    const err = new StringDecoder('utf8');
    let stdout = '';
    let stderr = '';
    let bytes = 0;
    const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    /** stdout and stderr together past the limit: the command is stopped and fails. */
    const counted = (n: number): boolean => {
      bytes += n;
      if (bytes <= maxBytes) return true;
      channel?.signal?.('KILL');
      channel?.close();
      settle(
        new RunbookError(
          'E_OUTPUT_LIMIT',
          redact(
            `${ctx.label}${where}: ${JSON.stringify(command)} printed more than ${maxBytes} bytes; the command was stopped and its output dropped`,
            ctx.secrets,
          ),
          {
            hint: "narrow the command (e.g. `| head`), or raise the step's max_output if that much output is expected",
          },
        ),
      );
      return false;
    };
    let exitCode: number | undefined;
    let done = false;
    let channel: { close(): void; signal?(s: string): void } | undefined;
    let inactivity: NodeJS.Timeout | undefined;
    const total = setTimeout(() => timeout('total', totalMs), totalMs);
    const armInactivity = (): void => {
      clearTimeout(inactivity);
      inactivity = setTimeout(() => timeout('inactivity', inactivityMs), inactivityMs);
    };
    const offClose = ctx.onClose(() => {
      if (opts.expectDisconnect)
        settle({ output: stdout, stderr, disconnected: true, durationMs: Date.now() - started });
      else settle(dropped());
    });
    const onAbort = (): void => {
      channel?.signal?.('INT');
      channel?.close();
      settle(
        new RunbookError(
          'E_INTERRUPTED',
          `${ctx.label}${where}: interrupted while running ${JSON.stringify(redact(command, ctx.secrets))}; the channel was closed`,
        ),
      );
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    function settle(r: CommandResult | RunbookError): void {
      if (done) return;
      done = true;
      clearTimeout(total);
      clearTimeout(inactivity);
      offClose();
      opts.signal?.removeEventListener('abort', onAbort);
      if (r instanceof RunbookError) reject(r);
      else resolve(r);
    }
    function dropped(): RunbookError {
      return new RunbookError(
        'E_DISCONNECTED',
        redact(
          `the connection to ${ctx.label} closed${where} while running ${JSON.stringify(command)}`,
          ctx.secrets,
        ),
        {
          hint: 'if the command drops the session on purpose, mark the step expect_disconnect: true; otherwise check the host and resume the run',
        },
      );
    }
    function timeout(phase: 'inactivity' | 'total', ms: number): void {
      channel?.signal?.('KILL');
      channel?.close();
      settle(
        timeoutError({
          phase,
          ms,
          label: ctx.label,
          waitingFor: 'the command to exit',
          lastBytes: tail.text,
          secrets: ctx.secrets,
          ...(step !== undefined ? { stepId: step } : {}),
          command,
        }),
      );
    }

    if (opts.signal?.aborted) return onAbort();
    armInactivity();
    ctx.transcript?.sent(command, step);
    ctx.client.exec(command, (e, ch) => {
      if (e) {
        settle(
          new RunbookError(
            'E_CONNECT',
            redact(
              `${ctx.label}${where}: the server refused an exec channel for ${JSON.stringify(command)}: ${e.message}`,
              ctx.secrets,
            ),
            {
              hint: 'the server may limit sessions per connection (MaxSessions); check its logs',
            },
          ),
        );
        return;
      }
      channel = ch;
      if (done) return ch.close();
      ch.on('data', (d: Buffer) => {
        if (done || !counted(d.length)) return;
        const s = out.write(d);
        stdout += s;
        tail.push(s);
        ctx.transcript?.received(s, step);
        armInactivity();
      });
      ch.stderr.on('data', (d: Buffer) => {
        if (done || !counted(d.length)) return;
        const s = err.write(d);
        stderr += s;
        tail.push(s);
        ctx.transcript?.received(s, step);
        armInactivity();
      });
      ch.on('exit', (code: number | null, signal?: string) => {
        exitCode = typeof code === 'number' ? code : 128 + signalNumber(signal);
      });
      ch.on('close', () => {
        stdout += out.end();
        stderr += err.end();
        if (exitCode === undefined) {
          if (opts.expectDisconnect)
            settle({ output: stdout, stderr, disconnected: true, durationMs: Date.now() - started });
          else settle(dropped());
          return;
        }
        settle({
          output: stdout,
          stderr,
          ...(exitCode !== undefined ? { exitCode } : {}),
          disconnected: false,
          durationMs: Date.now() - started,
        });
      });
    });
  });
}
