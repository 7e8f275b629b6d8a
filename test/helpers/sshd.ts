/**
 * OpenSSH's sshd on a free loopback port, in a temp dir, for integration tests: generated host key,
 * AuthorizedKeysFile in the temp dir, running as the current user (`-D -e -f config`, StrictModes no,
 * UsePAM no). Also ssh-keygen and ssh-agent helpers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  dir: string;
  /** The host public key line (`ssh-ed25519 AAAA...`). */
  hostKeyLine: string;
  /** The host key blob, as a client sees it. */
  hostKey: Buffer;
  /** Appends a public key file's line to the authorized keys. */
  authorize(pubFile: string): void;
  /** sshd's stderr so far (for debugging a failing test). */
  log(): string;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'runbook-ssh-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Generates a key pair at `path` (and `path.pub`). */
export function keygen(
  path: string,
  opts: { type?: 'ed25519' | 'rsa' | 'ecdsa'; passphrase?: string } = {},
): string {
  execFileSync(
    'ssh-keygen',
    ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', 'runbook-test', '-f', path],
    { stdio: 'ignore' },
  );
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startSshd(
  opts: { extraConfig?: string[]; hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa' } = {},
): Promise<Sshd> {
  if (!SSHD) throw new Error('sshd not found: install openssh-server');
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const dir = tempDir('runbook-sshd-');
  const hostKeyFile = keygen(join(dir, 'host_key'), { type: opts.hostKeyType ?? 'ed25519' });
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, '', { mode: 0o600 });
  const port = await freePort();
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'LogLevel VERBOSE',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  let exited = false;
  proc.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      proc.kill();
      throw new Error(`sshd did not start on port ${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostKeyLine = readFileSync(`${hostKeyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return {
    host: '127.0.0.1',
    port,
    dir,
    hostKeyLine,
    hostKey: Buffer.from(hostKeyLine.split(' ')[1]!, 'base64'),
    authorize: (pub) => appendFileSync(authorized, readFileSync(pub, 'utf8')),
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (exited) return done();
        proc.once('exit', done);
        proc.kill('SIGTERM');
      }),
  };
}

export interface Agent {
  sock: string;
  add(keyFile: string): void;
  stop(): void;
}

/** Starts ssh-agent on a socket in a temp dir; undefined when ssh-agent is not installed. */
export async function startAgent(): Promise<Agent | undefined> {
  const dir = tempDir('runbook-agent-');
  const sock = join(dir, 'agent.sock');
  let proc: ChildProcess;
  try {
    proc = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const failed = await new Promise<boolean>((resolve) => {
    proc.once('error', () => resolve(true));
    const deadline = Date.now() + 5_000;
    const poll = (): void => {
      if (existsSync(sock)) return resolve(false);
      if (Date.now() > deadline) return resolve(true);
      setTimeout(poll, 25);
    };
    poll();
  });
  if (failed) {
    proc.kill();
    return undefined;
  }
  return {
    sock,
    add: (keyFile) =>
      execFileSync('ssh-add', [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' }),
    stop: () => {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
