/**
 * Does a parsed syslog message match a rule, and which inventory host sent it.
 * Pure functions: no I/O, no clocks.
 */
import type { InventoryHost } from '../fleet/inventory.js';
import { isSyslogFacilityName, type HostBy, type Rule } from './rules.js';
import { ciscoTagName, FACILITY_NAMES, type SyslogMessage } from './syslog-types.js';

/** The regex groups of a match (a group that did not take part is undefined), or undefined: no match. */
export function matchRule(rule: Rule, msg: SyslogMessage): Record<string, string | undefined> | undefined {
  const m = rule.match;
  if (m.mnemonics) {
    if (!msg.cisco) return undefined;
    const tag = ciscoTagName(msg.cisco);
    if (!m.mnemonics.some((x) => (x.includes('-') ? x === tag : x === msg.cisco!.mnemonic))) return undefined;
  }
  if (m.facility !== undefined) {
    const want = m.facility.toLowerCase();
    const cisco = msg.cisco?.facility.toLowerCase();
    const syslog = msg.facility === undefined ? undefined : FACILITY_NAMES[msg.facility];
    if (cisco !== want && !(isSyslogFacilityName(want) && syslog === want)) return undefined;
  }
  if (m.maxSeverity !== undefined && (msg.severity === undefined || msg.severity > m.maxSeverity))
    return undefined;
  if (!m.regex) return {};
  const found = m.regex.exec(regexSubject(msg));
  if (!found) return undefined;
  return { ...found.groups };
}

/** What a rule's regex searches: the message text with its Cisco tag (`%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: ...`). */
function regexSubject(msg: SyslogMessage): string {
  return msg.cisco ? `%${ciscoTagName(msg.cisco)}: ${msg.text}` : msg.text;
}

export type HostLookup =
  | { ok: true; host: InventoryHost }
  | { ok: false; reason: 'unknown' | 'ambiguous' | 'no-hostname'; detail: string };

/**
 * The inventory host that sent a message: by source address (the host's `ansible_host` or name
 * equal to the sender's IP) or by the message's hostname (the inventory name, case-insensitive).
 * Never guesses: none or several is a refusal.
 */
export function findHost(
  hosts: readonly InventoryHost[],
  by: HostBy,
  sender: { address: string },
  msg: SyslogMessage,
): HostLookup {
  if (by === 'hostname') {
    if (!msg.hostname) return { ok: false, reason: 'no-hostname', detail: 'the message carries no hostname' };
    const name = msg.hostname.toLowerCase();
    const found = hosts.filter((h) => h.name.toLowerCase() === name);
    return pick(found, `hostname ${msg.hostname}`);
  }
  const found = hosts.filter((h) => sameAddress(h.address, sender.address));
  return pick(found, `address ${sender.address}`);
}

function pick(found: InventoryHost[], what: string): HostLookup {
  if (found.length === 1) return { ok: true, host: found[0]! };
  if (found.length === 0) return { ok: false, reason: 'unknown', detail: `no inventory host has ${what}` };
  return {
    ok: false,
    reason: 'ambiguous',
    detail: `${found.length} inventory hosts have ${what} (${found.map((h) => h.name).join(', ')})`,
  };
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
