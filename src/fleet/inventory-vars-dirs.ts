/**
 * Ansible's `group_vars/` and `host_vars/` beside an inventory file, read the way its
 * host_group_vars plugin reads them:
 *
 *   group_vars/<group>[.yml|.yaml|.json]   a YAML (or JSON) mapping of vars; the first of these
 *   host_vars/<host>[.yml|.yaml|.json]     names that exists is used, no extension first
 *   group_vars/<group>/                    a directory: its files (no extension, .yml, .yaml,
 *                                          .json; hidden and `~` backups skipped), subdirectories
 *                                          included, sorted by name, merged in order (later wins)
 *
 * Only names the inventory defines are read: a file for an unknown group or host is ignored, as
 * Ansible ignores it. A file encrypted with ansible-vault is decrypted with the run's vault keyring
 * (positions inside it are given as `<path> (decrypted):line:col`), and so are inline `!vault` values.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { Located } from './inventory-raw.js';
import { parseYamlVarsFile } from './inventory-yaml.js';
import { isVaultText, VaultKeyring } from './vault.js';

/** One vars file read from disk. */
export interface VarsFile {
  /** Whether `name` is a group (group_vars/) or a host (host_vars/). */
  owner: 'group' | 'host';
  name: string;
  /** Path used in positions: beside the inventory file, as the inventory path was given. */
  path: string;
  text: string;
}

/** The vars of each group and host from their files, later files already merged over earlier ones. */
export interface DirVars {
  groups: Map<string, Map<string, Located>>;
  hosts: Map<string, Map<string, Located>>;
}

/** Extensions Ansible tries after the bare name, in order (its YAML_FILENAME_EXTENSIONS). */
const EXTENSIONS = ['', '.yml', '.yaml', '.json'];
const DIRS = { group: 'group_vars', host: 'host_vars' } as const;

/**
 * Read the vars files of the named groups and hosts beside `inventoryFile`, in merge order.
 * A missing group_vars/ or host_vars/ means no files; an unreadable file is a diagnostic.
 */
export async function readVarsFiles(
  inventoryFile: string,
  names: { groups: Iterable<string>; hosts: Iterable<string> },
): Promise<{ files: VarsFile[]; diagnostics: Diagnostic[] }> {
  const files: VarsFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const base = dirname(inventoryFile);
  for (const owner of ['group', 'host'] as const) {
    const dir = join(base, DIRS[owner]);
    const entries = await listDir(dir);
    if (!entries) continue;
    const present = new Set(entries);
    for (const name of owner === 'group' ? names.groups : names.hosts) {
      const entry = EXTENSIONS.map((ext) => name + ext).find((e) => present.has(e));
      if (entry === undefined) continue;
      const path = join(dir, entry);
      try {
        const paths = (await stat(path)).isDirectory() ? await filesUnder(path) : [path];
        for (const p of paths) files.push({ owner, name, path: p, text: await readFile(p, 'utf8') });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        diagnostics.push({
          pos: { file: path, line: 1, col: 1 },
          message: `cannot read ${DIRS[owner]} of ${owner} '${name}': ${code}`,
          hint: 'make the file readable, or remove it',
        });
      }
    }
  }
  return { files, diagnostics };
}

/**
 * Parse vars files (no I/O) into the vars of each group and host, skipping names not in `known`.
 * Files are merged in the order given (later wins). Problems are appended to `diagnostics`.
 */
export function parseVarsFiles(
  files: readonly VarsFile[],
  known: { groups: Pick<ReadonlySet<string>, 'has'>; hosts: Pick<ReadonlySet<string>, 'has'> },
  diagnostics: Diagnostic[],
  vault: VaultKeyring = new VaultKeyring(),
): DirVars {
  const out: DirVars = { groups: new Map(), hosts: new Map() };
  for (const f of files) {
    if (!(f.owner === 'group' ? known.groups : known.hosts).has(f.name)) continue;
    let text = f.text.replace(/^\uFEFF/, '');
    let label = f.path;
    const vaulted = isVaultText(text);
    if (vaulted) {
      text = vault.decrypt(text, f.path);
      label = `${f.path} (decrypted)`;
    }
    const target = f.owner === 'group' ? out.groups : out.hosts;
    let vars = target.get(f.name);
    if (!vars) target.set(f.name, (vars = new Map()));
    for (const [k, v] of parseYamlVarsFile(text, label, diagnostics, vault)) {
      if (vaulted) vault.revealLeaves(v.value, k);
      vars.set(k, v);
    }
  }
  return out;
}

/** Entry names of a directory, or undefined when it does not exist or is not a directory. */
async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch {
    return undefined;
  }
}

/** Vars files under a directory, Ansible's way: sorted by name, recursing into subdirectories without an extension. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const path = join(dir, entry);
    const ext = extname(entry);
    const info = await stat(path);
    if (info.isDirectory()) {
      if (ext === '') out.push(...(await filesUnder(path)));
    } else if (info.isFile() && EXTENSIONS.includes(ext)) {
      out.push(path);
    }
  }
  return out;
}
