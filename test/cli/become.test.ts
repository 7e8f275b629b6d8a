/**
 * Become settings per host: the inventory's ansible_become* and enable secret win over --become,
 * --become-method and --become-password-env (as Ansible's connection vars win over its flags);
 * methods other than enable and become on a platform without privilege levels are refused; -K
 * needs a terminal; the run record keeps variable names, never the secret.
 */
import { describe, expect, it } from 'vitest';
import { checkBecome, privilegeFor } from '../../src/cli/become.js';
import { connectionArgv, connectionFromFlags } from '../../src/cli/connection-flags.js';
import type { Target } from '../../src/fleet/target.js';
import { compileRunbookSource } from '../../src/runbook/load.js';
import { caught } from '../helpers/errors.js';

const rb = compileRunbookSource(
  'runbook: b\nplatform: cisco-iosxe\nsteps:\n  - id: a\n    run: show version\n',
  'b.yaml',
);

function target(become?: NonNullable<Target['inventory']>['become'], platform = 'cisco-iosxe'): Target {
  return {
    name: 'edge1',
    address: '127.0.0.1',
    port: 22,
    platform,
    ...(become
      ? {
          inventory: {
            name: 'edge1',
            address: '127.0.0.1',
            vars: {},
            groups: ['all'],
            pos: { file: 'hosts.yml', line: 1, col: 1 },
            become,
          },
        }
      : {}),
  } as Target;
}

describe('become', () => {
  it('the inventory wins over the flags; nothing said means the transport default', () => {
    expect(privilegeFor(target(), undefined)).toBeUndefined();
    expect(privilegeFor(target(), { enabled: true, password: 'from-env' })).toEqual({ secret: 'from-env' });
    expect(privilegeFor(target({ password: 'from-vault' }), { password: 'from-env' })).toEqual({
      secret: 'from-vault',
    });
    expect(privilegeFor(target({ enabled: false }), { enabled: true, password: 'x' })).toEqual({
      escalate: false,
      secret: 'x',
    });
  });

  it('refuses other methods and become on a platform without privilege levels, naming the hosts', () => {
    const e1 = (() => {
      try {
        checkBecome([target({ enabled: true, method: 'sudo' })], undefined);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(e1?.message).toContain('edge1: ansible_become_method sudo is not supported (only enable)');
    expect(() => checkBecome([target(undefined, 'linux')], { enabled: true })).toThrow(
      /platform linux has no privilege levels/,
    );
    // a method without become: true is not used, so not refused
    expect(() => checkBecome([target({ method: 'sudo' })], undefined)).not.toThrow();
  });

  it('flags: -K needs a terminal, --become-method must be enable, the record keeps names only', async () => {
    expect((await caught(connectionFromFlags({ askBecomePass: true }, rb, {}))).message).toContain(
      '-K/--ask-become-pass needs a terminal',
    );
    expect((await caught(connectionFromFlags({ becomeMethod: 'su' }, rb, {}))).code).toBe('E_USAGE');
    process.env.RUNBOOK_TEST_ENABLE = 'En-secret-1';
    const c = await connectionFromFlags({ become: true, becomePasswordEnv: 'RUNBOOK_TEST_ENABLE' }, rb, {});
    expect(c.become).toEqual({ enabled: true, password: 'En-secret-1' });
    expect(c.secrets).toContain('En-secret-1');
    const argv = connectionArgv({ become: true, becomePasswordEnv: 'RUNBOOK_TEST_ENABLE' });
    expect(argv).toEqual(['--become', '--become-password-env', 'RUNBOOK_TEST_ENABLE']);
    delete process.env.RUNBOOK_TEST_ENABLE;
  });
});
