/**
 * Ansible's YAML inventory format into a RawInventory, with positions:
 *
 *   all:
 *     vars: {k: v}
 *     hosts: {edge01: {ansible_host: 10.0.0.1}}
 *     children:
 *       east: {hosts: {edge[02:09]: }, vars: {...}, children: {...}}
 *
 * Top-level keys are groups (usually just `all`); a group holds only `hosts`, `vars` and
 * `children`; a host maps to its vars or to nothing. Host names may carry ranges and `:port`.
 */
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { formatPos, type Diagnostic, type SourcePos } from '../errors.js';
import { expandHostRange, parseHostToken } from './host-range.js';
import {
  ALL,
  addChild,
  addHost,
  group,
  newRawInventory,
  report,
  setVar,
  type Located,
  type RawInventory,
} from './inventory-raw.js';
import { VaultKeyring } from './vault.js';
import { decryptVaultTags } from './vault-yaml.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];
const MAX_DEPTH = 64;

interface Ctx {
  inv: RawInventory;
  doc: Document;
  lc: LineCounter;
}

export function parseYamlInventory(
  text: string,
  file: string,
  vault: VaultKeyring = new VaultKeyring(),
): RawInventory {
  const inv = newRawInventory(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length === 0) decryptVaultTags(doc, { file, text, lc, vault });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const lp = e.linePos?.[0];
      const pos: SourcePos = { file, line: lp?.line ?? 1, col: lp?.col ?? 1 };
      report(
        inv,
        pos,
        `YAML syntax error: ${e.message.split(' at line ')[0]}`,
        'fix the YAML syntax (indentation, quotes, brackets) at this position',
      );
    }
    return inv;
  }
  const ctx: Ctx = { inv, doc, lc };
  const root = resolve(ctx, doc.contents as Node | null);
  if (root === null || (isScalar(root) && root.value === null)) {
    report(
      inv,
      { file, line: 1, col: 1 },
      'the inventory is empty',
      'start with `all:` and list hosts under `hosts:` (see examples/inventory/lab.yml)',
    );
    return inv;
  }
  if (!isMap(root)) {
    report(
      inv,
      posOf(ctx, root),
      'the top level of a YAML inventory must be a mapping of group names',
      'start the file with `all:` (see examples/inventory/lab.yml)',
    );
    return inv;
  }
  for (const pair of uniquePairs(ctx, root.items)) {
    const name = keyName(pair);
    const pos = posOf(ctx, pair.key as Node);
    if (GROUP_KEYS.includes(name)) {
      report(
        inv,
        pos,
        `'${name}' at the top level is read as a group name`,
        `put it under a group: start the file with \`all:\` and indent \`${name}:\` below it`,
      );
      continue;
    }
    parseGroup(ctx, name, pair.value as Node | null, pos, undefined, 0);
  }
  return inv;
}

/**
 * A group_vars/host_vars file (YAML or JSON): a top-level mapping of variable names to values,
 * each value with its position. An empty file has no vars. Problems are appended to `diagnostics`;
 * values tagged `!vault` (inline ansible-vault) are decrypted with `vault` (E_VAULT if it cannot).
 */
export function parseYamlVarsFile(
  text: string,
  file: string,
  diagnostics: Diagnostic[],
  vault: VaultKeyring = new VaultKeyring(),
): [string, Located][] {
  const inv = newRawInventory(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length === 0) decryptVaultTags(doc, { file, text, lc, vault });
  const ctx: Ctx = { inv, doc, lc };
  let out: [string, Located][] = [];
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const lp = e.linePos?.[0];
      report(
        inv,
        { file, line: lp?.line ?? 1, col: lp?.col ?? 1 },
        `YAML syntax error: ${e.message.split(' at line ')[0]}`,
        'fix the YAML syntax (indentation, quotes, brackets) at this position',
      );
    }
  } else {
    const root = resolve(ctx, doc.contents as Node | null);
    if (root !== null && !(isScalar(root) && root.value === null)) {
      if (isMap(root)) {
        out = parseVars(ctx, root, file);
      } else {
        const shown = isSeq(root) ? 'a list' : `'${String(isScalar(root) ? root.value : root)}'`;
        report(
          inv,
          posOf(ctx, root),
          `a vars file must be a mapping of variable names to values, not ${shown}`,
          'write each variable as `name: value` at the start of its own line',
        );
      }
    }
  }
  diagnostics.push(...inv.diagnostics);
  return out;
}

function parseGroup(
  ctx: Ctx,
  name: string,
  raw: Node | null,
  pos: SourcePos,
  parent: string | undefined,
  depth: number,
): void {
  const { inv } = ctx;
  if (!validName(ctx, name, pos, 'group')) return;
  group(inv, name, pos);
  if (parent !== undefined) {
    if (name === ALL) {
      report(
        inv,
        pos,
        `group 'all' cannot be a child of '${parent}'`,
        "'all' is the root that holds every group; rename the child group",
      );
      return;
    }
    addChild(inv, parent, name, pos);
  }
  if (depth > MAX_DEPTH) {
    report(
      inv,
      pos,
      `groups are nested more than ${MAX_DEPTH} levels deep`,
      'check for a recursive YAML alias',
    );
    return;
  }
  const node = resolve(ctx, raw);
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    report(
      inv,
      posOf(ctx, node),
      `group '${name}' must be a mapping with hosts, vars or children`,
      `write \`${name}:\` followed by indented \`hosts:\`, \`vars:\` or \`children:\``,
    );
    return;
  }
  for (const pair of uniquePairs(ctx, node.items)) {
    const key = keyName(pair);
    const keyPos = posOf(ctx, pair.key as Node);
    const value = resolve(ctx, pair.value as Node | null);
    if (key === 'hosts') parseHosts(ctx, name, value);
    else if (key === 'vars') {
      const g = group(inv, name, pos);
      for (const [k, v] of parseVars(ctx, value, `group '${name}'`))
        setVar(inv, g.vars, k, v, `group '${name}'`);
    } else if (key === 'children') {
      if (value === null || (isScalar(value) && value.value === null)) continue;
      if (!isMap(value)) {
        report(
          inv,
          posOf(ctx, value),
          `children of group '${name}' must be a mapping of group names`,
          'write each child group as `name:` on its own indented line, not as a list',
        );
        continue;
      }
      for (const child of uniquePairs(ctx, value.items)) {
        parseGroup(
          ctx,
          keyName(child),
          child.value as Node | null,
          posOf(ctx, child.key as Node),
          name,
          depth + 1,
        );
      }
    } else {
      const near = GROUP_KEYS.find((k) => k.slice(0, 4) === key.slice(0, 4).toLowerCase());
      report(
        inv,
        keyPos,
        `group '${name}' has an unknown key '${key}'`,
        near !== undefined
          ? `did you mean '${near}'? a group takes only hosts, vars and children`
          : `a group takes only hosts, vars and children; host variables go under \`hosts: {HOST: {${key}: ...}}\`, group variables under \`vars:\``,
      );
    }
  }
}

function parseHosts(ctx: Ctx, groupName: string, node: Node | null): void {
  const { inv } = ctx;
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    const list = isSeq(node) ? 'a list' : 'a single value';
    report(
      inv,
      posOf(ctx, node),
      `hosts of group '${groupName}' must be a mapping of host names, not ${list}`,
      'write each host as `name:` on its own indented line (vars below it, or nothing)',
    );
    return;
  }
  for (const pair of uniquePairs(ctx, node.items)) {
    const token = keyName(pair);
    const pos = posOf(ctx, pair.key as Node);
    const value = resolve(ctx, pair.value as Node | null);
    let vars: [string, Located][] = [];
    if (value !== null && !(isScalar(value) && value.value === null)) {
      if (!isMap(value)) {
        const shown = isScalar(value) ? `'${String(value.value)}'` : 'a list';
        report(
          inv,
          posOf(ctx, value),
          `host '${token}' in group '${groupName}' must map to its variables or to nothing, not ${shown}`,
          isScalar(value)
            ? `write \`${token}: {ansible_host: ${String(value.value)}}\` or just \`${token}:\``
            : `write \`${token}:\` with its variables indented below it`,
        );
        continue;
      }
      vars = parseVars(ctx, value, `host '${token}'`);
    }
    addHostToken(ctx, groupName, token, pos, vars);
  }
}

function addHostToken(
  ctx: Ctx,
  groupName: string,
  token: string,
  pos: SourcePos,
  vars: [string, Located][],
): void {
  const { inv } = ctx;
  const parsed = parseHostToken(token);
  if ('error' in parsed) {
    report(inv, pos, parsed.error, parsed.hint);
    return;
  }
  const expanded = expandHostRange(parsed.pattern);
  if ('error' in expanded) {
    report(inv, pos, expanded.error, expanded.hint);
    return;
  }
  const all =
    parsed.port === undefined
      ? vars
      : [...vars, ['ansible_port', { value: parsed.port, pos }] as [string, Located]];
  for (const name of expanded.names) {
    if (validName(ctx, name, pos, 'host')) addHost(inv, groupName, name, pos, all);
  }
}

function parseVars(ctx: Ctx, node: Node | null, owner: string): [string, Located][] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    report(
      ctx.inv,
      posOf(ctx, node),
      `vars of ${owner} must be a mapping of names to values`,
      'write each variable as `name: value` on its own indented line',
    );
    return [];
  }
  const out: [string, Located][] = [];
  for (const pair of uniquePairs(ctx, node.items)) {
    const value = pair.value as Node | null;
    const pos = value && value.range ? posAt(ctx, value.range[0]) : posOf(ctx, pair.key as Node);
    out.push([keyName(pair), { value: value === null ? null : value.toJS(ctx.doc), pos }]);
  }
  return out;
}

/** Pairs of a mapping; a key given twice in the same mapping is reported at its second place. */
function uniquePairs(ctx: Ctx, items: Pair[]): Pair[] {
  const seen = new Map<string, SourcePos>();
  const out: Pair[] = [];
  for (const pair of items) {
    const name = keyName(pair);
    const pos = posOf(ctx, pair.key as Node);
    const first = seen.get(name);
    if (first) {
      report(
        ctx.inv,
        pos,
        `'${name}' is given twice in the same mapping (first at ${formatPos(first)})`,
        'merge the two entries into one',
      );
      continue;
    }
    seen.set(name, pos);
    out.push(pair);
  }
  return out;
}

function validName(ctx: Ctx, name: string, pos: SourcePos, what: 'host' | 'group'): boolean {
  if (name === '' || /[\s\x00-\x1f\x7f]/.test(name)) {
    report(
      ctx.inv,
      pos,
      `${what} name '${name}' is empty or contains whitespace or control characters`,
      `give the ${what} a name without spaces`,
    );
    return false;
  }
  return true;
}

function keyName(pair: Pair): string {
  const k = pair.key;
  if (isScalar(k)) return k.value === null ? '' : String(k.value);
  return String(k);
}

function resolve(ctx: Ctx, node: Node | null): Node | null {
  if (node && isAlias(node)) return (node.resolve(ctx.doc) as Node | undefined) ?? null;
  return node;
}

function posOf(ctx: Ctx, node: Node | null | undefined): SourcePos {
  return posAt(ctx, node?.range?.[0] ?? 0);
}

function posAt(ctx: Ctx, offset: number): SourcePos {
  const lp = ctx.lc.linePos(offset);
  return { file: ctx.inv.file, line: lp.line, col: lp.col };
}
