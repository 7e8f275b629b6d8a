/**
 * The lab's SSH host key (ed25519): generated once per state dir and reused across restarts, so
 * known_hosts checking works; without a state dir, generated once per process. All routers share it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { RunbookError } from '../errors.js';

const { utils } = ssh2;

export interface HostKey {
  /** OpenSSH private key text, for ssh2's Server. */
  privateKey: string;
  /** `ssh-ed25519 AAAA...`, a known_hosts / authorized_keys style public line. */
  publicLine: string;
  /** `SHA256:...` as OpenSSH prints it. */
  fingerprint: string;
}

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

/** `SHA256:<base64 without padding>` of an OpenSSH public key line's blob. */
export function fingerprintOf(publicLine: string): string {
  const blob = Buffer.from(publicLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function fromPrivate(privateKey: string, where: string): HostKey {
  const parsed = utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || !key || !key.isPrivateKey()) {
    throw new RunbookError('E_USAGE', `the lab host key ${where} cannot be read as an SSH private key`, {
      hint: `delete ${where} to have a new key generated (clients will then see a changed host key)`,
    });
  }
  const publicLine = `${key.type} ${key.getPublicSSH().toString('base64')}`;
  return { privateKey, publicLine, fingerprint: fingerprintOf(publicLine) };
}

/**
 * A new ed25519 pair that ssh2 can read back. ssh2 1.17's generateKeyPairSync drops leading zero
 * bytes of the public key, so about 1 key in 256 comes out malformed (mscdex/ssh2#1390, #1513):
 * such a key is drawn again.
 */
export function generateEd25519(comment?: string): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519', comment === undefined ? undefined : { comment });
    const parsed = utils.parseKey(pair.private);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (
      key &&
      !(key instanceof Error) &&
      key.isPrivateKey() &&
      !(utils.parseKey(pair.public) instanceof Error)
    )
      return pair;
  }
}

let processKey: HostKey | undefined;

export function loadOrCreateHostKey(stateDir: string | undefined): HostKey {
  if (stateDir === undefined) {
    processKey ??= fromPrivate(generateEd25519().private, '(in memory)');
    return processKey;
  }
  const file = join(stateDir, HOST_KEY_FILE);
  if (existsSync(file)) return fromPrivate(readFileSync(file, 'utf8'), file);
  mkdirSync(stateDir, { recursive: true });
  const pair = generateEd25519('runbook-lab');
  writeFileSync(file, pair.private, { mode: 0o600 });
  chmodSync(file, 0o600);
  writeFileSync(`${file}.pub`, `${pair.public}\n`);
  return fromPrivate(pair.private, file);
}
