/**
 * Privilege per host, Ansible's way: `ansible_become`, `ansible_become_method` and the enable
 * secret (`ansible_become_password`, Netmiko's `secret`) from the inventory win over `--become`,
 * `--become-method` and `--become-password-env` / `-K`. Only `enable` raises privilege (on
 * platforms whose profile has `privilege`); a host that asks for another method, or for become on a
 * platform without privilege levels, is refused before anything connects.
 */
import { RunbookError } from '../errors.js';
import type { HostBecome } from '../fleet/inventory-credentials.js';
import { getProfile } from '../platforms/index.js';
import type { PrivilegeOptions } from '../transport/ssh.js';
import type { Target } from '../fleet/target.js';

/** The flags' become settings with the host's inventory ones put over them. */
function becomeOf(t: Target, flags: HostBecome | undefined): HostBecome {
  const inv = t.inventory?.become ?? {};
  return {
    ...flags,
    ...(inv.enabled !== undefined ? { enabled: inv.enabled } : {}),
    ...(inv.method !== undefined ? { method: inv.method } : {}),
    ...(inv.password !== undefined ? { password: inv.password } : {}),
  };
}

/** What the transport does about privilege on this host (undefined: its default). */
export function privilegeFor(t: Target, flags: HostBecome | undefined): PrivilegeOptions | undefined {
  const b = becomeOf(t, flags);
  if (b.enabled === undefined && b.password === undefined) return undefined;
  return {
    ...(b.enabled === false ? { escalate: false } : {}),
    ...(b.password !== undefined ? { secret: b.password } : {}),
  };
}

/** Throws E_USAGE naming the hosts whose become settings cannot be honoured. */
export function checkBecome(targets: Target[], flags: HostBecome | undefined): void {
  const problems: string[] = [];
  for (const t of targets) {
    const b = becomeOf(t, flags);
    const hasPrivilege = getProfile(t.platform).privilege !== undefined;
    if (b.enabled !== true) continue;
    if (b.method !== undefined && b.method !== 'enable') {
      problems.push(`${t.name}: ansible_become_method ${b.method} is not supported (only enable)`);
    } else if (!hasPrivilege) {
      problems.push(`${t.name}: become is asked for, but platform ${t.platform} has no privilege levels`);
    }
  }
  if (problems.length > 0) {
    throw new RunbookError('E_USAGE', `cannot raise privilege as asked: ${problems.join('; ')}`, {
      hint: 'runbook raises privilege on network CLIs with enable: set ansible_become_method: enable (or leave it out), and ansible_become: false for hosts without privilege levels',
    });
  }
}
