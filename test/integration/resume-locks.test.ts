/**
 * Host locks across processes: a second run on a host a live run holds fails before connecting,
 * naming the holder; a lock left by a dead process is taken over with a warning.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/json.js';
import { lockPath } from '../../src/store/lock.js';
import { REKEY, VERIFY, count, runCli, spawnCli, startRunLab, waitFor, type RunLab } from './resume-lab.js';

const labs: RunLab[] = [];
afterEach(async () => {
  for (const l of labs.splice(0)) await l.close();
});

async function lab(bfdDelayMs: number): Promise<RunLab> {
  const l = await startRunLab({ device: { bfdDelayMs } });
  labs.push(l);
  return l;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

function sessions(l: RunLab): number {
  return new Set(l.router.audit().map((e) => e.session)).size;
}

describe('host locks', () => {
  it('a second run on a host that a live run holds fails at once, naming that run, and sends nothing', async () => {
    const l = await lab(60_000);
    const rb = l.runbook('rekey-verify.yaml');
    const first = spawnCli(l.execArgs(rb, ['--yes']));
    const firstId = await waitFor('the first run record', () => l.runIds()[0], { cli: first });
    await waitFor('the first run to poll', () => l.commands().includes(VERIFY), { cli: first });
    const listed = await runCli(['runs', '--state-dir', l.stateDir]);
    expect(listed.stdout).toMatch(new RegExp(`${firstId}.*running`));

    const before = sessions(l);
    const second = await runCli(l.execArgs(rb, ['--yes']));
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(
        `^error: host ${l.host.replace(/\./g, '\\.')} is locked by run ${firstId} \\(pid ${first.child.pid}, since \\S+\\)$`,
        'm',
      ),
    );
    expect(second.stderr).toContain(`hint: wait for that run to finish (see \`runbook runs ${firstId}\`)`);
    expect(second.stdout).toBe('');
    expect(sessions(l)).toBe(before); // it never connected
    expect(l.runIds()).toEqual([firstId]); // and left no run record behind

    // resuming the running run is refused the same way
    const resumed = await runCli(l.resumeArgs(firstId));
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(new RegExp(`is locked by run ${firstId}`));

    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(4);
    expect(count(l.commands(), REKEY)).toBe(1);
    expect(existsSync(lockPath(l.stateDir, l.host))).toBe(false);
  });

  it('a stale lock of a dead process is taken over with a warning, and released at the end', async () => {
    const l = await lab(50);
    const rb = l.runbook('rekey-verify.yaml');
    const pid = await deadPid();
    const path = lockPath(l.stateDir, l.host);
    mkdirSync(`${l.stateDir}/locks`, { recursive: true });
    writeFileSync(
      path,
      `${JSON.stringify({ pid, runId: '20200101-000000-dead', hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z' })}\n`,
    );

    const text = await runCli(l.execArgs(rb, ['--yes']));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain(
      `warning: ${l.host}: took over a stale lock of run 20200101-000000-dead (its process ${pid} is gone)`,
    );
    expect(text.stdout).toContain(`note: ${l.host}: took over a stale lock of run 20200101-000000-dead`);
    expect(existsSync(path)).toBe(false);

    writeFileSync(
      path,
      `${JSON.stringify({ pid, runId: '20200101-000000-dead', hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z' })}\n`,
    );
    const json = await runCli(l.execArgs(rb, ['--yes', '--json']));
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as ResultDocument;
    expect(doc.messages).toEqual([
      `${l.host}: took over a stale lock of run 20200101-000000-dead (its process ${pid} is gone)`,
    ]);
    expect(existsSync(path)).toBe(false);
  });
});
