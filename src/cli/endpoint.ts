/**
 * The change record's who and where: the local operator, and where each target really goes after
 * ssh config (HostName, Port, User, ProxyJump). Loaded by `exec` when it records a run.
 */
import { hostname } from 'node:os';
import type { Target } from '../fleet/target.js';
import type { RunOperator } from '../store/runs.js';
import { localUser, resolveEndpoint } from '../transport/sshconfig.js';
import { packageVersion } from './version.js';

/** Who runs this: local user, local host, this tool's version. */
export function operator(): RunOperator {
  return { user: localUser(), host: hostname(), tool: `runbook ${packageVersion()}` };
}

/** Where the target really goes after ssh config; as given when the config cannot be read. */
export function resolvedEndpoint(
  t: Target,
  sshConfigFile: string | false | undefined,
): { address: string; port: number; user: string; via?: string[] } {
  try {
    const r = resolveEndpoint({ address: t.address, port: t.port, user: t.user, file: sshConfigFile });
    return { address: r.address, port: r.port, user: r.user, ...(r.via.length ? { via: r.via } : {}) };
  } catch {
    // a bad config file is reported when the host connects, with its own error
    return { address: t.address, port: t.port, user: t.user ?? localUser() };
  }
}
