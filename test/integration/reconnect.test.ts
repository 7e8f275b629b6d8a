/**
 * Sessions that drop: a step with expect_disconnect whose command cuts the session, the lab
 * dropping every session during a read-only poll, and a device that does not come back (the run
 * stops resumable, and resume finishes it once the device is back). Judged by the lab's audit log
 * (sessions and commands), the journal and exit codes.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import {
  CLEAR_CONTROL,
  LAB_PASSWORD,
  REKEY,
  VERIFY,
  count,
  runCli,
  spawnCli,
  startRunLab,
  waitFor,
  type RunLab,
  type RunLabOptions,
} from './resume-lab.js';

const labs: RunLab[] = [];
const extra: Lab[] = [];
afterEach(async () => {
  for (const l of extra.splice(0)) await l.close();
  for (const l of labs.splice(0)) await l.close();
});

async function lab(o: RunLabOptions): Promise<RunLab> {
  const l = await startRunLab(o);
  labs.push(l);
  return l;
}

/** Fast backoff for tests (the default waits seconds between attempts). */
const FAST = { RUNBOOK_RECONNECT_DELAYS_MS: '20,50,100' };

function sessionsOf(l: RunLab, command: string): number[] {
  return l.router
    .audit()
    .filter((e) => e.command === command)
    .map((e) => e.session);
}

describe('reconnect', () => {
  it('expect_disconnect: the clear drops the session, the run reconnects and verifies in a new session', async () => {
    const l = await lab({ device: { dropOnControlClear: true, bfdDelayMs: 200 } });
    const r = await runCli(l.execArgs(l.runbook('clear-control-expected.yaml'), ['--yes']), FAST);
    expect(r.code, r.stderr).toBe(0);
    const [clearSession] = sessionsOf(l, CLEAR_CONTROL);
    expect(sessionsOf(l, CLEAR_CONTROL)).toHaveLength(1);
    const verifySessions = sessionsOf(l, VERIFY);
    expect(verifySessions.length).toBeGreaterThan(0);
    expect(verifySessions.every((s) => s > clearSession!)).toBe(true);
    expect(r.stderr).toMatch(/clear-control: reconnecting \(attempt 1\)/);
    expect(r.stderr).toMatch(/clear-control: ok \(\S+\): the session dropped as expected; reconnected/);
    expect(r.stdout).toMatch(/ok .*completed/);
    expect(r.stdout).toMatch(/disruptive: clear sdwan control connections/);
  });

  it('a disruptive step that did not expect it drops the session: the command was sent, so the run reconnects and verifies; it is not sent twice', async () => {
    const l = await lab({ device: { dropOnControlClear: true, bfdDelayMs: 200 } });
    const r = await runCli(l.execArgs(l.runbook('clear-control.yaml'), ['--yes']), FAST);
    expect(r.code, r.stderr).toBe(0);
    expect(sessionsOf(l, CLEAR_CONTROL)).toHaveLength(1);
    expect(Math.min(...sessionsOf(l, VERIFY))).toBeGreaterThan(sessionsOf(l, CLEAR_CONTROL)[0]!);
    expect(r.stderr).toMatch(
      /clear-control: ok \(\S+\): the session dropped during the command \(it was sent\); reconnected/,
    );
  });

  it('the lab drops every session during a read-only poll: the run reconnects and polls on, nothing disruptive is re-sent', async () => {
    const l = await lab({ device: { bfdDelayMs: 1500 } });
    const cli = spawnCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes']), FAST);
    await waitFor('the first verification poll', () => l.commands().includes(VERIFY), { cli });
    const firstSession = sessionsOf(l, VERIFY)[0]!;
    l.router.dropSessions();
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/verify: reconnecting \(attempt 1\)/);
    expect(Math.max(...sessionsOf(l, VERIFY))).toBeGreaterThan(firstSession);
    expect(count(l.commands(), REKEY)).toBe(1);
    expect(l.router.state().peers.find((p) => p.peer === '10.20.20.1')?.bfd).toBe('up');
  });

  it('a device that does not come back: the host stops unreachable (exit 3) and resumable; resume finishes once it is back', async () => {
    const l = await lab({ device: { bfdDelayMs: 5000 } });
    const port = l.router.port;
    const cli = spawnCli(l.execArgs(l.runbook('rekey-verify.yaml'), ['--yes']), FAST);
    const id = await waitFor('the run record', () => l.runIds()[0], { cli });
    await waitFor('the first verification poll', () => l.commands().includes(VERIFY), { cli });
    await l.stopLab();
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/verify: reconnecting \(attempt 3\)/);
    expect(r.stdout).toMatch(
      /unreachable .*at verify: the session dropped during step verify \(`show sdwan bfd sessions`\) and reconnecting failed/,
    );
    expect(r.stdout).toContain(`To continue ${l.host}: runbook resume ${id} --state-dir ${l.stateDir}`);
    expect(l.journal(id).at(-1)).toMatchObject({
      type: 'host-end',
      outcome: 'unreachable',
      stoppedAt: 'verify',
    });

    // the device is back (same address and host key; its tunnels came up meanwhile)
    const back = await startLab({
      scenario: 'healthy',
      count: 1,
      port,
      stateDir: join(l.dir, 'lab'),
      user: 'admin',
      password: LAB_PASSWORD,
      device: { bfdDelayMs: 50 },
    });
    extra.push(back);
    const resumed = await runCli(l.resumeArgs(id));
    expect(resumed.code, resumed.stderr).toBe(0);
    const sent = back.routers[0]!.audit().map((e) => e.command);
    expect(sent).toContain(VERIFY);
    expect(sent).not.toContain(REKEY);
    expect(sent).not.toContain('show version');
    expect(l.journal(id).at(-1)).toMatchObject({ type: 'host-end', outcome: 'ok' });
  });
});
