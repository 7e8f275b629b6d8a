/**
 * Ansible-compatible inventories (YAML and INI): hosts, groups, children, group and host vars,
 * resolved the way Ansible resolves them, into plain read-only data.
 *
 * Variable precedence, lowest first (Ansible's default VARIABLE_PRECEDENCE): the inventory
 * file's group vars < group_vars/ files < the inventory file's host vars < host_vars/ files.
 * Within each of the two group layers: group `all` < other groups ordered by depth (a child group
 * beats its parent), then `ansible_group_priority` (default 1; read from the inventory file only,
 * as Ansible does), then name (alphabetical; later wins).
 *
 * Connection vars: `ansible_host` (default: the host name), `ansible_port`, `ansible_user`
 * (and their legacy `ansible_ssh_*` spellings). Platform: our var `platform` if set, else
 * `ansible_network_os` mapped to the platform profile that lists it; `ansible_connection` is ignored.
 * Credentials: see inventory-credentials.ts (ansible_password, ansible_become*, `secret`).
 *
 * Ansible Vault: the inventory file itself, group_vars/host_vars files and inline `!vault` values
 * are decrypted with the keyring given (`options.vault`); without the right password: E_VAULT.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { RunbookError, ValidationError, formatPos, type Diagnostic, type SourcePos } from '../errors.js';
import { isPlatformName, networkOsNames, platformForNetworkOs, platformNames } from '../platforms/index.js';
import type { PlatformName } from '../platforms/types.js';
import { maskSecrets } from '../redact.js';
import { hostCredentials, type HostBecome } from './inventory-credentials.js';
import { parseIniInventory } from './inventory-ini.js';
import { ALL, UNGROUPED, report, show, type Located, type RawInventory } from './inventory-raw.js';
import { parseVarsFiles, readVarsFiles, type DirVars, type VarsFile } from './inventory-vars-dirs.js';
import { parseYamlInventory } from './inventory-yaml.js';
import { isVaultText, VaultKeyring } from './vault.js';

export interface InventoryHost {
  /** Inventory name (what `--limit` patterns match). */
  name: string;
  /** `ansible_host`, or the name. */
  address: string;
  /** `ansible_port`; undefined means the CLI's `--port` or 22. */
  port?: number;
  /** `ansible_user`; undefined means the CLI's `--user`. */
  user?: string;
  /** From `platform` or `ansible_network_os`; undefined means the runbook's platform. */
  platform?: PlatformName;
  /** `ansible_password` (or `ansible_ssh_pass`); undefined means the CLI's password flags. */
  password?: string;
  /** `ansible_become*` and the enable secret (`ansible_become_password` or `secret`). */
  become?: HostBecome;
  /** Every variable after precedence, including the ansible_* ones. */
  vars: Record<string, unknown>;
  /** All groups of the host incl. ancestors, 'all' and 'ungrouped', lowest precedence first. */
  groups: string[];
  /** Where the host is first defined. */
  pos: SourcePos;
}

export interface InventoryGroup {
  name: string;
  /** Hosts of the group and of all its descendants, in inventory order. */
  hosts: string[];
  /** Direct child groups. */
  children: string[];
  /** The group's own vars (not inherited): the inventory file's, overridden by its group_vars/ file. */
  vars: Record<string, unknown>;
}

export interface Inventory {
  file: string;
  /** In inventory order: the order hosts first appear in the file. */
  hosts: InventoryHost[];
  groups: Map<string, InventoryGroup>;
  /**
   * Values to redact everywhere: every password and enable secret of a host, every decrypted vault
   * value, and the vault passwords.
   */
  secrets: string[];
}

export interface InventoryOptions {
  /** Vault passwords for vaulted files and `!vault` values; default none (a vaulted item is E_VAULT). */
  vault?: VaultKeyring;
}

export type InventoryFormat = 'yaml' | 'ini';

/**
 * Read and resolve an inventory file and the group_vars/ and host_vars/ beside it.
 * Throws ValidationError (E_INVENTORY) listing every problem.
 */
export async function loadInventory(file: string, options: InventoryOptions = {}): Promise<Inventory> {
  const vault = options.vault ?? new VaultKeyring();
  let text: string;
  try {
    if ((await stat(file)).isDirectory()) {
      const inside = await inventoryCandidate(file);
      throw new RunbookError('E_INVENTORY', `inventory ${file} is a directory`, {
        hint: `pass the inventory file inside it to -i${inside ? ` (e.g. -i ${inside})` : ''}; the group_vars/ and host_vars/ beside that file are read too`,
      });
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof RunbookError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new RunbookError('E_INVENTORY', `cannot read inventory ${file}: ${code}`, {
      hint: 'check the path given to -i',
      cause: err,
    });
  }
  const raw = parseRaw(text, file, detectFormat(file, text), vault);
  const { files, diagnostics } = await readVarsFiles(file, {
    groups: raw.groups.keys(),
    hosts: raw.hosts.keys(),
  });
  raw.diagnostics.push(...diagnostics);
  return finish(raw, files, vault);
}

/**
 * Parse and resolve inventory text (no I/O). `file` is used in positions and for the format.
 * `varsFiles` are the group_vars/host_vars files already read (see readVarsFiles), in merge order.
 */
export function parseInventory(
  source: string,
  file: string,
  format: InventoryFormat = detectFormat(file, source),
  options: InventoryOptions & { varsFiles?: readonly VarsFile[] } = {},
): Inventory {
  const vault = options.vault ?? new VaultKeyring();
  return finish(parseRaw(source, file, format, vault), options.varsFiles ?? [], vault);
}

/** A vaulted inventory file is decrypted first; its positions are then `<file> (decrypted):line:col`. */
function parseRaw(source: string, file: string, format: InventoryFormat, vault: VaultKeyring): RawInventory {
  let text = source.replace(/^\uFEFF/, '');
  if (!isVaultText(text)) {
    return format === 'yaml' ? parseYamlInventory(text, file, vault) : parseIniInventory(text, file);
  }
  text = vault.decrypt(text, file);
  const label = `${file} (decrypted)`;
  const raw =
    detectFormat(file, text) === 'yaml'
      ? parseYamlInventory(text, label, vault)
      : parseIniInventory(text, label);
  raw.file = file;
  for (const g of raw.groups.values()) for (const [k, v] of g.vars) vault.revealLeaves(v.value, k);
  for (const h of raw.hosts.values()) for (const [k, v] of h.vars) vault.revealLeaves(v.value, k);
  return raw;
}

function finish(raw: RawInventory, varsFiles: readonly VarsFile[], vault: VaultKeyring): Inventory {
  const dirVars = parseVarsFiles(varsFiles, { groups: raw.groups, hosts: raw.hosts }, raw.diagnostics, vault);
  const inv = resolveInventory(raw, dirVars);
  const secrets = new Set([...vault.passwords, ...vault.revealed]);
  for (const h of inv.hosts) {
    if (h.password) secrets.add(h.password);
    if (h.become?.password) secrets.add(h.become.password);
  }
  inv.secrets = [...secrets].filter((x) => x !== '');
  if (raw.diagnostics.length > 0) {
    // a value from a vaulted file may be quoted in a message: never show it
    const list = sortDiagnostics(raw.diagnostics, raw.file).map((d) => ({
      ...d,
      message: maskSecrets(d.message, inv.secrets),
      ...(d.hint !== undefined ? { hint: maskSecrets(d.hint, inv.secrets) } : {}),
    }));
    throw new ValidationError(list, 'E_INVENTORY');
  }
  return inv;
}

/** The inventory file's problems first, then each vars file's; each in file order. */
function sortDiagnostics(list: Diagnostic[], inventoryFile: string): Diagnostic[] {
  const rank = (d: Diagnostic): number => (d.pos.file === inventoryFile ? 0 : 1);
  return [...list].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.pos.file < b.pos.file ? -1 : a.pos.file > b.pos.file ? 1 : 0) ||
      a.pos.line - b.pos.line ||
      a.pos.col - b.pos.col,
  );
}

/** A file inside an inventory directory worth naming in a hint, if any. */
async function inventoryCandidate(dir: string): Promise<string | undefined> {
  try {
    const entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    const pick =
      entries.find((n) => /^(hosts|inventory)(\.(ya?ml|ini))?$/i.test(n)) ??
      entries.find((n) => /\.(ya?ml|ini)$/i.test(n));
    return pick === undefined ? undefined : join(dir, pick);
  } catch {
    return undefined;
  }
}

/** YAML for .yml/.yaml/.json; INI for .ini; otherwise decided by the first meaningful line. */
export function detectFormat(file: string, text: string): InventoryFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini') return 'ini';
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    if (t === '---' || t.startsWith('{') || /^[^\s=[]+:\s*(#.*)?$/.test(t) || /^[^\s=[]+:\s+[^=]*$/.test(t))
      return 'yaml';
    return 'ini';
  }
  return 'ini';
}

function resolveInventory(raw: RawInventory, dirVars: DirVars): Inventory {
  const { groups } = raw;
  breakCycles(raw);
  const parents = new Map<string, string[]>();
  for (const g of groups.values()) for (const c of g.children) pushTo(parents, c.name, g.name);
  const all = groups.get(ALL)!;
  for (const g of groups.values()) {
    if (g.name !== ALL && !parents.has(g.name)) {
      all.children.push({ name: g.name, pos: g.pos });
      pushTo(parents, g.name, ALL);
    }
  }
  // Ansible's reconcile: hosts in no group but 'all' belong to 'ungrouped', and only those.
  const direct = new Map<string, string[]>();
  for (const g of groups.values()) for (const h of g.hosts) pushTo(direct, h, g.name);
  const ungrouped = groups.get(UNGROUPED)!;
  ungrouped.hosts = [...raw.hosts.keys()].filter((host) =>
    (direct.get(host) ?? []).every((n) => n === ALL || n === UNGROUPED),
  );
  const isUngrouped = new Set(ungrouped.hosts);
  all.hosts = [];
  for (const g of groups.values()) {
    if (raw.hosts.has(g.name)) {
      report(
        raw,
        raw.hosts.get(g.name)!.pos,
        `'${g.name}' is both a host and a group (group at ${formatPos(g.pos)})`,
        'rename the host or the group: a --limit pattern could not tell them apart',
      );
    }
  }

  const depth = depths(raw, parents);
  const priority = (name: string): number => {
    const v = groups.get(name)!.vars.get('ansible_group_priority')?.value;
    const n = typeof v === 'string' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) ? n : 1;
  };
  const order = [...groups.keys()].sort(
    (a, b) => depth.get(a)! - depth.get(b)! || priority(a) - priority(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const rank = new Map(order.map((n, i) => [n, i]));

  // Ancestors-or-self of each group, walking parents.
  const ancestry = new Map<string, Set<string>>();
  const ancestorsOf = (name: string): Set<string> => {
    let s = ancestry.get(name);
    if (s) return s;
    s = new Set([name]);
    ancestry.set(name, s);
    for (const p of parents.get(name) ?? []) for (const a of ancestorsOf(p)) s.add(a);
    return s;
  };

  const problems = new Map<
    string,
    { pos: SourcePos; message: (hosts: string) => string; hint: string; hosts: string[] }
  >();
  const problem = (
    host: string,
    key: string,
    at: SourcePos,
    message: (hosts: string) => string,
    hint: string,
  ): void => {
    const id = `${formatPos(at)}|${key}`;
    const p = problems.get(id);
    if (p) p.hosts.push(host);
    else problems.set(id, { pos: at, message, hint, hosts: [host] });
  };

  const hosts: InventoryHost[] = [];
  const membersOf = new Map<string, string[]>();
  for (const h of raw.hosts.values()) {
    const memberOf = new Set<string>([ALL]);
    for (const g of direct.get(h.name) ?? [])
      if (g !== UNGROUPED) for (const a of ancestorsOf(g)) memberOf.add(a);
    if (isUngrouped.has(h.name)) memberOf.add(UNGROUPED);
    const groupList = [...memberOf].sort((a, b) => rank.get(a)! - rank.get(b)!);
    for (const g of groupList) {
      const list = membersOf.get(g);
      if (list) list.push(h.name);
      else membersOf.set(g, [h.name]);
    }
    const merged = new Map<string, Located>();
    for (const g of groupList) for (const [k, v] of groups.get(g)!.vars) merged.set(k, v);
    for (const g of groupList) for (const [k, v] of dirVars.groups.get(g) ?? []) merged.set(k, v);
    for (const [k, v] of h.vars) merged.set(k, v);
    for (const [k, v] of dirVars.hosts.get(h.name) ?? []) merged.set(k, v);
    const host = toHost(h.name, h.pos, merged, groupList, problem);
    const creds = hostCredentials(h.name, merged, problem);
    if (creds.password !== undefined) host.password = creds.password;
    if (creds.become !== undefined) host.become = creds.become;
    hosts.push(host);
  }
  for (const p of problems.values()) {
    const who =
      p.hosts.length === 1 ? `host '${p.hosts[0]}'` : `hosts '${p.hosts[0]}' and ${p.hosts.length - 1} more`;
    report(raw, p.pos, p.message(who), p.hint);
  }
  if (hosts.length === 0 && raw.diagnostics.length === 0) {
    report(
      raw,
      { file: raw.file, line: 1, col: 1 },
      'the inventory defines no hosts',
      'list at least one host (see examples/inventory/lab.yml or lab.ini)',
    );
  }

  const out = new Map<string, InventoryGroup>();
  for (const g of groups.values()) {
    out.set(g.name, {
      name: g.name,
      hosts: membersOf.get(g.name) ?? [],
      children: g.children.map((c) => c.name),
      vars: Object.fromEntries(
        [...g.vars, ...(dirVars.groups.get(g.name) ?? [])].map(([k, v]) => [k, v.value]),
      ),
    });
  }
  return { file: raw.file, hosts, groups: out, secrets: [] };
}

type Problem = (
  host: string,
  key: string,
  at: SourcePos,
  message: (who: string) => string,
  hint: string,
) => void;

function toHost(
  name: string,
  pos: SourcePos,
  vars: Map<string, Located>,
  groups: string[],
  problem: Problem,
): InventoryHost {
  const pick = (...keys: string[]): [string, Located] | undefined => {
    for (const k of keys) {
      const v = vars.get(k);
      if (v !== undefined && v.value !== null) return [k, v];
    }
    return undefined;
  };
  const host: InventoryHost = {
    name,
    address: name,
    vars: Object.fromEntries([...vars].map(([k, v]) => [k, v.value])),
    groups,
    pos,
  };
  const address = pick('ansible_host', 'ansible_ssh_host');
  if (address) {
    const [k, { value, pos: at }] = address;
    if (typeof value === 'string' && value !== '' && !/[\s\x00-\x1f\x7f]/.test(value)) host.address = value;
    else
      problem(
        name,
        k,
        at,
        (who) => `${k} of ${who} is ${show(value)}, not a host name or address`,
        `set ${k} to an IP address or DNS name`,
      );
  }
  const port = pick('ansible_port', 'ansible_ssh_port');
  if (port) {
    const [k, { value, pos: at }] = port;
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d+$/.test(value.trim())
          ? Number(value)
          : NaN;
    if (Number.isInteger(n) && n >= 1 && n <= 65535) host.port = n;
    else
      problem(
        name,
        k,
        at,
        (who) => `${k} of ${who} is ${show(value)}, not a port number`,
        `set ${k} to a number from 1 to 65535`,
      );
  }
  const user = pick('ansible_user', 'ansible_ssh_user');
  if (user) {
    const [k, { value, pos: at }] = user;
    if (typeof value === 'string' && value !== '' && !/[\s\x00-\x1f\x7f]/.test(value)) host.user = value;
    else
      problem(
        name,
        k,
        at,
        (who) => `${k} of ${who} is ${show(value)}, not a user name`,
        `set ${k} to a login name without spaces`,
      );
  }
  const ours = pick('platform');
  const netOs = pick('ansible_network_os');
  if (ours) {
    const { value, pos: at } = ours[1];
    if (typeof value === 'string' && isPlatformName(value)) host.platform = value;
    else
      problem(
        name,
        'platform',
        at,
        (who) => `platform of ${who} is ${show(value)}, not a supported platform`,
        `set platform to one of: ${platformNames().join(', ')}`,
      );
  } else if (netOs) {
    const { value, pos: at } = netOs[1];
    const mapped = typeof value === 'string' ? platformForNetworkOs(value) : undefined;
    if (mapped) host.platform = mapped;
    else {
      problem(
        name,
        'ansible_network_os',
        at,
        (who) => `ansible_network_os of ${who} is ${show(value)}, which runbook does not support`,
        `use one of: ${networkOsNames().join(', ')}; or set our var platform to one of: ${platformNames().join(', ')}`,
      );
    }
  }
  return host;
}

/** Report each group cycle at the child reference that closes it, and drop that reference. */
function breakCycles(raw: RawInventory): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    path.push(name);
    const g = raw.groups.get(name);
    if (g) {
      g.children = g.children.filter((c) => {
        const s = state.get(c.name);
        if (s === 'visiting') {
          const cycle = [...path.slice(path.indexOf(c.name)), c.name].join(' -> ');
          report(
            raw,
            c.pos,
            `group cycle: ${cycle}`,
            `a group cannot contain itself; remove '${c.name}' from the children of '${name}'`,
          );
          return false;
        }
        if (s === undefined) visit(c.name);
        return true;
      });
    }
    path.pop();
    state.set(name, 'done');
  };
  for (const name of raw.groups.keys()) if (!state.has(name)) visit(name);
}

/** Longest distance from 'all' (Ansible's group depth): a child is always deeper than its parents. */
function depths(raw: RawInventory, parents: Map<string, string[]>): Map<string, number> {
  const out = new Map<string, number>();
  const of = (name: string): number => {
    const known = out.get(name);
    if (known !== undefined) return known;
    const d = name === ALL ? 0 : Math.max(0, ...(parents.get(name) ?? []).map((p) => of(p) + 1));
    out.set(name, d);
    return d;
  };
  for (const name of raw.groups.keys()) of(name);
  return out;
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}
