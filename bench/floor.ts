/**
 * The floor: the same command sequence as the engine, sent by a plain ssh2 script with no engine
 * (no runbook, no expressions, no journal, no events), at the same concurrency.
 *   node dist/bench/floor.js PLAN.json   -> prints one JSON line: FloorResult
 * Per router: connect (host key checked against the plan, password auth), open a shell with the
 * engine's PTY settings, wait for the prompt, then run the plan's steps: `send` a command once and
 * wait for the prompt; `poll` a command every `delayMs` until every BFD session in its output is
 * up (at most `maxAttempts` times).
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

export interface FloorRouter {
  name: string;
  host: string;
  port: number;
  /** `ssh-ed25519 AAAA...` */
  hostKey: string;
}

export type FloorStep =
  | { send: string }
  | { poll: string; delayMs: number; maxAttempts: number }
  /** A measurement window the procedure itself needs (e.g. "the QFP counter no longer grows"). */
  | { waitMs: number };

export interface FloorPlan {
  routers: FloorRouter[];
  user: string;
  password: string;
  concurrency: number;
  steps: FloorStep[];
}

export interface FloorHost {
  name: string;
  ms: number;
  ok: boolean;
  error?: string;
}

export interface FloorResult {
  wallMs: number;
  hosts: FloorHost[];
}

const PROMPT = /(?:^|\n)([A-Za-z][\w-]*)[#>]\s*$/;
const BFD_ROW = /^\d+\.\d+\.\d+\.\d+\s+\d+\s+(\S+)\s/gm;

/** Every BFD row of `show sdwan bfd sessions` is up (and there is at least one). */
function allBfdUp(output: string): boolean {
  const states = [...output.matchAll(BFD_ROW)].map((m) => m[1]);
  return states.length > 0 && states.every((s) => s === 'up');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One shell session on one router; resolves true when every step ran and every poll held. */
function runRouter(r: FloorRouter, plan: FloorPlan): Promise<boolean> {
  const expected = Buffer.from(r.hostKey.split(/\s+/)[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('error', reject);
    client.on('ready', () => {
      client.shell({ term: 'vt100', cols: 511, rows: 24 }, (err, ch) => {
        if (err) return reject(err);
        let buf = '';
        let waiter: ((text: string) => void) | undefined;
        ch.on('data', (d: Buffer) => {
          buf += d.toString('utf8');
          if (waiter && PROMPT.test(buf)) {
            const text = buf;
            buf = '';
            const w = waiter;
            waiter = undefined;
            w(text);
          }
        });
        let done = false;
        ch.on('close', () => {
          if (!done) reject(new Error(`${r.name}: the session closed before the steps were done`));
        });
        const prompt = (): Promise<string> => new Promise((res) => (waiter = res));
        const run = (cmd: string): Promise<string> => {
          const p = prompt();
          ch.write(`${cmd}\r`);
          return p;
        };
        void (async () => {
          await prompt();
          let ok = true;
          for (const step of plan.steps) {
            if ('send' in step) {
              await run(step.send);
              continue;
            }
            if ('waitMs' in step) {
              await sleep(step.waitMs);
              continue;
            }
            let held = false;
            for (let i = 0; i < step.maxAttempts && !held; i++) {
              if (i > 0) await sleep(step.delayMs);
              held = allBfdUp(await run(step.poll));
            }
            ok &&= held;
          }
          done = true;
          client.end();
          resolve(ok);
        })().catch(reject);
      });
    });
    client.connect({
      host: r.host,
      port: r.port,
      username: plan.user,
      password: plan.password,
      readyTimeout: 120_000,
      hostVerifier: (key: Buffer) => key.equals(expected),
    });
  });
}

export async function runFloor(plan: FloorPlan): Promise<FloorResult> {
  const t0 = performance.now();
  const hosts: FloorHost[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.routers.length) {
      const r = plan.routers[next++]!;
      const s = performance.now();
      try {
        const ok = await runRouter(r, plan);
        hosts.push({ name: r.name, ms: performance.now() - s, ok });
      } catch (err) {
        hosts.push({ name: r.name, ms: performance.now() - s, ok: false, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.routers.length) }, worker));
  return { wallMs: performance.now() - t0, hosts };
}

const planFile = process.argv[2];
if (planFile && import.meta.url.endsWith('/floor.js')) {
  const result = await runFloor(JSON.parse(readFileSync(planFile, 'utf8')) as FloorPlan);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
