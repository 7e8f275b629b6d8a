/**
 * Host key policy, like OpenSSH's StrictHostKeyChecking:
 * - strict (default): only keys in known_hosts are accepted; an unknown key stops with its fingerprint
 *   and the exact flag or command to trust it.
 * - accept-new: an unknown key is appended to known_hosts and accepted.
 * - off: any key is accepted and nothing is written.
 * A changed or revoked key is refused in every policy except off, naming the known_hosts line.
 */
import { RunbookError } from '../errors.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostName,
  readKnownHosts,
} from './knownhosts.js';

export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

export interface HostKeyQuery {
  file: string;
  policy: HostKeyPolicy;
  /** Host name or address as used for the connection (after ssh config HostName). */
  host: string;
  port: number;
  /** How the host is named in messages, e.g. `r1 (127.0.0.1:2222)`. */
  label: string;
  /** The public key blob the server offered. */
  key: Buffer;
}

/** Accepts the key (possibly recording it) or throws E_HOSTKEY_UNKNOWN / E_HOSTKEY_CHANGED. */
export function verifyHostKey(q: HostKeyQuery): void {
  if (q.policy === 'off') return;
  const result = checkHostKey(readKnownHosts(q.file), q.host, q.port, q.key);
  const fp = fingerprint(q.key);
  const type = keyTypeOf(q.key);
  const name = knownHostName(q.host, q.port);
  switch (result.status) {
    case 'known':
      return;
    case 'revoked':
      throw new RunbookError(
        'E_HOSTKEY_CHANGED',
        `host key for ${q.label} is REVOKED: the server offered ${type} key ${fp}, marked @revoked at ${q.file}:${result.line}; refusing to connect`,
        { hint: `the key was revoked on purpose; ask the device owner for its current key before going on` },
      );
    case 'changed':
      throw new RunbookError(
        'E_HOSTKEY_CHANGED',
        `HOST KEY CHANGED for ${q.label}: the server offered ${type} key ${fp}, but ${q.file}:${result.line} holds a different ${result.keyType} key (${result.knownFingerprint}); someone may be intercepting the connection (man-in-the-middle), or the device was replaced; refusing to connect`,
        {
          hint: `if the change is expected, confirm the new fingerprint ${fp} with the device owner, remove the old key with: ssh-keygen -R '${name}' -f ${q.file} and trust the new one with --host-key-policy accept-new`,
        },
      );
    case 'unknown': {
      if (q.policy === 'accept-new') {
        appendKnownHost(q.file, q.host, q.port, q.key);
        return;
      }
      const others =
        result.otherTypes.length > 0
          ? ` (known_hosts has ${result.otherTypes.join(', ')} keys for it, none of type ${type})`
          : '';
      throw new RunbookError(
        'E_HOSTKEY_UNKNOWN',
        `host key for ${q.label} is not known: the server offered ${type} key ${fp}, which is not in ${q.file}${others}`,
        {
          hint: `check the fingerprint ${fp} with the device owner, then trust it with --host-key-policy accept-new, or run: ssh-keyscan -p ${q.port} ${q.host} >> ${q.file}`,
        },
      );
    }
  }
}
