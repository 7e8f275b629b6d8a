/**
 * Connection flags -> ConnectionOptions. Passwords come only from an environment variable
 * (`--password-env VAR`, `--become-password-env VAR`), the terminal (`--ask-pass`, `-K`) or the
 * inventory (vaulted), never from the command line, so they never land in shell history, process
 * lists or run records.
 */
import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import type { Runbook } from '../runbook/model.js';
import type { Value } from '../expr/types.js';
import type { HostKeyPolicy } from '../transport/ssh.js';
import type { ConnectionOptions } from './connection.js';
import { askSecret } from './prompt.js';
import { vaultArgv, type VaultFlags } from './vault-flags.js';

export interface ConnectionFlags extends VaultFlags {
  user?: string;
  passwordEnv?: string;
  askPass?: boolean;
  identity?: string[];
  passphraseEnv?: string;
  knownHosts?: string;
  /** Absent: ssh config StrictHostKeyChecking for the host, else strict. */
  hostKeyPolicy?: string;
  sshConfig?: string;
  transcript?: string;
  connectTimeout?: string;
  /** --become: raise privilege after login (ansible_become wins per host). */
  become?: boolean;
  becomeMethod?: string;
  becomePasswordEnv?: string;
  askBecomePass?: boolean;
}

const POLICIES: HostKeyPolicy[] = ['strict', 'accept-new', 'off'];

function fromEnv(flag: string, name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new RunbookError('E_USAGE', `${flag} ${name}: the environment variable ${name} is not set`, {
      hint: `export ${name}=... first (read -rs ${name} && export ${name}), or use ${flag === '--become-password-env' ? '-K/--ask-become-pass' : '--ask-pass'}`,
    });
  }
  return v;
}

export async function connectionFromFlags(
  f: ConnectionFlags,
  runbook: Runbook,
  vars: Record<string, Value>,
): Promise<ConnectionOptions> {
  if (f.hostKeyPolicy !== undefined && !POLICIES.includes(f.hostKeyPolicy as HostKeyPolicy)) {
    throw new RunbookError('E_USAGE', `--host-key-policy ${f.hostKeyPolicy}: unknown policy`, {
      hint: `use one of: ${POLICIES.join(', ')}`,
    });
  }
  if (f.passwordEnv && f.askPass) {
    throw new RunbookError('E_USAGE', '--password-env and --ask-pass cannot be combined', {
      hint: 'pick one way to give the password',
    });
  }
  if (f.becomePasswordEnv && f.askBecomePass) {
    throw new RunbookError('E_USAGE', '--become-password-env and -K/--ask-become-pass cannot be combined', {
      hint: 'pick one way to give the enable secret',
    });
  }
  if (f.becomeMethod !== undefined && f.becomeMethod !== 'enable') {
    throw new RunbookError('E_USAGE', `--become-method ${f.becomeMethod}: not supported`, {
      hint: 'runbook raises privilege on network CLIs with enable: use --become-method enable (the default)',
    });
  }
  let connectTimeoutMs: number | undefined;
  if (f.connectTimeout !== undefined) {
    const n = Number(f.connectTimeout);
    if (!Number.isFinite(n) || n <= 0) {
      throw new RunbookError(
        'E_USAGE',
        `--connect-timeout ${f.connectTimeout}: must be a number of seconds`,
        { hint: 'e.g. --connect-timeout 10' },
      );
    }
    connectTimeoutMs = Math.round(n * 1000);
  }
  const secrets: string[] = [];
  for (const d of runbook.vars) {
    const v = vars[d.name];
    if (d.secret && typeof v === 'string' && v !== '') secrets.push(v);
  }
  const password = f.passwordEnv ? fromEnv('--password-env', f.passwordEnv) : undefined;
  if (password) secrets.push(password);
  const passphrase = f.passphraseEnv ? fromEnv('--passphrase-env', f.passphraseEnv) : undefined;
  if (passphrase) secrets.push(passphrase);
  let asked: string | undefined;
  const askPassword = process.stdin.isTTY
    ? async (prompt: string): Promise<string> => {
        if (f.askPass && asked !== undefined && /password/i.test(prompt)) return asked;
        const v = await askSecret(prompt);
        if (/password/i.test(prompt)) asked = v;
        secrets.push(v);
        return v;
      }
    : undefined;
  if (f.askPass && !askPassword) {
    throw new RunbookError('E_USAGE', '--ask-pass needs a terminal', {
      hint: 'use --password-env VAR when running without a terminal',
    });
  }
  let becomePassword = f.becomePasswordEnv
    ? fromEnv('--become-password-env', f.becomePasswordEnv)
    : undefined;
  if (f.askBecomePass) {
    if (!process.stdin.isTTY) {
      throw new RunbookError('E_USAGE', '-K/--ask-become-pass needs a terminal', {
        hint: 'use --become-password-env VAR, or ansible_become_password in a vaulted inventory file, when running without a terminal',
      });
    }
    becomePassword = await askSecret('BECOME password: ');
  }
  if (becomePassword) secrets.push(becomePassword);
  const become: ConnectionOptions['become'] = {
    ...(f.become ? { enabled: true } : {}),
    ...(f.becomeMethod !== undefined ? { method: f.becomeMethod } : {}),
    ...(becomePassword ? { password: becomePassword } : {}),
  };
  return {
    password,
    askPassword,
    identityFiles: f.identity ?? [],
    passphrase,
    knownHostsFile: f.knownHosts,
    hostKeyPolicy: f.hostKeyPolicy as HostKeyPolicy | undefined,
    sshConfigFile: f.sshConfig === 'none' ? false : f.sshConfig,
    transcriptDir: f.transcript,
    secrets,
    connectTimeoutMs,
    become,
  };
}

/**
 * The same flags as arguments, for the run record (no secret values: only variable names). File
 * paths are made absolute, so `runbook resume` works from any directory.
 */
export function connectionArgv(f: ConnectionFlags): string[] {
  const out: string[] = [];
  if (f.user) out.push('--user', f.user);
  if (f.passwordEnv) out.push('--password-env', f.passwordEnv);
  if (f.askPass) out.push('--ask-pass');
  for (const i of f.identity ?? []) out.push('--identity', resolve(i));
  if (f.passphraseEnv) out.push('--passphrase-env', f.passphraseEnv);
  if (f.knownHosts) out.push('--known-hosts', resolve(f.knownHosts));
  if (f.hostKeyPolicy !== undefined) out.push('--host-key-policy', f.hostKeyPolicy);
  if (f.sshConfig) out.push('--ssh-config', f.sshConfig === 'none' ? 'none' : resolve(f.sshConfig));
  if (f.transcript) out.push('--transcript', resolve(f.transcript));
  if (f.connectTimeout) out.push('--connect-timeout', f.connectTimeout);
  if (f.become) out.push('--become');
  if (f.becomeMethod !== undefined) out.push('--become-method', f.becomeMethod);
  if (f.becomePasswordEnv) out.push('--become-password-env', f.becomePasswordEnv);
  if (f.askBecomePass) out.push('--ask-become-pass');
  out.push(...vaultArgv(f));
  return out;
}
