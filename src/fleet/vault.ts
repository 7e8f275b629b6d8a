/**
 * Ansible Vault: the passwords of a run (a keyring of labelled secrets, as `--vault-id label@source`
 * gives them) and decryption of vault payloads (`$ANSIBLE_VAULT;1.1;AES256` and
 * `$ANSIBLE_VAULT;1.2;AES256;label`), whole files or inline `!vault |` values. The crypto is the
 * `ansible-vault` npm package (AES256-CTR, PBKDF2-SHA256, HMAC-SHA256, as Ansible writes it).
 *
 * As Ansible does, a 1.2 payload is tried first with the secrets whose label matches its own, then
 * with every other secret. A payload none of them opens is E_VAULT (exit 2) naming where it is.
 * Every decrypted value is a secret: the keyring remembers each one (`revealed`) so callers redact
 * it everywhere; the passwords themselves are in `passwords`.
 */
import { Vault } from 'ansible-vault';
import { RunbookError } from '../errors.js';

/** One vault password and where it came from (for messages; never the password itself). */
export interface VaultSecret {
  /** The vault id label (`default` when none was given). */
  label: string;
  password: string;
  /** A file path, a script path, or `prompt`. */
  source: string;
}

const HEADER = /^\$ANSIBLE_VAULT;(1\.[12]);AES256(?:;([^\s;]+))?\s*$/;

/** Keys whose decrypted values are addresses and switches, not secrets (they must show in messages). */
const NOT_SECRET_KEYS = new Set([
  'ansible_host',
  'ansible_ssh_host',
  'ansible_port',
  'ansible_ssh_port',
  'ansible_user',
  'ansible_ssh_user',
  'ansible_connection',
  'ansible_network_os',
  'ansible_become',
  'ansible_become_method',
  'ansible_become_user',
  'platform',
]);

/** True when the text is a vault payload (a whole vaulted file or an inline value). */
export function isVaultText(text: string): boolean {
  return /^\s*\$ANSIBLE_VAULT;/.test(text);
}

export class VaultKeyring {
  /** Every value decrypted so far (whole inline values, and the secret strings of vaulted files). */
  readonly revealed: string[] = [];
  /** Payload -> plaintext: a value pasted into many host_vars costs one key derivation (~15 ms), not one each. */
  private readonly opened = new Map<string, string>();

  constructor(readonly secrets: readonly VaultSecret[] = []) {}

  /** The vault passwords, to redact as well. */
  get passwords(): string[] {
    return this.secrets.map((s) => s.password);
  }

  /** Remembers a decrypted string as a secret (empty strings are ignored). */
  reveal(value: string): void {
    if (value !== '' && !this.revealed.includes(value)) this.revealed.push(value);
  }

  /**
   * Remembers the secret strings of a decrypted document: every string leaf of 4 characters or
   * more except those of NOT_SECRET_KEYS (ansible_host, ansible_user, ...), which say where and how
   * to connect. (Shorter leaves such as `yes` or `on` would mask ordinary words everywhere;
   * credentials of any length are registered by the inventory itself, and vars set from a vaulted
   * `-e @file` become secret vars.)
   */
  revealLeaves(value: unknown, key?: string): void {
    if (typeof value === 'string') {
      if (value.length >= 4 && (key === undefined || !NOT_SECRET_KEYS.has(key))) this.reveal(value);
    } else if (Array.isArray(value)) {
      for (const v of value) this.revealLeaves(v, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) this.revealLeaves(v, k);
    }
  }

  /**
   * The plaintext of a vault payload. `where` names it in errors: a file, or file:line:col of an
   * inline value. Throws E_VAULT when no password is given, the payload is malformed, or no password
   * opens it.
   */
  decrypt(payload: string, where: string): string {
    const lines = payload
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const m = HEADER.exec(lines[0] ?? '');
    if (!m || lines.length < 2 || !lines.slice(1).every((l) => /^[0-9a-fA-F]+$/.test(l))) {
      throw new RunbookError(
        'E_VAULT',
        `${where}: not a valid ansible-vault payload (expected a $ANSIBLE_VAULT;1.1;AES256 or 1.2 header and hex lines)`,
        { hint: 'encrypt it again with ansible-vault encrypt (or encrypt_string for one value)' },
      );
    }
    if (this.secrets.length === 0) {
      throw new RunbookError(
        'E_VAULT',
        `${where} is encrypted with ansible-vault${m[2] ? ` (vault id ${m[2]})` : ''} and no vault password was given`,
        {
          hint: 'give the vault password with --vault-password-file FILE (a file, or an executable that prints it), --vault-id LABEL@FILE, --ask-vault-pass, or $ANSIBLE_VAULT_PASSWORD_FILE',
        },
      );
    }
    const label = m[2];
    const ordered = [
      ...this.secrets.filter((s) => s.label === label),
      ...this.secrets.filter((s) => s.label !== label),
    ];
    const text = lines.join('\n');
    const known = this.opened.get(text);
    if (known !== undefined) return known;
    for (const s of ordered) {
      const plain = tryDecrypt(text, s.password);
      if (plain !== undefined) {
        this.opened.set(text, plain);
        return plain;
      }
    }
    const tried = ordered.map((s) =>
      s.source === 'prompt' ? `${s.label}@prompt` : `${s.label}@${s.source}`,
    );
    throw new RunbookError(
      'E_VAULT',
      `${where}: cannot decrypt with the vault password${tried.length === 1 ? '' : 's'} given (${tried.join(', ')}): wrong vault password${label ? ` for vault id ${label}` : ''}?`,
      {
        hint: `check the vault password (ansible-vault view ${where.replace(/:\d+:\d+$/, '')} asks for it and shows the content), then give the right one with --vault-password-file FILE or --vault-id ${label ?? 'LABEL'}@FILE`,
      },
    );
  }
}

/** The plaintext, or undefined when this password does not open the payload. */
function tryDecrypt(text: string, password: string): string | undefined {
  try {
    return new Vault({ password }).decryptSync(text, undefined);
  } catch {
    return undefined;
  }
}
