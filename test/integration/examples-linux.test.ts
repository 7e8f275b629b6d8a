/**
 * examples/linux-disk-check.yaml as a user runs it: the built CLI over real SSH (OpenSSH's sshd on
 * loopback, key auth, strict known_hosts) against this machine's own `df`, `free` and `uptime`.
 * The runbook's verdict is checked against `df` run here, so the test fails if the captures or the
 * branches misread real output.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHD, keygen, startSshd, tempDir, type Sshd } from '../helpers/sshd.js';
import { runCli, type CliRun } from '../helpers/cli.js';

let sshd: Sshd | undefined;
let dir = '';
let key = '';
let known = '';

beforeAll(async () => {
  if (!SSHD) return;
  sshd = await startSshd();
  dir = tempDir('runbook-example-linux-');
  key = keygen(join(dir, 'id_ed25519'));
  sshd.authorize(`${key}.pub`);
  known = join(dir, 'known_hosts');
  writeFileSync(known, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
});
afterAll(async () => {
  await sshd?.stop();
});

type Doc = {
  hosts: {
    outcome: string;
    message: string;
    steps: { id: string; outcome: string; captures: Record<string, unknown> }[];
  }[];
};

async function exec(vars: string[]): Promise<CliRun & { doc: Doc }> {
  const args = [
    'exec',
    'examples/linux-disk-check.yaml',
    '--host',
    `127.0.0.1:${sshd!.port}`,
    '--user',
    process.env.USER ?? 'root',
    '--identity',
    key,
    '--known-hosts',
    known,
    '--ssh-config',
    'none',
    '--state-dir',
    join(dir, 'state'),
    '--json',
    ...vars.flatMap((v) => ['--var', v]),
  ];
  const ran = await runCli(args, { SSH_AUTH_SOCK: '' });
  return { ...ran, doc: JSON.parse(ran.stdout || '{"hosts":[]}') as Doc };
}

/** Percent used of the file system holding `path`, as `df -P` says here. */
function usedPct(path: string): number {
  const line = execFileSync('df', ['-P', path], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  return Number(/(\d+)%/.exec(line)![1]);
}

describe.skipIf(!SSHD)('examples/linux-disk-check.yaml over real SSH', () => {
  it('reads df through sshd and passes when usage is under the thresholds', async () => {
    const pct = usedPct('/');
    const ran = await exec([`warn_pct=${Math.min(100, pct + 5)}`, `fail_pct=${Math.min(100, pct + 10)}`]);
    expect(ran.code, ran.stderr).toBe(0);
    const host = ran.doc.hosts[0]!;
    expect(host.outcome).toBe('ok');
    const disk = host.steps.find((s) => s.id === 'disk')!;
    expect((disk.captures.usage as { pct: number }).pct).toBe(pct);
  });

  it('fails (exit 1) when usage is above the failure threshold, and says so', async () => {
    const pct = usedPct('/');
    if (pct === 0) return; // an empty file system cannot be over any threshold
    const ran = await exec([`warn_pct=${pct - 1}`, `fail_pct=${pct - 1}`]);
    expect(ran.code, ran.stderr).toBe(1);
    expect(ran.doc.hosts[0]!.outcome).toBe('failed');
    expect(ran.doc.hosts[0]!.message).toContain(`${pct}%`);
  });

  it('refuses a mount value that would reach the shell as more than a path, before connecting', async () => {
    const ran = await exec(['mount=/tmp;reboot']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/mount/);
  });
});
