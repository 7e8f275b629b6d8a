/**
 * Ansible Vault in inventories, with files and values made by Debian's real `ansible-vault` at test
 * time: a vaulted group_vars file (format 1.1), inline `!vault` values with a vault id (format 1.2)
 * in host_vars and in the inventory itself, a vaulted inventory file; wrong and missing passwords
 * are E_VAULT naming the file (and line:col of an inline value), never showing a secret.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { loadInventory } from '../../src/fleet/inventory.js';
import { VaultKeyring } from '../../src/fleet/vault.js';
import { caught } from '../helpers/errors.js';
import {
  encryptFile,
  encryptString,
  passwordFile,
  requireAnsibleVault,
  skipVault,
} from '../helpers/ansible-vault.js';

const VAULT_PW = 'vault-pw-3e8a1c';
const DEV_PW = 'dev-vault-pw-77b2';
const ENABLE = 'En4ble-from-vault-5d0e';
const LOGIN = 'Login-pw-from-vault-91aa';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'runbook-vault-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const INV = `all:
  children:
    edges:
      hosts:
        edge1: {ansible_host: 127.0.0.1}
        edge2: {ansible_host: 127.0.0.2}
`;

const keyring = (...secrets: { label: string; password: string }[]): VaultKeyring =>
  new VaultKeyring(secrets.map((s) => ({ ...s, source: 'test' })));

describe.skipIf(skipVault)('ansible-vault in inventories (files made by ansible-vault)', () => {
  let dir: string;
  let pwFile: string;
  let devFile: string;
  let vaultedGroupVars: string;
  let inlineDev: string;

  beforeAll(() => {
    requireAnsibleVault();
    dir = mkdtempSync(join(tmpdir(), 'runbook-vault-src-'));
    pwFile = passwordFile(dir, 'vault.pw', VAULT_PW);
    devFile = passwordFile(dir, 'dev.pw', DEV_PW);
    const gv = join(dir, 'edges.yml');
    writeFileSync(
      gv,
      `ansible_user: netops\nansible_become: true\nansible_become_method: enable\nansible_become_password: ${ENABLE}\n`,
    );
    encryptFile(gv, { passwordFile: pwFile });
    vaultedGroupVars = readFileSync(gv, 'utf8');
    inlineDev = encryptString(LOGIN, 'ansible_password', { vaultId: `dev@${devFile}` });
  });

  test('a vaulted group_vars file is decrypted; its secrets are listed for redaction', async () => {
    expect(vaultedGroupVars.startsWith('$ANSIBLE_VAULT;1.1;AES256')).toBe(true);
    const root = tree({ 'hosts.yml': INV, 'group_vars/edges.yml': vaultedGroupVars });
    const inv = await loadInventory(join(root, 'hosts.yml'), {
      vault: keyring({ label: 'default', password: VAULT_PW }),
    });
    const h = inv.hosts.find((x) => x.name === 'edge1')!;
    expect(h.user).toBe('netops');
    expect(h.become).toEqual({ enabled: true, method: 'enable', password: ENABLE });
    expect(inv.secrets).toContain(ENABLE);
    expect(inv.secrets).toContain(VAULT_PW);
    // where and as whom to connect are not secrets: they must stay readable in messages
    expect(inv.secrets).not.toContain('netops');
    expect(inv.secrets).not.toContain('enable');
  });

  test('inline !vault values with a vault id (1.2) open with the matching password among several', async () => {
    expect(inlineDev).toContain('$ANSIBLE_VAULT;1.2;AES256;dev');
    const root = tree({
      'hosts.yml': `all:\n  vars:\n    ${inlineDev.replace(/\n/g, '\n    ').trimEnd()}\n${INV.slice(5)}`,
      'host_vars/edge2.yml': `secret: !vault |\n${encryptString(ENABLE, 'x', { passwordFile: pwFile })
        .split('\n')
        .slice(1)
        .join('\n')}`,
    });
    const inv = await loadInventory(join(root, 'hosts.yml'), {
      vault: keyring(
        { label: 'prod', password: 'not-this-one' },
        { label: 'default', password: VAULT_PW },
        {
          label: 'dev',
          password: DEV_PW,
        },
      ),
    });
    expect(inv.hosts.map((h) => h.password)).toEqual([LOGIN, LOGIN]);
    expect(inv.hosts[1]!.become).toEqual({ password: ENABLE });
    expect(inv.secrets).toEqual(expect.arrayContaining([LOGIN, ENABLE, DEV_PW]));
  });

  test('a vaulted inventory file is decrypted too', async () => {
    const root = tree({ 'hosts.yml': INV });
    encryptFile(join(root, 'hosts.yml'), { vaultId: `dev@${devFile}` });
    const inv = await loadInventory(join(root, 'hosts.yml'), {
      vault: keyring({ label: 'dev', password: DEV_PW }),
    });
    expect(inv.hosts.map((h) => h.address)).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  test('a wrong vault password is E_VAULT naming the file, showing no secret', async () => {
    const root = tree({ 'hosts.yml': INV, 'group_vars/edges.yml': vaultedGroupVars });
    const e = await caught(
      loadInventory(join(root, 'hosts.yml'), {
        vault: keyring({ label: 'default', password: 'wrong-pw-1' }),
      }),
    );
    expect(e.code).toBe('E_VAULT');
    expect(e.message).toContain(join(root, 'group_vars/edges.yml'));
    expect(e.message).toContain('wrong vault password');
    expect(`${e.message} ${e.hint}`).not.toContain('wrong-pw-1');
    expect(`${e.message} ${e.hint}`).not.toContain(ENABLE);
  });

  test('an inline value that no password opens is E_VAULT at its file:line:col', async () => {
    const root = tree({ 'hosts.yml': INV, 'host_vars/edge1.yml': `ansible_user: x\n${inlineDev}` });
    const e = await caught(
      loadInventory(join(root, 'hosts.yml'), { vault: keyring({ label: 'default', password: VAULT_PW }) }),
    );
    expect(e.code).toBe('E_VAULT');
    expect(e.message).toContain(`${join(root, 'host_vars/edge1.yml')}:2:19`);
    expect(e.message).toContain('wrong vault password for vault id dev');
  });

  test('no vault password at all: E_VAULT saying how to give one', async () => {
    const root = tree({ 'hosts.yml': INV, 'group_vars/edges.yml': vaultedGroupVars });
    const e = await caught(loadInventory(join(root, 'hosts.yml')));
    expect(e.code).toBe('E_VAULT');
    expect(e.message).toContain('no vault password was given');
    expect(e.hint).toMatch(/--vault-password-file.*--vault-id.*--ask-vault-pass/);
  });
});

describe('become and password vars', () => {
  test('INI [g:vars] become words, Netmiko secret; a bad ansible_become is reported at its place', async () => {
    const root = tree({
      'hosts.ini':
        '[edges]\nedge1 secret=s3cr3t-x\nedge2 ansible_become=maybe\n[edges:vars]\nansible_become=yes\n',
    });
    const e = await caught(loadInventory(join(root, 'hosts.ini')));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toContain("ansible_become of host 'edge2' is 'maybe', not a boolean");
    const ok = tree({ 'hosts.ini': '[edges]\nedge1 secret=s3cr3t-x\n[edges:vars]\nansible_become=yes\n' });
    const inv = await loadInventory(join(ok, 'hosts.ini'));
    expect(inv.hosts[0]!.become).toEqual({ enabled: true, password: 's3cr3t-x' });
    expect(inv.secrets).toEqual(['s3cr3t-x']);
  });

  test('a password that is not a string is reported without showing it', async () => {
    const root = tree({ 'hosts.yml': 'all:\n  hosts:\n    e1: {ansible_password: [hunter2]}\n' });
    const e = await caught(loadInventory(join(root, 'hosts.yml')));
    expect(e.message).toContain("ansible_password of host 'e1' is not usable as a password");
    expect(e.message).not.toContain('hunter2');
  });
});
