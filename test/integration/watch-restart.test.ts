/**
 * `runbook watch` with `approval: ask` across a restart: the run waits for approval, SIGTERM stops
 * the watcher cleanly with nothing sent and the event kept; a new watcher on the same state dir
 * resumes that same run, which `runbook approve` (another process) lets finish. Over real SSH to
 * the lab; needs dist/ (built by `npm test`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { startLabSyslog } from '../../src/lab/syslog.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';

const PASSWORD = 'lab-watch-restart';
const PASSWORD_ENV = 'RUNBOOK_TEST_WATCH_PASSWORD';

interface Watch {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  exited: Promise<number | null>;
}

async function until(what: string, cond: () => boolean, w: Watch, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; watcher output:\n${w.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('runbook watch: approval ask, SIGTERM and restart', () => {
  let dir: string;
  let lab: Lab;
  const watchers: Watch[] = [];

  const startWatch = (): Watch => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'watch',
        '--rules',
        join(dir, 'ask.rules.yaml'),
        '--listen',
        'tcp://127.0.0.1:0',
        '--user',
        'admin',
        '--password-env',
        PASSWORD_ENV,
        '--known-hosts',
        join(dir, 'known_hosts'),
        '--ssh-config',
        'none',
        '--state-dir',
        join(dir, 'state'),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, RUNBOOK_NO_PROGRESS: '1', [PASSWORD_ENV]: PASSWORD },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const w = { child, out: () => out, exited: new Promise<number | null>((r) => child.on('close', r)) };
    watchers.push(w);
    return w;
  };
  const portOf = (w: Watch): number => Number(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(w.out())![1]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-watch-restart-'));
    lab = await startLab({
      scenario: 'sdwan',
      port: 0,
      bind: '127.0.12.1',
      addressPerRouter: true,
      user: 'admin',
      password: PASSWORD,
      device: { bfdDelayMs: 200 },
    });
    const r = lab.routers[0]!;
    writeFileSync(join(dir, 'known_hosts'), `[${r.host}]:${r.port} ${r.hostKey}\n`);
    writeFileSync(
      join(dir, 'hosts.yml'),
      `all:\n  hosts:\n    edge1: {ansible_host: ${r.host}, ansible_port: ${r.port}}\n`,
    );
    writeFileSync(
      join(dir, 'ask.rules.yaml'),
      [
        'inventory: hosts.yml',
        'rules:',
        '  - name: inv-spi',
        '    match: {mnemonic: CRYPTO-4-RECVD_PKT_INV_SPI}',
        `    runbook: ${resolve('runbooks/recover-inv-spi.yaml')}`,
        '    approval: ask',
        '    approval_timeout: 10m',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const w of watchers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nothing is sent before approval, nothing accepted is lost across a restart, and the run finishes once', async () => {
    const router = lab.routers[0]!;
    const a = startWatch();
    await until('the first watcher to listen', () => /listening on tcp/.test(a.out()), a);
    const sender = startLabSyslog(lab.routers, { target: `tcp://127.0.0.1:${portOf(a)}`, everyMs: 600_000 });
    await until('the approval request', () => /waiting for approval: edge1 step rekey/.test(a.out()), a);
    await sender.close();
    const runId = /started run (\S+):/.exec(a.out())![1]!;

    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.out()).toMatch(new RegExp(`interrupted run ${runId} on edge1: checkpointed`));
    expect(a.out()).toMatch(/1 accepted event kept in .*queue\.json/);
    expect(router.audit().filter((e) => e.stateChanging)).toEqual([]);
    const queue = JSON.parse(readFileSync(join(dir, 'state', 'watch', 'queue.json'), 'utf8')) as {
      events: { runId: string; state: string }[];
    };
    expect(queue.events).toEqual([expect.objectContaining({ runId, state: 'running' })]);

    const b = startWatch();
    await until(
      'the resumed run to ask again',
      () => /waiting for approval: edge1 step rekey/.test(b.out()),
      b,
    );
    expect(b.out()).toContain('resuming 1 accepted event');
    expect(b.out()).toMatch(new RegExp(`resumed run ${runId}: recover-inv-spi on edge1`));

    const approved = await runCli(['approve', runId, '--state-dir', join(dir, 'state')]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('waiting now: edge1 rekey');
    await until('the run to finish', () => new RegExp(`finished run ${runId} on edge1: ok`).test(b.out()), b);

    expect(readdirSync(join(dir, 'state', 'runs'))).toEqual([runId]);
    const stateChanging = router.audit().filter((e) => e.stateChanging);
    expect(stateChanging.map((e) => e.command)).toEqual([
      'request platform software sdwan security ipsec-rekey',
    ]);
    expect(router.state().peers.every((p) => p.sa === 'ok')).toBe(true);
    const shown = await runCli(['runs', runId, '--state-dir', join(dir, 'state')]);
    expect(shown.stdout).toMatch(/^Run \S+: ok/);
    expect(shown.stdout).toMatch(
      /trigger {2}runbook watch: rule inv-spi, syslog from tcp:\/\/127\.0\.12\.1:\d+/,
    );
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 120_000);
});
