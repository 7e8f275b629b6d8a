/**
 * `-e/--var` as ansible-playbook reads it: `name=value` pairs and `@FILE` (YAML or JSON: a mapping
 * of variable names to values), applied in the order given (a later one wins). A file's values are
 * typed against the runbook's vars with the same checks as `--var` (a plain YAML scalar given to a
 * string or enum var is taken as written, so `asn: 65000` works); every problem is reported at once
 * as FILE:line:col. A vaulted file and inline `!vault` values are decrypted with the run's keyring;
 * a var that got its value from the vault becomes secret (masked in records, journals and output,
 * asked for again on resume).
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { RunbookError, ValidationError, type Diagnostic, type SourcePos } from '../errors.js';
import type { Value } from '../expr/types.js';
import { checkVarValue } from '../expr/values.js';
import { isVaultText, type VaultKeyring } from '../fleet/vault.js';
import { decryptVaultTags } from '../fleet/vault-yaml.js';
import type { Runbook, VarDecl } from '../runbook/model.js';
import { closest } from '../suggest.js';
import { resolveVars } from '../runbook/vars.js';

export interface ExtraVars {
  /** The runbook, its vars that took a vault value marked secret. */
  runbook: Runbook;
  vars: Record<string, Value>;
}

interface FileVars {
  values: Map<string, Value>;
  /** Names whose value came from the vault. */
  vaulted: Set<string>;
}

/**
 * Resolves `-e` arguments (pairs and @files) against the runbook's vars. `ignoreUnknown`: names the
 * runbook does not declare are skipped instead of refused (a worker's vars serve many runbooks).
 */
export function resolveExtraVars(
  runbook: Runbook,
  args: string[],
  vault: VaultKeyring,
  o: { ignoreUnknown?: boolean } = {},
): ExtraVars {
  const declared = new Set(runbook.vars.map((d) => d.name));
  const pairs: string[] = [];
  const preset = new Map<string, Value>();
  const vaulted = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const arg of args) {
    if (arg.startsWith('@')) {
      const f = readVarsFile(runbook, arg.slice(1), vault, diagnostics, o.ignoreUnknown ?? false);
      for (const [k, v] of f.values) {
        preset.set(k, v);
        // a file after a pair wins over it
        for (let i = pairs.length - 1; i >= 0; i--) if (pairName(pairs[i]!) === k) pairs.splice(i, 1);
        if (f.vaulted.has(k)) vaulted.add(k);
        else vaulted.delete(k);
      }
    } else {
      const name = pairName(arg);
      if (o.ignoreUnknown && !declared.has(name)) continue;
      preset.delete(name);
      vaulted.delete(name);
      pairs.push(arg);
    }
  }
  if (diagnostics.length > 0) throw new ValidationError(diagnostics, 'E_VAR_INVALID');
  const marked: Runbook =
    vaulted.size === 0
      ? runbook
      : { ...runbook, vars: runbook.vars.map((d) => (vaulted.has(d.name) ? { ...d, secret: true } : d)) };
  return { runbook: marked, vars: resolveVars(marked, pairs, preset) };
}

function pairName(pair: string): string {
  const eq = pair.indexOf('=');
  return (eq < 0 ? pair : pair.slice(0, eq)).trim();
}

function readVarsFile(
  runbook: Runbook,
  path: string,
  vault: VaultKeyring,
  diagnostics: Diagnostic[],
  ignoreUnknown: boolean,
): FileVars {
  const out: FileVars = { values: new Map(), vaulted: new Set() };
  if (path === '') {
    throw new RunbookError('E_USAGE', '-e @: no file named', { hint: 'write -e @vars.yml' });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    throw new RunbookError(
      'E_USAGE',
      `-e @${path}: cannot read the file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      { hint: 'check the path after @ (relative to the current directory)' },
    );
  }
  const wholeVault = isVaultText(text);
  let label = path;
  if (wholeVault) {
    text = vault.decrypt(text, path);
    label = `${path} (decrypted)`;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const pos = (offset: number): SourcePos => {
    const lp = lc.linePos(offset);
    return { file: label, line: lp.line, col: lp.col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const lp = e.linePos?.[0];
      diagnostics.push({
        pos: { file: label, line: lp?.line ?? 1, col: lp?.col ?? 1 },
        message: `YAML syntax error: ${e.message.split(' at line ')[0]}`,
        hint: 'fix the YAML (or JSON) syntax at this position',
      });
    }
    return out;
  }
  // inline values, known before they are replaced: node -> offset of its `!vault` tag (messages point there)
  const inline = new Map<Node, number>();
  if (isMap(doc.contents)) {
    for (const p of doc.contents.items) {
      if (isScalar(p.value) && p.value.tag === '!vault')
        inline.set(p.value, Math.max(0, text.lastIndexOf('!vault', p.value.range?.[0] ?? 0)));
    }
  }
  decryptVaultTags(doc, { file: label, text, lc, vault });
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) {
    diagnostics.push({
      pos: pos(root.range?.[0] ?? 0),
      message: 'a vars file must be a mapping of variable names to values',
      hint: 'write each variable as `name: value` on its own line (JSON: one object)',
    });
    return out;
  }
  const decls = new Map(runbook.vars.map((d) => [d.name, d]));
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const decl = decls.get(name);
    if (!decl && ignoreUnknown) continue;
    if (!decl) {
      const guess = closest(name, decls.keys());
      diagnostics.push({
        pos: pos(keyNode?.range?.[0] ?? 0),
        message: `runbook '${runbook.name}' has no variable '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
        hint:
          runbook.vars.length > 0
            ? `its variables: ${runbook.vars.map((v) => v.name).join(', ')}`
            : 'this runbook declares no variables',
      });
      continue;
    }
    const valueNode = pair.value as Node | null;
    const secret = decl.secret || wholeVault || (valueNode !== null && inline.has(valueNode));
    try {
      out.values.set(name, checkVarValue(decl, asWritten(decl, valueNode, doc)));
      if (wholeVault || (valueNode !== null && inline.has(valueNode))) out.vaulted.add(name);
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      diagnostics.push({
        pos: pos(
          (valueNode !== null ? inline.get(valueNode) : undefined) ??
            valueNode?.range?.[0] ??
            keyNode?.range?.[0] ??
            0,
        ),
        message: secret
          ? `${e.message.split(':')[0]}: the value is not valid for its type (the value is secret, so it is not shown)`
          : e.message,
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
      });
    }
  }
  return out;
}

/** The JS value, except that a plain (unquoted) scalar given to a string or enum var stays as written. */
function asWritten(decl: VarDecl, node: Node | null, doc: ReturnType<typeof parseDocument>): unknown {
  if (node === null) return null;
  const type = decl.type === 'list' ? decl.items?.type : decl.type;
  const textual = type === 'string' || type === 'enum';
  if (isScalar(node) && textual && typeof node.value !== 'string' && node.source !== undefined)
    return node.source;
  if (decl.type === 'list' && textual && 'items' in node && Array.isArray(node.items)) {
    return (node.items as Node[]).map((n) =>
      isScalar(n) && typeof n.value !== 'string' && n.source !== undefined ? n.source : n.toJS(doc),
    );
  }
  return node.toJS(doc);
}
