/**
 * ~/.ssh/config (or `-F FILE`) as OpenSSH reads it, through the `ssh-config` library (cyjake):
 * Host patterns with first-match-wins per directive, HostName, Port, User, IdentityFile, ProxyJump.
 * `Include` lines are spliced in (relative paths from ~/.ssh, `*` globs in the last component).
 * `Match exec` is never evaluated (no shell runs on our behalf). ProxyCommand is refused: use ProxyJump.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { RunbookError } from '../errors.js';

export interface JumpHop {
  /** Host alias or address as written in ProxyJump (resolved through the config again). */
  host: string;
  user?: string;
  port?: number;
}

export interface HostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  /** As written, `~` and `%` tokens not yet expanded (see `expandPath`). */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** Jump hosts in order (first is connected directly); empty for a direct connection. */
  proxyJump: JumpHop[];
  /** `UserKnownHostsFile` (the first one), as written. */
  userKnownHostsFile?: string;
  /** `StrictHostKeyChecking` as our policy: yes/ask -> strict, accept-new -> accept-new, no/off -> off. */
  strictHostKeyChecking?: 'strict' | 'accept-new' | 'off';
}

const STRICT_HOST_KEY_CHECKING: Record<string, 'strict' | 'accept-new' | 'off'> = {
  yes: 'strict',
  ask: 'strict',
  'accept-new': 'accept-new',
  no: 'off',
  off: 'off',
};

export function defaultSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config');
}

function splice(text: string, depth: number): string {
  if (depth > 8) return text;
  return text.replace(/^[ \t]*include[ \t=]+(.+)$/gim, (_m, arg: string) => {
    const parts = arg.trim().match(/"[^"]*"|\S+/g) ?? [];
    const out: string[] = [];
    for (const raw of parts) {
      let p = raw.replace(/^"|"$/g, '').replace(/^~(?=\/|$)/, homedir());
      if (!isAbsolute(p)) p = join(homedir(), '.ssh', p);
      for (const f of globFiles(p)) out.push(splice(readFileSync(f, 'utf8'), depth + 1));
    }
    return out.join('\n');
  });
}

function globFiles(p: string): string[] {
  const name = basename(p);
  if (!/[*?]/.test(name)) return existsSync(p) ? [p] : [];
  const dir = dirname(p);
  if (!existsSync(dir)) return [];
  const re = new RegExp(
    '^' +
      name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Parses one `ProxyJump` value: `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma-separated. */
export function parseProxyJump(value: string): JumpHop[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((s) => {
    const spec = s.trim().replace(/^ssh:\/\//, '');
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
    if (!m) {
      throw new RunbookError('E_USAGE', `cannot read ProxyJump hop "${s.trim()}"`, {
        hint: 'write ProxyJump as [user@]host[:port], several hops separated by commas',
      });
    }
    return {
      host: m[2]!.replace(/^\[|\]$/g, ''),
      ...(m[1] ? { user: m[1] } : {}),
      ...(m[3] ? { port: Number(m[3]) } : {}),
    };
  });
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The config that applies to `alias`. `file: false` reads nothing; a missing default file is empty;
 * a missing explicit file (`-F`) is an error.
 */
export function resolveHostConfig(alias: string, file: string | false | undefined): HostConfig {
  const empty: HostConfig = { identityFiles: [], identitiesOnly: false, proxyJump: [] };
  if (file === false) return empty;
  const path = file ?? defaultSshConfigFile();
  if (!existsSync(path)) {
    if (file === undefined) return empty;
    throw new RunbookError('E_USAGE', `ssh config file ${path} does not exist`, {
      hint: 'check the path given to -F',
    });
  }
  const conf = SSHConfig.parse(splice(readFileSync(path, 'utf8'), 0));
  const c = conf.compute(alias, { ignoreCase: true, matchExec: false });
  if (c.proxycommand !== undefined && first(c.proxycommand)?.toLowerCase() !== 'none') {
    throw new RunbookError('E_USAGE', `${path}: ProxyCommand for ${alias} is not supported`, {
      hint: 'use ProxyJump [user@]host[:port] instead, or give another config with -F',
    });
  }
  const idf = c.identityfile;
  const port = first(c.port);
  const jump = first(c.proxyjump);
  return {
    ...(c.hostname !== undefined ? { hostName: first(c.hostname)! } : {}),
    ...(port !== undefined && /^\d+$/.test(port) ? { port: Number(port) } : {}),
    ...(c.user !== undefined ? { user: first(c.user)! } : {}),
    identityFiles: idf === undefined ? [] : Array.isArray(idf) ? idf : [idf],
    identitiesOnly: first(c.identitiesonly)?.toLowerCase() === 'yes',
    proxyJump: jump ? parseProxyJump(jump) : [],
    ...(c.userknownhostsfile !== undefined
      ? { userKnownHostsFile: first(c.userknownhostsfile)!.split(/\s+/)[0]! }
      : {}),
    ...(STRICT_HOST_KEY_CHECKING[first(c.stricthostkeychecking)?.toLowerCase() ?? '']
      ? { strictHostKeyChecking: STRICT_HOST_KEY_CHECKING[first(c.stricthostkeychecking)!.toLowerCase()]! }
      : {}),
  };
}

/** Expands `~` and the `%d %h %p %r %u %%` tokens OpenSSH allows in IdentityFile. */
export function expandPath(p: string, ctx: { host: string; port: number; user: string }): string {
  const tokens: Record<string, string> = {
    d: homedir(),
    h: ctx.host,
    p: String(ctx.port),
    r: ctx.user,
    u: localUser(),
    '%': '%',
  };
  return p.replace(/^~(?=\/|$)/, homedir()).replace(/%([dhpru%])/g, (_m, t: string) => tokens[t]!);
}

export function localUser(): string {
  return process.env.USER ?? userInfo().username;
}

/**
 * Where a host really goes after ssh config (as the transport connects): HostName, Port (a port
 * given other than 22 wins), User (`user` wins), and the ProxyJump hosts in order.
 */
export function resolveEndpoint(o: {
  address: string;
  port: number;
  user?: string;
  file: string | false | undefined;
}): { address: string; port: number; user: string; via: string[] } {
  const hc = resolveHostConfig(o.address, o.file);
  return {
    address: hc.hostName ?? o.address,
    port: o.port !== 22 ? o.port : (hc.port ?? 22),
    user: o.user ?? hc.user ?? localUser(),
    via: hc.proxyJump.map((j) => `${j.user ? `${j.user}@` : ''}${j.host}${j.port ? `:${j.port}` : ''}`),
  };
}
