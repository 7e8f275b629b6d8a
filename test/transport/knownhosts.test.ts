import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { verifyHostKey } from '../../src/transport/hostkey.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  parseKnownHosts,
} from '../../src/transport/knownhosts.js';

function blob(type: string, seed: string): Buffer {
  const t = Buffer.from(type);
  const body = Buffer.from(seed.padEnd(32, '.'));
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(t.length), t, len(body.length), body]);
}

const A = blob('ssh-ed25519', 'a');
const B = blob('ssh-ed25519', 'b');
const R = blob('ssh-rsa', 'r');
const line = (hosts: string, k: Buffer): string => `${hosts} ${keyTypeOf(k)} ${k.toString('base64')}`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts parsing and lookup', () => {
  it('reads plain, comma lists, wildcards, negation, hashed and [host]:port entries', () => {
    expect(hostFieldMatches('r1,10.0.0.1', '10.0.0.1')).toBe(true);
    expect(hostFieldMatches('*.lab,!bad.lab', 'r1.lab')).toBe(true);
    expect(hostFieldMatches('*.lab,!bad.lab', 'bad.lab')).toBe(false);
    expect(hostFieldMatches('r?', 'r1')).toBe(true);
    expect(hostFieldMatches(hashed('[127.0.0.1]:2222'), '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches(hashed('[127.0.0.1]:2222'), '127.0.0.1')).toBe(false);
  });

  it('tells known, unknown, changed and revoked apart, with line numbers', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        line('[10.0.0.1]:2222', A),
        line('10.0.0.2', B),
        `@revoked ${line('10.0.0.3', A)}`,
        `@cert-authority ${line('*', B)}`,
        'garbage',
      ].join('\n'),
    );
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    expect(checkHostKey(entries, '10.0.0.1', 2222, A)).toEqual({ status: 'known', line: 3 });
    expect(checkHostKey(entries, '10.0.0.1', 22, A)).toEqual({ status: 'unknown', otherTypes: [] });
    expect(checkHostKey(entries, '10.0.0.2', 22, A)).toEqual({
      status: 'changed',
      line: 4,
      keyType: 'ssh-ed25519',
      knownFingerprint: fingerprint(B),
    });
    expect(checkHostKey(entries, '10.0.0.2', 22, R)).toEqual({
      status: 'unknown',
      otherTypes: ['ssh-ed25519'],
    });
    expect(checkHostKey(entries, '10.0.0.3', 22, A)).toEqual({ status: 'revoked', line: 5 });
  });

  it('computes fingerprints like ssh-keygen -l', () => {
    expect(fingerprint(A)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('appends entries like OpenSSH, creating the file 0600', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kh-')), 'ssh', 'known_hosts');
    appendKnownHost(file, '127.0.0.1', 2222, A);
    appendKnownHost(file, 'r1', 22, B);
    expect(readFileSync(file, 'utf8')).toBe(`${line('[127.0.0.1]:2222', A)}\n${line('r1', B)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('host key policy', () => {
  const q = (file: string, policy: 'strict' | 'accept-new' | 'off', key: Buffer) => ({
    file,
    policy,
    host: '127.0.0.1',
    port: 2222,
    label: 'r1 (127.0.0.1:2222)',
    key,
  });

  it('strict refuses unknown keys with the fingerprint and both fixes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
    let err: RunbookError | undefined;
    try {
      verifyHostKey(q(file, 'strict', A));
    } catch (e) {
      err = e as RunbookError;
    }
    expect(err?.code).toBe('E_HOSTKEY_UNKNOWN');
    expect(err?.message).toBe(
      `host key for r1 (127.0.0.1:2222) is not known: the server offered ssh-ed25519 key ${fingerprint(A)}, which is not in ${file}`,
    );
    expect(err?.hint).toBe(
      `check the fingerprint ${fingerprint(A)} with the device owner, then trust it with --host-key-policy accept-new, or run: ssh-keyscan -p 2222 127.0.0.1 >> ${file}`,
    );
  });

  it('accept-new records, then a different key is a loud change; off accepts anything', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
    verifyHostKey(q(file, 'accept-new', A));
    verifyHostKey(q(file, 'strict', A));
    expect(() => verifyHostKey(q(file, 'accept-new', B))).toThrow(
      /HOST KEY CHANGED for r1 \(127\.0\.0\.1:2222\).*known_hosts:1 holds a different ssh-ed25519 key/,
    );
    verifyHostKey(q(file, 'off', B));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
