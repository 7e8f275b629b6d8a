/**
 * The lab in a process of its own, so the engine (or the floor) under test does not share its CPU:
 *   node dist/bench/lab-server.js --count N [--scenario S] [--bfd-delay MS] [--state-dir DIR] [--password P]
 * Prints one JSON line `{"routers":[{name,host,port,hostKey}]}` once listening, then answers
 * one JSON line per request line on stdin:
 *   verify        -> {total, recovered, notRecovered: [names]}: every SD-WAN peer with SA ok and BFD up
 *   audit <name>  -> {entries: AuditEntry[]} of that router
 *   usage         -> {userUs, systemUs, maxRssKb} of this process
 *   quit (or EOF) -> closes the lab and exits 0
 */
import { createInterface } from 'node:readline';
import { startLab, type LabRouter, type Scenario } from '../src/lab/index.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Ground truth of a recovery: every SD-WAN peer's SA is ok and its BFD session is up. */
function isRecovered(r: LabRouter): boolean {
  return r.state().peers.every((p) => p.kind !== 'sdwan' || (p.sa === 'ok' && p.bfd === 'up'));
}

const lab = await startLab({
  scenario: flag('--scenario', 'sdwan') as Scenario,
  count: Number(flag('--count', '1')),
  port: 0,
  stateDir: flag('--state-dir', '.runbook/bench-lab'),
  user: 'admin',
  password: flag('--password', 'admin'),
  device: { bfdDelayMs: Number(flag('--bfd-delay', '3000')) },
});
const byName = new Map(lab.routers.map((r) => [r.name, r]));
const reply = (v: unknown): void => {
  process.stdout.write(`${JSON.stringify(v)}\n`);
};
reply({
  routers: lab.routers.map((r) => ({ name: r.name, host: r.host, port: r.port, hostKey: r.hostKey })),
});

let closing = false;
const quit = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  await lab.close();
  process.exit(0);
};
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'verify') {
    const notRecovered = lab.routers.filter((r) => !isRecovered(r)).map((r) => r.name);
    reply({ total: lab.routers.length, recovered: lab.routers.length - notRecovered.length, notRecovered });
  } else if (cmd === 'audit') {
    reply({ entries: byName.get(arg ?? '')?.audit() ?? [] });
  } else if (cmd === 'usage') {
    const u = process.resourceUsage();
    reply({ userUs: u.userCPUTime, systemUs: u.systemCPUTime, maxRssKb: u.maxRSS });
  } else if (cmd === 'quit') {
    void quit();
  } else {
    reply({ error: `unknown request '${line}'` });
  }
});
rl.on('close', () => void quit());
