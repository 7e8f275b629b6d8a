/**
 * Real clients against the lab, unchanged: OpenSSH's `ssh` (exec and interactive, strict host-key
 * checking against the lab's published key) and Netmiko's cisco_ios driver (Debian python3-netmiko).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouter } from '../../src/lab/index.js';
import { needTool } from '../helpers/tools.js';

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const HAS_SSH = has('ssh', ['-V']);
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => has(p, ['-c', 'import netmiko']));

let dir: string;
let lab: Lab;
let r: LabRouter;
let strict: LabRouter;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-lab-clients-'));
  if (HAS_SSH) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
  const authorizedKeys = HAS_SSH ? [readFileSync(join(dir, 'id.pub'), 'utf8')] : [];
  lab = await startLab({
    port: 0,
    count: 2,
    scenario: ['sdwan', 'healthy'],
    authorizedKeys,
    device: { refuseTerminalLength: false },
  });
  [r, strict] = [lab.routers[0]!, lab.routers[1]!];
  writeFileSync(
    join(dir, 'known_hosts'),
    lab.routers.map((x) => `[${x.host}]:${x.port} ${x.hostKey}\n`).join(''),
  );
  chmodSync(join(dir, 'id'), 0o600);
});
afterAll(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

function sshArgs(x: LabRouter): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    join(dir, 'id'),
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-p',
    String(x.port),
    `admin@${x.host}`,
  ];
}

function run(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(input ?? '');
  });
}

describe.runIf(needTool(HAS_SSH, 'the OpenSSH client (apt-get install openssh-client)'))(
  'OpenSSH ssh client',
  () => {
    it("runs `ssh host 'show version'` with strict host-key checking and public-key auth", async () => {
      const res = await run('ssh', [...sshArgs(r), 'show version']);
      expect(res.err).not.toMatch(/WARNING|Host key verification failed/);
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/^Cisco IOS XE Software, Version 17/);
      expect(r.audit().at(-1)).toMatchObject({ command: 'show version', outcome: 'ok' });
    });

    it('drives an interactive session with a PTY: terminal length 0, a show, exit', async () => {
      const res = await run(
        'ssh',
        ['-tt', ...sshArgs(strict)],
        'terminal length 0\nshow sdwan bfd sessions\nexit\n',
      );
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/edge2#terminal length 0\r\nedge2#show sdwan bfd sessions\r\n/);
      expect(res.out).toMatch(/172\.16\.255\.20 +200 +up/);
      expect(strict.audit().map((a) => a.command)).toEqual([
        'terminal length 0',
        'show sdwan bfd sessions',
        'exit',
      ]);
    });

    it('refuses to connect when the known host key does not match', async () => {
      const wrong = join(dir, 'known_hosts_wrong');
      const other =
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]) &&
        readFileSync(join(dir, 'other.pub'), 'utf8');
      writeFileSync(wrong, `[${r.host}]:${r.port} ${other.split(' ').slice(0, 2).join(' ')}\n`);
      const args = sshArgs(r).map((a) =>
        a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${wrong}` : a,
      );
      const res = await run('ssh', [...args, 'show clock']);
      expect(res.code).not.toBe(0);
      expect(res.err).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
    });
  },
);

describe.runIf(needTool(PYTHON, 'Netmiko (apt-get install python3-netmiko)'))(
  'Netmiko cisco_ios driver (python3-netmiko)',
  () => {
    const script = new URL('./netmiko_check.py', import.meta.url).pathname;
    const netmiko = (x: LabRouter, extra: string[] = [], secret?: string): Promise<Record<string, string>> =>
      new Promise((resolve, reject) =>
        execFile(
          PYTHON!,
          [script, x.host, String(x.port), 'admin', 'admin', ...extra],
          { timeout: 60_000, env: { ...process.env, ...(secret ? { NETMIKO_SECRET: secret } : {}) } },
          (err, stdout, stderr) =>
            err
              ? reject(new Error(`${err.message}\n${stderr}`))
              : resolve(JSON.parse(stdout) as Record<string, string>),
        ),
      );

    it('logs in, disables paging and reads outputs', async () => {
      const res = await netmiko(r);
      expect(res.prompt).toBe('edge1#');
      expect(res.version).toMatch(/^Cisco IOS XE Software/);
      expect(res.version).toMatch(/Configuration register is 0x2102$/);
      expect(res.version).not.toMatch(/--More--/);
      expect(res.bfd).toMatch(/172\.16\.255\.20 +200 +down/);
      expect(res.logging).toMatch(/srcaddr=10\.20\.20\.1, input interface=Tunnel10001/);
      const commands = r.audit().map((a) => a.command);
      expect(commands).toEqual(
        expect.arrayContaining(['terminal length 0', 'terminal width 511', 'show version', 'exit']),
      );
    }, 60_000);

    it('falls back to screen-length 0 on an image that refuses terminal length', async () => {
      const refusing = await startLab({
        port: 0,
        scenario: 'healthy',
        device: { refuseTerminalLength: true },
      });
      try {
        const res = await netmiko(refusing.routers[0]!, ['screen-length 0']);
        expect(res.version).toMatch(/Configuration register is 0x2102$/);
        expect(refusing.routers[0]!.audit().find((a) => a.command === 'terminal length 0')!.outcome).toBe(
          'error',
        );
      } finally {
        await refusing.close();
      }
    }, 60_000);

    it('with an enable secret: logs in at edge1>, and Netmiko enable() reaches edge1#', async () => {
      const enabling = await startLab({
        port: 0,
        scenario: 'sdwan',
        device: { enableSecret: 'Netmiko-En4ble' },
      });
      try {
        const res = await netmiko(enabling.routers[0]!, [], 'Netmiko-En4ble');
        expect(res.login_prompt).toBe('edge1>');
        expect(res.prompt).toBe('edge1#');
        expect(res.logging).toMatch(/srcaddr=10\.20\.20\.1, input interface=Tunnel10001/);
        const commands = enabling.routers[0]!.audit().map((a) => a.command);
        expect(commands).toContain('enable');
        expect(commands).not.toContain('Netmiko-En4ble');
      } finally {
        await enabling.close();
      }
    }, 60_000);
  },
);
