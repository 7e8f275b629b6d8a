/**
 * examples/linux-disk-check.yaml as a user runs it: the built CLI over real SSH (OpenSSH's sshd on
 * loopback, key auth, strict known_hosts) against this machine's own `df`, `free` and `uptime`.
 * The runbook's verdict is checked against `df` run here, so the test fails if the captures or the
 * branches misread real output.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSHD, keygen, startSshd, tempDir, type Sshd } from '../helpers/sshd.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { needTool } from '../helpers/tools.js';

let sshd: Sshd | undefined;
let dir = '';
let key = '';
let known = '';
/** A small tree of this test's own: the runbook's `du` of the largest directories walks it, not the machine's root. */
let tree = '';

beforeAll(async () => {
  if (!SSHD) return;
  sshd = await startSshd();
  dir = tempDir('runbook-example-linux-');
  key = keygen(join(dir, 'id_ed25519'));
  sshd.authorize(`${key}.pub`);
  known = join(dir, 'known_hosts');
  tree = join(dir, 'tree');
  for (const [sub, kb] of [
    ['big', 256],
    ['small', 8],
    ['nested/deeper', 64],
  ] as const) {
    mkdirSync(join(tree, sub), { recursive: true });
    writeFileSync(join(tree, sub, 'data.bin'), Buffer.alloc(kb * 1024, 1));
  }
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

describe.runIf(needTool(SSHD, 'OpenSSH sshd (apt-get install openssh-server)'))(
  'examples/linux-disk-check.yaml over real SSH',
  () => {
    it('reads df through sshd and passes when usage is under the thresholds', async () => {
      const pct = usedPct(tree);
      const ran = await exec([
        `mount=${tree}`,
        `warn_pct=${Math.min(100, pct + 5)}`,
        `fail_pct=${Math.min(100, pct + 10)}`,
      ]);
      expect(ran.code, ran.stderr).toBe(0);
      const host = ran.doc.hosts[0]!;
      expect(host.outcome).toBe('ok');
      const disk = host.steps.find((s) => s.id === 'disk')!;
      expect(Math.abs((disk.captures.usage as { pct: number }).pct - pct)).toBeLessThanOrEqual(1);
    });

    it('fails (exit 1) when usage is above the failure threshold, and says so', async () => {
      const pct = usedPct(tree);
      // the tree is on this machine's disk, never empty (an empty file system is over no threshold)
      expect(pct).toBeGreaterThan(0);
      const ran = await exec([`mount=${tree}`, `warn_pct=${pct - 1}`, `fail_pct=${pct - 1}`]);
      expect(ran.code, ran.stderr).toBe(1);
      expect(ran.doc.hosts[0]!.outcome).toBe('failed');
      // the figure the run read (other work on this disk may move it by a point meanwhile)
      const read = (ran.doc.hosts[0]!.steps.find((s) => s.id === 'disk')!.captures.usage as { pct: number })
        .pct;
      expect(Math.abs(read - pct)).toBeLessThanOrEqual(1);
      expect(ran.doc.hosts[0]!.message).toContain(`${read}%`);
      // the largest directories of the tree asked about, as du sees them
      const largest = ran.doc.hosts[0]!.steps.find((s) => s.id === 'largest')!;
      expect(largest.outcome).toBe('ok');
    });

    it('refuses a mount value that would reach the shell as more than a path, before connecting', async () => {
      const ran = await exec(['mount=/tmp;reboot']);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/mount/);
    });
  },
);
