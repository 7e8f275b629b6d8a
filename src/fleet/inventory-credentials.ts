/**
 * Credentials a host's inventory vars may carry, with Ansible's names (and Netmiko's `secret`):
 *
 *   ansible_password | ansible_ssh_pass | ansible_ssh_password      the login password
 *   ansible_become: true|false                                       raise privilege after login
 *   ansible_become_method: enable                                    how (only `enable` is supported
 *                                                                    on network CLIs; see become.ts)
 *   ansible_become_password | ansible_become_pass | ansible_enable_pass | secret   the enable secret
 *
 * These values are secrets: callers register them for redaction (Inventory.secrets), and they are
 * never shown in messages. Booleans follow Ansible (true/yes/on/1, false/no/off/0; any case), so an
 * INI `[g:vars]` string works as a YAML boolean does.
 */
import type { SourcePos } from '../errors.js';
import type { Located } from './inventory-raw.js';
import { show } from './inventory-raw.js';

export interface HostBecome {
  /** ansible_become; undefined: not said (the transport raises privilege when it lands at user EXEC). */
  enabled?: boolean;
  /** ansible_become_method as written. */
  method?: string;
  /** The enable secret. */
  password?: string;
}

export interface HostCredentials {
  password?: string;
  become?: HostBecome;
}

type Problem = (
  host: string,
  key: string,
  at: SourcePos,
  message: (who: string) => string,
  hint: string,
) => void;

const TRUE = new Set(['true', 'yes', 'on', '1', 'y', 't']);
const FALSE = new Set(['false', 'no', 'off', '0', 'n', 'f']);

/** Ansible's boolean: a YAML bool, or one of its words (any case); undefined when neither. */
export function ansibleBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== 'string') return undefined;
  const w = v.trim().toLowerCase();
  return TRUE.has(w) ? true : FALSE.has(w) ? false : undefined;
}

export function hostCredentials(name: string, vars: Map<string, Located>, problem: Problem): HostCredentials {
  const pick = (...keys: string[]): [string, Located] | undefined => {
    for (const k of keys) {
      const v = vars.get(k);
      if (v !== undefined && v.value !== null) return [k, v];
    }
    return undefined;
  };
  const secretText = (entry: [string, Located] | undefined, what: string): string | undefined => {
    if (!entry) return undefined;
    const [k, { value, pos }] = entry;
    if (typeof value === 'string' && value !== '' && !/[\r\n\x00]/.test(value)) return value;
    if (typeof value === 'number') return String(value);
    problem(
      name,
      k,
      pos,
      // the value itself is a secret: never shown
      (who) => `${k} of ${who} is not usable as ${what} (it must be a non-empty single-line string)`,
      `set ${k} to the ${what} as a string, best encrypted with ansible-vault encrypt_string`,
    );
    return undefined;
  };
  const out: HostCredentials = {};
  const password = secretText(
    pick('ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'),
    'a password',
  );
  if (password !== undefined) out.password = password;

  const become: HostBecome = {};
  const flag = pick('ansible_become');
  if (flag) {
    const [k, { value, pos }] = flag;
    const b = ansibleBool(value);
    if (b === undefined)
      problem(
        name,
        k,
        pos,
        (who) => `${k} of ${who} is ${show(value)}, not a boolean`,
        `set ${k} to true or false`,
      );
    else become.enabled = b;
  }
  const method = pick('ansible_become_method');
  if (method) {
    const [k, { value, pos }] = method;
    if (typeof value === 'string' && /^[\w.-]+$/.test(value)) become.method = value;
    else
      problem(
        name,
        k,
        pos,
        (who) => `${k} of ${who} is ${show(value)}, not a method name`,
        `set ${k} to enable`,
      );
  }
  const secret = secretText(
    pick('ansible_become_password', 'ansible_become_pass', 'ansible_enable_pass', 'secret'),
    'an enable secret',
  );
  if (secret !== undefined) become.password = secret;
  if (Object.keys(become).length > 0) out.become = become;
  return out;
}
