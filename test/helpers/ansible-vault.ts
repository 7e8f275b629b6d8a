/**
 * Debian's real `ansible-vault` (package ansible-core) for tests that need files Ansible itself
 * encrypted. Under CI=true a missing ansible-vault fails the suite (needTool), else the suite is
 * skipped (`skipVault`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTool } from './tools.js';

export const ANSIBLE_VAULT = ['/usr/bin/ansible-vault', '/usr/local/bin/ansible-vault'].find((p) =>
  existsSync(p),
);

/** Skip only outside CI: under CI=true a missing ansible-vault throws here and fails the suite. */
export const skipVault = !needTool(ANSIBLE_VAULT, 'ansible-vault (apt-get install ansible-core)');

export function requireAnsibleVault(): string {
  if (!ANSIBLE_VAULT) throw new Error('ansible-vault not found: install ansible-core (.ci/run does)');
  return ANSIBLE_VAULT;
}

/** ansible-vault may write under ~/.ansible: give it a temp HOME of its own. */
function env(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'runbook-ansible-home-'));
  return { ...process.env, HOME: home, ANSIBLE_LOCAL_TEMP: join(home, 'tmp') };
}

/** A file holding `password` (and a newline, as people write them). */
export function passwordFile(dir: string, name: string, password: string): string {
  const f = join(dir, name);
  writeFileSync(f, `${password}\n`, { mode: 0o600 });
  return f;
}

/** Encrypts `path` in place; `vaultId` as `label@file` (format 1.2) or a password file (1.1). */
export function encryptFile(path: string, opts: { passwordFile?: string; vaultId?: string }): void {
  const args = opts.vaultId
    ? ['--vault-id', opts.vaultId]
    : ['--vault-password-file', opts.passwordFile ?? ''];
  execFileSync(requireAnsibleVault(), ['encrypt', ...args, path], { env: env(), stdio: 'pipe' });
}

/** `name: !vault |` YAML for one value, as `ansible-vault encrypt_string` prints it. */
export function encryptString(
  value: string,
  name: string,
  opts: { passwordFile?: string; vaultId?: string },
): string {
  const args = opts.vaultId
    ? ['--vault-id', opts.vaultId]
    : ['--vault-password-file', opts.passwordFile ?? ''];
  return execFileSync(requireAnsibleVault(), ['encrypt_string', ...args, value, '--name', name], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}
