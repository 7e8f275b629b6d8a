/**
 * One case of the output benchmark (bench/output.ts), in a process of its own so that its peak RSS
 * is its own: `node dist/bench/output-case.js NAME` prints {seconds, peakRssMb, outcome} as JSON.
 * A ShellSession over an in-memory channel that answers like an IOS device, fed in 32 KiB chunks as
 * fast as the session takes them.
 */
import { EventEmitter } from 'node:events';
import { RunbookError } from '../src/errors.js';
import { getProfile } from '../src/platforms/index.js';
import { ShellSession } from '../src/transport/shell.js';
import { DEFAULT_TIMEOUTS } from '../src/transport/timeouts.js';

const MB = 1024 * 1024;
const CHUNK = 32 * 1024;

export interface Case {
  name: string;
  what: string;
  bytes: number;
  /** Length of each output line (without CRLF). */
  lineLength: number;
  maxOutputBytes?: number;
}

export const CASES: Case[] = [
  {
    name: 'lines',
    what: '200 MB of 100-byte lines (max_output 256MB)',
    bytes: 200 * MB,
    lineLength: 98,
    maxOutputBytes: 256 * MB,
  },
  { name: 'one-line', what: 'one 20 MB line', bytes: 20 * MB, lineLength: 20 * MB },
  { name: 'capped', what: '200 MB under the default 64 MiB limit', bytes: 200 * MB, lineLength: 98 },
];

export interface CaseResult {
  seconds: number;
  peakRssMb: number;
  outcome: string;
}

/** A channel that behaves like an IOS shell: echo, prompt, and the bench command's output. */
class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  private stopped = false;
  constructor(private readonly c: Case) {
    super();
    setImmediate(() => this.emit('data', Buffer.from('\r\nedge1#')));
  }
  write(s: string): boolean {
    if (s === '\x03') {
      this.stopped = true;
      setImmediate(() => this.emit('data', Buffer.from('^C\r\nedge1#')));
      return true;
    }
    const cmd = s.replace(/\n$/, '');
    if (cmd !== 'show big') {
      setImmediate(() => this.emit('data', Buffer.from(`${cmd}\r\nedge1#`)));
      return true;
    }
    setImmediate(() => this.pump(cmd));
    return true;
  }
  close(): void {
    this.emit('close');
  }
  private pump(cmd: string): void {
    const line = `${'x'.repeat(Math.min(this.c.lineLength, CHUNK))}`;
    const block =
      this.c.lineLength >= CHUNK
        ? Buffer.from(line)
        : Buffer.from(`${line}\r\n`.repeat(Math.ceil(CHUNK / (line.length + 2))));
    let left = this.c.bytes;
    this.emit('data', Buffer.from(`${cmd}\r\n`));
    const next = (): void => {
      if (this.stopped) return;
      if (left <= 0) {
        this.emit('data', Buffer.from('\r\nedge1#'));
        return;
      }
      const b = left >= block.length ? block : block.subarray(0, left);
      left -= b.length;
      this.emit('data', b);
      setImmediate(next);
    };
    next();
  }
}

async function runCase(c: Case): Promise<CaseResult> {
  const started = process.hrtime.bigint();
  const channel = new FakeChannel(c);
  const session = await ShellSession.open(channel as never, {
    profile: getProfile('cisco-iosxe'),
    label: 'edge1 (bench)',
    timeouts: DEFAULT_TIMEOUTS,
    secrets: [],
  });
  let outcome: string;
  try {
    const r = await session.run('show big', c.maxOutputBytes ? { maxOutputBytes: c.maxOutputBytes } : {});
    outcome = `ok, ${(r.output.length / MB).toFixed(0)} MB of output`;
  } catch (err) {
    if (!(err instanceof RunbookError)) throw err;
    outcome = err.code;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, outcome };
}

const name = process.argv[2];
const c = CASES.find((x) => x.name === name);
if (!c) {
  process.stderr.write(`no case ${name}\n`);
  process.exit(2);
}
runCase(c).then(
  (r) => {
    process.stdout.write(JSON.stringify(r));
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
