/**
 * Vault flags -> the run's VaultKeyring, as ansible-playbook reads them:
 *
 *   --vault-id [LABEL@]SOURCE        repeatable; SOURCE is `prompt`, a password file, or an
 *                                    executable that prints the password (a `*-client` script is
 *                                    given `--vault-id LABEL`, as Ansible does). LABEL default: default.
 *   --vault-password-file FILE       the same as --vault-id default@FILE (repeatable)
 *   -J, --ask-vault-pass             the same as --vault-id default@prompt
 *   $ANSIBLE_VAULT_PASSWORD_FILE     used when none of the flags is given
 *
 * A password file is read and stripped of surrounding whitespace; a script's stdout is stripped of
 * line ends. The passwords are secrets: they are never recorded (the run record keeps only the
 * flags, with absolute paths) and never printed.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { VaultKeyring, type VaultSecret } from '../fleet/vault.js';
import { askSecret } from './prompt.js';

export interface VaultFlags {
  vaultId?: string[];
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
}

interface VaultSource {
  label: string;
  /** `prompt`, or an absolute path. */
  source: string;
}

function sources(f: VaultFlags): VaultSource[] {
  const out: VaultSource[] = [];
  for (const id of f.vaultId ?? []) {
    const at = id.indexOf('@');
    const label = at >= 0 ? id.slice(0, at) : 'default';
    const source = at >= 0 ? id.slice(at + 1) : id;
    if (label === '' && at >= 0 && source === '')
      throw new RunbookError('E_USAGE', `--vault-id ${id}: empty vault id`, {
        hint: 'write --vault-id LABEL@FILE, --vault-id LABEL@prompt or --vault-id FILE',
      });
    if (source === '' || /[;\s]/.test(label))
      throw new RunbookError('E_USAGE', `--vault-id ${id}: cannot read it as LABEL@SOURCE`, {
        hint: 'write --vault-id LABEL@FILE, --vault-id LABEL@prompt or --vault-id FILE (labels have no spaces or ;)',
      });
    out.push({ label: label || 'default', source: source === 'prompt' ? 'prompt' : path(source) });
  }
  for (const file of f.vaultPasswordFile ?? []) out.push({ label: 'default', source: path(file) });
  if (f.askVaultPass) out.push({ label: 'default', source: 'prompt' });
  const env = process.env.ANSIBLE_VAULT_PASSWORD_FILE;
  if (out.length === 0 && env) out.push({ label: 'default', source: path(env) });
  return out;
}

/** Absolute, with a leading `~/` expanded (the shell does not expand it after `label@`). */
function path(p: string): string {
  return resolve(p.replace(/^~(?=\/|$)/, homedir()));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Ansible's client scripts are named `*-client` (any extension): they are told the label. */
function isClientScript(path: string): boolean {
  return basename(path, extname(path)).endsWith('-client');
}

function readSource(s: VaultSource): string {
  const flag = `--vault-id ${s.label}@${s.source}`;
  try {
    if (!statSync(s.source).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  } catch (e) {
    throw new RunbookError(
      'E_USAGE',
      `${flag}: cannot read vault password file ${s.source}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      { hint: 'check the path of the vault password file' },
    );
  }
  let password: string;
  if (isExecutable(s.source)) {
    try {
      const out = execFileSync(s.source, isClientScript(s.source) ? ['--vault-id', s.label] : [], {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      password = out.toString('utf8').replace(/^[\r\n]+|[\r\n]+$/g, '');
    } catch (e) {
      const err = e as { status?: number | null; stderr?: Buffer; code?: string };
      const why =
        err.status !== undefined && err.status !== null
          ? `exited with status ${err.status}`
          : (err.code ?? 'could not be run');
      const said = err.stderr?.toString('utf8').trim().split('\n').slice(-1)[0];
      throw new RunbookError(
        'E_VAULT',
        `vault password script ${s.source} ${why}${said ? `: ${said}` : ''}`,
        {
          hint: 'run the script by hand to check that it prints the vault password; a plain password file must not be executable',
        },
      );
    }
  } else {
    password = readFileSync(s.source, 'utf8').trim();
  }
  if (password === '') {
    throw new RunbookError('E_VAULT', `vault password from ${s.source} is empty`, {
      hint: 'put the vault password in the file (or make the script print it)',
    });
  }
  return password;
}

/** Reads every vault password the flags name (asking on the terminal for `prompt` ones). */
export async function keyringFromFlags(f: VaultFlags): Promise<VaultKeyring> {
  const secrets: VaultSecret[] = [];
  for (const s of sources(f)) {
    if (s.source === 'prompt') {
      if (!process.stdin.isTTY) {
        throw new RunbookError(
          'E_USAGE',
          `--ask-vault-pass / --vault-id ${s.label}@prompt needs a terminal`,
          {
            hint: 'use --vault-password-file FILE (or a script that prints the password) when running without a terminal',
          },
        );
      }
      const password = await askSecret(
        s.label === 'default' ? 'Vault password: ' : `Vault password (${s.label}): `,
      );
      secrets.push({ label: s.label, password, source: 'prompt' });
    } else {
      secrets.push({ label: s.label, password: readSource(s), source: s.source });
    }
  }
  return new VaultKeyring(secrets);
}

/** The vault flags for the run record: labels and absolute paths, never a password. */
export function vaultArgv(f: VaultFlags): string[] {
  const out: string[] = [];
  for (const s of sources(f)) {
    if (s.source === 'prompt' && s.label === 'default') out.push('--ask-vault-pass');
    else out.push('--vault-id', `${s.label}@${s.source}`);
  }
  return out;
}
