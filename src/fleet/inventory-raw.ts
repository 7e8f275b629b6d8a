/**
 * The format-neutral inventory both parsers (YAML, INI) fill: groups with their direct hosts,
 * children and vars, hosts with their own vars, every value with the position it came from.
 * Resolution (ancestors, precedence, platform mapping) happens later in inventory.ts.
 */
import { formatPos, type Diagnostic, type SourcePos } from '../errors.js';

/** A variable value and where it was set. */
export interface Located {
  value: unknown;
  pos: SourcePos;
}

export interface RawGroup {
  name: string;
  /** First place the group was declared. */
  pos: SourcePos;
  /** Hosts listed directly under the group, in file order. */
  hosts: string[];
  /** Direct child groups with the position of each reference. */
  children: { name: string; pos: SourcePos }[];
  vars: Map<string, Located>;
  /** True once the group was declared (INI `[g]`/`[g:children]`, YAML key); false for a mere `[g:vars]` reference. */
  declared: boolean;
}

export interface RawHost {
  name: string;
  /** First place the host was defined. */
  pos: SourcePos;
  vars: Map<string, Located>;
}

export interface RawInventory {
  file: string;
  groups: Map<string, RawGroup>;
  /** Insertion order is inventory order. */
  hosts: Map<string, RawHost>;
  diagnostics: Diagnostic[];
}

/** The two groups every inventory has (Ansible's implicit groups). */
export const ALL = 'all';
export const UNGROUPED = 'ungrouped';

export function newRawInventory(file: string): RawInventory {
  const inv: RawInventory = { file, groups: new Map(), hosts: new Map(), diagnostics: [] };
  const top: SourcePos = { file, line: 1, col: 1 };
  for (const name of [ALL, UNGROUPED]) {
    inv.groups.set(name, { name, pos: top, hosts: [], children: [], vars: new Map(), declared: true });
  }
  return inv;
}

export function report(inv: RawInventory, pos: SourcePos, message: string, hint?: string): void {
  inv.diagnostics.push(hint === undefined ? { pos, message } : { pos, message, hint });
}

/** Get or create a group; `declare` marks it as declared (not just referenced). */
export function group(inv: RawInventory, name: string, pos: SourcePos, declare = true): RawGroup {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, pos, hosts: [], children: [], vars: new Map(), declared: declare };
    inv.groups.set(name, g);
  } else if (declare && !g.declared) {
    g.declared = true;
    g.pos = pos;
  }
  return g;
}

/**
 * Add a host to a group. A host may be listed in many groups; its vars may be given in several
 * places only if they agree (a conflicting value is an error pointing at both places).
 */
export function addHost(
  inv: RawInventory,
  groupName: string,
  name: string,
  pos: SourcePos,
  vars: [string, Located][],
): void {
  let h = inv.hosts.get(name);
  if (!h) {
    h = { name, pos, vars: new Map() };
    inv.hosts.set(name, h);
  }
  const g = group(inv, groupName, pos);
  let members = memberSets.get(g);
  if (!members) memberSets.set(g, (members = new Set(g.hosts)));
  if (!members.has(name)) {
    members.add(name);
    g.hosts.push(name);
  }
  for (const [key, v] of vars) setVar(inv, h.vars, key, v, `host '${name}'`);
}

/** Membership index of RawGroup.hosts, so adding thousands of range hosts stays linear. */
const memberSets = new WeakMap<RawGroup, Set<string>>();

export function addChild(inv: RawInventory, parent: string, child: string, pos: SourcePos): void {
  const p = group(inv, parent, pos);
  if (!p.children.some((c) => c.name === child)) p.children.push({ name: child, pos });
}

/** Set a var on a host or group; a second, different value for the same key is an error. */
export function setVar(
  inv: RawInventory,
  vars: Map<string, Located>,
  key: string,
  v: Located,
  owner: string,
): void {
  const prev = vars.get(key);
  if (prev && !sameValue(prev.value, v.value)) {
    report(
      inv,
      v.pos,
      `${owner} sets '${key}' to ${show(v.value)} here but to ${show(prev.value)} at ${formatPos(prev.pos)}`,
      `set each variable of ${owner} in one place; elsewhere list it by name only`,
    );
    return;
  }
  if (!prev) vars.set(key, v);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}
