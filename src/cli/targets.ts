/**
 * Targets of a run from the command line: `--host H[:port]` (repeatable, comma lists), an
 * Ansible-style inventory with `--limit`, or the embedded lab (`--lab [scenario]`).
 * Connection defaults (`--user`, `--port`) apply unless the inventory sets them per host or group.
 */
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { RunbookError } from '../errors.js';
import type { PlatformName } from '../platforms/types.js';
import { isPlatformName, platformNames } from '../platforms/index.js';
import type { Target } from '../fleet/target.js';
import { loadInventory } from '../fleet/inventory.js';
import { selectHosts } from '../fleet/limit.js';
import type { VaultKeyring } from '../fleet/vault.js';

export interface TargetOptions {
  hosts: string[];
  inventory?: string;
  limit?: string;
  /** Default port for hosts that do not name one. */
  port?: number;
  user?: string;
  /** Overrides the runbook's platform for hosts whose inventory does not set one. */
  platform?: string;
  runbookPlatform: PlatformName;
  /** Vault passwords for the inventory's vaulted files and values. */
  vault?: VaultKeyring;
  /** The inventory's secrets (credentials, decrypted values) are appended here, for redaction. */
  secrets?: string[];
}

/** Parse `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseHostSpec(spec: string, defaultPort: number): { host: string; port: number } {
  const s = spec.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? toPort(bracket[2], spec) : defaultPort };
  if (isIP(s) === 6) return { host: s, port: defaultPort };
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(s);
  if (!m) {
    throw new RunbookError('E_USAGE', `--host ${spec}: not a host name or address`, {
      hint: 'use --host NAME, --host NAME:PORT or --host [IPV6]:PORT',
    });
  }
  return { host: m[1]!, port: m[2] ? toPort(m[2], spec) : defaultPort };
}

export function toPort(raw: string, what: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new RunbookError('E_USAGE', `${what}: port must be a number from 1 to 65535`, {
      hint: 'e.g. --port 2222',
    });
  }
  return n;
}

function platformOf(raw: string | undefined, fallback: PlatformName): PlatformName {
  if (raw === undefined) return fallback;
  if (!isPlatformName(raw)) {
    throw new RunbookError('E_USAGE', `--platform ${raw}: unknown platform`, {
      hint: `use one of: ${platformNames().join(', ')}`,
    });
  }
  return raw;
}

export async function resolveTargets(opts: TargetOptions): Promise<Target[]> {
  const platform = platformOf(opts.platform, opts.runbookPlatform);
  const defaultPort = opts.port ?? 22;
  if (opts.inventory) {
    if (opts.hosts.length > 0) {
      throw new RunbookError('E_USAGE', '--host and -i/--inventory cannot be combined', {
        hint: 'pick hosts from the inventory with --limit PATTERN',
      });
    }
    const inv = await loadInventory(opts.inventory, opts.vault ? { vault: opts.vault } : {});
    opts.secrets?.push(...inv.secrets);
    const picked = selectHosts(inv, opts.limit, (p) => readFileSync(p, 'utf8'));
    return picked.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port ?? defaultPort,
      platform: h.platform ?? platform,
      user: h.user ?? opts.user,
      inventory: h,
    }));
  }
  if (opts.limit) {
    throw new RunbookError('E_USAGE', '--limit needs an inventory', {
      hint: 'add -i INVENTORY, or name hosts with --host',
    });
  }
  const specs = opts.hosts.flatMap((h) => h.split(',')).filter((h) => h.trim() !== '');
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const spec of specs) {
    const { host, port } = parseHostSpec(spec, defaultPort);
    const name = port === defaultPort || port === 22 ? host : `${host}:${port}`;
    if (seen.has(name)) continue;
    seen.add(name);
    targets.push({ name, address: host, port, platform, user: opts.user });
  }
  return targets;
}
