/**
 * Lab session rate: SSH sessions per second against the emulator, each one login (password) +
 * interactive shell + 3 commands + `exit`, at concurrency 50 over 200 routers; then a capacity check
 * with 1,000 routers and 500 sessions open at once (peak RSS). Client and lab share this process,
 * so the rate is a lower bound for the lab alone.
 *
 * Run: node dist/bench/lab-sessions.js [--sessions N] [--json]
 * Prints one line per measure; with --json, one JSON object ({ sessionsPerSec, ... }).
 */
import { pathToFileURL } from 'node:url';
import ssh2 from 'ssh2';
import { startLab, type LabRouter } from '../src/lab/index.js';

const COMMANDS = ['terminal length 0', 'show sdwan bfd sessions', 'show crypto ipsec sa peer 10.20.20.1'];
const PROMPT = /[\w-]+#$/;

/** One shell session; resolves when the device closed it after `exit`. With `hold`, waits for it before exiting. */
function session(r: LabRouter, hold?: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('error', reject);
    c.on('ready', () => {
      c.shell({ term: 'vt100' }, (err, ch) => {
        if (err) return reject(err);
        let buf = '';
        let step = 0;
        const next = (): void => {
          if (step < COMMANDS.length) ch.write(`${COMMANDS[step++]}\r`);
          else if (step++ === COMMANDS.length) {
            void (hold ?? Promise.resolve()).then(() => ch.write('exit\r'));
          }
        };
        ch.on('data', (d: Buffer) => {
          buf += d.toString();
          if (PROMPT.test(buf)) {
            buf = '';
            next();
          }
        });
        ch.on('close', () => {
          c.end();
          resolve();
        });
      });
    });
    c.connect({ host: r.host, port: r.port, username: 'admin', password: 'admin', readyTimeout: 60_000 });
  });
}

export interface LabSessionsResult {
  sessions: number;
  concurrency: number;
  routers: number;
  sessionsPerSec: number;
  capacity: { routers: number; concurrent: number; seconds: number; peakRssMb: number };
}

export async function benchLabSessions(opts: { sessions?: number } = {}): Promise<LabSessionsResult> {
  const total = opts.sessions ?? 1000;
  const concurrency = 50;
  const lab = await startLab({ port: 0, count: 200, scenario: ['mixed', 'healthy', 'sdwan'] });
  let started = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (started < total) {
      const i = started++;
      await session(lab.routers[i % lab.routers.length]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await lab.close();

  // capacity: 1,000 routers, 500 sessions open at the same time
  const big = await startLab({ port: 0, count: 1000, scenario: ['mixed', 'healthy'] });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const c0 = performance.now();
  const all = Array.from({ length: 500 }, (_, i) => {
    const r = big.routers[(i * 2) % big.routers.length]!;
    return session(r, hold);
  });
  // every session has run its commands once all 500 have audited 4 lines
  while (big.routers.reduce((n, r) => n + r.audit().length, 0) < 500 * COMMANDS.length) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const capSeconds = (performance.now() - c0) / 1000;
  release();
  await Promise.all(all);
  clearInterval(sampler);
  await big.close();

  return {
    sessions: total,
    concurrency,
    routers: 200,
    sessionsPerSec: Math.round(total / seconds),
    capacity: {
      routers: 1000,
      concurrent: 500,
      seconds: Math.round(capSeconds * 10) / 10,
      peakRssMb: Math.round(peakRss / 1e6),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--sessions');
  const res = await benchLabSessions(i > 0 ? { sessions: Number(process.argv[i + 1]) } : {});
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(res)}\n`);
  else {
    process.stdout.write(
      `lab sessions: ${res.sessionsPerSec} sessions/s (login + ${COMMANDS.length} commands + logout, concurrency ${res.concurrency}, ${res.routers} routers, ${res.sessions} sessions)\n` +
        `lab capacity: ${res.capacity.concurrent} concurrent sessions on ${res.capacity.routers} routers in ${res.capacity.seconds} s, peak RSS ${res.capacity.peakRssMb} MB\n`,
    );
  }
}
