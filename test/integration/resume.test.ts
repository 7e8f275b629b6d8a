/**
 * `runbook resume` after a run was killed (SIGKILL) mid-way, against a lab router that outlives the
 * runs: the lab's audit log shows what was sent again and what was not; the journal and the exit
 * codes show what the CLI decided.
 */
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { fileSafeName } from '../../src/store/paths.js';
import { needTool } from '../helpers/tools.js';
import {
  CLEAR_CONTROL,
  FIXTURES,
  LAB_PASSWORD,
  PASSWORD_ENV,
  REKEY,
  VERIFY,
  count,
  hasScript,
  ptyCli,
  runCli,
  spawnCli,
  startRunLab,
  waitFor,
  type RunLab,
  type RunLabOptions,
} from './resume-lab.js';

const labs: RunLab[] = [];
const fleets: Lab[] = [];
afterEach(async () => {
  for (const l of fleets.splice(0)) await l.close();
  for (const l of labs.splice(0)) await l.close();
});

async function lab(o?: RunLabOptions): Promise<RunLab> {
  const l = await startRunLab(o);
  labs.push(l);
  return l;
}

const SHOW_SA = 'show crypto ipsec sa peer 10.20.20.1';

/**
 * Run clear-control.yaml and SIGKILL it after the clear was sent (journaled) and the session
 * dropped, while the step waits to reconnect (a minute): the step is in doubt. Returns the run id.
 */
async function killInDoubt(l: RunLab): Promise<string> {
  const cli = spawnCli(l.execArgs(l.runbook('clear-control.yaml'), ['--yes']), {
    RUNBOOK_RECONNECT_DELAYS_MS: '60000',
  });
  const id = await waitFor('the run record', () => l.runIds()[0], { cli });
  await waitFor('the reconnect after the clear', () => /clear-control: reconnecting/.test(cli.stderr()), {
    cli,
  });
  expect(
    l
      .journal(id)
      .some((r) => r.type === 'command' && r.key === 'clear-control' && r.command === CLEAR_CONTROL),
  ).toBe(true);
  cli.child.kill('SIGKILL');
  await cli.done;
  expect(count(l.commands(), CLEAR_CONTROL)).toBe(1);
  expect(l.journal(id).some((r) => r.type === 'step-end' && r.key === 'clear-control')).toBe(false);
  return id;
}

function peerUp(l: RunLab): boolean {
  return l.router.state().peers.some((p) => p.peer === '10.20.20.1' && p.bfd === 'up' && p.sa === 'ok');
}

describe('resume after SIGKILL', () => {
  it('killed while verifying after the rekey: resume sends no finished step again and finishes', async () => {
    const l = await lab({ device: { bfdDelayMs: 1500 } });
    const rb = l.runbook('rekey-verify.yaml');
    const cli = spawnCli(l.execArgs(rb, ['--yes']));
    const id = await waitFor('the run record', () => l.runIds()[0], { cli });
    await waitFor(
      'verify to start',
      () => l.journal(id).some((r) => r.type === 'step-start' && r.key === 'verify'),
      { cli },
    );
    cli.child.kill('SIGKILL');
    const killed = await cli.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(count(l.commands(), REKEY)).toBe(1);
    const ended = l
      .journal(id)
      .filter((r) => r.type === 'step-end')
      .map((r) => r.type === 'step-end' && r.key);
    expect(ended).toEqual(['show-version', 'show-sa', 'rekey']);

    const listed = await runCli(['runs', '--state-dir', l.stateDir]);
    expect(listed.stdout).toMatch(new RegExp(`${id}.*resume-rekey.*interrupted`));

    const before = l.router.audit().length;
    const resumed = await runCli(l.resumeArgs(id));
    expect(resumed.code, resumed.stderr).toBe(0);
    const sent = l.commands(before);
    expect(sent).toContain(VERIFY);
    for (const done of ['show version', SHOW_SA, REKEY])
      expect(sent, `${done} finished before the kill`).not.toContain(done);
    expect(count(l.commands(), REKEY)).toBe(1);
    expect(peerUp(l)).toBe(true);
    // the killed run's lock is stale: taken over, with a warning
    expect(resumed.stderr).toMatch(/warning: .*took over a stale lock of run .*process \d+ is gone/);
    // the capture from before the kill was restored: the final assert reads it
    const records = l.journal(id);
    const last = records.at(-1)!;
    expect(last.type === 'host-end' && last.outcome).toBe('ok');
    const finalAssert = records.find((r) => r.type === 'step-end' && r.key === 'sa-was-up');
    expect(finalAssert?.type === 'step-end' && finalAssert.outcome).toBe('ok');
    const restored = records
      .filter((r) => r.type === 'step-end' && r.outcome === 'restored')
      .map((r) => r.type === 'step-end' && r.key);
    expect(restored).toEqual(['show-version', 'show-sa', 'rekey']);
    expect(resumed.stdout).toMatch(/1 ok/);

    // a finished run has nothing left to resume
    const again = await runCli(l.resumeArgs(id));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/every host already finished/);
    expect(l.commands(before + sent.length)).toEqual([]);
  });

  it('killed after a disruptive command was sent and before its step ended: the step is in doubt and re-sent only when approved', async () => {
    const l = await lab({ device: { dropOnControlClear: true } });
    const id = await killInDoubt(l);

    // no --yes and no terminal: resume stops before re-sending it, naming it in doubt
    const before = l.router.audit().length;
    for (let i = 0; i < 2; i++) {
      const stopped = await runCli(l.resumeArgs(id));
      expect(stopped.code, stopped.stderr).toBe(4);
      expect(stopped.stderr).toMatch(
        /step clear-control is IN DOUBT: .* sent `clear sdwan control connections` but never finished/,
      );
      expect(stopped.stdout).toMatch(/awaiting-approval .*at clear-control: step clear-control is in doubt/);
      expect(stopped.stdout).toContain(
        `To continue ${l.host}: runbook resume ${id} --state-dir ${l.stateDir}`,
      );
    }
    const meanwhile = l.commands(before);
    expect(meanwhile).not.toContain(CLEAR_CONTROL);
    expect(meanwhile).not.toContain('show version');
    expect(meanwhile).not.toContain('show sdwan control connections');

    // --yes approves it: sent once more (the session drops again and is restored), then verified
    const resumed = await runCli(l.resumeArgs(id, ['--yes']), { RUNBOOK_RECONNECT_DELAYS_MS: '20,100,500' });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/step clear-control is IN DOUBT: .*running it again \(--yes\)/);
    expect(count(l.commands(), CLEAR_CONTROL)).toBe(2);
    expect(l.commands(before)).toContain(VERIFY);
    expect(l.commands(before)).not.toContain('show version');
    expect(peerUp(l)).toBe(true);
    expect(resumed.stdout).toMatch(/disruptive: clear sdwan control connections/);
    const approvals = l.journal(id).filter((r) => r.type === 'approval');
    expect(approvals.map((r) => r.type === 'approval' && r.approved)).toEqual([true, true]);
  });
});

describe('resume a fleet', () => {
  it('interrupted on the second of three hosts: resume leaves the finished one alone, continues the second, runs the third', async () => {
    const l = await lab(); // for its temp and state dirs
    const fleet = await startLab({
      scenario: 'sdwan',
      count: 3,
      port: 0,
      stateDir: join(l.dir, 'fleet'),
      user: 'admin',
      password: LAB_PASSWORD,
      device: { bfdDelayMs: 800 },
    });
    fleets.push(fleet);
    const [e1, e2, e3] = fleet.routers as [Lab['routers'][0], Lab['routers'][0], Lab['routers'][0]];
    const inventory = join(l.dir, 'hosts.yml');
    writeFileSync(
      inventory,
      [
        'all:',
        '  vars: {ansible_host: 127.0.0.1}',
        '  hosts:',
        ...fleet.routers.map((r) => `    ${r.name}: {ansible_port: ${r.port}}`),
        '',
      ].join('\n'),
    );
    writeFileSync(l.knownHosts, fleet.routers.map((r) => `[127.0.0.1]:${r.port} ${r.hostKey}\n`).join(''));
    const rb = join(l.dir, 'rekey-verify.yaml');
    copyFileSync(join(FIXTURES, 'rekey-verify.yaml'), rb);
    const cmds = (r: Lab['routers'][0]) => r.audit().map((e) => e.command);

    const cli = spawnCli([
      'exec',
      rb,
      '-i',
      inventory,
      '--forks',
      '1',
      '--yes',
      '--user',
      'admin',
      '--password-env',
      PASSWORD_ENV,
      '--known-hosts',
      l.knownHosts,
      '--ssh-config',
      'none',
      '--state-dir',
      l.stateDir,
    ]);
    const id = await waitFor('the run record', () => l.runIds()[0], { cli });
    await waitFor('edge2 to verify', () => cmds(e2).includes(VERIFY), { cli, timeoutMs: 20_000 });
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toMatch(/^ {2}edge1 +ok /m);
    expect(r.stdout).toMatch(/^ {2}edge2 +interrupted .*at verify/m);
    expect(r.stdout).toMatch(/^ {2}edge3 +pending/m);
    expect(r.stdout).toContain(`To continue edge2, edge3: runbook resume ${id} --state-dir ${l.stateDir}`);
    expect(cmds(e3)).toEqual([]);

    const seen1 = e1.audit().length;
    const seen2 = e2.audit().length;
    // approvals are not carried over: edge3 has yet to rekey
    const resumed = await runCli(l.resumeArgs(id, ['--yes']));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`run ${id}: not touching hosts that finished: edge1 (ok)`);
    expect(e1.audit().length).toBe(seen1);
    expect(cmds(e2).slice(seen2)).toContain(VERIFY);
    expect(count(cmds(e2), REKEY)).toBe(1);
    expect(cmds(e2).slice(seen2)).not.toContain('show version');
    expect(count(cmds(e3), REKEY)).toBe(1);
    expect(cmds(e3)).toContain('show version');
    expect(resumed.stdout).toMatch(/, 2 hosts: 2 ok\n/);
  });
});

describe.runIf(needTool(hasScript, 'script(1) (apt-get install util-linux)'))('resume on a terminal', () => {
  it('asks about the in-doubt step, marked IN DOUBT; Ctrl-C at the question stops it resumable; y re-sends it', async () => {
    const l = await lab({ device: { dropOnControlClear: true } });
    const id = await killInDoubt(l);

    const asked = ptyCli(l.resumeArgs(id));
    await waitFor('the question', () => /Run it\? \[y\]es/.test(asked.screen()));
    expect(asked.screen()).toMatch(
      /step clear-control wants to run\n\s+clear sdwan control connections\n.*\n\s+\(IN DOUBT: an earlier run started this step and never finished it; it may already have run\)/,
    );
    asked.type('\x03');
    const stopped = await asked.done;
    expect(stopped.code, asked.screen()).toBe(4);
    expect(asked.screen()).toMatch(
      /interrupted .*at clear-control: interrupted while step clear-control waited for approval; nothing was sent/,
    );
    expect(asked.screen()).toContain(`To continue ${l.host}: runbook resume ${id} --state-dir ${l.stateDir}`);
    expect(count(l.commands(), CLEAR_CONTROL)).toBe(1);

    const again = ptyCli(l.resumeArgs(id), { RUNBOOK_RECONNECT_DELAYS_MS: '20,100,500' });
    await waitFor('the question', () => /IN DOUBT[^]*Run it\? \[y\]es/.test(again.screen()));
    again.type('y\r');
    const done = await again.done;
    expect(done.code, again.screen()).toBe(0);
    expect(count(l.commands(), CLEAR_CONTROL)).toBe(2);
    expect(peerUp(l)).toBe(true);
  });
});

describe('resume refuses what it cannot trust', () => {
  it('a host refused for an unknown host key resumes once trusted: connection flags given to resume replace the recorded ones', async () => {
    const l = await lab({ device: { bfdDelayMs: 50 } });
    const rb = l.runbook('rekey-verify.yaml');
    const trusted = readFileSync(l.knownHosts, 'utf8');
    writeFileSync(l.knownHosts, ''); // the recorded --known-hosts does not know the lab's key
    const first = await runCli(l.execArgs(rb, ['--yes']));
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toContain('is not known');
    expect(l.commands()).toEqual([]);
    const [id] = l.runIds();

    const bad = await runCli(l.resumeArgs(id!, ['--host-key-policy', 'trust-me']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--host-key-policy trust-me: unknown policy');

    const fixed = join(l.dir, 'known_hosts.fixed');
    writeFileSync(fixed, trusted);
    const resumed = await runCli(l.resumeArgs(id!, ['--yes', '--known-hosts', fixed]));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(count(l.commands(), REKEY)).toBe(1);
  });

  it('a changed runbook is refused with the way to go on; --force goes on', async () => {
    const l = await lab({ device: { bfdDelayMs: 50 } });
    const rb = l.runbook('rekey-verify.yaml');
    const first = await runCli(l.execArgs(rb));
    expect(first.code, first.stderr).toBe(4); // awaiting approval of the rekey
    const [id] = l.runIds();
    writeFileSync(rb, readFileSync(rb, 'utf8').replace('description: Rekey', 'description: Edited. Rekey'));

    const before = l.router.audit().length;
    const refused = await runCli(l.resumeArgs(id!, ['--yes']));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: run ${id}: ${rb} changed since the run started`);
    expect(refused.stderr).toContain(
      `then resume with --force: runbook resume ${id} --state-dir ${l.stateDir} --force`,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(l.commands(before)).toEqual([]);

    const forced = await runCli(l.resumeArgs(id!, ['--yes', '--force']));
    expect(forced.code, forced.stderr).toBe(0);
    expect(count(l.commands(), REKEY)).toBe(1);
    expect(l.commands(before)).not.toContain(SHOW_SA);
  });

  it('an unknown run id is a usage error naming where it looked', async () => {
    const l = await lab();
    const r = await runCli(l.resumeArgs('20990101-000000-dead'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: no run 20990101-000000-dead in ${join(l.stateDir, 'runs')}`);
    expect(r.stderr).toContain('hint: list the recorded runs with `runbook runs --state-dir');
  });

  it('a run against the embedded lab cannot be resumed, and says how to rehearse instead', async () => {
    const l = await lab();
    const rb = l.runbook('rekey-verify.yaml');
    const first = await runCli(['exec', rb, '--lab', 'sdwan', '--state-dir', l.stateDir]);
    expect(first.code).toBe(4);
    // the summary offers to run it again, not a resume that cannot work
    expect(first.stdout).toMatch(/To continue edge1: runbook exec \S+ --lab sdwan --state-dir \S+/);
    const [id] = l.runIds();
    const r = await runCli(l.resumeArgs(id!));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: run \S+ ran against the embedded lab/);
  });
});

describe('--start-at on a fresh run', () => {
  it('skips the steps before it (journaled as skipped) and runs from there; an unknown step is a usage error that leaves no run behind', async () => {
    const l = await lab({ device: { dropOnControlClear: true, bfdDelayMs: 50 } });
    const rb = l.runbook('clear-control.yaml');
    const bad = await runCli(l.execArgs(rb, ['--yes', '--start-at', 'clear-contrl']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'error: --start-at clear-contrl: runbook resume-clear-control has no step with that id',
    );
    expect(bad.stderr).toContain('hint: use one of: show-version, show-control, clear-control, verify');
    expect(l.runIds()).toEqual([]);
    expect(l.router.audit()).toEqual([]);

    const r = await runCli(l.execArgs(rb, ['--yes', '--start-at', 'clear-control']), {
      RUNBOOK_RECONNECT_DELAYS_MS: '20,100',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(l.commands()).not.toContain('show version');
    expect(l.commands()).not.toContain('show sdwan control connections');
    expect(count(l.commands(), CLEAR_CONTROL)).toBe(1);
    const ends = l
      .journal(l.runIds()[0]!)
      .flatMap((x) => (x.type === 'step-end' ? [[x.key, x.outcome]] : []));
    expect(ends).toEqual([
      ['show-version', 'skipped'],
      ['show-control', 'skipped'],
      ['clear-control', 'ok'],
      ['verify', 'ok'],
    ]);
  });
});

describe('a torn journal line', () => {
  it('is ignored by `runbook runs` and resume, and cut off before the next append', async () => {
    const l = await lab({ device: { bfdDelayMs: 50 } });
    const rb = l.runbook('rekey-verify.yaml');
    const first = await runCli(l.execArgs(rb));
    expect(first.code).toBe(4);
    const [id] = l.runIds();
    const file = join(l.stateDir, 'runs', id!, 'hosts', `${fileSafeName(l.host)}.jsonl`);
    // a crash in the middle of writing a record: half a line, no newline
    appendFileSync(file, '{"type":"step-end","at":1764262000000,"key":"rekey","stepId":"rek');

    const shown = await runCli(['runs', id!, '--state-dir', l.stateDir]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/awaiting-approval/);

    const resumed = await runCli(l.resumeArgs(id!, ['--yes']));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(count(l.commands(), REKEY)).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('"stepId":"rek"');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    const last = l.journal(id!).at(-1)!;
    expect(last.type === 'host-end' && last.outcome).toBe('ok');
  });
});
