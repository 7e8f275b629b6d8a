/**
 * known_hosts as OpenSSH reads it: plain and comma-separated host patterns (`*`, `?`, `!negation`),
 * hashed entries (`|1|salt|hash`, HMAC-SHA1 of the host name), `[host]:port` for ports other than 22,
 * and markers (`@revoked` keys are refused; `@cert-authority` lines are not used for plain host keys).
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (patterns or a hashed name). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyCheck =
  | { status: 'known'; line: number }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; line: number; keyType: string; knownFingerprint: string }
  | { status: 'revoked'; line: number };

/** `SHA256:<base64 without padding>` of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (e.g. `ssh-ed25519`, `ssh-rsa`). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return len > 0 && len < 64 && key.length >= 4 + len
    ? key.subarray(4, 4 + len).toString('latin1')
    : 'unknown';
}

/** How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) continue;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) continue;
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  }
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const src = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${src}$`, 'i');
}

/** A host pattern matches `name` (case-insensitive); a pattern without `*`/`?` is compared as text (no regex per line). */
function globMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  return globToRegExp(pattern).test(name);
}

/** True when the host field of an entry names `name` (already in `[host]:port` form when needed). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return h === hash;
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    if (p.startsWith('!')) {
      if (globMatches(p.slice(1), name)) return false;
    } else if (globMatches(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Looks `key` up for `host`:`port` among the entries (a missing file is an empty one). */
export function checkHostKey(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyCheck {
  const name = knownHostName(host, port);
  const type = keyTypeOf(key);
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = mine.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { status: 'known', line: same.line };
  const sameType = plain.find((e) => e.keyType === type);
  if (sameType) {
    return {
      status: 'changed',
      line: sameType.line,
      keyType: type,
      knownFingerprint: fingerprint(sameType.key),
    };
  }
  return { status: 'unknown', otherTypes: [...new Set(plain.map((e) => e.keyType))] };
}

/**
 * The file's entries. Parsed once per content: a fleet's connections all read the same file (twice
 * each), and parsing a file of N hosts for each of N connections is quadratic. The cache is keyed by
 * path, size and mtime, so an appended host key (appendKnownHost) is read again.
 */
export function readKnownHosts(file: string): KnownHostEntry[] {
  if (!existsSync(file)) return [];
  let stamp: string;
  try {
    const st = statSync(file);
    stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return [];
  }
  const hit = parsedFiles.get(file);
  if (hit && hit.stamp === stamp) return hit.entries;
  const entries = parseKnownHosts(readFileSync(file, 'utf8'));
  if (parsedFiles.size >= 32) parsedFiles.delete(parsedFiles.keys().next().value!);
  parsedFiles.set(file, { stamp, entries });
  return entries;
}

const parsedFiles = new Map<string, { stamp: string; entries: KnownHostEntry[] }>();

/** The key types already known for a host, to prefer them in key exchange (as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostName(host, port);
  return [
    ...new Set(
      entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType),
    ),
  ];
}

/** Appends a plain (unhashed) entry, creating the file 0600 (and its directory 0700) when missing. */
export function appendKnownHost(file: string, host: string, port: number, key: Buffer): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existed = existsSync(file);
  let prefix = '';
  if (existed) {
    const text = readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  }
  appendFileSync(
    file,
    `${prefix}${knownHostName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}\n`,
    { mode: 0o600 },
  );
  if (!existed) chmodSync(file, 0o600);
}
