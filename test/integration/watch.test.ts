/**
 * `runbook watch` end to end: 10 lab routers on their own loopback addresses (5 with a broken
 * tunnel, 5 healthy) send their INV_SPI syslog lines (repeated while broken) to the watcher, a
 * child process running the built CLI, which recovers each broken router over SSH exactly once;
 * the lab's audit logs are the ground truth. Needs dist/ (built by `npm test`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouter, type Scenario } from '../../src/lab/index.js';
import { startLabSyslog, type LabSyslog } from '../../src/lab/syslog.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';

const PASSWORD = 'lab-watch-7';
const PASSWORD_ENV = 'RUNBOOK_TEST_WATCH_PASSWORD';
const RUNBOOK = resolve('runbooks/recover-inv-spi.yaml');
const BROKEN: Scenario[] = ['sdwan', 'classic', 'sdwan', 'classic', 'sdwan'];
const DISRUPTIVE = /^(clear crypto sa|request platform software sdwan|clear sdwan)/;

interface Watch {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  exited: Promise<number | null>;
}

function startWatch(args: string[]): Watch {
  const child = spawn(process.execPath, [CLI, 'watch', ...args], {
    cwd: ROOT,
    env: { ...process.env, RUNBOOK_NO_PROGRESS: '1', NO_COLOR: '1', [PASSWORD_ENV]: PASSWORD },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { child, out: () => out, exited };
}

async function until(what: string, cond: () => boolean, w: Watch, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; watcher output:\n${w.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const count = (text: string, re: RegExp): number => (text.match(new RegExp(re.source, 'gm')) ?? []).length;

function disruptiveSessions(r: LabRouter): number {
  return new Set(
    r
      .audit()
      .filter((e) => e.stateChanging && DISRUPTIVE.test(e.command))
      .map((e) => e.session),
  ).size;
}

function recovered(r: LabRouter): boolean {
  return r.state().peers.every((p) => p.sa === 'ok' && (p.kind !== 'sdwan' || p.bfd === 'up'));
}

async function sendFrom(address: string, port: number, lines: string[]): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, address, () => res()));
  for (const l of lines) await new Promise<void>((res) => s.send(l, port, '127.0.0.1', () => res()));
  s.close();
}

describe('runbook watch: syslog-triggered recovery of a lab fleet', () => {
  let dir: string;
  let lab: Lab;
  let syslog: LabSyslog | undefined;
  let watch: Watch;
  let port: number;
  const stateDir = (): string => join(dir, 'state');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-watch-'));
    const scenarios: Scenario[] = BROKEN.flatMap((s) => [s, 'healthy' as const]);
    lab = await startLab({
      scenario: scenarios,
      count: scenarios.length,
      port: 0,
      bind: '127.0.10.1',
      addressPerRouter: true,
      stateDir: join(dir, 'lab'),
      user: 'admin',
      password: PASSWORD,
      device: { bfdDelayMs: 200 },
    });
    writeFileSync(
      join(dir, 'known_hosts'),
      lab.routers.map((r) => `[${r.host}]:${r.port} ${r.hostKey}\n`).join(''),
    );
    writeFileSync(
      join(dir, 'hosts.yml'),
      [
        'all:',
        '  hosts:',
        ...lab.routers.map((r) => `    ${r.name}: {ansible_host: ${r.host}, ansible_port: ${r.port}}`),
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'watch.rules.yaml'),
      [
        'inventory: hosts.yml',
        'rules:',
        '  - name: inv-spi',
        '    match:',
        '      mnemonic: RECVD_PKT_INV_SPI',
        "      regex: 'srcaddr=(?<peer>[0-9.]+)'",
        `    runbook: ${RUNBOOK}`,
        '    once_within: 10m',
        '    approval: auto',
        '',
      ].join('\n'),
    );
    watch = startWatch([
      '--rules',
      join(dir, 'watch.rules.yaml'),
      '--listen',
      'udp://127.0.0.1:0',
      '--user',
      'admin',
      '--password-env',
      PASSWORD_ENV,
      '--known-hosts',
      join(dir, 'known_hosts'),
      '--ssh-config',
      'none',
      '--state-dir',
      stateDir(),
    ]);
    await until(
      'the watcher to listen',
      () => /listening on udp:\/\/127\.0\.0\.1:(\d+)/.test(watch.out()),
      watch,
      20_000,
    );
    port = Number(/listening on udp:\/\/127\.0\.0\.1:(\d+)/.exec(watch.out())![1]);
  }, 60_000);

  afterAll(async () => {
    await syslog?.close();
    if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recovers each broken router exactly once despite repeated lines; healthy routers are untouched', async () => {
    const broken = lab.routers.filter((r) => r.scenario !== 'healthy');
    const healthy = lab.routers.filter((r) => r.scenario === 'healthy');
    expect(broken.every((r) => !recovered(r))).toBe(true);
    // every broken peer's line every 100 ms, from each router's own address
    syslog = startLabSyslog(lab.routers, { target: `udp://127.0.0.1:${port}`, everyMs: 100 });
    await until(
      'five runs to finish',
      () => count(watch.out(), /finished run \S+ on edge\d+: ok/) >= 5,
      watch,
      120_000,
    );
    await until('all broken routers recovered', () => broken.every(recovered), watch, 10_000);
    // the lines kept coming while the runs went on: coalesced, not run again
    const out = watch.out();
    expect(count(out, /^\S+ matched: rule inv-spi/)).toBe(5);
    expect(count(out, /^\S+ started run /)).toBe(5);
    expect(count(out, /^\S+ throttled: rule inv-spi/)).toBeGreaterThan(0);
    for (const r of broken) {
      expect(disruptiveSessions(r), `${r.name} recovered once`).toBe(1);
      expect(out).toMatch(new RegExp(`started run \\S+: recover-inv-spi on ${r.name} `));
    }
    for (const r of healthy) expect(r.audit(), `${r.name} untouched`).toEqual([]);
    const runDirs = readdirSync(join(stateDir(), 'runs'));
    expect(runDirs).toHaveLength(5);
    const meta = JSON.parse(readFileSync(join(stateDir(), 'runs', runDirs[0]!, 'meta.json'), 'utf8')) as {
      vars: { peer: string };
      trigger: { rule: string; sender: string; message: string };
      targets: { name: string; address: string }[];
    };
    expect(meta.trigger.rule).toBe('inv-spi');
    expect(meta.trigger.sender).toMatch(
      new RegExp(`^udp://${meta.targets[0]!.address.replace(/\./g, '\\.')}:\\d+$`),
    );
    expect(meta.trigger.message).toContain(`srcaddr=${meta.vars.peer}`);
    await syslog.close();
    syslog = undefined;
  }, 180_000);

  it('a second burst inside once_within starts no run; unknown and malformed senders are only counted', async () => {
    const before = readdirSync(join(stateDir(), 'runs')).length;
    const throttledBefore = count(watch.out(), /^\S+ throttled: /);
    const line = (r: LabRouter, i: number): string =>
      `<188>${900 + i}: ${r.name}: *Dec  1 22:00:00.000 UTC: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.30.30.1, prot=50, spi=0x1(1), srcaddr=10.40.40.1`;
    for (const r of lab.routers.filter((x) => x.scenario !== 'healthy'))
      await sendFrom(r.host, port, [line(r, 1), line(r, 2), line(r, 3)]);
    await sendFrom('127.0.10.99', port, [line(lab.routers[0]!, 4)]);
    await sendFrom('127.0.10.98', port, ['<999>garbage', 'no pri at all']);
    await until(
      'the burst to be throttled',
      () => count(watch.out(), /^\S+ throttled: /) >= throttledBefore + 15,
      watch,
      20_000,
    );
    await until(
      'the unknown sender',
      () => /unknown host: rule inv-spi matched a message from udp:\/\/127\.0\.10\.99/.test(watch.out()),
      watch,
      20_000,
    );
    await until(
      'the malformed ones',
      () => count(watch.out(), /dropped malformed message from udp:\/\/127\.0\.10\.98/) >= 2,
      watch,
      20_000,
    );
    expect(readdirSync(join(stateDir(), 'runs'))).toHaveLength(before);

    // runbook runs shows each run's trigger
    const runs = await runCli(['runs', '--state-dir', stateDir()]);
    expect(runs.code).toBe(0);
    expect(count(runs.stdout, /watch: inv-spi from udp:\/\/127\.0\.10\.\d+:\d+/)).toBe(5);

    // SIGTERM: a clean stop with the counters
    watch.child.kill('SIGTERM');
    expect(await watch.exited).toBe(0);
    const stats = /stats: (.*)/.exec(watch.out())![1]!;
    expect(stats).toMatch(/\bmatched=5\b/);
    expect(stats).toMatch(/\bstarted=5\b/);
    expect(stats).toMatch(/\bfinished=5\b/);
    expect(stats).toMatch(/\bunknown-host=1\b/);
    expect(stats).toMatch(/\bmalformed=2\b/);
    for (const r of lab.routers.filter((x) => x.scenario === 'healthy')) expect(r.audit()).toEqual([]);
  }, 60_000);
});
