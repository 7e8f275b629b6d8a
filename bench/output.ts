/**
 * `npm run bench` (second part): the shell transport's output processing on huge outputs.
 *   node dist/bench/output.js [--out bench/results.md | --no-write]
 * Each case runs in a fresh child process (`--case NAME`) so its peak RSS is its own: a ShellSession
 * over an in-memory channel that answers like an IOS device, fed in 32 KiB chunks as fast as the
 * session takes them. Cases: 200 MB of 100-byte lines (max_output raised to 256 MB), one 20 MB line,
 * and 200 MB under the default 64 MiB limit (the command must fail with E_OUTPUT_LIMIT).
 * The table replaces the section between the output-bench markers in bench/results.md.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../src/errors.js';
import { getProfile } from '../src/platforms/index.js';
import { ShellSession } from '../src/transport/shell.js';
import { DEFAULT_TIMEOUTS } from '../src/transport/timeouts.js';
import { END, START, writeSection } from './section.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const MB = 1024 * 1024;
const CHUNK = 32 * 1024;

interface Case {
  name: string;
  what: string;
  bytes: number;
  /** Length of each output line (without CRLF). */
  lineLength: number;
  maxOutputBytes?: number;
}

const CASES: Case[] = [
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

interface Result {
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

async function runCase(c: Case): Promise<Result> {
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

async function main(argv: string[]): Promise<number> {
  const i = argv.indexOf('--case');
  if (i >= 0) {
    const c = CASES.find((x) => x.name === argv[i + 1]);
    if (!c) throw new Error(`no case ${argv[i + 1]}`);
    process.stdout.write(JSON.stringify(await runCase(c)));
    return 0;
  }
  const rows: string[] = [];
  for (const c of CASES) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--case', c.name], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`case ${c.name} failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout) as Result;
    process.stderr.write(
      `bench output: ${c.what}: ${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.outcome}\n`,
    );
    rows.push(`| ${c.what} | ${r.seconds.toFixed(2)} | ${r.peakRssMb.toFixed(0)} | ${r.outcome} |`);
  }
  const section = [
    START,
    '## Output processing (bench/output.ts)',
    '',
    `Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}.`,
    'A ShellSession over an in-memory IOS-like channel, fed in 32 KiB chunks as fast as it takes them; each case in its',
    'own process (peak RSS is the whole process: Node itself is about 45 MB). Wall = login + the command.',
    '',
    '| case | seconds | peak RSS MB | outcome |',
    '|---|---:|---:|---|',
    ...rows,
    END,
  ].join('\n');
  const outArg = argv.indexOf('--out');
  const out = argv.includes('--no-write')
    ? undefined
    : resolve(outArg >= 0 ? argv[outArg + 1]! : join(ROOT, 'bench/results.md'));
  process.stdout.write(`${section}\n`);
  if (out) {
    writeSection(out, section);
    process.stderr.write(`bench output: wrote ${out}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
